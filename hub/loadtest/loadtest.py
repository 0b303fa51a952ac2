#!/usr/bin/env python3
"""make hub-test STUDENTS=N: how many students the class server holds, measured.

Starts a hub on 127.0.0.1 with N test students (Unix users nnex4-s1..sN, removed at the
end), logs each in (server started through JupyterHub's REST API), opens notebook 01 of each
student's own copy on the `rust` kernel (a session, as JupyterLab does) and runs its code
cells for every student at once over the kernels' websockets, each student pausing
`--pause` seconds (+-50%, at random) between cells as people do. Memory is the PSS
(/proc/<pid>/smaps_rollup) of each student's processes: their server, their kernel and its
children, sampled every second; a student's figure is their peak. Exits 1 if any cell of any
student fails; the last line is

  hub-test: N students, M MiB per student (kernel K MiB), cell latency p50 A s p95 B s, first result C s

M and K: the mean over students of their peak PSS; latency: every cell after the first
(`:dep` + `:cache`) of every student, request to reply; first result: the median over
students of login (server start) to the first cell's reply.
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

NOTEBOOK = "nn-ex4/notebooks/01-feedforward-and-cost.ipynb"


def pct(values: list[float], p: float) -> float:
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


async def student(hub: harness.ClassHub, name: str, cells: list[str], pause: float, res: dict, log):
    t0 = time.monotonic()
    login_s = await hub.login(name)
    kernel = await hub.open_kernel(name, NOTEBOOK)
    try:
        for i, code in enumerate(cells):
            if i:
                await asyncio.sleep(random.uniform(0.5 * pause, 1.5 * pause))
            out = await kernel.execute(code)
            harness.check_cell(name, i, out)
            if i == 0:
                res["first"][name] = time.monotonic() - t0
                res["first_dep"][name] = out["seconds"]
            else:
                res["latency"].append(out["seconds"])
        log(f"hub-test: {name}: server {login_s:.1f} s, first cell {res['first_dep'][name]:.1f} s, "
            f"{len(cells)} cells ok")
    finally:
        await kernel.close()


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
    names = [f"{prefix}-s{i}" for i in range(1, args.students + 1)]
    cells = harness.code_cells(Path(os.environ.get("NNEX4_HUB_PREFIX", "/opt/nn-ex4-hub")) / "kit" / NOTEBOOK.split("/", 1)[1])
    log = lambda s: print(s, flush=True)
    cells += args.extra_cell
    res = {"first": {}, "first_dep": {}, "latency": []}
    peaks = {n: (0.0, 0.0) for n in names}
    with open("/proc/loadavg") as f:  # noqa: ASYNC230 (one read, before the run starts)
        log(f"hub-test: load average before the run: {' '.join(f.read().split()[:3])} on {os.cpu_count()} cores")
    with harness.ClassHub(names, mem_limit=args.mem_limit, log=log) as hub:
        stop = asyncio.Event()
        sampler = asyncio.create_task(sample_memory(names, peaks, stop))
        results = await asyncio.gather(*(student(hub, n, cells, args.pause, res, log) for n in names),
                                       return_exceptions=True)
        stop.set()
        await sampler
    failed = [r for r in results if isinstance(r, BaseException)]
    for r in failed:
        log(f"hub-test: FAILED: {type(r).__name__}: {r}")
    if failed:
        log(f"hub-test: {len(failed)} of {len(names)} students failed")
        return 1
    m = statistics.mean(p[0] for p in peaks.values())
    k = statistics.mean(p[1] for p in peaks.values())
    first = statistics.median(res["first"].values())
    lat = res["latency"]
    log(f"hub-test: {args.students} students, {m:.0f} MiB per student (kernel {k:.0f} MiB), "
        f"cell latency p50 {pct(lat, 0.5):.2f} s p95 {pct(lat, 0.95):.2f} s, first result {first:.1f} s")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--students", type=int, default=int(os.environ.get("STUDENTS", "2")))
    ap.add_argument("--pause", type=float, default=3.0, help="seconds between a student's cells (mean)")
    ap.add_argument("--extra-cell", action="append", default=[],
                    help="one more cell after the notebook's (tests: a failing one must fail the run)")
    ap.add_argument("--mem-limit", default=os.environ.get("NNEX4_HUB_MEM_LIMIT", "2G"))
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("hub-test: run as root (it creates test Unix users)", file=sys.stderr)
        return 1
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
