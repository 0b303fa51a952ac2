#!/usr/bin/env python3
"""CPU fairness between students, measured on a class server without systemd (cgroup way).

Starts a hub with two test students (Unix users <prefix>-cpu1 and <prefix>-cpu2, removed at
the end; prefix: $NNEX4_TEST_USER_PREFIX, default nnex4). cpu1 keeps a busy loop on every
core (two `sh` loops started from a cell of its kernel); cpu2 runs short cells (each one
cargo + rustc + link, as every cell of the notebooks) and the seconds from request to reply
are its cell latency. In one run, rounds alternate:

  idle     no busy loop
  shares   the busy loop, each student's server in its own cpu cgroup (cpu.shares=1024:
           hub/limits.py, as the hub spawns them)
  none     the busy loop, both students' processes moved back to the hub's own cpu cgroup
           (per-thread scheduling, as before the cpu groups)

and the last line is

  cpufair: cell latency median idle A s, busy neighbour with shares B s (B/A x), without C s (C/A x)

Run as root from the hub's venv, after hub/install.sh:
  NNEX4_TEST_USER_PREFIX=nxs /opt/nn-ex4-hub/venv/bin/python hub/loadtest/cpufair.py --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
import limits  # noqa: E402  (hub/, on the path through harness)

NOTEBOOK = "nn-ex4/notebooks/01-feedforward-and-cost.ipynb"
HOG = ('let hog = std::process::Command::new("sh").args(["-c", "for i in $(seq {cores}); do '
       'timeout {secs} sh -c \'while :; do :; done\' & done; wait"]).spawn().map(|c| c.id());\n'
       'println!("hog {:?}", hog);')


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def move(user: str, folder: Path) -> int:
    """Moves every process of `user` into the cpu cgroup `folder`; returns how many."""
    n = 0
    for pid, _ in harness.processes_of(user):
        try:
            limits.join([folder], pid)
            n += 1
        except OSError:  # gone meanwhile
            pass
    return n


def kill_hog(user: str) -> None:
    for pid, cmd in harness.processes_of(user):
        if "while :" in cmd or cmd.startswith("timeout "):
            try:
                os.kill(pid, 9)
            except OSError:
                pass


async def run(args) -> int:
    prefix = os.environ.get("NNEX4_TEST_USER_PREFIX", "nnex4")
    hogger, victim = f"{prefix}-cpu1", f"{prefix}-cpu2"
    plan = limits.plan(1)
    if plan.way != "cgroup" or not plan.cpu or plan.version != "v1":
        print(f"cpufair: needs the cgroup v1 way with a cpu controller here: {plan.describe()}")
        return 2
    cores = os.cpu_count() or 1
    with harness.ClassHub([hogger, victim], mem_limit="2G") as hub:
        for s in (hogger, victim):
            await hub.login(s)
        kh = await hub.open_kernel(hogger, NOTEBOOK)
        kv = await hub.open_kernel(victim, NOTEBOOK)
        cell = 'println!("{}", 6 * 7);'
        for k in (kh, kv):  # the first cell compiles nothing of ours; a few warm-ups
            harness.check_cell(k.user, 0, await k.execute(cell))
        for _ in range(2):
            harness.check_cell(victim, 1, await kv.execute(cell))
        own = {s: limits.student_dirs(plan, s)[-1] for s in (hogger, victim)}
        lat: dict[str, list[float]] = {"idle": [], "shares": [], "none": []}
        for r in range(args.rounds):
            for mode in ("idle", "shares", "none"):
                for s in (hogger, victim):  # each mode decides where both students' processes are
                    move(s, plan.cpu if mode == "none" else own[s])
                if mode != "idle":
                    out = await kh.execute(HOG.replace("{cores}", str(cores)).replace("{secs}", str(args.hog_seconds)))
                    harness.check_cell(hogger, 1, out)
                    await asyncio.sleep(1)
                    if mode == "none":  # the loops just forked from the kernel: into the hub's group too
                        move(hogger, plan.cpu)
                got = []
                for _ in range(args.cells):
                    out = await kv.execute(cell)
                    harness.check_cell(victim, 1, out)
                    got.append(out["seconds"])
                kill_hog(hogger)
                lat[mode] += got
                print(f"cpufair: round {r + 1} {mode:6s} cells {' '.join(f'{x:.2f}' for x in got)} s; "
                      f"load {os.getloadavg()[0]:.2f}", flush=True)
        for s in (hogger, victim):
            move(s, own[s])
        await kh.close()
        await kv.close()
    med = {m: statistics.median(v) for m, v in lat.items()}
    print(f"cpufair: {cpu_name()}, {cores} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"cpufair: cell latency median idle {med['idle']:.2f} s, busy neighbour with shares {med['shares']:.2f} s "
          f"({med['shares'] / med['idle']:.2f}x), without {med['none']:.2f} s ({med['none'] / med['idle']:.2f}x)")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cells", type=int, default=5, help="the victim's cells per round")
    ap.add_argument("--hog-seconds", type=int, default=120, help="the busy loop's longest life per round")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("cpufair: run as root (it creates Unix users)")
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
