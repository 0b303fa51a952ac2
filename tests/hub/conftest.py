"""The class-server tests: a hub on 127.0.0.1 with two test students (Unix users nnex4-s1,
nnex4-s2) and a teacher (nnex4-teacher), shared by the tests of this folder and removed at
the end (hub stopped, their processes killed, `userdel -r`).

They need root and the hub's shared install (`bash hub/install.sh`, which `make hub-test`
runs), and start only with NNEX4_HUB_TESTS=1 (they create Unix users): `.ci/run` sets it;
by hand:  NNEX4_HUB_TESTS=1 /opt/nn-ex4-hub/venv/bin/python -m pytest -q tests/hub
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hubenv import PREFIX, STUDENTS, TEACHER


def _why_not() -> str | None:
    if os.environ.get("NNEX4_HUB_TESTS") != "1":
        return "class-server tests: set NNEX4_HUB_TESTS=1 to run them (they create Unix users; root)"
    if os.geteuid() != 0:
        return "class-server tests need root (they create Unix users)"
    if not (PREFIX / "warm" / ".stamp").exists():
        return f"class-server tests need the hub's install in {PREFIX}: bash hub/install.sh"
    return None


def pytest_configure(config):
    config.addinivalue_line("markers", "needs_hub_install: needs root, NNEX4_HUB_TESTS=1 and hub/install.sh")


def pytest_collection_modifyitems(config, items):
    """Tests that use the `hub` fixture or carry `needs_hub_install` skip, saying why, unless
    they can run; the others (the kit's own kernel) always run."""
    why = _why_not()
    if why:
        for item in items:
            if "tests/hub/" not in str(item.fspath).replace(os.sep, "/"):
                continue
            if "hub" in getattr(item, "fixturenames", ()) or item.get_closest_marker("needs_hub_install"):
                item.add_marker(pytest.mark.skip(reason=why))


@pytest.fixture(scope="session")
def loop():
    lp = asyncio.new_event_loop()
    yield lp
    lp.close()


@pytest.fixture(scope="session")
def hub(loop):
    import harness
    import users

    # the teacher is a hub admin, as docs/classroom.md has it (NNEX4_HUB_ADMINS)
    os.environ["NNEX4_HUB_ADMINS"] = TEACHER
    # the teacher: a Unix user of their own, not a student (nbgrader runs as them), made before
    # the hub starts (it drops hub users who are no Unix user: hub/authenticator.py)
    if not users.exists(TEACHER):
        import subprocess
        subprocess.run(["useradd", "--create-home", "--shell", "/usr/sbin/nologin", "--key", "HOME_MODE=0700",
                        TEACHER], check=True)
    h = harness.ClassHub(STUDENTS)
    with h:
        try:
            for s in STUDENTS:
                loop.run_until_complete(h.login(s))
            yield h
        finally:
            users.kill_processes_of(__import__("pwd").getpwnam(TEACHER).pw_uid)
            import subprocess
            subprocess.run(["userdel", "-r", TEACHER], check=False, stderr=subprocess.DEVNULL)
