#!/usr/bin/env python3
"""nbgrader for the exercise notebook: its cells' metadata, and an nbgrader course folder.

    python3 scripts/nbgrader_notebook.py apply           # (re)write the metadata in the notebook
    python3 scripts/nbgrader_notebook.py check           # exit 1 if the notebook's metadata is stale
    python3 scripts/nbgrader_notebook.py course DIR [--kit PATH] [--assignment ex4]

The committed notebook (notebooks/exercises/ex4-neural-network-learning.ipynb) is the
*student* version: its three solution cells end in `todo!()`. Every cell carries nbgrader's
schema-3 metadata next to the kit's tags:

- solution cells (tag `solution-slot`): `solution: true, grade: false, locked: false`,
  `grade_id` = the function's name (`sigmoid_gradient`, ...);
- the five grading cells: `grade: true, locked: true, points` = the course's (30, 15, 5, 40,
  10), `grade_id` = the cell's tag; each prints the part's line and ends with the part's
  score, the number nbgrader's autograder reads as the cell's points;
- every other cell (markdown included): read-only, `locked: true`.

as nbgrader's LockCells would also set `deletable`/`editable` (solution cells cannot be
deleted; locked and grading cells can be neither deleted nor edited).

`course DIR` writes an nbgrader course: `DIR/nbgrader_config.py` and the *instructor*
(source) version `DIR/source/<assignment>/ex4-neural-network-learning.ipynb`, whose solution
cells hold the reference solution (tests/notebooks/solutions/ex4.rs) between
`// BEGIN SOLUTION` and `// END SOLUTION`. nbgrader's `generate_assignment` replaces each such
region by `ClearSolutions.code_stub["rust"]`, which the config sets to `todo!()` (nbgrader has
stubs for Python, R, MATLAB, Octave, SAS and Java only; the kernel's language is `rust`): the
release version is then the committed student notebook, cell for cell. The `:dep` paths of the
setup cell point at the kit (`--kit`, default this repository), which the students' Jupyter
server must reach.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks/exercises/ex4-neural-network-learning.ipynb"
SOLUTIONS = REPO / "tests/notebooks/solutions/ex4.rs"
# The grading cells and their points (the course's table).
GRADE_CELLS = {
    "grade-feedforward": 30,
    "grade-regularized-cost": 15,
    "grade-sigmoid-gradient": 5,
    "grade-backprop": 40,
    "grade-regularized-gradient": 10,
}
CODE_STUB = "todo!()"
BEGIN, END = "// BEGIN SOLUTION", "// END SOLUTION"
NBGRADER_CONFIG = '''# nbgrader configuration for the nn-ex4 exercise (written by scripts/nbgrader_notebook.py).
c = get_config()  # noqa: F821
c.CourseDirectory.root = "."
# The kernel's language is "rust": nbgrader has no stub for it. `generate_assignment`
# replaces each `// BEGIN SOLUTION` ... `// END SOLUTION` region by this.
c.ClearSolutions.code_stub = {"rust": "todo!()"}
c.ClearSolutions.begin_solution_delimeter = "BEGIN SOLUTION"
c.ClearSolutions.end_solution_delimeter = "END SOLUTION"
# Autograding runs the notebook on the `rust` kernel (evcxr): the first cell compiles the
# kit, allow for it.
c.ExecutePreprocessor.timeout = 1800
# evcxr's reply to a cell that does not compile lacks the `ename` nbgrader's Execute reads:
# without this, one compile error stops the whole student's autograde (scripts/nbgrader_evcxr.py).
import sys  # noqa: E402
sys.path.insert(0, @SCRIPTS@)
import nbgrader_evcxr  # noqa: E402
nbgrader_evcxr.configure(c)
'''


def cell_source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def slot_name(cell: dict) -> str | None:
    for tag in cell.get("metadata", {}).get("tags", []):
        if tag.startswith("slot:"):
            return tag[5:]
    return None


def nbgrader_metadata(nb: dict) -> dict:
    """nb with nbgrader's schema-3 metadata on every cell (a copy)."""
    nb = copy.deepcopy(nb)
    markdown = 0
    for i, cell in enumerate(nb["cells"]):
        meta = cell.setdefault("metadata", {})
        tags = meta.get("tags", [])
        if cell["cell_type"] == "markdown":
            markdown += 1
            grade_id = f"markdown-{markdown}"
        else:
            grade_id = slot_name(cell) or next((t for t in tags if t in GRADE_CELLS), None) or \
                (tags[0] if tags else f"cell-{i}")
        solution = "solution-slot" in tags
        grade = grade_id in GRADE_CELLS
        nbg = {"grade": grade, "grade_id": grade_id, "locked": not solution, "schema_version": 3,
               "solution": solution, "task": False}
        if grade:
            nbg["points"] = GRADE_CELLS[grade_id]
        meta["nbgrader"] = nbg
        meta["deletable"] = False
        if solution:
            meta.pop("editable", None)
        else:
            meta["editable"] = False
    return nb


def reference_bodies() -> dict[str, str]:
    """Each reference function's body (the lines between its signature and its last `}`)."""
    slots, current = {}, None
    for line in SOLUTIONS.read_text().splitlines():
        m = re.match(r"^\s*//\s*=+\s*slot:\s*(\w+)\s*=*\s*$", line)
        if m:
            current = m.group(1)
            slots[current] = []
        elif current:
            slots[current].append(line)
    bodies = {}
    for name, lines in slots.items():
        start = next(i for i, line in enumerate(lines) if line.startswith(("fn ", ")")))
        start = next(i for i in range(start, len(lines)) if lines[i].rstrip().endswith("{"))
        end = max(i for i, line in enumerate(lines) if line.rstrip() == "}")
        bodies[name] = "\n".join(lines[start + 1:end])
    return bodies


def source_version(nb: dict, kit: Path) -> dict:
    """The instructor's notebook: the reference solution between nbgrader's delimiters."""
    nb = copy.deepcopy(nb)
    bodies = reference_bodies()
    for cell in nb["cells"]:
        name = slot_name(cell)
        if cell["cell_type"] == "code" and "solution-slot" in cell.get("metadata", {}).get("tags", []):
            lines = cell_source(cell).split("\n")
            stub = [i for i, line in enumerate(lines) if line.strip() == CODE_STUB]
            assert len(stub) == 1, f"the cell of {name} must have exactly one line `{CODE_STUB}`"
            indent = re.match(r"\s*", lines[stub[0]]).group(0)
            lines[stub[0]:stub[0] + 1] = [indent + BEGIN, bodies[name], indent + END]
            cell["source"] = "\n".join(lines)
        elif "setup" in cell.get("metadata", {}).get("tags", []):
            cell["source"] = re.sub(r'path = "\.\./\.\./(nn-core|nn-grader)"',
                                    lambda m: f"path = {json.dumps(str(kit / m.group(1)))}", cell_source(cell))
    return nb


def write_notebook(path: Path, nb: dict) -> None:
    """As Jupyter writes it: sources as lists of lines, one-space indent."""
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        if isinstance(cell.get("source"), str):
            cell["source"] = cell["source"].splitlines(keepends=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("command", choices=["apply", "check", "course"])
    ap.add_argument("dir", nargs="?", type=Path, help="the course folder (course)")
    ap.add_argument("--kit", type=Path, default=REPO, help="where the kit is, for the :dep paths (course)")
    ap.add_argument("--assignment", default="ex4")
    args = ap.parse_args(argv)
    nb = json.loads(NOTEBOOK.read_text())
    if args.command == "apply":
        write_notebook(NOTEBOOK, nbgrader_metadata(nb))
        print(f"nbgrader metadata written into {NOTEBOOK.relative_to(REPO)}")
    elif args.command == "check":
        if json.loads(json.dumps(nbgrader_metadata(nb))) != nb:
            print(f"{NOTEBOOK.relative_to(REPO)}: nbgrader metadata stale; run "
                  "`python3 scripts/nbgrader_notebook.py apply`", file=sys.stderr)
            return 1
    else:
        if args.dir is None:
            ap.error("course needs DIR")
        (args.dir).mkdir(parents=True, exist_ok=True)
        (args.dir / "nbgrader_config.py").write_text(NBGRADER_CONFIG.replace("@SCRIPTS@", repr(str(args.kit.resolve() / "scripts"))))
        out = args.dir / "source" / args.assignment / NOTEBOOK.name
        write_notebook(out, source_version(nbgrader_metadata(nb), args.kit.resolve()))
        print(f"nbgrader course in {args.dir}: {out.relative_to(args.dir)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
