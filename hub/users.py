#!/usr/bin/env python3
"""Students of the class server, from a CSV (run as root).

    python3 hub/users.py add class.csv        # a column `username` (other columns ignored)
    python3 hub/users.py remove class.csv     # userdel -r: the home and its files go too
    python3 hub/users.py list

`add` makes each a Unix user (group nnex4-students, home /home/<name>, mode 0700, no login
shell: they work through the hub) and appends them to $NNEX4_HUB_STATE/students.txt, the
list the hub lets in (re-read when the hub starts: `make hub-stop; make hub`). A name must
be a valid Unix user name (lowercase letter first; letters, digits, `-`, `_`; at most 32);
a bad row is an error naming the row, and nothing is created.
"""

from __future__ import annotations

import csv
import os
import pwd
import re
import subprocess
import sys
from pathlib import Path

STATE = Path(os.environ.get("NNEX4_HUB_STATE", "/var/lib/nn-ex4-hub"))
GROUP = "nnex4-students"
NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


def read_names(csv_path: Path) -> list[str]:
    with open(csv_path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows or "username" not in rows[0]:
        raise SystemExit(f"users.py: {csv_path}: needs a header row with a `username` column")
    names = []
    for i, row in enumerate(rows, start=2):
        name = (row["username"] or "").strip()
        if not NAME.match(name):
            raise SystemExit(f"users.py: {csv_path} row {i}: {name!r} is not a valid Unix user name")
        if name in ("root",) or name in names:
            raise SystemExit(f"users.py: {csv_path} row {i}: {name!r} is reserved or repeated")
        names.append(name)
    return names


def exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def allowed() -> list[str]:
    f = STATE / "students.txt"
    return [n for n in f.read_text().split() if n] if f.exists() else []


def write_allowed(names: list[str]) -> None:
    STATE.mkdir(parents=True, exist_ok=True)
    os.chmod(STATE, 0o700)
    tmp = STATE / "students.txt.tmp"
    tmp.write_text("".join(n + "\n" for n in names))
    tmp.replace(STATE / "students.txt")


def add(names: list[str]) -> None:
    subprocess.run(["groupadd", "-f", GROUP], check=True)
    for name in names:
        if not exists(name):
            subprocess.run(["useradd", "--create-home", "--gid", GROUP, "--shell", "/usr/sbin/nologin",
                            "--key", "HOME_MODE=0700", name], check=True)
        home = Path(pwd.getpwnam(name).pw_dir)
        os.chmod(home, 0o700)
    write_allowed(sorted(set(allowed()) | set(names)))
    print(f"users.py: {len(names)} students ready ({STATE / 'students.txt'})")


def pids_of(uid: int) -> list[int]:
    """The ids of the processes running as `uid` (from /proc)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def kill_until_gone(list_pids) -> None:
    """SIGKILL every process `list_pids()` names, until it names none (5 s at most)."""
    import signal
    import time
    for _ in range(50):
        pids = list_pids()
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.1)


def kill_processes_of(uid: int) -> None:
    kill_until_gone(lambda: pids_of(uid))


def remove(names: list[str]) -> None:
    for name in names:
        if exists(name):
            kill_processes_of(pwd.getpwnam(name).pw_uid)
            subprocess.run(["userdel", "-r", name], check=False, stderr=subprocess.DEVNULL)
    write_allowed([n for n in allowed() if n not in names])
    print(f"users.py: {len(names)} students removed")


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] not in ("add", "remove", "list"):
        print(__doc__, file=sys.stderr)
        return 2
    if argv[1] == "list":
        print("\n".join(allowed()))
        return 0
    if len(argv) != 3:
        print(f"usage: users.py {argv[1]} class.csv", file=sys.stderr)
        return 2
    if os.geteuid() != 0:
        print("users.py: run as root (it creates Unix users)", file=sys.stderr)
        return 1
    names = read_names(Path(argv[2]))
    (add if argv[1] == "add" else remove)(names)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
