"""What the notebooks and the grader show a student, checked where a program can check it.

- No committed cell output is only `()`: a cell whose last line is a block or a loop shows
  evcxr's `Out: ()`, which says nothing (end the block with `;`).
- No message the Python side of the grader can show (the feedback page, the gradebook's
  notes) is in MATLAB's notation: `(:,`, `2:end`, `.*`, or `'` as a transpose. The Rust
  side (the parts' messages, the mistakes, the panic explanations, the gradient check) is
  tested the same way in nn-grader/tests/message_notation.rs.
- The exercise checks the gradient before it grades backpropagation, and offers the
  per-example loop (steps 1-5) in a collapsed hint.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(REPO.glob("notebooks/*.ipynb")) + sorted(REPO.glob("notebooks/exercises/*.ipynb"))
EXERCISE = REPO / "notebooks/exercises/ex4-neural-network-learning.ipynb"
# Python that writes what a student or teacher reads.
MESSAGE_SOURCES = sorted(REPO.glob("scripts/grading/*.py")) + [REPO / "scripts/grade_class.py"]

# A quote that transposes: after a name ending in a digit (Theta1', a1'), a one-letter name
# (X') or `)`, and not followed by a letter or `(` (Rust's, students', g'(z) are not).
TRANSPOSE = re.compile(r"(?:\b[A-Za-z]\w*\d|\b[A-Za-z]|\))'(?![A-Za-z(])")


def matlab(text: str) -> str | None:
    for bad in ("(:,", "2:end", ".*"):
        if bad in text:
            return bad
    m = TRANSPOSE.search(text)
    return m.group(0) if m else None


def test_the_detector_tells_a_transpose_from_an_apostrophe():
    for bad in ["check delta2 = (delta3 Theta2)(:, 2:end) .* g'(z2)", "z2 = a1 * Theta1'",
                "Theta1_grad = delta2' * a1", "X' y", "(a - b)' c"]:
        assert matlab(bad), bad
    for good in ["the students' code", "Rust's 0-based indexing", "g'(z) is the derivative",
                 "delta3.dot(&theta2.slice(s![.., 1..])) * sigmoid_gradient(&z2)"]:
        assert matlab(good) is None, good


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def _src(cell: dict) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_cell_output_is_only_unit(path):
    only_unit = []
    for i, cell in enumerate(_cells(path)):
        for out in cell.get("outputs", []):
            text = out.get("data", {}).get("text/plain")
            if out.get("output_type") == "execute_result" and text is not None:
                if "".join(text).strip() == "()":
                    only_unit.append(f"cell {i}: {_src(cell).splitlines()[0]}")
    assert not only_unit, f"{path.name}: outputs that are only `()`: {only_unit}"


def _message_strings(path: Path) -> list[tuple[int, str]]:
    """The string constants of a Python file, but its docstrings and the patterns given to `re`."""
    tree = ast.parse(path.read_text())
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "re":
            for arg in node.args[:1]:
                skip.update(id(n) for n in ast.walk(arg))
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skip.add(id(first.value))
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in skip]


def test_python_messages_are_in_rust_notation():
    bad = []
    for path in MESSAGE_SOURCES:
        for line, text in _message_strings(path):
            found = matlab(text)
            if found:
                bad.append(f"{path.relative_to(REPO)}:{line}: `{found}` in {text!r}")
    assert not bad, "\n".join(bad)
    # The scan reads the feedback page's own advice (it is a string constant there).
    feedback = dict(_message_strings(REPO / "scripts/grading/feedback.py")).values()
    assert any("delta2.t().dot(&a1)" in t for t in feedback)


def test_the_exercise_checks_the_gradient_before_grading_backpropagation():
    cells = _cells(EXERCISE)
    index = {t: i for i, c in enumerate(cells) for t in c.get("metadata", {}).get("tags", [])}
    assert index["gradcheck"] < index["grade-backprop"]
    assert index["gradcheck-lambda3"] < index["grade-regularized-gradient"]
    # The loop first: a collapsed hint with `for t in 0..m` and the steps 1-5 as comments,
    # before the vectorized steps.
    backprop = next(_src(c) for c in cells if _src(c).startswith("### 2.3 Backpropagation"))
    hint = backprop[backprop.index("<details>"):backprop.index("</details>")]
    assert "for t in 0..m" in hint
    assert all(f"// Step {k}:" in hint for k in range(1, 6)), hint
    assert backprop.index("</details>") < backprop.index("all examples at once")
    # Every grader cell says which version of the function it graded.
    for tag in ("grade-feedforward", "grade-regularized-cost", "grade-sigmoid-gradient", "grade-backprop",
                "grade-regularized-gradient"):
        assert "graded_as_compiled" in _src(cells[index[tag]]), tag
