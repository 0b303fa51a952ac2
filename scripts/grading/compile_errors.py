"""Building the class: the compiler's messages mapped to the student and the cell at fault, cells that do not compile stubbed."""

from __future__ import annotations

import re
from pathlib import Path

from .common import log
from .extract import Submission
from .project import Project, module_source


def culprits(messages: list[dict], subs: list[Submission]) -> tuple[dict[str, list[tuple[list[int], str]]], list[str]]:
    """Errors per student module, each with the lines it points at (primary spans first) and
    its rendered text; and the errors that point into no student's file."""
    by_module: dict[str, list[tuple[list[int], str]]] = {}
    orphans = []
    modules = {s.module for s in subs}
    for m in messages:
        text = m.get("rendered") or m.get("message", "")
        spans = [sp for sp in m.get("spans", [])
                 if "students" in Path(sp.get("file_name", "")).parts and Path(sp["file_name"]).stem in modules]
        if not spans:
            orphans.append(text)
            continue
        spans.sort(key=lambda sp: not sp.get("is_primary"))
        module = Path(spans[0]["file_name"]).stem
        lines = [sp.get("line_start", 0) for sp in spans if Path(sp["file_name"]).stem == module]
        by_module.setdefault(module, []).append((lines, text))
    return by_module, orphans


def cells_of(lines: list[int], ranges: dict[str, tuple[int, int]]) -> list[str]:
    """The cells an error is in: its first line's (the primary span), else any of its lines'
    (an unclosed `{` is reported at the end of the file, and shown where it was opened)."""
    for group in (lines[:1], lines):
        found = [name for name, (a, b) in ranges.items() if any(a <= line <= b for line in group)]
        if found:
            return found[:1] if group is lines else found
    return []


def build_class(project: Project, subs: list[Submission]) -> tuple[list[Submission], str]:
    """Builds the class binary; stubs cells / leaves out students that do not compile.

    Returns the students in the binary, and an error if the binary could not be built at all."""
    included = list(subs)
    for round_ in range(8):
        project.write(included)
        ok, messages, stderr = project.cargo("build")
        if ok:
            return included, ""
        by_module, orphans = culprits(messages, included)
        if not by_module:
            if orphans or "error" in stderr:
                # Not a student's file (e.g. an include! of another file): find them one by one.
                bad = [s for s in included if not check_alone(project, s)]
                if not bad:
                    return [], "the class project does not build: " + "\n".join(orphans or [stderr])[-2000:]
                for s in bad:
                    s.compile_error = "does not compile (an error outside the student's cells)"
                    included.remove(s)
                continue
            return [], "cargo failed: " + stderr[-2000:]
        for s in [s for s in included if s.module in by_module]:
            errors = by_module[s.module]
            _, ranges = module_source(s, project.tables)
            placed = [(cells_of(lines, ranges), text) for lines, text in errors]
            cells = {name for names, _ in placed for name in names if name not in s.missing and name not in s.stubbed}
            if cells and all(names for names, _ in placed) and round_ < 6:
                for name in cells:
                    s.stubbed[name] = relabel("\n".join(text for names, text in placed if name in names), s, project)
            else:
                s.compile_error = relabel("\n\n".join(text for _, text in errors), s, project)
                included.remove(s)
        log(f"compile errors: round {round_ + 1}, rebuilding without them")
    project.write(included)
    ok, _, stderr = project.cargo("build")
    return (included, "") if ok else ([], "the class project does not build: " + stderr[-2000:])


def relabel(message: str, sub: Submission, project: Project) -> str:
    """The compiler's `src/students/<module>.rs:LINE:COL` as `<function>'s cell, line N:COL`."""
    _, ranges = module_source(sub, project.tables)

    def where(m: re.Match) -> str:
        line = int(m.group(1))
        for name, (a, b) in ranges.items():
            if a <= line <= b:
                return f"{name}'s cell, line {line - a + 1}:{m.group(2)}"
        return f"your code, line {line}:{m.group(2)}"

    return re.sub(rf"src/students/{re.escape(sub.module)}\.rs:(\d+):(\d+)", where, message)[:6000]


def check_alone(project: Project, sub: Submission) -> bool:
    project.write([sub])
    ok, _, _ = project.cargo("check")
    return ok
