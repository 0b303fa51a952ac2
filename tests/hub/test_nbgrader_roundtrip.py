"""The nbgrader round trip on the hub, with two test students on 127.0.0.1.

The teacher (Unix user nnex4-teacher) makes the course from the kit's instructor version
(scripts/nbgrader_notebook.py course), generates and releases the assignment; each student,
through their own Jupyter server (nbgrader's assignment-list API, as the Assignments tab
calls it), fetches it, works (the solution cells get the reference solutions of
tests/notebooks/solutions/ex4.rs, saved through the server's contents API) and submits; the
teacher collects, autogrades with nbgrader's autograder and releases feedback; the students
fetch it. Both students score 100 of 100, and neither can list the exchange's inbound
folder or read the other's submission.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import pwd
import shutil
import subprocess
import urllib.parse
from pathlib import Path

import spawner
from hubenv import PREFIX, REPO, STUDENTS, TEACHER

ASSIGNMENT = "ex4"
NB_NAME = "ex4-neural-network-learning.ipynb"
COURSE = "nnex4"


def nbgrader_notebook():
    spec = importlib.util.spec_from_file_location("nbgrader_notebook", REPO / "scripts" / "nbgrader_notebook.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def as_user(user: str, args: list[str], hub, cwd: Path, timeout: float = 1800) -> str:
    """Run a command as `user` (runuser), with the environment a hub server gets."""
    pw = pwd.getpwnam(user)
    env = {"HOME": pw.pw_dir, "USER": user, "LOGNAME": user, "LANG": "C.UTF-8",
           "PATH": f"{PREFIX}/venv/bin:{PREFIX}/rust/current/bin:/usr/bin:/bin",
           "CARGO_HOME": f"{PREFIX}/cargo", "RUSTUP_HOME": f"{PREFIX}/rust",
           "NNEX4_HUB_EXCHANGE": str(hub.exchange), "NNEX4_HUB_COURSE": COURSE}
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    p = subprocess.run([runuser, "-u", user, "--"] + args, cwd=cwd, env=env, capture_output=True, text=True,
                       timeout=timeout, check=False)
    assert p.returncode == 0, f"{user}: {' '.join(args)} failed ({p.returncode}):\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    return p.stdout + p.stderr


def solved(nb: dict) -> dict:
    mod = nbgrader_notebook()
    bodies = mod.reference_bodies()
    n = 0
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and cell["metadata"].get("nbgrader", {}).get("solution"):
            # what a student does: the released cell is the signature around `todo!()`; the
            # body takes the place of `todo!()` (the whole cell would lose the signature)
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            assert source.count(mod.CODE_STUB) == 1, f"{cell['metadata']['nbgrader']['grade_id']}: {source!r}"
            cell["source"] = source.replace(mod.CODE_STUB, bodies[cell["metadata"]["nbgrader"]["grade_id"]].strip())
            n += 1
    assert n == 3, f"expected 3 solution cells, found {n}"
    return nb


def failed_cells(path: Path) -> str:
    """Each code cell of an autograded notebook with an error or stderr output, and what it says."""
    if not path.is_file():
        return f"no autograded notebook {path}"
    lines = []
    for i, cell in enumerate(json.loads(path.read_text())["cells"]):
        for o in cell.get("outputs", []):
            if o["output_type"] == "error":
                said = f"{o.get('ename')}: {o.get('evalue')}"
            elif o["output_type"] == "stream" and o["name"] == "stderr":
                said = "stderr: " + "".join(o["text"])
            else:
                continue
            name = cell["metadata"].get("nbgrader", {}).get("grade_id") or f"cell {i}"
            lines.append(f"{name}: {said[:1500]}")
            break
    return "\n".join(lines) or "no cell has an error or stderr output"


def test_release_fetch_submit_collect_autograde_feedback(hub, loop):
    teacher_home = Path(pwd.getpwnam(TEACHER).pw_dir)
    spawner.prepare_home(TEACHER)  # the teacher's evcxr cache from the warm build
    course = teacher_home / "course"
    nbg = f"{PREFIX}/venv/bin/nbgrader"
    py = f"{PREFIX}/venv/bin/python"
    as_user(TEACHER, [py, f"{PREFIX}/kit/scripts/nbgrader_notebook.py", "course", str(course),
                      "--kit", f"{PREFIX}/kit"], hub, teacher_home)
    as_user(TEACHER, [nbg, "generate_assignment", ASSIGNMENT, "--force"], hub, course)
    as_user(TEACHER, [nbg, "release_assignment", ASSIGNMENT, "--force"], hub, course)
    inbound = hub.exchange / COURSE / "inbound"
    assert inbound.is_dir(), f"release made no {inbound}"
    mode = inbound.stat().st_mode & 0o7777
    assert not mode & 0o004, f"inbound {oct(mode)} is readable by students"

    async def student(name: str):
        r = await hub.api("POST", "/assignments/fetch", {"course_id": COURSE, "assignment_id": ASSIGNMENT},
                          token=hub.user_tokens[name], base=f"/user/{name}")
        assert r.get("success"), r  # nbgrader's answer: {"success": ..., "value": [assignments]}
        assert any(a["assignment_id"] == ASSIGNMENT and a["status"] == "fetched" for a in r["value"]), r
        path = f"/contents/{ASSIGNMENT}/{NB_NAME}"
        got = await hub.server(name, "GET", path)
        nb = solved(got["content"])
        await hub.server(name, "PUT", path, {"type": "notebook", "format": "json", "content": nb})
        r = await hub.api("POST", "/assignments/submit", {"course_id": COURSE, "assignment_id": ASSIGNMENT},
                          token=hub.user_tokens[name], base=f"/user/{name}")
        assert r.get("success"), r
        assert any(a["assignment_id"] == ASSIGNMENT and a["status"] == "submitted" for a in r["value"]), r

    for s in STUDENTS:
        loop.run_until_complete(student(s))

    # neither student can list the inbound folder nor read the other's submission
    for attacker, victim in [(STUDENTS[0], STUDENTS[1]), (STUDENTS[1], STUDENTS[0])]:
        probe = ("import os,sys\n"
                 "try:\n os.listdir(sys.argv[1]); print('LISTED')\nexcept OSError as e: print('denied', e)\n")
        theirs = [str(p / NB_NAME) for p in inbound.iterdir() if p.name.startswith(victim + "+")]
        assert theirs, f"no submission of {victim} in {inbound}"
        # nbgrader's design: inbound is write+search only (-wx), and each submission's folder
        # name holds a random part, so a student who cannot list inbound cannot find another's
        out = as_user(attacker, [py, "-c", probe, str(inbound)], hub, Path("/"))
        assert "LISTED" not in out and "denied" in out, out

    as_user(TEACHER, [nbg, "collect", ASSIGNMENT], hub, course)
    for s in STUDENTS:
        assert (course / "submitted" / s / ASSIGNMENT / NB_NAME).is_file()
    as_user(TEACHER, [nbg, "autograde", ASSIGNMENT, "--force"], hub, course, timeout=3600)
    as_user(TEACHER, [nbg, "generate_feedback", ASSIGNMENT, "--force"], hub, course)
    as_user(TEACHER, [nbg, "release_feedback", ASSIGNMENT], hub, course)
    as_user(TEACHER, [nbg, "export", "--to", str(course / "grades.csv")], hub, course)
    rows = list(csv.DictReader(io.StringIO((course / "grades.csv").read_text())))
    scores = {r["student_id"]: float(r["score"]) for r in rows if r["assignment"] == ASSIGNMENT}
    maxes = {r["student_id"]: float(r["max_score"]) for r in rows if r["assignment"] == ASSIGNMENT}
    assert set(scores) == set(STUDENTS), rows
    for s in STUDENTS:
        assert maxes[s] == 100.0, rows
        assert scores[s] == 100.0, (f"{s} scored {scores[s]} with the reference solution:\n"
                                    + failed_cells(course / "autograded" / s / ASSIGNMENT / NB_NAME))

    async def feedback(name: str) -> str:
        await hub.api("POST", "/assignments/fetch_feedback", {"course_id": COURSE, "assignment_id": ASSIGNMENT},
                      token=hub.user_tokens[name], base=f"/user/{name}")
        fb = await hub.server(name, "GET", f"/contents/{ASSIGNMENT}/feedback")
        stamps = [c["name"] for c in fb["content"]]
        assert stamps, fb
        # the folder is nbgrader's timestamp ("2026-12-02 05:58:34.242335 UTC"): quoted in the URL
        page = await hub.server(name, "GET", f"/contents/{ASSIGNMENT}/feedback/{urllib.parse.quote(stamps[0])}/"
                                f"{NB_NAME[:-6]}.html")
        return page["content"]

    for s in STUDENTS:
        html = loop.run_until_complete(feedback(s))
        assert "Score: 100.0 / 100.0" in html or "100.0 / 100.0" in html, html[:2000]
        owner = os.stat(f"/home/{s}/{ASSIGNMENT}/feedback").st_uid
        assert owner == pwd.getpwnam(s).pw_uid
