#!/usr/bin/env python3
"""Grade a whole class of ex4 notebooks: `make grade SUBMISSIONS=dir GRADES=dir`.

    python3 scripts/grade_class.py SUBMISSIONS GRADES [--time-limit S] [--memory-limit MB]
                                   [--student-time-limit S] [--assignment NAME] [--jobs N]
                                   [--no-cache] [--build-dir DIR] [--no-sandbox]
                                   [--nbgrader-feedback]

SUBMISSIONS holds `<student>.ipynb` files, or nbgrader's `submitted/<student>/<assignment>/*.ipynb`
(SUBMISSIONS may be the nbgrader course folder or its `submitted/` folder). GRADES gets
`gradebook.csv`, `feedback/<student>.html`, `summary.md` and `summary.png`, each written
atomically (temporary file + rename), and `.cache/` (results of unchanged submissions are
reused: the key is a hash of the student's extracted code, the grader's sources and the limits).

Only the student's function cells are graded (tagged `slot:NAME` or nbgrader `grade_id`
NAME; a cell that lost its tags is found by its `fn NAME(`), with the kit's own grader
(nn_grader::GradeOptions::grade), never the notebook's grading cells or outputs. The class is
compiled as one Cargo project (`src/students/<module>.rs` per student, built against the kit's
nn-grader): a cell that does not compile is replaced by a stub (the student keeps the points
of the other functions), a student whose code still does not compile is left out of the build
(status `compile error`). Then each student's program runs in a sandbox (bubblewrap: its own
user, mount, PID and network namespaces, a read-only view of its program and the system's
shared libraries, one empty tmpfs to write in, limits on processes, file size, memory and
time; docs/grading.md) as `class values <module> <seed>`, on problems drawn from a seed chosen
here at run time, with the grader's per-part time and memory limits (`--time-limit`, default
5 s; `--memory-limit`, default 2048 MB) and a wall-clock limit for the whole student (8 x time
limit + 30 s). It hands back only the values its functions computed, as one frame on a pipe
this grader created; the points come from `grader score <seed>` (a program with no student
code), which compares those values with the library's answers computed outside the sandbox.
Without bubblewrap or user namespaces the grader stops and says how to fix it; `--no-sandbox`
grades anyway and the gradebook's `sandbox` column and summary.md say so. The `grader` program is built
first (it holds no student code); if it does not build, the grader stops (exit status 4) and says why.

`main` is the pipeline, each step a call into its module in scripts/grading/: the grader's
tables (tables, project), extract, cache lookup, compile (compile_errors), sandboxed run and
score (sandbox, score), integrity, then gradebook and feedback pages (feedback) and the summary
(summary). The points, the failure kinds and every word a student reads come from the grader
(nn-grader); these scripts move files, start processes and read the grader's fields.

Standard library only: runs with any Python >= 3.9 and a Rust toolchain.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import nbgrader_feedback
from grading.cache import Cache
from grading.common import REPO, log
from grading.compile_errors import build_class
from grading.extract import Submission, extract, find_submissions, read_class
from grading.feedback import write_feedback, write_gradebook
from grading.integrity import flag
from grading.project import Project, grader_version
from grading.sandbox import Sandbox, run_class
from grading.score import result_of, unbuilt
from grading.summary import write_summary
from grading.tables import Tables

__all__ = ["extract", "find_submissions", "functions", "main"]


def arguments(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("submissions", type=Path)
    ap.add_argument("grades", type=Path)
    ap.add_argument("--assignment", default="*", help="nbgrader layout: the assignment folder to grade")
    ap.add_argument("--time-limit", type=float, default=5.0, help="seconds per part of one student (default 5)")
    ap.add_argument("--memory-limit", type=int, default=2048, help="MB per part of one student (default 2048)")
    ap.add_argument("--student-time-limit", type=float, default=None,
                    help="wall-clock seconds for one student's whole grading (default 8 x time limit + 30)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="students graded at once")
    ap.add_argument("--no-cache", action="store_true", help="grade every submission again")
    ap.add_argument("--build-dir", type=Path, default=REPO / "target" / "grade-class",
                    help="the class project and its build cache (default target/grade-class)")
    ap.add_argument("--no-sandbox", action="store_true",
                    help="run the students' code without the sandbox (recorded in the gradebook and summary)")
    ap.add_argument("--nbgrader-feedback", action="store_true",
                    help="also put each page where `nbgrader release_feedback` finds it "
                         "(COURSE/feedback/<student>/<assignment>/; SUBMISSIONS=COURSE; scripts/nbgrader_feedback.py)")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    if not args.submissions.is_dir():
        print(f"grade: {args.submissions} is not a folder", file=sys.stderr)
        return 2
    sandbox = Sandbox(not args.no_sandbox, args.jobs)
    problem = sandbox.check() if sandbox.enabled else ""
    if problem:
        print(f"grade: no sandbox: {problem}", file=sys.stderr)
        return 3
    if not sandbox.enabled:
        log("WARNING: --no-sandbox: the students' code runs with your rights (recorded in the gradebook)")
    mode = "bwrap" if sandbox.enabled else "none (--no-sandbox)"
    # Where feedback cannot go, say so before anything is built or graded.
    if args.nbgrader_feedback:
        unplaceable = nbgrader_feedback.check([s.path for s in find_submissions(args.submissions, args.assignment)])
        if unplaceable:
            print("grade: --nbgrader-feedback: " + "\n".join(unplaceable), file=sys.stderr)
            return 2
    start = time.monotonic()
    build_dir = args.build_dir.resolve()
    build_dir.mkdir(parents=True, exist_ok=True)
    with open(build_dir / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one class build at a time in this folder
        project = Project(build_dir)
        tables, why = project.load_tables()
        if tables is None:
            print(f"grade: {why}", file=sys.stderr)
            return 4

        subs = read_class(args.submissions, args.assignment, tables.functions)
        log(f"{len(subs)} submissions in {args.submissions}")

        settings = f"{args.time_limit}\n{args.memory_limit}\n{args.student_time_limit}\n{mode}"
        cache = Cache(args.grades / ".cache", tables, grader_version(tables), settings, reuse=not args.no_cache)
        results, todo = cache.lookup(subs)
        log(f"{len(subs) - len(todo) + sum(1 for s in todo if s.unreadable)} reused or unreadable, "
            f"{sum(1 for s in todo if not s.unreadable)} to grade")

        t = time.monotonic()
        built, failure = build_class(project, [s for s in todo if not s.unreadable])
        log(f"build: {time.monotonic() - t:.1f} s, {len(built)} students compiled")
        if failure:
            print(f"grade: {failure}", file=sys.stderr)
        for s in todo:
            if s not in built:
                results[s.student] = cache.store(s, unbuilt(s, class_failed=bool(failure)))

        t = time.monotonic()

        def done(s: Submission, run: dict) -> None:
            results[s.student] = cache.store(s, result_of(s, run, mode))  # at once: a batch resumes

        run_class(project, sandbox, built, args.time_limit, args.memory_limit, args.student_time_limit, args.jobs,
                  done)
        if built:
            log(f"ran {len(built)} students in {time.monotonic() - t:.1f} s ({args.jobs} at once)")

        results = {s.student: results[s.student] for s in subs}
        pairs = flag(subs, results, tables.functions, template_cells(tables))

        write_gradebook(args.grades / "gradebook.csv", results, tables)
        write_feedback(args.grades / "feedback", results, tables)
        if args.nbgrader_feedback:
            placed = nbgrader_feedback.place([(s.path, args.grades / "feedback" / f"{s.student}.html") for s in subs])
            log(f"{len(placed)} pages where `nbgrader release_feedback` finds them ({placed[0].parents[2] if placed else '-'})")
        write_summary(args.grades, results, tables, pairs, sandbox.enabled, project.grader)
    reused = sum(1 for r in results.values() if r.get("cached"))
    log(f"{len(subs)} graded ({reused} reused from the cache) in {time.monotonic() - start:.1f} s: "
        f"{args.grades / 'gradebook.csv'}")
    return 0


def template_cells(tables: Tables) -> dict[str, str]:
    """The function cells as handed out (todo!()), not compared for similarity."""
    s = Submission("template", REPO / "notebooks/exercises/ex4-neural-network-learning.ipynb")
    extract(s, tables.functions)
    return s.cells


def functions(build_dir: Path = REPO / "target" / "grade-class") -> list[str]:
    """The student's functions, as the grader lists them (builds the grader if needed)."""
    tables, why = Project(build_dir).load_tables()
    if tables is None:
        raise RuntimeError(why)
    return tables.functions


if __name__ == "__main__":
    sys.exit(main())
