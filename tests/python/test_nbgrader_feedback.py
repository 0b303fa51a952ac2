"""The kit's feedback pages reach each student through nbgrader's own feedback exchange
(scripts/nbgrader_feedback.py, `make grade ... GRADE_ARGS=--nbgrader-feedback`).

A temporary course with the pinned nbgrader (requirements.txt), everything by nbgrader's own
commands: the teacher releases a one-cell assignment, two students (nbgrader's `--student`,
each with an exchange cache and a folder of their own) fetch and submit it, the teacher
collects; then a page per student goes where `release_feedback` looks, `nbgrader
release_feedback` publishes them and each student's `nbgrader fetch_feedback` must bring back
exactly their own page, in the folder named by their submission's timestamp. A submission
outside nbgrader's layout, or without the files `nbgrader collect` copies, is an error naming
it, and nothing is written.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO / "scripts"))
import nbgrader_feedback

STUDENTS = ("alice", "bob")


def nbgrader(args: list[str], cwd: Path, exchange: Path, cache: Path) -> str:
    cmd = [str(BIN / "nbgrader"), *args, "--CourseDirectory.course_id=c1", f"--Exchange.root={exchange}",
           f"--Exchange.cache={cache}"]
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")  # nbgrader runs alembic
    p = subprocess.run(cmd, cwd=cwd, env=env, check=False, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, f"{' '.join(args)}: {p.stdout}\n{p.stderr}"
    return p.stdout + p.stderr


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    if not (BIN / "nbgrader").exists():
        pytest.skip(f"nbgrader is not installed in {BIN} (make setup)")
    root = tmp_path_factory.mktemp("nbfb")
    course, exchange = root / "course", root / "exchange"
    exchange.mkdir()
    (course / "source" / "a1").mkdir(parents=True)
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "source": "x = 1", "outputs": [], "execution_count": None}],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    (course / "source" / "a1" / "nb.ipynb").write_text(json.dumps(nb))
    (course / "nbgrader_config.py").write_text('c = get_config()\nc.CourseDirectory.root = "."\n')
    teacher_cache = root / "cache-teacher"
    nbgrader(["generate_assignment", "a1"], course, exchange, teacher_cache)
    nbgrader(["release_assignment", "a1"], course, exchange, teacher_cache)
    for s in STUDENTS:
        home = root / s
        home.mkdir()
        nbgrader(["fetch_assignment", "a1"], home, exchange, root / f"cache-{s}")
        nbgrader(["submit", "a1", f"--student={s}"], home, exchange, root / f"cache-{s}")
    nbgrader(["collect", "a1"], course, exchange, teacher_cache)
    return root


def test_release_feedback_brings_each_student_their_own_page(collected):
    root = collected
    course, exchange = root / "course", root / "exchange"
    pages = root / "grades" / "feedback"
    pages.mkdir(parents=True)
    graded = []
    for s in STUDENTS:
        (pages / f"{s}.html").write_text(f"<html><body>kit page of {s}: 75 / 100</body></html>")
        graded.append((course / "submitted" / s / "a1" / "nb.ipynb", pages / f"{s}.html"))
    written = nbgrader_feedback.place(graded)
    assert written == [course / "feedback" / s / "a1" / "nb.html" for s in STUDENTS]
    out = nbgrader(["release_feedback", "a1"], course, exchange, root / "cache-teacher")
    for s in STUDENTS:
        assert f"Releasing feedback for student '{s}'" in out, out
    for s in STUDENTS:
        nbgrader(["fetch_feedback", "a1", f"--student={s}"], root / s, exchange, root / f"cache-{s}")
        stamp = (course / "submitted" / s / "a1" / "timestamp.txt").read_text()
        fetched = list((root / s / "a1" / "feedback").glob("*/nb.html"))
        assert [p.parent.name for p in fetched] == [stamp], fetched
        assert fetched[0].read_text() == f"<html><body>kit page of {s}: 75 / 100</body></html>"


def test_outside_nbgrader_layout_is_an_error_naming_it(tmp_path):
    nb = tmp_path / "alice.ipynb"
    nb.write_text("{}")
    page = tmp_path / "alice.html"
    page.write_text("page")
    with pytest.raises(ValueError, match=r"alice\.ipynb is not in nbgrader's layout"):
        nbgrader_feedback.place([(nb, page)])
    assert not (tmp_path / "feedback").exists()


def test_missing_secret_is_an_error_and_nothing_is_written(tmp_path):
    ok = tmp_path / "course" / "submitted" / "alice" / "a1"
    bad = tmp_path / "course" / "submitted" / "bob" / "a1"
    for d in (ok, bad):
        d.mkdir(parents=True)
        (d / "nb.ipynb").write_text("{}")
        (d / "timestamp.txt").write_text("2026-12-07 01:00:00.000000 UTC")
    (ok / "submission_secret.txt").write_text("s3cret")
    page = tmp_path / "page.html"
    page.write_text("page")
    with pytest.raises(ValueError, match=r"bob/a1/submission_secret\.txt is missing"):
        nbgrader_feedback.place([(ok / "nb.ipynb", page), (bad / "nb.ipynb", page)])
    assert not (tmp_path / "course" / "feedback").exists()


def test_grade_class_refuses_the_option_before_grading_a_flat_folder(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.ipynb").write_text((REPO / "notebooks/exercises/ex4-neural-network-learning.ipynb").read_text())
    p = subprocess.run([sys.executable, str(REPO / "scripts/grade_class.py"), str(subs), str(tmp_path / "grades"),
                        "--nbgrader-feedback", "--no-sandbox", "--build-dir", str(tmp_path / "build")],
                       check=False, capture_output=True, text=True, timeout=120)
    assert p.returncode == 2, p.stdout + p.stderr
    assert "alice.ipynb is not in nbgrader's layout" in p.stderr
    assert not (tmp_path / "grades" / "gradebook.csv").exists()
    assert not (tmp_path / "build" / "project").exists()  # stopped before building
