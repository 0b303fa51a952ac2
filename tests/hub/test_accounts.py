"""Accounts on a running class server (hub/users.py, hub/authenticator.py) and the students'
homes at each server start (hub/homes.py, hub/spawner.py).

- A late student is added while the hub runs (`users.py add late.csv`): another student's
  kernel keeps its variables, the hub is the same process, the new student logs in with the
  printed password and not with a wrong one; `users.py remove` stops their server, ends their
  processes, and their password no longer logs in.
- No account can be claimed first: a student's first login needs the password `add` issued.
- `reset-password`: the old password stops working, the new one works, and whoever was
  logged in as the student (browser cookies, tokens, their server) is logged out.
- `add-teacher`: a hub admin at once (REST API) and at the next start (teachers.txt), the
  nbgrader course folder, cargo and nbgrader on the PATH of their Jupyter terminal.
- Homes: the kit's new and changed notebooks reach a student without overwriting their
  work; evcxr's leftover build folders go; all of it done as the student.
"""

from __future__ import annotations

import os
import pwd
import re
import subprocess
import sys
import time
from pathlib import Path

import harness
import homes
import pytest
import users
from hubenv import PREFIX, REPO, STUDENTS, USER_PREFIX

NOTEBOOK = "nn-ex4/notebooks/01-feedforward-and-cost.ipynb"
LATE = f"{USER_PREFIX}-late"
TEACHER2 = f"{USER_PREFIX}-t2"


def run_users_py(state: Path, exchange: Path, *args: str) -> subprocess.CompletedProcess:
    """hub/users.py as a teacher types it (as root), on a hub's state folder."""
    env = {**os.environ, "NNEX4_HUB_STATE": str(state), "NNEX4_HUB_PREFIX": str(PREFIX),
           "NNEX4_HUB_EXCHANGE": str(exchange)}
    return subprocess.run([sys.executable, str(REPO / "hub" / "users.py"), *args], env=env, capture_output=True,
                          text=True, timeout=600, check=False)


def users_py(hub, *args: str) -> subprocess.CompletedProcess:
    p = run_users_py(hub.state, hub.exchange, *args)
    assert p.returncode == 0, f"users.py {' '.join(args)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}"
    return p


def printed_passwords(out: str) -> dict[str, str]:
    lines = out.strip().splitlines()
    assert lines and lines[0] == "username,password", out
    return dict(line.split(",", 1) for line in lines[1:])


def login(hub, loop, name: str, password: str) -> int:
    return loop.run_until_complete(hub.form_login(name, password))


# --- the hub ------------------------------------------------------------------------------
def test_late_student_added_and_removed_while_kernels_run(hub, loop, tmp_path):
    hub_pid = hub.proc.pid
    kernel = loop.run_until_complete(hub.open_kernel(STUDENTS[0], NOTEBOOK))
    try:
        out = loop.run_until_complete(kernel.execute("let x: u64 = 41;\nprintln!(\"x is {}\", x);"))
        assert "x is 41" in out["stdout"], out
        csv_file = tmp_path / "late.csv"
        csv_file.write_text(f"username,name\n{LATE},A Late Student\n")
        p = users_py(hub, "add", str(csv_file))
        assert "done on the running hub too" in p.stderr, p.stderr
        password = printed_passwords(p.stdout)[LATE]
        assert hub.proc.poll() is None and hub.proc.pid == hub_pid, "the hub restarted"
        assert login(hub, loop, LATE, "a-wrong-guess-1") == 403
        assert login(hub, loop, LATE, password) == 302
        # the first student's kernel kept its variables
        out = loop.run_until_complete(kernel.execute("println!(\"x+1 is {}\", x + 1);"))
        assert "x+1 is 42" in out["stdout"], out

        # the late student works, then is removed
        loop.run_until_complete(hub.login(LATE))
        late_kernel = loop.run_until_complete(hub.open_kernel(LATE, NOTEBOOK))
        loop.run_until_complete(late_kernel.execute('println!("{}", 2 + 2);'))
        uid = pwd.getpwnam(LATE).pw_uid
        assert users.pids_of(uid), "the late student's server and kernel should be running"
        users_py(hub, "remove", str(csv_file))
        loop.run_until_complete(late_kernel.close())
        left = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in users.pids_of(uid)]
        assert left == [], f"the removed student's processes still run: {left}"
        assert not users.exists(LATE) and not Path(f"/home/{LATE}").exists()
        assert loop.run_until_complete(hub.api("GET", f"/users/{LATE}", raw=True)).code == 404
        assert login(hub, loop, LATE, password) == 403
        assert LATE not in users.allowed()
        out = loop.run_until_complete(kernel.execute("println!(\"x is still {}\", x);"))
        assert "x is still 41" in out["stdout"], out
        assert hub.proc.pid == hub_pid
    finally:
        loop.run_until_complete(kernel.close())
        if users.exists(LATE):
            users.remove([LATE])


@pytest.mark.needs_hub_install
def test_first_students_join_a_hub_started_with_none(loop, tmp_path, monkeypatch):
    """A teacher's first day: `make hub` with no class list yet, then `users.py add`. With no
    allowed users at start, firstuseauthenticator would let in anyone it can authenticate
    (its allow_all default); here the new students get in, and only with their passwords."""
    name = f"{USER_PREFIX}-first"
    monkeypatch.setattr(users, "STATE", users.STATE)  # ClassHub points it at its own; back after
    with harness.ClassHub([], cull_timeout=0) as h:
        try:
            csv_file = tmp_path / "class.csv"
            csv_file.write_text(f"username\n{name}\n")
            password = printed_passwords(users_py(h, "add", str(csv_file)).stdout)[name]
            assert login(h, loop, name, "a-wrong-guess-1") == 403
            assert login(h, loop, name, password) == 302
        finally:
            users.remove([name])


def test_no_account_can_be_claimed_first(hub, loop):
    """With first-use passwords, whoever logged in first with a name chose its password.
    Here a student's first login needs the password `add` issued for them."""
    s = STUDENTS[1]
    assert login(hub, loop, s, "someone-elses-guess") == 403  # first, before the student
    assert login(hub, loop, s, "someone-elses-guess") == 403  # and it did not become theirs
    assert login(hub, loop, s, hub.passwords[s]) == 302
    assert login(hub, loop, f"{USER_PREFIX}-intruder", "any-password-1") == 403
    # a Unix user of the server who is not in the class: no password, no login
    assert login(hub, loop, "nobody", "any-password-1") == 403


def test_reset_password_takes_the_account_back(hub, loop):
    """A classmate who learned a student's password logs in as them and opens their
    JupyterLab. The teacher's reset-password must end that: before, the intruder's browser
    stayed logged in (the hub's login cookie lives 14 days), and so did the student's tokens."""
    s = STUDENTS[0]
    old = hub.passwords[s]
    intruder = harness.Browser(hub)
    assert loop.run_until_complete(intruder.login(s, old)) == 302
    lab = loop.run_until_complete(intruder.open(f"/user/{s}/lab"))
    assert lab.code == 200 and b"<title>JupyterLab</title>" in lab.body, (lab.code, intruder.visited)
    token = hub.user_tokens[s]
    assert loop.run_until_complete(hub.api("GET", "/user", token=token))["name"] == s
    try:
        new = printed_passwords(users_py(hub, "reset-password", s).stdout)[s]
        assert new != old
        assert login(hub, loop, s, old) == 403
        home = loop.run_until_complete(intruder.open("/hub/home"))
        assert "/hub/login" in intruder.visited[-1] and home.code == 200, (home.code, intruder.visited)
        assert loop.run_until_complete(hub.api("GET", "/user", token=token, raw=True)).code == 403
        assert not loop.run_until_complete(hub.api("GET", f"/users/{s}")).get("servers"), "server still up"
        assert login(hub, loop, s, new) == 302
        hub.passwords[s] = new
    finally:
        loop.run_until_complete(hub.login(s))  # the student's server and token again, for later tests
    # the server started again: the intruder's old cookies do not open it
    intruder.visited.clear()
    lab = loop.run_until_complete(intruder.open(f"/user/{s}/lab"))
    assert "/hub/login" in intruder.visited[-1] and b"<title>JupyterLab</title>" not in lab.body, intruder.visited


async def change_password(hub, name: str, old: str, new: str) -> str:
    """Logs in with `old` and sets `new` on the hub's change-password page, as a browser does;
    returns the page's message."""
    browser = harness.Browser(hub)
    assert await browser.login(name, old) == 302
    page_url = hub.url + "/hub/auth/change-password"
    await browser.fetch(page_url)
    form = {"password": new, "_xsrf": browser.cookies.get("_xsrf", "")}
    page = (await browser.fetch(page_url, "POST", form)).body.decode()
    m = re.search(r"(Your password has been changed successfully!|Password too \w+![^<]*)", page)
    assert m, page[:3000]
    return m.group(1)


def test_a_student_changes_their_password(hub, loop):
    s = STUDENTS[1]
    old = hub.passwords[s]
    said = loop.run_until_complete(change_password(hub, s, old, "short"))
    assert said.startswith("Password too short"), said
    assert login(hub, loop, s, old) == 302
    said = loop.run_until_complete(change_password(hub, s, old, "x" * 73))
    assert said.startswith("Password too long"), said
    said = loop.run_until_complete(change_password(hub, s, old, "my-own-choice-77"))
    assert "successfully" in said, said
    assert login(hub, loop, s, old) == 403
    assert login(hub, loop, s, "my-own-choice-77") == 302
    hub.passwords[s] = "my-own-choice-77"


async def terminal(hub, name: str, command: str, timeout: float = 60) -> str:
    """Runs `command` in a new Jupyter terminal of `name`'s server; returns what it printed."""
    term = await hub.open_terminal(name)
    try:
        status, out = await term.run(command, timeout)
    finally:
        await term.close()
    assert status == 0, out
    return out


def hub_config(state: Path, tmp: Path) -> object:
    """What hub/jupyterhub_config.py sets at start, from a copy of the lists in `state`."""
    import shutil

    from traitlets.config import Config
    copy = tmp / "state-copy"
    copy.mkdir()
    for name in ("students.txt", "teachers.txt"):
        if (state / name).exists():
            shutil.copy(state / name, copy / name)
    c = Config()
    env = {"NNEX4_HUB_STATE": str(copy), "NNEX4_HUB_PREFIX": str(PREFIX)}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        path = REPO / "hub" / "jupyterhub_config.py"
        # the hub's own config file, as JupyterHub loads it
        exec(compile(path.read_text(), str(path), "exec"), {"get_config": lambda: c, "__file__": str(path)})  # noqa: S102
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return c


def test_add_teacher(hub, loop, tmp_path):
    try:
        p = users_py(hub, "add-teacher", TEACHER2)
        password = printed_passwords(p.stdout)[TEACHER2]
        pw = pwd.getpwnam(TEACHER2)
        assert pw.pw_shell == "/bin/bash"
        user = loop.run_until_complete(hub.api("GET", f"/users/{TEACHER2}"))
        assert user["admin"] is True, user  # at once, through the REST API
        assert TEACHER2 in hub_config(hub.state, tmp_path).Authenticator.admin_users  # and at the next start
        assert TEACHER2 not in users.allowed()
        course = Path(pw.pw_dir) / "course"
        assert (course / "nbgrader_config.py").is_file()
        assert (course / "source" / "ex4").is_dir(), sorted(p.name for p in course.iterdir())
        assert os.stat(course).st_uid == pw.pw_uid
        assert login(hub, loop, TEACHER2, "not-the-password") == 403
        assert login(hub, loop, TEACHER2, password) == 302
        # again: nothing changes, no new password
        again = users_py(hub, "add-teacher", TEACHER2)
        assert "username,password" not in again.stdout
        assert login(hub, loop, TEACHER2, password) == 302
        # their Jupyter terminal has the hub's venv and the toolchain
        loop.run_until_complete(hub.login(TEACHER2))
        out = loop.run_until_complete(terminal(hub, TEACHER2, "cargo --version; nbgrader --version; id -un"))
        assert re.search(r"cargo 1\.\d+\.\d+ \(", out), out  # (the command line it echoes has no digits)
        assert re.search(r"nbgrader version \d+\.\d+", out), out
        assert re.search(rf"\n{TEACHER2}\r?\n", out), out
        # an admin can stop a student's server (the hub's admin page does that)
        assert loop.run_until_complete(hub.api(
            "GET", f"/users/{STUDENTS[0]}", token=hub.user_tokens[TEACHER2]))["name"] == STUDENTS[0]
    finally:
        if users.exists(TEACHER2):
            loop.run_until_complete(hub.api("DELETE", f"/users/{TEACHER2}", raw=True))
            users.kill_processes_of(pwd.getpwnam(TEACHER2).pw_uid)
            subprocess.run(["userdel", "-r", TEACHER2], check=False, stderr=subprocess.DEVNULL)


def build_folder(name: str) -> Path:
    return Path(pwd.getpwnam(name).pw_dir) / homes.BUILD


def test_a_killed_kernels_build_folder_goes_when_the_server_stops(hub, loop):
    """evcxr builds a kernel's cells in a folder of its own under ~/.cache/nn-ex4/evcxr-tmp;
    a killed kernel leaves it behind (measured: 115 MiB after notebook 01's first cell). The
    spawner removes such folders, as the student, when the server stops."""
    import signal
    s = STUDENTS[1]
    build = build_folder(s)
    try:
        kernel = loop.run_until_complete(hub.open_kernel(s, NOTEBOOK))
        out = loop.run_until_complete(kernel.execute('println!("{}", 6 * 7);'))
        assert "42" in out["stdout"], out
        assert any(build.iterdir()), f"no build folder in {build}"
        for pid, cmd in harness.processes_of(s):
            if "evcxr_jupyter" in cmd:
                os.kill(pid, signal.SIGKILL)
        loop.run_until_complete(kernel.close())
        time.sleep(1)
        left = sorted(p.name for p in build.iterdir())
        assert left, "the killed kernel left no build folder: nothing to test"
        loop.run_until_complete(hub.stop_server(s))
        assert list(build.iterdir()) == [], f"left after the server stopped: {left}"
    finally:
        loop.run_until_complete(hub.login(s))  # the other tests use this student's server


def test_a_process_the_server_left_cannot_keep_a_build_folder(hub, loop):
    """A process of the student's that outlives their server (a kernel the server could not
    shut down in time, or one restarted as it stopped) and writes a build folder: the spawner
    ends the student's processes first, then removes the folders. Cleaning first, the folder
    came back (measured before the fix: this test failed with `.tmpLATE` left)."""
    s = STUDENTS[1]
    build = build_folder(s)
    late = build / ".tmpLATE"
    try:
        kernel = loop.run_until_complete(hub.open_kernel(s, NOTEBOOK))
        loop.run_until_complete(kernel.execute(
            'std::process::Command::new("setsid").args(["sh", "-c", '
            f'"while :; do mkdir -p {late}; sleep 0.05; done"]).spawn().map(|_| ()).unwrap();'))
        loop.run_until_complete(kernel.close())
        deadline = time.monotonic() + 20
        while not late.is_dir() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert late.is_dir(), f"the student's loop made no {late}: nothing to test"
        loop.run_until_complete(hub.stop_server(s))
        time.sleep(1)  # a loop still running would have made it again by now
        assert not late.exists(), f"{late} is back after the server stopped: something of {s}'s still runs"
        assert not [cmd for _, cmd in harness.processes_of(s) if "tmpLATE" in cmd], "the loop still runs"
    finally:
        loop.run_until_complete(hub.login(s))


@pytest.mark.needs_hub_install
def test_home_sync_runs_as_the_student(tmp_path, monkeypatch):
    """spawner.sync_home runs hub/homes.py as the student: what it writes is theirs, and a
    symlink the student planted where a kit notebook goes does not make root write there."""
    import shutil
    import tempfile

    import spawner
    name = f"{USER_PREFIX}-s4"
    shared = Path(tempfile.mkdtemp(prefix="nnex4-kit-"))  # pytest's tmp_path is root's alone
    os.chmod(shared, 0o755)
    kit = shared / "kit"
    (kit / "notebooks").mkdir(parents=True)
    (kit / "notebooks" / "a.ipynb").write_text('{"v": 1}')
    (kit / "notebooks" / "b.ipynb").write_text('{"v": 1}')
    for p in (kit, kit / "notebooks"):
        os.chmod(p, 0o755)
    secret = shared / "root-only"
    secret.write_text("root's")
    os.chmod(secret, 0o600)
    monkeypatch.setattr(users, "STATE", tmp_path / "state")
    users.add([name])
    old_kit = spawner.KIT
    try:
        spawner.KIT = kit
        home = Path(pwd.getpwnam(name).pw_dir)
        (home / "nn-ex4" / "notebooks").mkdir(parents=True)
        os.symlink(secret, home / "nn-ex4" / "notebooks" / "b.ipynb")
        for p in [home / "nn-ex4", home / "nn-ex4" / "notebooks"]:
            os.chown(p, pwd.getpwnam(name).pw_uid, pwd.getpwnam(name).pw_gid)
        build = home / ".cache" / "nn-ex4" / "evcxr-tmp" / ".tmpAbC123" / "target"
        build.mkdir(parents=True)
        (build / "libuser_code.so").write_bytes(b"\0" * 4096)
        subprocess.run(["chown", "-R", f"{name}:", str(home / ".cache")], check=True)
        out = spawner.sync_home(name)
        a = home / "nn-ex4" / "notebooks" / "a.ipynb"
        assert a.read_text() == '{"v": 1}' and os.stat(a).st_uid == pwd.getpwnam(name).pw_uid, out
        assert secret.read_text() == "root's" and (home / "nn-ex4" / "notebooks" / "b.ipynb").is_symlink()
        assert not (home / ".cache" / "nn-ex4" / "evcxr-tmp" / ".tmpAbC123").exists(), out
        assert "removed 1 evcxr build folder" in out, out
    finally:
        spawner.KIT = old_kit
        users.remove([name])
        shutil.rmtree(shared, ignore_errors=True)


@pytest.mark.needs_hub_install
def test_the_servers_own_accounts_are_not_students(tmp_path):
    """A class list naming an account the server already has (here `daemon`) would make it
    a student with a password, and `remove` would delete it: refused, naming it, and nothing
    of the list is made."""
    new = f"{USER_PREFIX}-fresh"
    csv_file = tmp_path / "class.csv"
    csv_file.write_text(f"username\n{new}\ndaemon\n")
    for command in ("add", "remove"):
        p = run_users_py(tmp_path / "state", tmp_path, command, str(csv_file))
        assert p.returncode != 0 and "daemon (group daemon)" in p.stderr, (command, p.stdout, p.stderr)
        assert not users.exists(new) and users.exists("daemon")
        assert "password" not in p.stdout
    p = run_users_py(tmp_path / "state", tmp_path, "add-teacher", "daemon")
    assert p.returncode != 0 and "daemon (group daemon)" in p.stderr, p.stderr
    assert pwd.getpwnam("daemon").pw_shell != "/bin/bash"


# --- the kit update and the clean-up, as homes.py does them (no hub needed) ----------------
def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_kit_update_keeps_the_students_work(tmp_path):
    kit, home = tmp_path / "kit", tmp_path / "home"
    nb = lambda h, n: h / "nn-ex4" / "notebooks" / n
    for n in ("01.ipynb", "02.ipynb", "03.ipynb"):
        write(kit / "notebooks" / n, f"kit {n} v1")
    write(kit / "notebooks" / "exercises" / "ex4.ipynb", "kit ex4 v1")
    (kit / "nn-core").mkdir()
    home.mkdir()

    first = homes.sync(kit, home, "2026-01-05")
    assert sorted(first) == ["new 01.ipynb", "new 02.ipynb", "new 03.ipynb", "new exercises/ex4.ipynb"]
    assert nb(home, "01.ipynb").read_text() == "kit 01.ipynb v1"
    assert (home / "nn-ex4" / "nn-core").resolve() == (kit / "nn-core").resolve()

    write(nb(home, "02.ipynb"), "the student's work in 02")  # the student edits 02
    nb(home, "03.ipynb").unlink()  # deletes 03 to start again
    write(kit / "notebooks" / "01.ipynb", "kit 01 v2")  # the kit fixes 01 and 02, adds 04
    write(kit / "notebooks" / "02.ipynb", "kit 02 v2")
    write(kit / "notebooks" / "04.ipynb", "kit 04 v1")

    second = homes.sync(kit, home, "2026-02-10")
    side = nb(home, "02 (kit update 2026-02-10).ipynb")
    assert sorted(second) == ["beside 02.ipynb: " + side.name, "new 03.ipynb", "new 04.ipynb", "updated 01.ipynb"]
    assert nb(home, "01.ipynb").read_text() == "kit 01 v2"  # never edited: replaced
    assert nb(home, "02.ipynb").read_text() == "the student's work in 02"  # edited: kept
    assert side.read_text() == "kit 02 v2"  # the new version beside it
    assert nb(home, "03.ipynb").read_text() == "kit 03.ipynb v1"
    assert nb(home, "04.ipynb").read_text() == "kit 04 v1"

    # a start later with no kit change: nothing moves, no second copy beside
    write(nb(home, "02.ipynb"), "more of the student's work in 02")
    assert homes.sync(kit, home, "2026-02-11") == []
    assert sorted(p.name for p in nb(home, "x").parent.iterdir()) == [
        "01.ipynb", "02 (kit update 2026-02-10).ipynb", "02.ipynb", "03.ipynb", "04.ipynb", "exercises"]


def test_kit_update_in_a_home_made_before_versions_were_recorded(tmp_path):
    """Homes from the first-login copy have no .kit-versions.json: a notebook that differs
    from the kit's may be the student's work, so the kit's goes beside it."""
    kit, home = tmp_path / "kit", tmp_path / "home"
    write(kit / "notebooks" / "01.ipynb", "kit 01 v2")
    write(kit / "notebooks" / "02.ipynb", "kit 02 v1")
    write(home / "nn-ex4" / "notebooks" / "01.ipynb", "kit 01 v1 with the student's outputs")
    write(home / "nn-ex4" / "notebooks" / "02.ipynb", "kit 02 v1")
    done = homes.sync(kit, home, "2026-03-01")
    assert done == ["beside 01.ipynb: 01 (kit update 2026-03-01).ipynb"]
    assert (home / "nn-ex4" / "notebooks" / "01.ipynb").read_text() == "kit 01 v1 with the student's outputs"


def test_clean_builds_removes_leftover_build_folders_only(tmp_path):
    home = tmp_path / "home"
    build = home / ".cache" / "nn-ex4" / "evcxr-tmp"
    write(build / ".tmpX1" / "target" / "debug" / "libcode.so", "x" * 1000)
    write(build / ".tmpX2" / "src" / "lib.rs", "fn main() {}")
    outside = tmp_path / "keep"
    write(outside / "file", "kept")
    os.symlink(outside, build / ".tmpLink")
    write(home / ".cache" / "evcxr" / "entry" / "lib.rlib", "the evcxr cache stays")
    write(home / "nn-ex4" / "notebooks" / "01.ipynb", "work")
    assert homes.clean_builds(home) == 3
    assert list(build.iterdir()) == []
    assert (outside / "file").read_text() == "kept"
    assert (home / ".cache" / "evcxr" / "entry" / "lib.rlib").exists()
    assert (home / "nn-ex4" / "notebooks" / "01.ipynb").exists()
