"""nbgrader's own autograder gives the kit's grader's points (the pinned nbgrader, requirements.txt).

One temporary nbgrader course: the instructor version from scripts/nbgrader_notebook.py,
`nbgrader generate_assignment`, then five submissions of the released student notebook,
autograded by `nbgrader autograde` on the `rust` kernel (evcxr) exactly as a teacher runs it:

- `reference`: tests/notebooks/solutions/ex4.rs in the three solution cells;
- `natural`: tests/notebooks/solutions/ex4-natural.rs, written from the handout (its
  `nn_cost_function` calls `sigmoid_gradient`, so it needs the notebook's top-to-bottom order);
- `stubs`: the released notebook as it is (`todo!()` everywhere);
- two classic mistakes of nn-grader's catalogue, made in the natural solution:
  `regularized_bias` (column 0 regularized too: the regularized cost and gradient lose their
  15 + 10 points) and `output_error_sign` (delta3 = y - h: backpropagation and the regularized
  gradient lose their 40 + 10).
- `compile_error`: the natural solution with `.sum() / m` for `.sum() / m as f64` (m is a
  usize), the commonest first error: the cost cell and every cell that calls
  `nn_cost_function` (the four cost parts and grade-all) fail to compile. nbgrader must still
  grade the notebook: 5 / 100 (the sigmoid gradient), each failed cell 0. evcxr's reply to
  such a cell has no `ename`, on which nbgrader 0.9.6's Execute stopped that student's
  autograde (KeyError: 'ename'); scripts/nbgrader_evcxr.py, set in the course's
  nbgrader_config.py, completes it. Here the kit prints no total (its grade-all cell is one of
  those that fail), so nbgrader's is compared with the catalogue's.

For each, nbgrader's total (its gradebook) must equal the kit's total (the notebook's own
"Total: N / 100" line), each graded cell's nbgrader score must equal the kit's points for the
part, and both must be the points the catalogue predicts. nbgrader zeroes a graded cell with
an error or any stderr output; the test also asserts that no graded cell has either.

Slow: each submission is a fresh kernel compiling the kit and running every cell. Measured
on 2 shared cores (load average ~10, evcxr cache warm): generate_assignment 30 s, autograde of
the five 821 s, the whole test 868 s. Skips with a visible reason where nbgrader or the rust kernel is
missing.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NOTEBOOK = "ex4-neural-network-learning.ipynb"
SOLUTIONS = REPO / "tests/notebooks/solutions"
PARTS = {  # grading cell -> the kit's part name, as the grade-all table prints it
    "grade-feedforward": "Feedforward and cost",
    "grade-regularized-cost": "Regularized cost",
    "grade-sigmoid-gradient": "Sigmoid gradient",
    "grade-backprop": "Backpropagation",
    "grade-regularized-gradient": "Regularized gradient",
}
# Each classic mistake: the natural solution's line, the mistaken line, and the parts it
# costs (nn-grader/src/mistakes.rs: RegularizedBias, OutputErrorSign).
MISTAKES = {
    "regularized_bias": ("    t1.column_mut(0).fill(0.0);\n", "", {"grade-regularized-cost", "grade-regularized-gradient"},
                         "    t2.column_mut(0).fill(0.0);\n", ""),
    "output_error_sign": ("    let delta3 = &a3 - &y_k;\n", "    let delta3 = &y_k - &a3;\n",
                          {"grade-backprop", "grade-regularized-gradient"}, None, None),
    "compile_error": (".sum() / m as f64;\n", ".sum() / m;\n",
                      {"grade-feedforward", "grade-regularized-cost", "grade-backprop", "grade-regularized-gradient"},
                      None, None),
}
# Submissions whose grade-all cell cannot run: no kit total to compare with.
NO_KIT_TOTAL = {"compile_error"}
POINTS = {"grade-feedforward": 30, "grade-regularized-cost": 15, "grade-sigmoid-gradient": 5,
          "grade-backprop": 40, "grade-regularized-gradient": 10}


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _kernel_installed() -> bool:
    p = subprocess.run([str(BIN / "jupyter"), "kernelspec", "list", "--json"], capture_output=True, text=True, check=False)
    return p.returncode == 0 and "rust" in json.loads(p.stdout).get("kernelspecs", {})


needs_nbgrader = pytest.mark.skipif(
    not (BIN / "nbgrader").exists() or not (BIN / "jupyter").exists() or not _kernel_installed(),
    reason="needs nbgrader and the rust kernel in the venv (bash scripts/setup.sh)")


def _solutions() -> dict[str, dict[str, str] | None]:
    runner = _load("run_notebooks", REPO / "tests/notebooks/run_notebooks.py")
    natural = runner.load_solutions(SOLUTIONS / "ex4-natural.rs")
    subs: dict[str, dict[str, str] | None] = {
        "reference": runner.load_solutions(SOLUTIONS / "ex4.rs"),
        "natural": natural,
        "stubs": None,
    }
    for name, (old, new, _, old2, new2) in MISTAKES.items():
        text = natural["nn_cost_function"]
        assert text.count(old) == 1, f"{name}: the natural solution has no line {old!r}"
        text = text.replace(old, new)
        if old2 is not None:
            assert text.count(old2) == 1
            text = text.replace(old2, new2)
        subs[name] = dict(natural, nn_cost_function=text)
    return subs


def _expected_points(name: str) -> dict[str, int]:
    if name == "stubs":
        return {cell: 0 for cell in POINTS}
    lost = MISTAKES[name][2] if name in MISTAKES else set()
    return {cell: 0 if cell in lost else pts for cell, pts in POINTS.items()}


def _text(cell) -> str:
    out = []
    for o in cell.get("outputs", []):
        if o["output_type"] == "stream":
            out.append("".join(o["text"]))
        elif "data" in o and "text/plain" in o["data"]:
            out.append("".join(o["data"]["text/plain"]))
    return "\n".join(out)


@needs_nbgrader
def test_nbgrader_autograde_gives_the_kits_points(tmp_path):
    course = tmp_path / "course"
    script = _load("nbgrader_notebook", REPO / "scripts/nbgrader_notebook.py")
    assert script.main(["course", str(course)]) == 0
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("EVCXR_CONFIG_DIR", None)  # the students' evcxr defaults, as on a course's server

    def nbgrader(*args, timeout=3600):
        t0 = time.monotonic()
        p = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, env=env, capture_output=True, text=True,
                           timeout=timeout, check=False)
        print(f"nbgrader {' '.join(args)}: {time.monotonic() - t0:.0f} s")
        assert p.returncode == 0, p.stdout + p.stderr
        return p

    nbgrader("generate_assignment", "ex4", "--force")
    release = json.loads((course / "release/ex4" / NOTEBOOK).read_text())
    subs = _solutions()
    for student, slots in subs.items():
        nb = json.loads(json.dumps(release))
        if slots is not None:
            for cell in nb["cells"]:
                meta = cell["metadata"].get("nbgrader", {})
                if meta.get("solution"):
                    cell["source"] = slots[meta["grade_id"]]
        target = course / "submitted" / student / "ex4" / NOTEBOOK
        target.parent.mkdir(parents=True)
        target.write_text(json.dumps(nb, indent=1))
    nbgrader("autograde", "ex4", "--force")

    from nbgrader.api import Gradebook

    problems = []
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in subs:
            graded = json.loads((course / "autograded" / student / "ex4" / NOTEBOOK).read_text())
            cells = {c["metadata"].get("nbgrader", {}).get("grade_id"): c for c in graded["cells"]}
            kit = _text(cells["grade-all"])
            total = re.search(r"^Total: (\d+) / 100$", kit, re.MULTILINE)
            nb_total = gb.find_submission("ex4", student).score
            expected = _expected_points(student)
            if student in NO_KIT_TOTAL:
                if total or nb_total != sum(expected.values()):
                    problems.append(f"{student}: nbgrader {nb_total}, catalogue {sum(expected.values())}, "
                                    f"kit total {total.group(1) if total else 'none (expected)'}")
                for grade_id in POINTS:
                    errors = [o for o in cells[grade_id]["outputs"] if o["output_type"] == "error"]
                    nb_score = gb.find_grade(grade_id, NOTEBOOK[:-6], "ex4", student).score
                    # a cell that does not compile shows the compiler's error and scores 0
                    if nb_score != expected[grade_id] or bool(errors) != (expected[grade_id] == 0):
                        problems.append(f"{student} {grade_id}: nbgrader {nb_score}, catalogue "
                                        f"{expected[grade_id]}, error outputs {len(errors)}")
                print(f"{student}: nbgrader {nb_total} / 100 (the kit prints no total)")
                continue
            assert total, f"{student}: no total in the grade-all cell:\n{kit}"
            if nb_total != int(total.group(1)) or nb_total != sum(expected.values()):
                problems.append(f"{student}: nbgrader {nb_total}, kit {total.group(1)}, "
                                f"catalogue {sum(expected.values())}")
            for grade_id, part in PARTS.items():
                cell = cells[grade_id]
                bad = [o for o in cell["outputs"] if o["output_type"] == "error"
                       or (o["output_type"] == "stream" and o["name"] == "stderr")]
                line = re.search(rf"^{part} +(\d+) / (\d+)", kit, re.MULTILINE)
                nb_score = gb.find_grade(grade_id, NOTEBOOK[:-6], "ex4", student).score
                if bad or not line or nb_score != int(line.group(1)) or nb_score != expected[grade_id]:
                    problems.append(f"{student} {grade_id}: nbgrader {nb_score}, kit "
                                    f"{line.group(1) if line else '?'}, catalogue {expected[grade_id]}, "
                                    f"stderr/error outputs {bad}")
            print(f"{student}: nbgrader {nb_total} / 100, kit {total.group(1)} / 100")
    assert not problems, "\n".join(problems)
