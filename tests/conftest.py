"""pytest: the `course_weights` fixture; the `needs_sandbox` and `needs_browser` markers; and
one line per missing thing saying which checks skipped for it.

A test marked `needs_sandbox` (bubblewrap with user namespaces) or `needs_browser` (headless
Chromium) skips where the machine lacks it, unless NN_EX4_REQUIRE names it (a comma list:
`sandbox,browser`), where it fails instead: CI's full run sets it, so a package that did not
install cannot turn a run green.
"""

from __future__ import annotations

import os

import pytest

from course_files import HINT, course_weights_file
from machine import NEEDS

REQUIRED = {k.strip() for k in os.environ.get("NN_EX4_REQUIRE", "").split(",") if k.strip()}
_skipped: dict[str, list[str]] = {}  # kind -> test names
_why: dict[str, str] = {}  # kind -> what is missing, and the fix


@pytest.fixture(scope="session")
def course_weights():
    """Path of the course's ex4weights.mat; skips the test where it is not reachable."""
    path = course_weights_file()  # raises (the test errors) if the variable names no file
    if path is None:
        pytest.skip(f"needs the course's ex4weights.mat: {HINT}")
    return path


def pytest_configure(config):
    unknown = REQUIRED - set(NEEDS)
    if unknown:
        raise pytest.UsageError(f"NN_EX4_REQUIRE: unknown {', '.join(sorted(unknown))} (known: {', '.join(NEEDS)})")
    for kind, (what, _) in NEEDS.items():
        config.addinivalue_line("markers", f"needs_{kind}: needs {what}; skips without it (NN_EX4_REQUIRE={kind}: fails)")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    for kind, (what, probe) in NEEDS.items():
        if item.get_closest_marker(f"needs_{kind}") is None:
            continue
        why = probe()
        if why is None:
            continue
        _why[kind] = why
        if kind in REQUIRED:
            pytest.fail(f"NN_EX4_REQUIRE={kind}, but this machine lacks {what}: {why}", pytrace=False)
        pytest.skip(f"needs {what}: {why}")


def pytest_runtest_logreport(report):
    if not report.skipped:
        return
    name = report.nodeid.split("::")[-1]
    text = str(report.longrepr)
    if "course's ex4weights.mat" in text:
        _skipped.setdefault("course", []).append(name)
    for kind, (what, _) in NEEDS.items():
        if f"needs {what}:" in text:
            _skipped.setdefault(kind, []).append(name)


def pytest_terminal_summary(terminalreporter):
    for kind, names in _skipped.items():
        unique = sorted(set(names))
        need, fix = (("the course's ex4weights.mat", HINT) if kind == "course" else (NEEDS[kind][0], _why[kind]))
        terminalreporter.write_line(f"python tests: skipped {len(unique)} checks that need {need} "
                                    f"({', '.join(unique)}): {fix}")
