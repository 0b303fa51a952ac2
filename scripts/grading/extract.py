"""Submissions and their code: the notebooks of a class and the student's three function cells."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .tables import outcome


@dataclass
class Submission:
    student: str
    path: Path
    module: str = ""
    cells: dict[str, str] = field(default_factory=dict)  # function -> source
    missing: list[str] = field(default_factory=list)
    unreadable: str = ""  # why the notebook could not be read (the error's type)
    key: str = ""
    stubbed: dict[str, str] = field(default_factory=dict)  # function -> compiler message
    compile_error: str = ""  # whole student left out of the build: the compiler's message
    refused: dict[str, str] = field(default_factory=dict)  # function -> why the grader does not compile it

    def outcomes(self) -> list[dict]:
        """What the class grader saw of this submission's cells (kinds of the grader's list):
        missing, stubbed (does not compile), refused cells; an unreadable notebook or code of
        which nothing compiles."""
        found = []
        if self.missing:
            found.append(outcome("missing_cell", "part", functions=self.missing))
        if self.stubbed:
            found.append(outcome("compile_error", "part", functions=sorted(self.stubbed)))
        if self.refused:
            found.append(outcome("refused_cell", "part", functions=sorted(self.refused)))
        if self.unreadable:
            found.append(outcome("unreadable_notebook", detail=self.unreadable))
        elif self.compile_error:
            found.append(outcome("compile_error"))
        return found


def find_submissions(root: Path, assignment: str = "*") -> list[Submission]:
    """`<student>.ipynb` files, or nbgrader's submitted/<student>/<assignment>/*.ipynb (the
    notebook with `ex4` in its name first, when a student has several)."""
    subs: dict[str, Submission] = {}
    submitted = root / "submitted" if (root / "submitted").is_dir() else root
    for student_dir in sorted(p for p in submitted.iterdir() if p.is_dir() and not p.name.startswith(".")):
        notebooks = sorted(student_dir.glob(f"{assignment}/*.ipynb"))
        if assignment == "*":
            notebooks += sorted(student_dir.glob("*.ipynb"))
        notebooks = [n for n in notebooks if ".ipynb_checkpoints" not in n.parts]
        if notebooks:
            preferred = [n for n in notebooks if "ex4" in n.name] or notebooks
            subs[student_dir.name] = Submission(student_dir.name, preferred[0])
    for nb in sorted(root.glob("*.ipynb")):
        subs.setdefault(nb.stem, Submission(nb.stem, nb))
    return [subs[k] for k in sorted(subs)]


def read_class(root: Path, assignment: str, functions: list[str]) -> list[Submission]:
    """Every submission with its function cells extracted, a module name of its own, and the
    cells that read files while compiled refused."""
    subs = find_submissions(root, assignment)
    for s in subs:
        s.module = module_name(s.student)
        extract(s, functions)
        refuse_compile_time_reads(s)
    if len({s.module for s in subs}) != len(subs):
        raise ValueError("two students' module names collide")
    return subs


def cell_text(cell: dict) -> str:
    src = cell.get("source", "")
    if isinstance(src, list):
        src = "".join(s for s in src if isinstance(s, str))
    return src if isinstance(src, str) else ""


def strip_evcxr_commands(src: str) -> str:
    """evcxr's `:dep`, `:cache`, ... lines are not Rust."""
    return "\n".join("" if line.lstrip().startswith(":") and not line.lstrip().startswith("::") else line
                     for line in src.split("\n"))


def extract(sub: Submission, functions: list[str]) -> None:
    """The student's function cells (by tag, nbgrader grade_id, or `fn NAME(`), for each of
    `functions` (the grader's list, `Tables.functions`)."""
    try:
        raw = sub.path.read_bytes()
        nb = json.loads(raw.decode("utf-8"))
        cells = nb["cells"]
        if not isinstance(cells, list):
            raise TypeError("cells is not a list")
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as e:
        sub.unreadable = type(e).__name__
        return
    code_cells = [c for c in cells if isinstance(c, dict) and c.get("cell_type") == "code"]
    for name in functions:
        found = None
        for c in code_cells:
            meta = c.get("metadata") if isinstance(c.get("metadata"), dict) else {}
            tags = meta.get("tags") if isinstance(meta.get("tags"), list) else []
            nbg = meta.get("nbgrader") if isinstance(meta.get("nbgrader"), dict) else {}
            if f"slot:{name}" in tags or nbg.get("grade_id") == name:
                found = cell_text(c)
                break
        if found is None:  # tags lost (cell copied, metadata edited): look for the definition
            pattern = re.compile(rf"^\s*(pub\s+)?fn\s+{name}\s*[<(]", re.MULTILINE)
            for c in code_cells:
                if pattern.search(cell_text(c)):
                    found = cell_text(c)
                    break
        if found is None:
            sub.missing.append(name)
        else:
            sub.cells[name] = strip_evcxr_commands(found)


def module_name(student: str) -> str:
    base = re.sub(r"[^a-z0-9_]", "_", student.lower())[:40].strip("_") or "student"
    return f"s_{base}_{hashlib.sha256(student.encode()).hexdigest()[:8]}"


# What reads a file or the environment while the class is compiled (outside the sandbox, with
# the teacher's rights): the cell is refused, graded as not written, and the feedback says why.
# Macros cannot build an identifier, so every use of these names has the name itself in the
# code (`include_str!`, `core::include_str!`, a macro_rules! that calls it, `r#include_str!`...);
# the code is searched as plain text, comments and strings included (a false alarm costs a
# student a cell's points with the reason given; a miss would leak a teacher's file).
COMPILE_TIME_READS = re.compile(r"\b(?:r#)?(include|include_str|include_bytes|env|option_env)\s*!|#\s*!?\s*\[\s*path\b")


def refuse_compile_time_reads(sub: Submission) -> None:
    for name, src in sub.cells.items():
        m = COMPILE_TIME_READS.search(src)
        if m:
            what = f"{m.group(1)}!" if m.group(1) else "#[path]"
            sub.refused[name] = (f"it uses {what}, which reads a file or the environment while the class is compiled; "
                                 "graded cells may not")
