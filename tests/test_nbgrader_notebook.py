"""The exercise notebook is nbgrader-ready (scripts/nbgrader_notebook.py).

Its cells carry nbgrader's schema-3 metadata (validated with nbgrader's own validator where
nbgrader is installed, else with the schema's rules written out below): the three solution
cells, the five grading cells with the course's points, every other cell read-only. The
instructor version (`course DIR`) holds the reference solution between `// BEGIN SOLUTION`
and `// END SOLUTION`, and nbgrader's `generate_assignment` turns it back into the committed
student notebook.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks/exercises/ex4-neural-network-learning.ipynb"
SLOTS = {"sigmoid_gradient", "rand_initialize_weights", "nn_cost_function"}
POINTS = {"grade-feedforward": 30, "grade-regularized-cost": 15, "grade-sigmoid-gradient": 5,
          "grade-backprop": 40, "grade-regularized-gradient": 10}

try:
    import nbformat
    from nbgrader.nbgraderformat import MetadataValidator
except ImportError:  # validate against the schema's rules below
    MetadataValidator = None


def load_script():
    spec = importlib.util.spec_from_file_location("nbgrader_notebook", REPO / "scripts/nbgrader_notebook.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def source(cell) -> str:
    return "".join(cell["source"])


def validate_schema_v3(nb: dict) -> None:
    """nbgrader's schema 3 (nbgrader/nbgraderformat/v3.json and v3.py), written out."""
    ids = set()
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader")
        if meta is None:
            continue
        assert meta["schema_version"] == 3
        for key in ("grade", "solution", "locked", "task"):
            assert isinstance(meta.get(key), bool), (key, meta)
        assert set(meta) <= {"grade", "grade_id", "locked", "points", "schema_version", "solution", "task",
                             "cell_type", "checksum"}, meta
        if meta["grade"] or meta["solution"] or meta["locked"]:
            assert isinstance(meta.get("grade_id"), str) and meta["grade_id"], meta
            assert meta["grade_id"] not in ids, f"duplicate grade id {meta['grade_id']}"
            ids.add(meta["grade_id"])
        if meta["grade"]:
            assert isinstance(meta.get("points"), (int, float)) and meta["points"] >= 0, meta
        if cell["cell_type"] == "markdown" and not meta["task"]:
            assert meta["grade"] == meta["solution"], "markdown grade cells are solution cells too"


def validate(path: Path) -> None:
    nb = json.loads(path.read_text())
    validate_schema_v3(nb)
    if MetadataValidator is not None:
        MetadataValidator().validate_nb(nbformat.read(str(path), as_version=4))


def test_the_notebook_has_nbgrader_metadata():
    validate(NOTEBOOK)
    nb = json.loads(NOTEBOOK.read_text())
    solutions, grades = {}, {}
    for cell in nb["cells"]:
        meta = cell["metadata"]["nbgrader"]
        tags = cell["metadata"].get("tags", [])
        if meta["solution"]:
            assert cell["cell_type"] == "code" and "solution-slot" in tags and not meta["grade"]
            assert not meta["locked"] and meta["grade_id"] in SLOTS and f"slot:{meta['grade_id']}" in tags
            assert source(cell).rstrip().endswith("todo!()\n}"), "the student version has the stub"
            solutions[meta["grade_id"]] = cell
        elif meta["grade"]:
            assert meta["locked"] and meta["grade_id"] in tags
            # The cell's last expression is the part's score: nbgrader's partial credit.
            assert source(cell).rstrip().split("\n")[-1].startswith("part.score")
            grades[meta["grade_id"]] = meta["points"]
        else:
            assert meta["locked"], f"cell {meta['grade_id']} is read-only"
            assert cell["metadata"].get("editable") is False
    assert set(solutions) == SLOTS
    assert grades == POINTS and sum(grades.values()) == 100


def test_the_metadata_is_up_to_date():
    p = subprocess.run([sys.executable, str(REPO / "scripts/nbgrader_notebook.py"), "check"],
                       capture_output=True, text=True, check=False)
    assert p.returncode == 0, p.stderr


def test_the_instructor_version_round_trips(tmp_path):
    script = load_script()
    assert script.main(["course", str(tmp_path / "course")]) == 0
    src = tmp_path / "course/source/ex4" / NOTEBOOK.name
    validate(src)
    nb_src, nb = json.loads(src.read_text()), json.loads(NOTEBOOK.read_text())
    solved = [c for c in nb_src["cells"] if c["metadata"]["nbgrader"]["solution"]]
    assert len(solved) == 3
    for cell in solved:
        text = source(cell)
        assert "// BEGIN SOLUTION" in text and "// END SOLUTION" in text and "todo!()" not in text
    # What nbgrader's ClearSolutions does with code_stub {"rust": "todo!()"}, by hand.
    for a, b in zip(nb_src["cells"], nb["cells"]):
        lines, out, inside = source(a).split("\n"), [], False
        for line in lines:
            if "BEGIN SOLUTION" in line:
                inside = True
                out.append(line[: len(line) - len(line.lstrip())] + "todo!()")
            elif "END SOLUTION" in line:
                inside = False
            elif not inside:
                out.append(line)
        if "setup" not in b["metadata"].get("tags", []):
            assert "\n".join(out) == source(b)


@pytest.mark.skipif(shutil.which("nbgrader", path=str(Path(sys.executable).parent)) is None,
                    reason="nbgrader is not installed")
def test_nbgrader_generate_assignment_gives_the_student_notebook(tmp_path):
    course = tmp_path / "course"
    assert load_script().main(["course", str(course)]) == 0
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    p = subprocess.run([str(Path(sys.executable).parent / "nbgrader"), "generate_assignment", "ex4", "--force"],
                       cwd=course, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    release = json.loads((course / "release/ex4" / NOTEBOOK.name).read_text())
    nb = json.loads(NOTEBOOK.read_text())
    assert len(release["cells"]) == len(nb["cells"])
    for a, b in zip(release["cells"], nb["cells"]):
        if "setup" in b["metadata"].get("tags", []):
            assert str(REPO / "nn-grader") in source(a)  # the kit's path, for the course's server
        else:
            assert source(a) == source(b)
        assert a["metadata"]["nbgrader"]["grade_id"] == b["metadata"]["nbgrader"]["grade_id"]
