"""The kit reaches no file outside itself, and finds the course's weights only where told.

Issue: a clone with nothing beside it must pass `make test`. So no tracked file may reach
outside the repository by a relative path (only .ci/run may, to point the full CI run at
the course's file), and the lookup of the course's ex4weights.mat follows one rule.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from course_files import CourseFileError, course_weights_file

REPO = Path(__file__).resolve().parents[1]
ALLOWED = {".ci/run"}
SHARED = "sha" + "red"  # spelled apart so that this file does not match itself
OUTSIDE = [
    re.compile(r"\.\.[\\/]+(?:\.\.[\\/]+)*" + SHARED + r"\b"),              # up one or more folders
    re.compile(r"\.parents?(?:\[\d+\])?\s*/\s*[\"']" + SHARED + r"[\"']"),  # pathlib's parent / "..."
    re.compile(SHARED + r"[\\/]+reference\b"),                              # the reference folder
]


def tracked_text_files():
    names = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, check=True,
                           capture_output=True).stdout.decode().split("\0")
    for name in filter(None, names):
        path = REPO / name
        if not path.is_file() or name in ALLOWED:
            continue
        try:
            yield name, path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary (.mat, .png, fonts)


def test_no_tracked_file_reaches_outside_the_repository():
    found = []
    for name, text in tracked_text_files():
        for n, line in enumerate(text.splitlines(), 1):
            if any(p.search(line) for p in OUTSIDE):
                found.append(f"{name}:{n}: {line.strip()[:120]}")
    assert not found, "paths outside the repository (only .ci/run may use them):\n" + "\n".join(found)


def test_the_patterns_catch_what_they_are_for():
    for bad in ["../" + SHARED + "/reference/ex4weights.mat", "join(\"../../" + SHARED + "/x\")",
                "REPO.parent / \"" + SHARED + "\" / \"reference\"", "a\\..\\" + SHARED + "\\b"]:
        assert any(p.search(bad) for p in OUTSIDE), bad
    for fine in ["the shared scale", "Arc shared by copies", "../data/digits.mat", "sharedlib"]:
        assert not any(p.search(fine) for p in OUTSIDE), fine


def test_ci_uses_both_modes():
    ci = (REPO / ".ci" / "run").read_text()
    assert "NN_EX4_COURSE_WEIGHTS" in ci and "make test" in ci
    assert "env -u NN_EX4_COURSE_WEIGHTS" in ci, "the plain-clone run must unset the variable"


def test_lookup_rule(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    assert course_weights_file({}, data) is None
    assert course_weights_file({"NN_EX4_COURSE_WEIGHTS": ""}, data) is None
    (data / "ex4weights.mat").write_bytes(b"x")
    assert course_weights_file({}, data) == data / "ex4weights.mat"
    other = tmp_path / "w.mat"
    other.write_bytes(b"y")
    assert course_weights_file({"NN_EX4_COURSE_WEIGHTS": str(other)}, data) == other
    with pytest.raises(CourseFileError, match="missing.mat"):
        course_weights_file({"NN_EX4_COURSE_WEIGHTS": str(tmp_path / "missing.mat")}, data)
