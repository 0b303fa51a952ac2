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
grades anyway and the gradebook's `sandbox` column and summary.md say so.

The code is split along its ideas in scripts/grading/ (extract, project, compile_errors,
sandbox, cache, integrity, feedback, summary).

Standard library only: runs with any Python >= 3.9 and a Rust toolchain.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import csv
import fcntl
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from grading.cache import finish, result_for_unbuilt  # noqa: E402
from grading.common import FUNCTIONS, PARTS, REPO, log, write_atomic  # noqa: E402,F401
from grading.compile_errors import build_class  # noqa: E402
from grading.extract import Submission, extract, find_submissions, module_name, refuse_compile_time_reads  # noqa: E402,F401
from grading.feedback import HEADER, feedback_html, row_of  # noqa: E402,F401
from grading.integrity import normalized, similar_pairs, solution_calls  # noqa: E402
from grading.project import Project, grader_version  # noqa: E402
from grading.sandbox import Sandbox, run_student  # noqa: E402
from grading.summary import summarize  # noqa: E402
import nbgrader_feedback  # noqa: E402


def main(argv: list[str] | None = None) -> int:
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
    args = ap.parse_args(argv)
    if not args.submissions.is_dir():
        print(f"grade: {args.submissions} is not a folder", file=sys.stderr)
        return 2
    sandbox = Sandbox(not args.no_sandbox, args.jobs)
    if sandbox.enabled:
        problem = sandbox.check()
        if problem:
            print(f"grade: no sandbox: {problem}", file=sys.stderr)
            return 3
    else:
        log("WARNING: --no-sandbox: the students' code runs with your rights (recorded in the gradebook)")
    mode = "bwrap" if sandbox.enabled else "none (--no-sandbox)"
    start = time.monotonic()
    grades = args.grades
    cache_dir = grades / ".cache"
    cache_dir.mkdir(parents=True, exist_ok=True)
    version = grader_version()

    subs = find_submissions(args.submissions, args.assignment)
    used = set()
    for s in subs:
        s.module = module_name(s.student)
        assert s.module not in used
        used.add(s.module)
        extract(s)
        refuse_compile_time_reads(s)
        h = hashlib.sha256(f"{version}\n{args.time_limit}\n{args.memory_limit}\n{args.student_time_limit}\n"
                           f"{mode}\n{sorted(s.refused.items())}\n".encode())
        if s.unreadable:
            h.update(b"unreadable\0" + s.path.read_bytes() if s.path.exists() else b"")
        for name in FUNCTIONS:
            h.update(f"\0{name}\0".encode() + (s.cells.get(name, "\0missing").encode("utf-8", "replace")))
        s.key = h.hexdigest()
    log(f"{len(subs)} submissions in {args.submissions}")
    unplaceable = nbgrader_feedback.check([s.path for s in subs]) if args.nbgrader_feedback else []
    if unplaceable:
        print("grade: --nbgrader-feedback: " + "\n".join(unplaceable), file=sys.stderr)
        return 2

    results: dict[str, dict] = {}
    todo = []
    for s in subs:
        cached = cache_dir / f"{s.key}.json"
        if not args.no_cache and cached.exists():
            try:
                results[s.student] = dict(json.loads(cached.read_text()), cached=True)
                continue
            except ValueError:
                pass
        if s.unreadable:
            results[s.student] = finish(s, result_for_unbuilt(s), cache_dir)
        else:
            todo.append(s)
    log(f"{len(subs) - len(todo)} reused or unreadable, {len(todo)} to grade")

    build_dir = args.build_dir.resolve()
    build_dir.mkdir(parents=True, exist_ok=True)
    catalogue: list[dict] = []
    with open(build_dir / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one class build at a time in this folder
        project = Project(build_dir)
        t = time.monotonic()
        built, failure = build_class(project, todo)
        log(f"build: {time.monotonic() - t:.1f} s, {len(built)} students compiled")
        if failure:
            print(f"grade: {failure}", file=sys.stderr)
        for s in todo:
            if s not in built and not failure:
                results[s.student] = finish(s, result_for_unbuilt(s), cache_dir)
            elif failure:
                results[s.student] = {"report": None, "status": "not graded: the grader did not build"}
        t = time.monotonic()
        if built and not failure:
            sandbox.prepare(project)
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = {pool.submit(run_student, project, sandbox, s, args.time_limit, args.memory_limit,
                                   args.student_time_limit): s
                       for s in built} if not failure else {}
            for fut in concurrent.futures.as_completed(futures):
                s = futures[fut]
                try:
                    r = fut.result()
                except Exception as e:  # never lose a student's row
                    r = {"report": None, "status": f"grader error ({type(e).__name__}: {e})"}
                results[s.student] = finish(s, dict(r, sandbox=mode), cache_dir)  # cached at once: a batch resumes
        sandbox.cleanup()
        if built and not failure:
            log(f"ran {len(built)} students in {time.monotonic() - t:.1f} s ({args.jobs} at once)")
        if project.grader.exists():
            p = subprocess.run([str(project.grader), "catalogue"], capture_output=True, text=True)
            if p.returncode == 0:
                catalogue = json.loads(p.stdout)

        # Integrity flags (never cached: the similarity depends on the whole class)
        template = {n: normalized(c) for n, c in template_cells().items()}
        codes = {}
        for s in subs:
            r = results[s.student]
            r["flags"] = solution_calls(s.cells)
            r.setdefault("sandbox", mode if s in built else "")
            written = [normalized(s.cells[n]) for n in FUNCTIONS if n in s.cells and normalized(s.cells[n]) != template.get(n)]
            codes[s.student] = [t for cell in written for t in cell + [";;"]]
        pairs = similar_pairs(codes)
        for a, b, ratio in pairs:
            for x, y in ((a, b), (b, a)):
                results[x]["flags"].append(f"similar to {y} ({100 * ratio:.0f} %)")
        for r in results.values():
            similar = [f for f in r["flags"] if f.startswith("similar to")]
            if len(similar) > 3:
                r["flags"] = [f for f in r["flags"] if not f.startswith("similar to")] + similar[:3] + [
                    f"similar to {len(similar) - 3} more (summary.md)"]

        # Outputs
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(HEADER)
        for s in subs:
            w.writerow(row_of(s.student, results[s.student]))
        write_atomic(grades / "gradebook.csv", buf.getvalue())
        for s in subs:
            write_atomic(grades / "feedback" / f"{s.student}.html", feedback_html(s.student, results[s.student], {}))
        if args.nbgrader_feedback:
            placed = nbgrader_feedback.place([(s.path, grades / "feedback" / f"{s.student}.html") for s in subs])
            log(f"{len(placed)} pages where `nbgrader release_feedback` finds them ({placed[0].parents[2] if placed else '-'})")
        md, tsv = summarize({s.student: results[s.student] for s in subs}, catalogue, pairs, sandbox.enabled)
        write_atomic(grades / "summary.md", md)
        if project.grader.exists():
            with tempfile.TemporaryDirectory() as tmp:
                (Path(tmp) / "chart.tsv").write_text(tsv)
                p = subprocess.run([str(project.grader), "chart", str(Path(tmp) / "chart.tsv"),
                                    str(grades / "summary.png")], capture_output=True, text=True)
                if p.returncode != 0:
                    print(f"grade: the chart failed: {p.stderr.strip()}", file=sys.stderr)
    reused = sum(1 for r in results.values() if r.get("cached"))
    log(f"{len(subs)} graded ({reused} reused from the cache) in {time.monotonic() - start:.1f} s: "
        f"{grades / 'gradebook.csv'}")
    return 0


def template_cells() -> dict[str, str]:
    """The function cells as handed out (todo!()), not compared for similarity."""
    s = Submission("template", REPO / "notebooks/exercises/ex4-neural-network-learning.ipynb")
    extract(s)
    return s.cells


if __name__ == "__main__":
    sys.exit(main())
