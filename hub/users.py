#!/usr/bin/env python3
"""The class server's accounts (run as root; it runs itself with the hub's Python).

    python3 hub/users.py add class.csv        # students: a CSV with a `username` column
    python3 hub/users.py remove class.csv     # userdel -r: their home and files go too
    python3 hub/users.py add-teacher NAME     # a teacher: hub admin, nbgrader course folder
    python3 hub/users.py reset-password NAME  # a new random password; NAME logged out everywhere
    python3 hub/users.py list

`add` makes each student a Unix user (group nnex4-students, home /home/<name>, mode 0700,
no login shell: they work through the hub) with a random first password, and prints
`username,password` for each new account, once: hand them out (a student may change theirs
at /hub/auth/change-password). A student already there keeps their password. A name must be
a valid Unix user name (lowercase letter first; letters, digits, `-`, `_`; at most 32); a
bad row is an error naming the row, and nothing is created.

While the hub runs, `add`, `remove`, `add-teacher` and `reset-password` also act on it
through its REST API (the token the hub keeps in $NNEX4_HUB_STATE/admin-api.json): a new
student can log in at once, a removed one's server is stopped, and nobody else's server or
kernel is touched. The lists $NNEX4_HUB_STATE/students.txt and teachers.txt are what the hub
reads at its next start.

`reset-password` is also how a teacher takes an account back from whoever learned its
password: every browser logged in as NAME and every API token of theirs stop working, and
their server stops (their files stay). Run it while the hub runs: logins live in the hub's
database, and a stopped hub keeps them for its next start.

`add-teacher` makes a Unix user (group nnex4-teachers, a bash shell for Jupyter's
terminals) who is a hub admin, with the nbgrader course folder ~/course made from the kit,
and the hub's Python and Rust toolchain on their PATH (~/.profile, for terminals; their
server and kernels get them from the hub).
"""

from __future__ import annotations

import csv
import grp
import json
import os
import pwd
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

PREFIX = Path(os.environ.get("NNEX4_HUB_PREFIX", "/opt/nn-ex4-hub"))
STATE = Path(os.environ.get("NNEX4_HUB_STATE", "/var/lib/nn-ex4-hub"))
GROUP = "nnex4-students"
TEACHERS = "nnex4-teachers"
NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
RESERVED = {"root", "nobody", "admin"}


def check_name(name: str, where: str) -> str:
    if not NAME.match(name):
        raise SystemExit(f"users.py: {where}: {name!r} is not a valid Unix user name "
                         "(a lowercase letter, then letters, digits, - or _; at most 32)")
    if name in RESERVED:
        raise SystemExit(f"users.py: {where}: {name!r} is reserved")
    return name


def read_names(csv_path: Path) -> list[str]:
    try:
        with open(csv_path, newline="", encoding="utf-8-sig") as f:  # -sig: a spreadsheet's BOM
            rows = list(csv.DictReader(f))
    except OSError as e:
        raise SystemExit(f"users.py: cannot read {csv_path}: {e.strerror}") from None
    if not rows or "username" not in rows[0]:
        raise SystemExit(f"users.py: {csv_path}: needs a header row with a `username` column")
    names = []
    for i, row in enumerate(rows, start=2):
        name = check_name((row["username"] or "").strip(), f"{csv_path} row {i}")
        if name in names:
            raise SystemExit(f"users.py: {csv_path} row {i}: {name!r} is repeated")
        names.append(name)
    return names


def exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


# --- the hub's lists for its next start ---------------------------------------------------
def _listed(file: str) -> list[str]:
    f = STATE / file
    return [n for n in f.read_text().split() if n] if f.exists() else []


def _state() -> Path:
    """The hub's state folder, root's alone (the hub makes it too, at start)."""
    STATE.mkdir(parents=True, exist_ok=True)
    os.chmod(STATE, 0o700)
    return STATE


def _write_list(file: str, names: list[str]) -> None:
    _state()
    tmp = STATE / (file + ".tmp")
    tmp.write_text("".join(n + "\n" for n in sorted(set(names))))
    tmp.replace(STATE / file)


def allowed() -> list[str]:
    return _listed("students.txt")


def teachers() -> list[str]:
    return _listed("teachers.txt")


def passwords_db() -> str:
    return str(_state() / "passwords.dbm")


# --- the running hub's REST API -----------------------------------------------------------
class HubDown(Exception):
    pass


class HubRefused(Exception):
    def __init__(self, code: int, what: str):
        super().__init__(what)
        self.code = code


PROBLEMS: list[str] = []  # what the running hub refused: reported, and users.py exits 1


def hub_api(method: str, path: str, body: dict | None = None) -> dict | None:
    """One request to the hub's REST API as its admin service; HubDown when no hub answers."""
    try:
        api = json.loads((STATE / "admin-api.json").read_text())
    except (OSError, ValueError):
        raise HubDown(f"no {STATE / 'admin-api.json'} (the hub writes it when it starts)") from None
    req = urllib.request.Request(api["url"] + path, method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": f"token {api['token']}",
                                          "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            data = r.read()
    except urllib.error.HTTPError as e:
        if e.code == 404 and method in ("GET", "DELETE"):
            return None
        raise HubRefused(e.code, f"the hub refused {method} {path}: {e.code} "
                                 f"{e.read()[:300].decode(errors='replace')}") from None
    except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
        raise HubDown(f"no hub answers at {api['url']} ({getattr(e, 'reason', e)})") from None
    return json.loads(data) if data else None


def tell_hub(action, names: list[str], when_down: str = "") -> None:
    """Runs `action(name)` for each name on the running hub, or says the hub will read its
    lists when it starts (and `when_down`, what that leaves undone)."""
    try:
        for name in names:
            try:
                action(name)
            except HubRefused as e:
                PROBLEMS.append(f"{name}: {e}")
                print(f"users.py: {name}: {e}", file=sys.stderr)
    except HubDown as e:
        print(f"users.py: the hub is not running ({e}): it reads {STATE}/students.txt and "
              f"teachers.txt when it starts{when_down}", file=sys.stderr)
        return
    print(f"users.py: done on the running hub too ({len(names)} account(s)), no restart", file=sys.stderr)


def hub_add(name: str, admin: bool = False) -> None:
    user = hub_api("GET", f"/users/{name}")
    if user is None:
        hub_api("POST", f"/users/{name}", {"admin": True} if admin else None)
    elif admin and not user.get("admin"):
        hub_api("PATCH", f"/users/{name}", {"admin": True})


def hub_remove(name: str) -> None:
    """Deletes the hub user (JupyterHub stops their server first). While a server is still
    stopping (the user's `pending` is "stop"), JupyterHub refuses with a 400: wait, again."""
    for _ in range(60):
        try:
            hub_api("DELETE", f"/users/{name}")
            return
        except HubRefused as e:
            user = hub_api("GET", f"/users/{name}")
            if e.code != 400 or user is None or user.get("pending") != "stop":
                raise
            time.sleep(1)
    raise HubRefused(0, f"the hub did not stop {name}'s server within 60 s")


# --- Unix users and processes ----------------------------------------------------------------
def make_unix_user(name: str, group: str, shell: str) -> None:
    subprocess.run(["groupadd", "-f", group], check=True)
    if not exists(name):
        subprocess.run(["useradd", "--create-home", "--gid", group, "--shell", shell,
                        "--key", "HOME_MODE=0700", name], check=True)
    os.chmod(pwd.getpwnam(name).pw_dir, 0o700)


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


def issue_password(name: str) -> str:
    import authenticator
    password = authenticator.new_password()
    authenticator.set_password(passwords_db(), name, password)
    return password


def print_passwords(passwords: dict[str, str]) -> None:
    if passwords:
        print("username,password")
        for name, password in passwords.items():
            print(f"{name},{password}")
        print(f"users.py: {len(passwords)} new password(s) above, shown once: hand each to its owner",
              file=sys.stderr)


# --- the commands ------------------------------------------------------------------------------
def not_ours(names: list[str], group: str) -> None:
    """Stops, naming them, at names of Unix users this script did not make for `group` (the
    server's own accounts: `add` would make them students, `remove` would delete them)."""
    bad = []
    for name in names:
        try:
            gid = pwd.getpwnam(name).pw_gid
        except KeyError:
            continue
        try:
            primary = grp.getgrgid(gid).gr_name
        except KeyError:
            primary = str(gid)
        if primary != group:
            bad.append(f"{name} (group {primary})")
    if bad:
        raise SystemExit(f"users.py: already Unix users of this server, not in group {group}: {', '.join(bad)}; "
                         "nothing was changed: choose other names")


def add(names: list[str]) -> dict[str, str]:
    """Students: Unix users, first passwords for the new ones (returned), the running hub."""
    import authenticator
    not_ours(names, GROUP)
    for name in names:
        make_unix_user(name, GROUP, "/usr/sbin/nologin")
    passwords = {}
    for name in names:
        if not authenticator.has_password(passwords_db(), name):
            passwords[name] = issue_password(name)
    _write_list("students.txt", allowed() + names)
    print(f"users.py: {len(names)} student(s) ready ({STATE / 'students.txt'})", file=sys.stderr)
    tell_hub(hub_add, names)
    return passwords


def remove(names: list[str]) -> None:
    import authenticator
    not_ours(names, GROUP)
    tell_hub(hub_remove, names)
    for name in names:
        if exists(name):
            kill_processes_of(pwd.getpwnam(name).pw_uid)
            subprocess.run(["userdel", "-r", name], check=False, stderr=subprocess.DEVNULL)
        authenticator.forget_password(passwords_db(), name)
    _write_list("students.txt", [n for n in allowed() if n not in names])
    print(f"users.py: {len(names)} student(s) removed", file=sys.stderr)


PROFILE_BEGIN = "# >>> nn-ex4 class server >>>"
PROFILE_END = "# <<< nn-ex4 class server <<<"


def profile_block() -> str:
    exchange = os.environ.get("NNEX4_HUB_EXCHANGE", "/srv/nbgrader/exchange")
    course = os.environ.get("NNEX4_HUB_COURSE", "nnex4")
    return (f"{PROFILE_BEGIN}\n"
            "# the hub's Python (jupyter, nbgrader) and the kit's Rust toolchain (cargo), as the\n"
            "# students' kernels use them (written by hub/users.py add-teacher)\n"
            f'export PATH="{PREFIX}/venv/bin:{PREFIX}/rust/current/bin:$PATH"\n'
            f'export CARGO_HOME="{PREFIX}/cargo" RUSTUP_HOME="{PREFIX}/rust"\n'
            f'export NNEX4_HUB_EXCHANGE="{exchange}" NNEX4_HUB_COURSE="{course}"\n'
            f"{PROFILE_END}\n")


def as_user(name: str, args: list[str], cwd: Path) -> None:
    pw = pwd.getpwnam(name)
    env = {"HOME": pw.pw_dir, "USER": name, "LOGNAME": name, "LANG": "C.UTF-8",
           "PATH": f"{PREFIX}/venv/bin:{PREFIX}/rust/current/bin:/usr/bin:/bin"}
    p = subprocess.run(args, cwd=cwd, env=env, user=pw.pw_uid, group=pw.pw_gid, extra_groups=[],
                       capture_output=True, text=True, check=False)
    if p.returncode:
        raise SystemExit(f"users.py: as {name}: {' '.join(args)} failed ({p.returncode}):\n{p.stdout}{p.stderr}")


def add_teacher(name: str) -> dict[str, str]:
    import authenticator
    not_ours([name], TEACHERS)  # a student too: their group is nnex4-students
    make_unix_user(name, TEACHERS, "/bin/bash")
    pw = pwd.getpwnam(name)
    home = Path(pw.pw_dir)
    # ~/.profile: a Jupyter terminal is a login bash, and Debian's /etc/profile sets PATH anew
    profile = home / ".profile"
    text = profile.read_text() if profile.is_file() and not profile.is_symlink() else ""
    text = re.sub(re.escape(PROFILE_BEGIN) + r".*?" + re.escape(PROFILE_END) + r"\n?", "", text, flags=re.DOTALL)
    tmp = home / ".profile.nnex4-new"
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "w") as f:
        f.write(text.rstrip("\n") + ("\n\n" if text.strip() else "") + profile_block())
    os.chown(tmp, pw.pw_uid, pw.pw_gid)
    tmp.replace(profile)
    import spawner
    spawner.prepare_home(name)  # the kit's notebooks, and the evcxr cache nbgrader's autograde uses
    course = home / "course"
    if not (course / "nbgrader_config.py").exists():
        as_user(name, [f"{PREFIX}/venv/bin/python", f"{PREFIX}/kit/scripts/nbgrader_notebook.py", "course",
                       str(course), "--kit", f"{PREFIX}/kit"], home)
    passwords = {}
    if not authenticator.has_password(passwords_db(), name):
        passwords[name] = issue_password(name)
    _write_list("teachers.txt", teachers() + [name])
    print(f"users.py: teacher {name} ready: course folder {course}", file=sys.stderr)
    tell_hub(lambda n: hub_add(n, admin=True), [name])
    return passwords


def end_logins(name: str) -> None:
    """Logs `name` out everywhere: the hub ties each login cookie and token to the user's
    record (its cookie_id), so the record is deleted (the server stops, tokens go) and made
    again; their home is untouched. The authenticator forgets the password on the delete:
    no login in between."""
    hub_remove(name)
    hub_add(name, admin=name in teachers())
    print(f"users.py: {name} is logged out everywhere; their server stopped, their files stay",
          file=sys.stderr)


def reset_password(name: str) -> dict[str, str]:
    if name not in allowed() and name not in teachers():
        raise SystemExit(f"users.py: {name} is neither a student ({STATE / 'students.txt'}) "
                         f"nor a teacher ({STATE / 'teachers.txt'})")
    tell_hub(end_logins, [name], when_down=f"; {name}'s logins are kept in its database and "
             "still work when it starts: run reset-password again while it runs to end them")
    return {name: issue_password(name)}  # after end_logins: the hub's delete forgets passwords


USAGE = {"add": "class.csv", "remove": "class.csv", "add-teacher": "NAME", "reset-password": "NAME"}


def in_hub_python(argv: list[str]) -> None:
    """The passwords are bcrypt hashes in the hub's dbm file, written with the hub's own
    libraries (hub/authenticator.py): run in the hub's venv."""
    venv_python = PREFIX / "venv" / "bin" / "python"
    if Path(sys.prefix).resolve() == (PREFIX / "venv").resolve():
        return
    if not venv_python.exists():
        raise SystemExit(f"users.py: no hub install in {PREFIX} (make hub installs it)")
    os.execv(venv_python, [str(venv_python), str(Path(__file__).resolve())] + argv[1:])


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] not in list(USAGE) + ["list"]:
        print(__doc__, file=sys.stderr)
        return 2
    if argv[1] == "list":
        print("\n".join(allowed() + [f"{t} (teacher)" for t in teachers()]))
        return 0
    if len(argv) != 3:
        print(f"usage: users.py {argv[1]} {USAGE[argv[1]]}", file=sys.stderr)
        return 2
    if os.geteuid() != 0:
        print("users.py: run as root (it creates Unix users)", file=sys.stderr)
        return 1
    in_hub_python(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    cmd, arg = argv[1], argv[2]
    if cmd == "add":
        print_passwords(add(read_names(Path(arg))))
    elif cmd == "remove":
        remove(read_names(Path(arg)))
    elif cmd == "add-teacher":
        print_passwords(add_teacher(check_name(arg, "add-teacher")))
    else:
        print_passwords(reset_password(check_name(arg, "reset-password")))
    if PROBLEMS:
        print(f"users.py: the running hub refused {len(PROBLEMS)} change(s) (above); the lists in "
              f"{STATE} hold them for its next start", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
