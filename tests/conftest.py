"""pytest: the `course_weights` fixture, and one line saying which checks skipped for it."""

from __future__ import annotations

import pytest

from course_files import HINT, course_weights_file

_skipped: list[str] = []


@pytest.fixture(scope="session")
def course_weights():
    """Path of the course's ex4weights.mat; skips the test where it is not reachable."""
    path = course_weights_file()  # raises (the test errors) if the variable names no file
    if path is None:
        pytest.skip(f"needs the course's ex4weights.mat: {HINT}")
    return path


def pytest_runtest_logreport(report):
    if report.skipped and "course's ex4weights.mat" in str(report.longrepr):
        _skipped.append(report.nodeid.split("::")[-1])


def pytest_terminal_summary(terminalreporter):
    if _skipped:
        terminalreporter.write_line(
            f"python tests: skipped {len(_skipped)} checks that need the course's ex4weights.mat "
            f"({', '.join(sorted(set(_skipped)))}): {HINT}")
