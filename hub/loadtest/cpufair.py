#!/usr/bin/env python3
"""CPU fairness between students, measured on a class server without systemd (cgroup way).

Starts a hub with two test students (Unix users <prefix>-cpu1 and <prefix>-cpu2, removed at
the end; prefix: $NNEX4_TEST_USER_PREFIX, default nnex4). cpu1 keeps a busy loop on every
core (two `sh` loops started from a cell of its kernel); cpu2 runs short cells (each one
cargo + rustc + link, as every cell of the notebooks) and the seconds from request to reply
are its cell latency. The busy loop comes in two kinds:

  session  --loops shell loops in the kernel's own session (as a training's threads would be)
  setsid   the same loops each in a session of its own (`setsid`): a student who wants more

Linux's autogroup scheduling (kernel.sched_autogroup_enabled=1, Debian's and Ubuntu's
default) already shares the CPU per session among processes in the root cpu cgroup; it does
not hold against `setsid`, and it does not apply inside a cgroup. In one run, rounds
alternate between

  idle             no busy loop
  <kind> shares    each student's server in its own cpu cgroup (cpu.shares=1024: hub/limits.py,
                   as the hub spawns them)
  <kind> none      both students' processes moved back to the hub's own cpu cgroup (as before
                   the cpu groups)

and print, per mode, the victim's median cell latency (and its ratio to idle) and the cores
the busy loop got (its processes' CPU time from /proc over the round's wall time).

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
import harness
import limits
import procfs  # tools/, on the path harness set

NOTEBOOK = "nn-ex4/notebooks/01-feedforward-and-cost.ipynb"
HOG = ('let hog = std::process::Command::new("sh").args(["-c", "for i in $(seq {loops}); do '
       '{setsid} timeout {secs} sh -c \'while :; do :; done\' & done; wait"]).spawn().map(|c| c.id());\n'
       'println!("hog {:?}", hog);')


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


def hog_pids(user: str) -> list[int]:
    return [pid for pid, cmd in harness.processes_of(user) if "while :" in cmd]


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc/<pid>/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def kill_hog(user: str) -> float:
    """Ends the busy loop; returns the CPU seconds its processes used."""
    pids = hog_pids(user)
    used = sum(cpu_seconds(pid) for pid in pids)
    for pid in pids:
        try:
            os.kill(pid, 9)
        except OSError:
            pass
    return used


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
        for s in (hogger, victim):  # as spawned: every process of the student in their cpu group
            inside = {int(x) for x in (own[s] / "cgroup.procs").read_text().split()}
            outside = [(pid, cmd) for pid, cmd in harness.processes_of(s) if pid not in inside]
            if outside or (own[s] / "cpu.shares").read_text().strip() != str(limits.CPU_SHARES):
                print(f"cpufair: {s}'s processes outside {own[s]}: {outside}")
                return 1
        modes = ["idle"] + [f"{kind} {where}" for kind in ("session", "setsid") for where in ("shares", "none")]
        lat: dict[str, list[float]] = {m: [] for m in modes}
        cores_used: dict[str, list[float]] = {m: [] for m in modes}
        for r in range(args.rounds):
            for mode in modes:
                kind, _, where = mode.partition(" ")
                for s in (hogger, victim):  # each mode decides where both students' processes are
                    move(s, plan.cpu if where == "none" else own[s])
                t0 = time.monotonic()
                if mode != "idle":
                    code = (HOG.replace("{loops}", str(args.loops)).replace("{secs}", str(args.hog_seconds))
                            .replace("{setsid}", "setsid" if kind == "setsid" else ""))
                    out = await kh.execute(code)
                    harness.check_cell(hogger, 1, out)
                    if "hog Ok(" not in out["stdout"]:
                        raise SystemExit(f"cpufair: the busy loop did not start: {out}")
                    await asyncio.sleep(1)
                got = []
                for _ in range(args.cells):
                    out = await kv.execute(cell)
                    harness.check_cell(victim, 1, out)
                    got.append(out["seconds"])
                wall = time.monotonic() - t0
                used = kill_hog(hogger)
                lat[mode] += got
                cores_used[mode].append(used / wall)
                print(f"cpufair: round {r + 1} {mode:15s} cells {' '.join(f'{x:.2f}' for x in got)} s; busy loop "
                      f"{used / wall:.2f} cores; load {os.getloadavg()[0]:.2f}", flush=True)
        for s in (hogger, victim):
            move(s, own[s])
        await kh.close()
        await kv.close()
    med = {m: statistics.median(v) for m, v in lat.items()}
    print(f"cpufair: {procfs.cpu_name()}, {cores} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, "
          f"kernel.sched_autogroup_enabled={Path('/proc/sys/kernel/sched_autogroup_enabled').read_text().strip()}, "
          f"busy loop: {args.loops} loops")
    for m in lat:
        print(f"cpufair: {m:15s} victim's cell latency median {med[m]:.2f} s ({med[m] / med['idle']:.2f}x idle), "
              f"busy loop {statistics.median(cores_used[m]) if m != 'idle' else 0:.2f} cores")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cells", type=int, default=5, help="the victim's cells per round")
    ap.add_argument("--hog-seconds", type=int, default=120, help="the busy loop's longest life per round")
    ap.add_argument("--loops", type=int, default=os.cpu_count() or 1, help="the busy loop's processes (default: one a core)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("cpufair: run as root (it creates Unix users)")
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
