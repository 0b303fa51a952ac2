#!/usr/bin/env python3
"""What a student's home holds after the course, measured on a class server.

One test student (Unix user <NNEX4_TEST_USER_PREFIX>-home, removed at the end) on a hub on
127.0.0.1 (harness.ClassHub) runs, as a student does through their own server, every code
cell of the walkthroughs 01-05 and of the exercise (its solution cells filled with the
reference solutions of tests/notebooks/solutions/ex4.rs, saved through the contents API),
each notebook in its own kernel, shut down after it. After each notebook, and while its
kernel still runs, it prints the home's size (`du -s`), the part the student's own files
take (what a per-user disk quota counts: the evcxr cache's crates are root-owned hard links
to the warm build), ~/.cache/evcxr and evcxr's build folders (~/.cache/nn-ex4/evcxr-tmp).
Then a kernel killed with SIGKILL leaves its build folder, which goes when the server stops
(and would at its next start: hub/homes.py). Run as root from the hub's venv:

    /opt/nn-ex4-hub/venv/bin/python hub/loadtest/homesize.py
"""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tests" / "notebooks"))
import harness
import homes  # hub/, on the path harness set
import procfs  # tools/, on the path harness set

NOTEBOOKS = ["01-feedforward-and-cost.ipynb", "02-backpropagation.ipynb", "03-training-and-hidden-units.ipynb",
             "04-comparing-lambda.ipynb", "05-deeper-networks.ipynb", "exercises/ex4-neural-network-learning.ipynb"]
SOLUTIONS = "tests/notebooks/solutions/ex4.rs"


def du_kib(path: Path) -> int:
    if not path.exists():
        return 0
    return int(subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True, check=False).stdout.split()[0] or 0)


def owned_kib(path: Path, uid: int) -> int:
    """Disk blocks of the files under `path` that `uid` owns (each inode once)."""
    seen, total = set(), 0
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            try:
                st = os.lstat(os.path.join(root, name))
            except OSError:
                continue
            if st.st_uid == uid and st.st_ino not in seen:
                seen.add(st.st_ino)
                total += st.st_blocks * 512
    return total // 1024


def sizes(home: Path, uid: int) -> str:
    build = home / homes.BUILD
    folders = len(list(build.iterdir())) if build.is_dir() else 0
    return (f"home {du_kib(home) / 1024:7.1f} MiB, the student's own files {owned_kib(home, uid) / 1024:7.1f} MiB, "
            f"~/.cache/evcxr {du_kib(home / '.cache' / 'evcxr') / 1024:7.1f} MiB, "
            f"build folders {du_kib(build) / 1024:7.1f} MiB ({folders})")


async def run_notebook(hub, name: str, rel: str, home: Path, uid: int, log) -> None:
    import nbformat
    import run_notebooks
    path = f"nn-ex4/notebooks/{rel}"
    if rel.startswith("exercises/"):
        got = await hub.server(name, "GET", f"/contents/{path}")
        nb = nbformat.from_dict(got["content"])
        run_notebooks.apply_substitutions(nb, {"from": SOLUTIONS})
        await hub.server(name, "PUT", f"/contents/{path}", {"type": "notebook", "format": "json",
                                                             "content": json.loads(nbformat.writes(nb))})
    cells = harness.code_cells(home / path)
    session = await hub.server(name, "POST", "/sessions", {"path": path, "type": "notebook", "name": Path(rel).name,
                                                          "kernel": {"name": "rust"}})
    k = harness.Kernel(hub, name, session["kernel"]["id"])
    await k.connect()
    t0 = time.monotonic()
    failed = 0
    for i, code in enumerate(cells):
        out = await k.execute(code, timeout=3600)
        try:
            harness.check_cell(name, i, out)
        except harness.CellError as e:
            failed += 1
            log(f"  {rel}: {e}")
    log(f"{rel:45s} {len(cells):3d} cells ({failed} failed), {time.monotonic() - t0:5.0f} s; kernel running: "
        + sizes(home, uid))
    await k.close()
    await hub.server(name, "DELETE", f"/sessions/{session['id']}", raw=True)
    await asyncio.sleep(2)
    log(f"{'':45s} kernel shut down:   " + sizes(home, uid))


async def main_async(hub, name: str, log) -> None:
    await hub.login(name)
    pw = pwd.getpwnam(name)
    home, uid = Path(pw.pw_dir), pw.pw_uid
    log(f"{'first login':45s}                                     " + sizes(home, uid))
    for rel in NOTEBOOKS:
        await run_notebook(hub, name, rel, home, uid, log)
    # a kernel that does not end cleanly (killed: out of memory, a culled server)
    session = await hub.server(name, "POST", "/sessions", {"path": "nn-ex4/notebooks/" + NOTEBOOKS[0],
                                                          "type": "notebook", "name": "k", "kernel": {"name": "rust"}})
    k = harness.Kernel(hub, name, session["kernel"]["id"])
    await k.connect()
    harness.check_cell(name, 0, await k.execute(harness.code_cells(home / "nn-ex4/notebooks" / NOTEBOOKS[0])[0]))
    for pid, cmd in harness.processes_of(name):
        if "evcxr_jupyter" in cmd:
            os.kill(pid, signal.SIGKILL)
    await asyncio.sleep(2)
    log(f"{'a kernel killed (SIGKILL)':45s}                                     " + sizes(home, uid))
    await hub.stop_server(name)
    log(f"{'server stopped':45s}                                     " + sizes(home, uid))
    await hub.login(name)
    log(f"{'server started again':45s}                                     " + sizes(home, uid))


def main() -> int:
    name = f"{os.environ.get('NNEX4_TEST_USER_PREFIX', 'nnex4')}-home"
    print(f"homesize: {procfs.cpu_name()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start", flush=True)
    with harness.ClassHub([name]) as hub:
        asyncio.new_event_loop().run_until_complete(main_async(hub, name, lambda s: print(s, flush=True)))
    print(f"homesize: load average {os.getloadavg()[0]:.2f} at the end", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
