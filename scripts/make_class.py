#!/usr/bin/env python3
"""A made-up class of ex4 submissions, for `make bench-grade` and the grading tests.

    python3 scripts/make_class.py OUT [--students KIND,KIND,...] [--nbgrader ASSIGNMENT]

Each student is the exercise notebook with its solution cells filled in: the reference
solution (tests/notebooks/solutions/ex4.rs), one of nn_grader's classic mistakes written as
student code, the todo!() stubs, or a hostile submission (endless loop, panic, exit, memory
hog, file writes, compile errors, invalid JSON, a deleted cell, cells reordered, tags lost).
Without --students: the 30 kinds of KINDS. With --nbgrader, the layout is nbgrader's
OUT/submitted/<student>/<ASSIGNMENT>/ex4-neural-network-learning.ipynb.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks/exercises/ex4-neural-network-learning.ipynb"
SOLUTIONS = REPO / "tests/notebooks/solutions/ex4.rs"


def reference() -> dict[str, str]:
    slots, current = {}, None
    for line in SOLUTIONS.read_text().splitlines(keepends=True):
        m = re.match(r"^\s*//\s*=+\s*slot:\s*(\w+)\s*=*\s*$", line)
        if m:
            current = m.group(1)
            slots[current] = ""
        elif current:
            slots[current] += line
    return {k: v.strip("\n") + "\n" for k, v in slots.items()}


def sub(text: str, old: str, new: str) -> str:
    assert old in text, f"{old!r} not in the reference solution"
    return text.replace(old, new)


SG_LOCAL = "    let num_labels = theta2.nrows();\n"
# Classic mistakes (nn_grader::mistakes::Mistake), as edits of the reference solution:
# (slot, edit) pairs.
MISTAKES = {
    "bias-regularized": [("nn_cost_function", lambda t: sub(sub(sub(
        t, "t.slice(s![.., 1..]).mapv(|w| w * w)", "t.mapv(|w| w * w)"),
        "theta1_grad.slice_mut(s![.., 1..]).scaled_add(lambda / mf, &theta1.slice(s![.., 1..]));",
        "theta1_grad.scaled_add(lambda / mf, theta1);"),
        "theta2_grad.slice_mut(s![.., 1..]).scaled_add(lambda / mf, &theta2.slice(s![.., 1..]));",
        "theta2_grad.scaled_add(lambda / mf, theta2);"))],
    "labels-0-based": [("nn_cost_function", lambda t: sub(
        t, "y_k[[i, label - 1]] = 1.0;", "if label < num_labels {\n            y_k[[i, label]] = 1.0;\n        }"))],
    "label-10-first": [("nn_cost_function", lambda t: sub(t, "y_k[[i, label - 1]]", "y_k[[i, label % num_labels]]"))],
    "sigmoid-sign": [("nn_cost_function", lambda t: sub(
        t, SG_LOCAL, SG_LOCAL + "    let sigmoid = |z: &Array2<f64>| z.mapv(|v| 1.0 / (1.0 + v.exp()));\n"))],
    "cost-no-1/m": [("nn_cost_function", lambda t: sub(t, ".ln()).sum() / mf;", ".ln()).sum();"))],
    "cost-no-negative-term": [("nn_cost_function", lambda t: sub(t, " - (1.0 - &y_k) * (1.0 - &h).ln()", ""))],
    "reg-no-half": [("nn_cost_function", lambda t: sub(t, "lambda / (2.0 * mf)", "lambda / mf"))],
    "no-regularization": [("nn_cost_function", lambda t: sub(sub(sub(
        t, "lambda / (2.0 * mf)", "0.0 * lambda"), "scaled_add(lambda / mf, &theta1", "scaled_add(0.0, &theta1"),
        "scaled_add(lambda / mf, &theta2", "scaled_add(0.0, &theta2"))],
    "grad-no-1/m": [("nn_cost_function", lambda t: sub(sub(
        t, "delta2.t().dot(&a1) / mf", "delta2.t().dot(&a1)"), "delta3.t().dot(&a2) / mf", "delta3.t().dot(&a2)"))],
    "grad-reg-no-1/m": [("nn_cost_function", lambda t: t.replace("scaled_add(lambda / mf,", "scaled_add(lambda,"))],
    "sg-of-activation": [("nn_cost_function", lambda t: sub(
        t, "(&g2 * &(1.0 - &g2))", "sigmoid_gradient(&g2.to_owned())"))],
    "sg-returns-sigmoid": [("sigmoid_gradient", lambda t: sub(t, "&g * &(1.0 - &g)", "g"))],
    "sg-of-z": [("sigmoid_gradient", lambda t: sub(t, "&g * &(1.0 - &g)", "z * &(1.0 - z)"))],
    "sg-matrix-product": [("sigmoid_gradient", lambda t: sub(t, "&g * &(1.0 - &g)", "g.dot(&(1.0 - &g))"))],
    "output-error-sign": [("nn_cost_function", lambda t: sub(t, "let delta3 = &h - &y_k;", "let delta3 = &y_k - &h;"))],
    # Not in nn_grader's catalogue (the class grader spots them):
    # (its regularization only runs for lambda > 0, where its shapes clash: a panic there)
    "delta-with-bias": [("nn_cost_function", lambda t: sub(sub(sub(
        t, "let delta2 = delta3.dot(&theta2.slice(s![.., 1..])) * (&g2 * &(1.0 - &g2));",
        "let delta2 = delta3.dot(theta2) * &(&a2 * &(1.0 - &a2));"),
        "    theta1_grad.slice_mut(", "    if lambda != 0.0 {\n    theta1_grad.slice_mut("),
        "scaled_add(lambda / mf, &theta2.slice(s![.., 1..]));", "scaled_add(lambda / mf, &theta2.slice(s![.., 1..]));\n    }"))],
    "hard-coded-sizes": [("nn_cost_function", lambda t: sub(
        t, "let mut y_k = Array2::<f64>::zeros((m, num_labels));", "let mut y_k = Array2::<f64>::zeros((m, 10));"))],
    "transposed-theta": [("nn_cost_function", lambda t: sub(
        t, "let z2 = a1.dot(&theta1.t());", "let z2 = a1.dot(theta1);"))],
}
BODY = re.compile(r"\{\n.*\}\n?$", re.DOTALL)  # a function's body, to replace it


def body(slot_text: str, new_body: str) -> str:
    """The reference slot with its (last) function's body replaced."""
    head = slot_text[: slot_text.index("{\n") + 2]
    return head + new_body.rstrip("\n") + "\n}\n"


HOSTILE = {
    "loop": [("sigmoid_gradient", lambda t: body(t, "    loop {\n        std::hint::spin_loop();\n    }"))],
    "panic": [("nn_cost_function", lambda t: body(t, "    let v: Vec<f64> = Vec::new();\n    Ok((v[3], Array2::zeros((1, 1)), Array2::zeros((1, 1))))"))],
    "exit": [("nn_cost_function", lambda t: body(t, "    std::process::exit(3)"))],
    "memory-hog": [("nn_cost_function", lambda t: body(
        t, "    let mut v: Vec<Vec<f64>> = Vec::new();\n    loop {\n        v.push(vec![1.0; 1 << 24]);\n    }"))],
    "writes-files": [("sigmoid_gradient", lambda t: sub(
        t, "    let g = sigmoid(z);\n",
        "    let _ = std::fs::write(\"gradebook.csv\", \"hacked\");\n    let _ = std::fs::write(\"../gradebook.csv\", \"hacked\");\n    let g = sigmoid(z);\n"))],
    # A type error in one cell: that cell is graded as not written, the others count.
    "compile-error": [("nn_cost_function", lambda t: sub(t, "let m = x.nrows();", "let m: String = x.nrows();"))],
    # An unclosed brace: reported at the end of the file, where the cell that opened it is found.
    "syntax-error": [("rand_initialize_weights", lambda t: t.rstrip().rstrip("}") + "\n")],
    # The function renamed: the grader cannot call it, the whole submission does not build.
    "renamed-function": [("sigmoid_gradient", lambda t: sub(t, "fn sigmoid_gradient(", "fn sigmoid_grad("))],
}
SPECIAL = {"reference", "stub", "invalid-json", "deleted-cell", "reordered", "untagged"}

KINDS = (["reference", "stub"] + list(MISTAKES) +
         ["loop", "panic", "exit", "memory-hog", "writes-files", "compile-error", "syntax-error",
          "renamed-function", "invalid-json", "deleted-cell"])
assert len(KINDS) == 30, len(KINDS)


def notebook_for(kind: str, solutions: dict[str, str]) -> str:
    if kind == "invalid-json":
        return NOTEBOOK.read_text()[:5000]  # cut off mid-file
    slots = dict(solutions)
    for slot, edit in MISTAKES.get(kind, []) + HOSTILE.get(kind, []):
        slots[slot] = edit(slots[slot])
    return notebook_with(slots, kind)


def notebook_with(slots: dict[str, str], kind: str = "") -> str:
    """The exercise notebook with its solution cells replaced by `slots` (function -> cell
    source); `kind` "stub" keeps the todo!() cells, "deleted-cell", "reordered" and "untagged"
    alter the notebook as their names say."""
    nb = json.loads(NOTEBOOK.read_text())
    if kind != "stub":
        for cell in nb["cells"]:
            tags = cell.get("metadata", {}).get("tags", [])
            if "solution-slot" in tags:
                name = next(t[5:] for t in tags if t.startswith("slot:"))
                cell["source"] = slots[name].splitlines(keepends=True)
                cell["outputs"] = []
    if kind == "deleted-cell":
        nb["cells"] = [c for c in nb["cells"] if "slot:rand_initialize_weights" not in c.get("metadata", {}).get("tags", [])]
    if kind == "reordered":
        nb["cells"].reverse()
    if kind == "untagged":
        for c in nb["cells"]:
            c.get("metadata", {}).pop("tags", None)
            c.get("metadata", {}).pop("nbgrader", None)
    # Students' notebooks come with whatever kernel they had.
    nb["metadata"]["kernelspec"] = {"name": "some-other-kernel", "display_name": "?", "language": "rust"}
    return json.dumps(nb, indent=1) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--students", help="comma-separated kinds (default: the 30 of KINDS)")
    ap.add_argument("--nbgrader", metavar="ASSIGNMENT", help="nbgrader's submitted/<student>/<ASSIGNMENT>/ layout")
    args = ap.parse_args(argv)
    kinds = args.students.split(",") if args.students else KINDS
    unknown = [k for k in kinds if k not in MISTAKES and k not in HOSTILE and k not in SPECIAL]
    if unknown:
        print(f"unknown kinds {unknown}; known: {sorted(SPECIAL | set(MISTAKES) | set(HOSTILE))}", file=sys.stderr)
        return 2
    solutions = reference()
    seen: dict[str, int] = {}
    for kind in kinds:
        seen[kind] = seen.get(kind, 0) + 1
        student = re.sub(r"[^a-z0-9]+", "-", kind) + (f"-{seen[kind]}" if kinds.count(kind) > 1 else "")
        text = notebook_for(kind, solutions)
        if args.nbgrader:
            path = args.out / "submitted" / student / args.nbgrader / NOTEBOOK.name
        else:
            path = args.out / f"{student}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    print(f"{len(kinds)} submissions in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
