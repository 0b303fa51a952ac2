"""The points: `grader score SEED` (no student code) on the values a student's program handed back."""

from __future__ import annotations

import json
import subprocess

from .extract import Submission
from .project import Project
from .tables import outcome


def score(project: Project, seed: int, report_bytes: bytes) -> dict:
    """`{"report": the grader's report, "outcomes": []}`, or no report and why (a malformed
    report: exit status 3; the grader's own failure: any other)."""
    p = subprocess.run([str(project.grader), "score", str(seed)], input=report_bytes, capture_output=True,
                       timeout=300, check=False)
    if p.returncode == 3:
        return {"report": None, "outcomes": [outcome("malformed_report")]}
    if p.returncode != 0:
        return {"report": None,
                "outcomes": [outcome("grader_error", detail=p.stderr.decode("utf-8", "replace").strip()[-300:])]}
    return {"report": json.loads(p.stdout), "outcomes": []}


def result_of(sub: Submission, run: dict, sandbox: str = "") -> dict:
    """A student's result: the run's report and outcomes after what the class grader saw of the
    cells (missing, stubbed, refused; an unreadable notebook, code of which nothing compiles),
    with the compiler's messages and the sandbox it ran in."""
    r = dict(run, outcomes=sub.outcomes() + run.get("outcomes", []), sandbox=sandbox)
    for name, value in (("missing", sub.missing), ("stubbed", sub.stubbed), ("refused", sub.refused),
                        ("compiler", sub.compile_error)):
        if value:
            r[name] = value
    return r


def unbuilt(sub: Submission, class_failed: bool) -> dict:
    """The result of a student left out of the class's program: the notebook cannot be read,
    nothing of it compiles, or (`class_failed`) the program did not build at all: not graded."""
    if class_failed and not sub.unreadable:
        return {"report": None, "outcomes": [outcome("not_graded")]}
    return result_of(sub, {"report": None})
