"""`make grade` (scripts/grade_class.py) on a small made-up class (scripts/make_class.py).

Six submissions: the reference solution, the todo!() stubs, one classic mistake (bias
regularized), a cell that does not compile, an endless loop and a notebook cut off mid-file.
Checks the gradebook's rows and statuses, the feedback pages, the summary and its chart,
that nothing half-written is left, and that a re-run reuses the cached grades (and grades
again only a submission that changed).

Needs: cargo on PATH; builds the class project in target/grade-class (a minute or two the
first time, seconds afterwards). Where the machine lacks the sandbox (bubblewrap with user
namespaces: a student's machine), these tests grade with --no-sandbox: they are about the
gradebook, the feedback and the cache, not the sandbox (test_grade_hostile.py is).
"""

from __future__ import annotations

import csv
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from machine import missing_sandbox  # (tests/machine.py)

REPO = Path(__file__).resolve().parents[2]
# Where there is no sandbox, grade without it (the gradebook's `sandbox` column says so).
SANDBOX_ARGS = ["--no-sandbox"] if missing_sandbox() else []
KINDS = ["reference", "stub", "bias-regularized", "compile-error", "loop", "invalid-json"]
HEADER = ["student", "Feedforward and cost", "Regularized cost", "Sigmoid gradient", "Backpropagation",
          "Regularized gradient", "total", "status", "flags", "sandbox"]


def load(name):
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def grade(submissions, grades):
    p = subprocess.run([sys.executable, str(REPO / "scripts/grade_class.py"), str(submissions), str(grades),
                        "--time-limit", "1", *SANDBOX_ARGS], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


def rows(grades):
    with open(grades / "gradebook.csv", newline="") as f:
        table = list(csv.reader(f))
    assert table[0] == HEADER
    return {r[0]: r for r in table[1:]}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    submissions, grades = root / "submitted", root / "grades"
    assert load("make_class").main([str(submissions), "--students", ",".join(KINDS)]) == 0
    out = grade(submissions, grades)
    return submissions, grades, out


def test_gradebook_rows_and_statuses(graded):
    _, grades, out = graded
    assert "6 submissions" in out
    r = rows(grades)
    assert sorted(r) == sorted(KINDS)
    assert r["reference"][1:8] == ["30", "15", "5", "40", "10", "100", "ok"]
    assert r["stub"][1:8] == ["0", "0", "0", "0", "0", "0", "ok"]
    # The bias column regularized: the two regularized parts lost.
    assert r["bias-regularized"][1:8] == ["30", "0", "5", "40", "0", "75", "ok"]
    # nn_cost_function does not compile: graded as not written, sigmoid_gradient still counts.
    assert r["compile-error"][1:8] == ["0", "0", "5", "0", "0", "5", "compile error in nn_cost_function"]
    # sigmoid_gradient loops: only its part is lost.
    assert r["loop"][1:8] == ["30", "15", "0", "40", "10", "95", "timed out in sigmoid_gradient"]
    assert r["invalid-json"][1:6] == ["0"] * 5 and r["invalid-json"][7].startswith("unreadable notebook")


def test_feedback_pages(graded):
    _, grades, _ = graded
    pages = sorted(p.stem for p in (grades / "feedback").glob("*.html"))
    assert pages == sorted(KINDS)
    bias = (grades / "feedback/bias-regularized.html").read_text()
    assert "regularizing the bias column" in bias and "75 / 100" in bias and bias.rstrip().endswith("</html>")
    compile_error = (grades / "feedback/compile-error.html").read_text()
    # The compiler's message, escaped: `-->` and `<` never appear raw inside the page's text.
    assert "mismatched types" in compile_error and "--&gt;" in compile_error and "-->" not in compile_error
    assert "timed out after 1 s in sigmoid_gradient" in (grades / "feedback/loop.html").read_text()


def test_summary_and_chart(graded):
    _, grades, _ = graded
    md = (grades / "summary.md").read_text()
    assert "6 submissions" in md
    assert "| Feedforward and cost | 30 | 3 / 6 |" in md  # reference, bias-regularized, loop
    assert "| Sigmoid gradient | 5 | 3 / 6 |" in md  # reference, bias-regularized, compile-error
    assert "| regularizing the bias column | 1 |" in md
    assert "| sigmoid sign | 0 |" in md
    png = (grades / "summary.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[-8:-4] == b"IEND"


def test_outputs_are_complete_files(graded):
    _, grades, _ = graded
    leftovers = [p for p in grades.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []
    for f in (grades / ".cache").glob("*.json"):
        json.loads(f.read_text())


def test_rerun_reuses_the_cache_and_regrades_what_changed(graded):
    submissions, grades, _ = graded
    before = rows(grades)
    out = grade(submissions, grades)
    assert "6 graded (6 reused from the cache)" in out, out
    assert rows(grades) == before
    # The stub's student writes sigmoid_gradient: only that submission is graded again.
    nb_path = submissions / "stub.ipynb"
    nb = json.loads(nb_path.read_text())
    for cell in nb["cells"]:
        if "slot:sigmoid_gradient" in cell.get("metadata", {}).get("tags", []):
            cell["source"] = ("fn sigmoid_gradient(z: &Array2<f64>) -> Array2<f64> {\n"
                              "    let g = sigmoid(z);\n    &g * &(1.0 - &g)\n}\n")
    nb_path.write_text(json.dumps(nb))
    out = grade(submissions, grades)
    assert "5 reused or unreadable, 1 to grade" in out or "6 reused or unreadable, 1 to grade" in out, out
    assert "6 graded (5 reused from the cache)" in out, out
    after = rows(grades)
    assert after["stub"][1:8] == ["0", "0", "5", "0", "0", "5", "ok"]
    assert {k: v for k, v in after.items() if k != "stub"} == {k: v for k, v in before.items() if k != "stub"}


def test_nbgrader_layout_and_extraction(tmp_path):
    gc = load("grade_class")
    assert load("make_class").main([str(tmp_path / "course"), "--nbgrader", "ex4",
                                    "--students", "reference,deleted-cell,untagged,reordered"]) == 0
    subs = gc.find_submissions(tmp_path / "course")
    assert [s.student for s in subs] == ["deleted-cell", "reference", "reordered", "untagged"]
    assert subs == gc.find_submissions(tmp_path / "course" / "submitted")
    for s in subs:
        gc.extract(s)
    by = {s.student: s for s in subs}
    assert by["deleted-cell"].missing == ["rand_initialize_weights"]
    for name in ("reference", "reordered", "untagged"):
        assert by[name].missing == [] and set(by[name].cells) == set(gc.FUNCTIONS), name
        assert by[name].cells == by["reference"].cells


def test_a_student_past_the_whole_student_limit_is_stopped(tmp_path):
    assert load("make_class").main([str(tmp_path / "class"), "--students", "loop,reference"]) == 0
    p = subprocess.run([sys.executable, str(REPO / "scripts/grade_class.py"), str(tmp_path / "class"),
                        str(tmp_path / "grades"), "--time-limit", "5", "--student-time-limit", "2", *SANDBOX_ARGS],
                       cwd=REPO, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    r = rows(tmp_path / "grades")
    assert r["loop"][1:8] == ["0", "0", "0", "0", "0", "0", "timed out (whole student, 2 s)"]
    assert r["reference"][6:8] == ["100", "ok"]


def test_no_sandbox_stops_the_grader_unless_asked(tmp_path):
    """Without bwrap (NN_EX4_BWRAP pointing nowhere) `make grade` stops with the cause and the fix; --no-sandbox grades
    anyway, and the gradebook and the summary say so."""
    assert load("make_class").main([str(tmp_path / "class"), "--students", "reference"]) == 0
    env = dict(__import__("os").environ, NN_EX4_BWRAP=str(tmp_path / "no-such" / "bwrap"))
    cmd = [sys.executable, str(REPO / "scripts/grade_class.py"), str(tmp_path / "class"), str(tmp_path / "grades")]
    p = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600, env=env)
    assert p.returncode != 0
    assert "bwrap` is not installed" in p.stderr and "apt-get install bubblewrap" in p.stderr, p.stderr
    assert "user.max_user_namespaces" in p.stderr and "--no-sandbox" in p.stderr
    assert not (tmp_path / "grades" / "gradebook.csv").exists()
    p = subprocess.run(cmd + ["--no-sandbox"], cwd=REPO, capture_output=True, text=True, timeout=600, env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    r = rows(tmp_path / "grades")
    assert r["reference"][6:] == ["100", "ok", "", "none (--no-sandbox)"]
    assert "Graded without the sandbox (--no-sandbox)" in (tmp_path / "grades" / "summary.md").read_text()
