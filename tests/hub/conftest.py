"""The class-server tests: a hub on 127.0.0.1 with two test students (Unix users nnex4-s1,
nnex4-s2), shared by the tests of this folder that use the `hub` fixture and removed at the
end (hub stopped, their processes killed, `userdel -r`); test_first_day.py starts its own
with `make hub`.

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
from hubenv import PREFIX, STUDENTS


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

    h = harness.ClassHub(STUDENTS)
    with h:
        for s in STUDENTS:
            loop.run_until_complete(h.login(s))
        yield h
