"""nbgrader on the hub, as the teacher and the students take its steps (tests/hub/).

The teacher's commands run as their Unix user with the environment a hub server gets; the
students fetch, save their work and submit through their own Jupyter servers (nbgrader's
assignment-list API, as JupyterLab's Assignments tab calls it), and fetch their feedback
the same way.
"""

from __future__ import annotations

import importlib.util
import pwd
import shutil
import subprocess
import urllib.parse
from pathlib import Path

from hubenv import PREFIX, REPO

ASSIGNMENT = "ex4"
NB_NAME = "ex4-neural-network-learning.ipynb"
COURSE = "nnex4"


def script(name: str):
    """scripts/<name>.py of the kit, as a module."""
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def as_user(user: str, args: list[str], cwd: Path, exchange: Path, timeout: float = 1800) -> str:
    """Run a command as `user` (runuser), with the environment a hub server gets."""
    pw = pwd.getpwnam(user)
    env = {"HOME": pw.pw_dir, "USER": user, "LOGNAME": user, "LANG": "C.UTF-8",
           "PATH": f"{PREFIX}/venv/bin:{PREFIX}/rust/current/bin:/usr/bin:/bin",
           "CARGO_HOME": f"{PREFIX}/cargo", "RUSTUP_HOME": f"{PREFIX}/rust",
           "NNEX4_HUB_EXCHANGE": str(exchange), "NNEX4_HUB_COURSE": COURSE}
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    p = subprocess.run([runuser, "-u", user, "--"] + args, cwd=cwd, env=env, check=False, capture_output=True, text=True,
                       timeout=timeout)
    assert p.returncode == 0, f"{user}: {' '.join(args)} failed ({p.returncode}):\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    return p.stdout + p.stderr


def reference_bodies() -> dict[str, str]:
    """The body of each of the three functions in tests/notebooks/solutions/ex4.rs."""
    return script("nbgrader_notebook").reference_bodies()


def filled(nb: dict, bodies: dict[str, str]) -> dict:
    """What a student does: each released solution cell is the signature around `todo!()`;
    the body takes the place of `todo!()` (the whole cell would lose the signature)."""
    stub = script("nbgrader_notebook").CODE_STUB
    n = 0
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and cell["metadata"].get("nbgrader", {}).get("solution"):
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            assert source.count(stub) == 1, f"{cell['metadata']['nbgrader']['grade_id']}: {source!r}"
            cell["source"] = source.replace(stub, bodies[cell["metadata"]["nbgrader"]["grade_id"]].strip())
            n += 1
    assert n == 3, f"expected 3 solution cells, found {n}"
    return nb


async def fetch_fill_submit(hub, name: str, bodies: dict[str, str]) -> None:
    """Fetch the assignment, write the three functions, save, submit: through the student's server."""
    r = await hub.api("POST", "/assignments/fetch", {"course_id": COURSE, "assignment_id": ASSIGNMENT},
                      token=hub.user_tokens[name], base=f"/user/{name}")
    assert r.get("success"), r  # nbgrader's answer: {"success": ..., "value": [assignments]}
    assert any(a["assignment_id"] == ASSIGNMENT and a["status"] == "fetched" for a in r["value"]), r
    path = f"/contents/{ASSIGNMENT}/{NB_NAME}"
    got = await hub.server(name, "GET", path)
    await hub.server(name, "PUT", path, {"type": "notebook", "format": "json",
                                         "content": filled(got["content"], bodies)})
    r = await hub.api("POST", "/assignments/submit", {"course_id": COURSE, "assignment_id": ASSIGNMENT},
                      token=hub.user_tokens[name], base=f"/user/{name}")
    assert r.get("success"), r
    assert any(a["assignment_id"] == ASSIGNMENT and a["status"] == "submitted" for a in r["value"]), r


async def fetch_feedback(hub, name: str) -> str:
    """"Fetch Feedback", then the page as the student's server serves it."""
    r = await hub.api("POST", "/assignments/fetch_feedback", {"course_id": COURSE, "assignment_id": ASSIGNMENT},
                      token=hub.user_tokens[name], base=f"/user/{name}")
    assert r.get("success"), r
    fb = await hub.server(name, "GET", f"/contents/{ASSIGNMENT}/feedback")
    stamps = [c["name"] for c in fb["content"]]
    assert len(stamps) == 1, fb
    # the folder is nbgrader's timestamp ("2026-12-02 05:58:34.242335 UTC"): quoted in the URL
    page = await hub.server(name, "GET", f"/contents/{ASSIGNMENT}/feedback/{urllib.parse.quote(stamps[0])}/"
                            f"{NB_NAME[:-6]}.html")
    return page["content"]
