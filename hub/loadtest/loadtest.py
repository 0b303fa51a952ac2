#!/usr/bin/env python3
"""make hub-test STUDENTS=N: how many students the class server holds, measured.

Starts a hub on 127.0.0.1 with N test students (Unix users <prefix>-load1..loadN, removed at the
end), logs them all in at once (servers started through JupyterHub's REST API), opens a
notebook of each student's own copy on the `rust` kernel (a session, as JupyterLab does) and
runs its code cells over the kernels' websockets in the rhythm of a lesson (`--pattern`):

  classroom  each student pauses `--pause` seconds (+-50%, at random) between cells
  lab        each student reads 20-60 s (at random) between cells: a lab's pace
  teacher    "run the next cell": once every student has the last cell's output, the class
             reads `--pause` seconds, then each student runs the next cell within 10 s
  runall     each student runs every cell back to back (Run All)

`--notebook`: 01, 03 or exercise (the exercise filled in with the reference solution,
tests/notebooks/solutions/ex4.rs, as the notebook tests do). Memory is the PSS
(/proc/<pid>/smaps_rollup) of each student's processes (their server, their kernel and its
children), sampled every second; a student's figure is their peak. CPU: the CPU-seconds
(/proc) of the student's processes and of the children they reaped, at the end of their
cells. Disk: the files the student owns in their home after the run. Exits 1 if any cell of
any student fails; the last line is

  hub-test: N students, NOTEBOOK PATTERN, M MiB per student (kernel K MiB, peak P MiB),
  C CPU-s per student, cell latency p50 A s p95 B s, first result median F s slowest S s,
  disk D MiB per student

M and K: the mean over students of their peak PSS, P the largest; C the mean; latency:
every cell after the first (`:dep` + `:cache`) of every student, request to reply; first
result: login (server start) to the first cell's reply. The line before it gives the run's
length, what the whole machine's cores spent in it (/proc/stat) and the CPU-s each student
had spent by their first result: what docs/classroom.md's sizing rule is checked against.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness
import procfs  # tools/, on the path harness set

NOTEBOOKS = {"01": "nn-ex4/notebooks/01-feedforward-and-cost.ipynb",
             "03": "nn-ex4/notebooks/03-training-and-hidden-units.ipynb",
             "exercise": "nn-ex4/notebooks/exercises/ex4-neural-network-learning.ipynb"}
SOLUTIONS = "tests/notebooks/solutions/ex4.rs"
PATTERNS = ("classroom", "lab", "teacher", "runall")


def notebook_cells(which: str) -> list[str]:
    """The code cells of the kit's notebook (the exercise: with the reference solution)."""
    path = harness.PREFIX / "kit" / NOTEBOOKS[which].split("/", 1)[1]
    if which != "exercise":
        return harness.code_cells(path)
    import nbformat
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "notebooks"))
    import run_notebooks
    nb = nbformat.read(path, as_version=4)
    run_notebooks.apply_substitutions(nb, {"from": SOLUTIONS})
    return [c.source for c in nb.cells if c.cell_type == "code"]


async def wait_for_quiet(below: float, at_most: float, log) -> None:
    """Waits until the 1-minute load average is below `below` (at most `at_most` seconds)."""
    deadline = time.monotonic() + at_most
    while os.getloadavg()[0] >= below and time.monotonic() < deadline:
        await asyncio.sleep(10)
    if os.getloadavg()[0] >= below:
        log(f"hub-test: the machine did not get quiet (load {os.getloadavg()[0]:.2f} >= {below} after {at_most:.0f} s)")


class Teacher:
    """Says "run the next cell" once every student has the last one's output."""

    def __init__(self, students: int, cells: int, pause: float):
        self.students, self.pause = students, pause
        self.done = [0] * cells
        self.go = [asyncio.Event() for _ in range(cells)]
        self.go[0].set()

    def finished(self, cell: int) -> None:
        self.done[cell] += 1
        if self.done[cell] == self.students and cell + 1 < len(self.go):
            asyncio.get_running_loop().call_later(self.pause, self.go[cell + 1].set)

    def gave_up(self, cell: int) -> None:
        for i in range(cell, len(self.done)):
            self.finished(i)


def pct(values: list[float], p: float) -> float:
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


async def student(hub: harness.ClassHub, name: str, cells: list[str], args, res: dict, log,
                  teacher: Teacher | None):
    t0 = time.monotonic()
    i = 0
    try:
        login_s = await hub.login(name)
        kernel = await hub.open_kernel(name, NOTEBOOKS[args.notebook])
        try:
            for i, code in enumerate(cells):
                if i and args.pattern == "classroom":
                    await asyncio.sleep(random.uniform(0.5 * args.pause, 1.5 * args.pause))
                elif i and args.pattern == "lab":
                    await asyncio.sleep(random.uniform(20, 60))
                elif i and teacher:
                    await teacher.go[i].wait()
                    await asyncio.sleep(random.uniform(0, 10))
                out = await kernel.execute(code, timeout=args.cell_timeout)
                harness.check_cell(name, i, out)
                if teacher:
                    teacher.finished(i)
                if i == 0:
                    res["first"][name] = time.monotonic() - t0
                    res["first_dep"][name] = out["seconds"]
                    res["first_cpu"][name] = harness.cpu_seconds_of(name)
                else:
                    res["latency"].append(out["seconds"])
            res["cpu"][name] = harness.cpu_seconds_of(name)
            log(f"hub-test: {name}: server {login_s:.1f} s, first cell {res['first_dep'][name]:.1f} s, "
                f"{len(cells)} cells ok, {res['cpu'][name]:.1f} CPU-s")
        finally:
            await kernel.close()
    except BaseException as e:
        if teacher:
            teacher.gave_up(i)
        log(f"hub-test: {name}: cell {i} failed after {time.monotonic() - t0:.0f} s: "
            f"{type(e).__name__}: {e}\n{name}'s processes:\n{harness.process_table(name)}")
        raise


async def sample_memory(names: list[str], peaks: dict, stop: asyncio.Event):
    while not stop.is_set():
        for n in names:
            total, kernel = harness.memory_of(n)
            if total > peaks[n][0]:
                peaks[n] = (total, kernel)
        try:
            await asyncio.wait_for(stop.wait(), 1.0)
        except TimeoutError:
            pass


async def run(args) -> int:
    prefix = os.environ.get("NNEX4_TEST_USER_PREFIX", "nnex4")
    names = [f"{prefix}-load{i}" for i in range(1, args.students + 1)]
    cells = notebook_cells(args.notebook) + args.extra_cell
    log = lambda s: print(s, flush=True)
    res = {"first": {}, "first_dep": {}, "first_cpu": {}, "latency": [], "cpu": {}}
    peaks = {n: (0.0, 0.0) for n in names}
    teacher = Teacher(len(names), len(cells), args.pause) if args.pattern == "teacher" else None
    if args.quiet:
        await wait_for_quiet(args.quiet, args.quiet_wait, log)
    log(f"hub-test: load average before the run: {procfs.load_average()} on {os.cpu_count()} cores "
        f"({procfs.cpu_name()})")
    with harness.ClassHub(names, mem_limit=args.mem_limit, log=log) as hub:
        stop = asyncio.Event()
        sampler = asyncio.create_task(sample_memory(names, peaks, stop))
        busy0, t0 = procfs.machine_busy_seconds(), time.monotonic()
        results = await asyncio.gather(*(student(hub, n, cells, args, res, log, teacher) for n in names),
                                       return_exceptions=True)
        busy, wall = procfs.machine_busy_seconds() - busy0, time.monotonic() - t0
        stop.set()
        await sampler
        disk = {n: harness.disk_use_mib(n) for n in names}
    failed = [n for n, r in zip(names, results, strict=True) if isinstance(r, BaseException)]
    if failed:  # each one's error and processes are above, once
        log(f"hub-test: FAILED: {len(failed)} of {len(names)} students ({', '.join(failed)}): "
            "their errors are above")
        return 1
    m = statistics.mean(p[0] for p in peaks.values())
    k = statistics.mean(p[1] for p in peaks.values())
    top = max(p[0] for p in peaks.values())
    first = list(res["first"].values())
    lat = res["latency"]
    # what the sizing rule is checked against (docs/classroom.md, "Capacity"): the run's length
    # from the logins to the last student's last output, and what the whole machine's cores
    # spent in it (/proc/stat: every process, the hub's and the proxy's too)
    log(f"hub-test: run {wall:.1f} s, machine CPU {busy:.1f} CPU-s ({100 * busy / (wall * os.cpu_count()):.0f}% "
        f"of {os.cpu_count()} cores), CPU-s to the first result per student "
        f"{statistics.mean(res['first_cpu'].values()):.1f}")
    log(f"hub-test: {args.students} students, {args.notebook} {args.pattern}, {m:.0f} MiB per student "
        f"(kernel {k:.0f} MiB, peak {top:.0f} MiB), {statistics.mean(res['cpu'].values()):.1f} CPU-s per student, "
        f"cell latency p50 {pct(lat, 0.5):.2f} s p95 {pct(lat, 0.95):.2f} s, "
        f"first result median {statistics.median(first):.1f} s slowest {max(first):.1f} s, "
        f"disk {statistics.mean(disk.values()):.0f} MiB per student")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--students", type=int, default=int(os.environ.get("STUDENTS", "2")))
    ap.add_argument("--pattern", choices=PATTERNS, default="classroom", help="the lesson's rhythm (above)")
    ap.add_argument("--notebook", choices=sorted(NOTEBOOKS), default="01")
    ap.add_argument("--pause", type=float, default=3.0,
                    help="classroom: seconds between a student's cells (mean); teacher: the class's reading time")
    ap.add_argument("--extra-cell", action="append", default=[],
                    help="one more cell after the notebook's (tests: a failing one must fail the run)")
    ap.add_argument("--quiet", type=float, default=0.0, metavar="LOAD",
                    help="first wait until the 1-minute load average is below LOAD (a benchmark's row)")
    ap.add_argument("--quiet-wait", type=float, default=900.0, metavar="S", help="... for at most S seconds")
    ap.add_argument("--cell-timeout", type=float, default=1800.0, metavar="S",
                    help="a cell with no reply after S seconds fails the run, naming the student, the "
                         "cell and their processes")
    ap.add_argument("--mem-limit", default=os.environ.get("NNEX4_HUB_MEM_LIMIT", "2G"))
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("hub-test: run as root (it creates test Unix users)", file=sys.stderr)
        return 1
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
