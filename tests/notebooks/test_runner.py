"""Tests of tests/notebooks/run_notebooks.py.

The first part needs no kernel (spec parsing, cell selection, substitutions). The last
part starts the real `rust` kernel on the fixture notebooks and proves that the runner
reports a panicking notebook as failed and the minimal one as passed. Without the kernel
those tests are skipped, except under CI=true where they fail.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run_notebooks as rn

FIXTURES = rn.HERE / "fixtures"


def write_spec(tmp_path: Path, data: dict) -> Path:
    d = tmp_path / "expect"
    d.mkdir(exist_ok=True)
    (d / "spec.json").write_text(json.dumps(data))
    return d


# ------------------------------------------------------------------ spec parsing


def test_fixture_spec_parses():
    runs = rn.load_runs([FIXTURES], discover=False)
    labels = [r.label for r in runs]
    assert "tests/notebooks/fixtures/pass.ipynb" in labels
    assert "tests/notebooks/fixtures/exercise.ipynb [solutions]" in labels
    by = {r.label: r for r in runs}
    assert by["tests/notebooks/fixtures/panic.ipynb"].expect == "fail"
    assert by["tests/notebooks/fixtures/exercise.ipynb [solutions]"].substitute


def test_project_specs_parse():
    rn.load_runs([rn.EXPECT_DIR], discover=True)


def test_unknown_key_is_an_error(tmp_path):
    d = write_spec(tmp_path, {"notebooks/a.ipynb": {"chekcs": []}})
    with pytest.raises(rn.SpecError, match="unknown key"):
        rn.load_runs([d], discover=False)


def test_bad_regex_and_selector_are_errors(tmp_path):
    d = write_spec(tmp_path, {"notebooks/a.ipynb": {"checks": [{"cell": {"tag": "x"},
                                                               "text": "("}]}})
    with pytest.raises(rn.SpecError, match="bad regex"):
        rn.load_runs([d], discover=False)
    d = write_spec(tmp_path, {"notebooks/a.ipynb": {"checks": [
        {"cell": {"tag": "x", "marker": "y"}, "text": "a"}]}})
    with pytest.raises(rn.SpecError, match="exactly one"):
        rn.load_runs([d], discover=False)


def test_runs_inherit_notebook_settings(tmp_path):
    d = write_spec(tmp_path, {"notebooks/a.ipynb": {
        "timeout": 5, "write": False,
        "runs": [{"name": "one"}, {"name": "two", "timeout": 7, "expect": "fail"}]}})
    one, two = rn.load_runs([d], discover=False)
    assert (one.timeout, one.expect, one.write) == (5, "pass", False)
    assert (two.timeout, two.expect) == (7, "fail")
    assert two.label == "notebooks/a.ipynb [two]"


# --------------------------------------------------------------- cells and checks


def make_nb():
    nb = new_notebook()
    a = new_code_cell("let a = 1;")
    a.metadata["tags"] = ["first"]
    b = new_code_cell("grade();")
    b.metadata["tags"] = ["grader"]
    b.outputs = [nbformat.v4.new_output("stream", name="stdout", text="score: 100/100\n"),
                 nbformat.v4.new_output("stream", name="stderr", text="warn\n"),
                 nbformat.v4.new_output("display_data", data={"image/png": "AAAA",
                                                              "text/plain": "pic"})]
    nb.cells = [nbformat.v4.new_markdown_cell("# t"), a, b]
    return nb


def test_select_and_text():
    nb = make_nb()
    assert rn.select_one(nb, {"tag": "grader"}) == 2
    assert rn.select_one(nb, {"marker": "let a"}) == 1
    with pytest.raises(rn.SpecError, match="matches 0"):
        rn.select_one(nb, {"marker": "nowhere"})
    assert rn.cell_text(nb.cells[2]) == "score: 100/100\npic"
    assert rn.cell_stderr(nb.cells[2]) == "warn\n"
    assert "image/png" in rn.cell_mimes(nb.cells[2])


def test_checks_report_mismatches():
    nb = make_nb()
    run = rn.Run(notebook="x.ipynb", checks=[
        {"cell": {"tag": "grader"}, "text": "^score: 100/100$", "image": True},
        {"cell": {"tag": "grader"}, "text": "^score: 0/100$"},
        {"cell": {"tag": "first"}, "image": True},
        {"cell": {"tag": "missing"}, "contains": "x"},
    ])
    problems = rn.run_checks(run, nb)
    assert len(problems) == 3
    assert "does not match /^score: 0/100$/" in problems[0]
    assert "expected an image/png" in problems[1]
    assert "matches 0 code cells" in problems[2]


def test_substitution_from_text_file():
    nb = nbformat.read(FIXTURES / "exercise.ipynb", as_version=4)
    used = rn.apply_substitutions(
        nb, {"from": "tests/notebooks/fixtures/exercise_solutions.rs"})
    assert used == ["double", "triple"]
    assert "2 * x" in rn.cell_source(nb.cells[1])
    assert "todo!" not in rn.cell_source(nb.cells[1])
    assert rn.cell_source(nb.cells[2]).startswith("fn triple")


def test_substitution_from_notebook(tmp_path):
    solved = new_notebook()
    c = new_code_cell("fn double(x: i32) -> i32 { x + x }")
    c.metadata["tags"] = ["slot:double"]
    d = new_code_cell("fn triple(x: i32) -> i32 { x * 3 }")
    d.metadata["tags"] = ["slot:triple"]
    solved.cells = [c, d]
    src = rn.REPO / "out" / "test-solved.ipynb"
    src.parent.mkdir(exist_ok=True)
    nbformat.write(solved, src)
    try:
        nb = nbformat.read(FIXTURES / "exercise.ipynb", as_version=4)
        rn.apply_substitutions(nb, {"from": "out/test-solved.ipynb"})
        assert rn.cell_source(nb.cells[1]) == "fn double(x: i32) -> i32 { x + x }"
    finally:
        src.unlink()


def test_substitution_errors():
    nb = nbformat.read(FIXTURES / "pass.ipynb", as_version=4)
    with pytest.raises(rn.SpecError, match="no cell is tagged"):
        rn.apply_substitutions(nb, {"from": "tests/notebooks/fixtures/exercise_solutions.rs"})
    with pytest.raises(rn.SpecError, match="does not exist"):
        rn.apply_substitutions(nb, {"from": "tests/notebooks/fixtures/nope.rs"})


# ------------------------------------------------------- with the real rust kernel


def kernel_available() -> bool:
    return rn.check_kernel() is None


needs_kernel = pytest.mark.skipif(
    not kernel_available() and os.environ.get("CI") != "true",
    reason="the rust kernel is not registered (run `make setup`)")


def run_runner(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(rn.HERE / "run_notebooks.py"), *args],
        cwd=rn.REPO, capture_output=True, text=True, timeout=900, check=False)


@needs_kernel
def test_panicking_notebook_fails():
    proc = run_runner("tests/notebooks/fixtures/panic.ipynb")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "FAILED tests/notebooks/fixtures/panic.ipynb" in out, out
    assert "panic.ipynb cell 2" in out, out  # names the notebook and the cell
    assert "boom" in out, out  # and shows the panic message
    assert out.rstrip().endswith("notebooks: 0 passed, 1 failed"), out


@needs_kernel
def test_minimal_notebook_passes():
    proc = run_runner("--expect-dir", "tests/notebooks/fixtures",
                      "tests/notebooks/fixtures/pass.ipynb")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert out.rstrip().endswith("notebooks: 1 passed, 0 failed"), out


# ------------------------------------------------------------------ timings


def test_timings_file_and_summary(tmp_path, capsys):
    """--timings writes what tools/notebook_timings.py reads, and its summary adds up."""
    sys.path.insert(0, str(rn.REPO / "tools"))
    import notebook_timings as nt

    def result(label, startup, secs):
        cells = [rn.CellTime(i, s, f"cell {i}") for i, s in enumerate(secs)]
        return rn.Result(run=rn.Run(notebook=label), ok=True, seconds=startup + sum(secs) + 1,
                         startup=startup, cells=cells)

    before, after = tmp_path / "before.json", tmp_path / "after.json"
    rn.write_timings(before, [result("notebooks/a.ipynb", 3.0, [4.0, 2.5, 0.25, 0.75, 0.5])])
    rn.write_timings(after, [result("notebooks/a.ipynb", 2.0, [4.0, 1.0, 0.25, 0.75, 0.5])])
    data = json.loads(before.read_text())
    assert [c["seconds"] for c in data["runs"][0]["cells"]] == [4.0, 2.5, 0.25, 0.75, 0.5]
    assert not (tmp_path / "before.json.tmp").exists()

    s = nt.summary(data["runs"][0])
    assert s["top"] == pytest.approx(3.0 + 8.0)  # kernel start + every cell
    assert (s["dep"], s["first"], s["median"], s["slow"], s["n"]) == (4.0, 2.5, 0.75, 3, 5)

    assert nt.main([str(before), str(after)]) == 0
    out = capsys.readouterr().out
    assert "11.0s" in out and "8.5s" in out and "(0.77x top to bottom)" in out
