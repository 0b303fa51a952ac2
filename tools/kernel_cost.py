#!/usr/bin/env python3
"""What one notebook costs on the `rust` kernel: CPU-seconds and memory, per variant.

Runs a notebook's code cells (or its first N) on fresh kernels, alternating the variants
A B A B ... so that every variant sees the same machine load, and prints per run:

- kernel start: CPU-s of the kernel and its children from /proc (utime + stime of every
  live process of the kernel's tree, plus cutime + cstime: the children it has reaped, such
  as cargo and rustc) and the PSS (/proc/<pid>/smaps_rollup) once it answers;
- each cell's CPU-s (the same sum, after minus before) and wall seconds;
- the PSS peak over the run (sampled every 0.2 s, summed over the tree) and at the end.

Under load, CPU-seconds are the figure to compare; wall time is printed but depends on
whoever else runs. The load average and the CPU model are printed first.

    .venv/bin/python tools/kernel_cost.py notebooks/01-feedforward-and-cost.ipynb \\
        --variant base --variant "trimmed RUST_SRC_PATH=$PWD/.evcxr/rust-src/library" --rounds 3

A variant is a name and KEY=VALUE words: an upper-case KEY is an environment variable for
the kernel (an empty VALUE removes it); `first=FILE` replaces the first code cell's source
by FILE's text; `cells=N` runs only the first N code cells; `pause=S` waits S seconds before
each cell after the first (a student reading) and prints what the kernel spent meanwhile
(idle CPU-s per minute), apart from the cells' own CPU-s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from procfs import cpu_name, load_average, pss_kib, stat


def tree(root: int) -> dict[int, float]:
    """Every live process below root (and root): pid -> CPU-s."""
    procs = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            s = stat(int(d))
            if s:
                procs[int(d)] = s
    out, frontier = {}, [root]
    while frontier:
        p = frontier.pop()
        if p in procs and p not in out:
            out[p] = procs[p][1]
            frontier.extend(c for c, (pp, _) in procs.items() if pp == p)
    return out


def cpu_of(root: int) -> float:
    return sum(tree(root).values())


def pss_mib(root: int) -> float:
    return sum(pss_kib(pid) for pid in tree(root)) / 1024


class Sampler(threading.Thread):
    def __init__(self, root: int):
        super().__init__(daemon=True)
        self.root, self.peak, self.stop = root, 0.0, threading.Event()

    def run(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, pss_mib(self.root))
            self.stop.wait(0.2)


def parse_variant(text: str) -> dict:
    name, *words = text.split()
    v = {"name": name, "env": {}, "first": None, "cells": None, "pause": 0.0}
    for w in words:
        key, _, val = w.partition("=")
        if key == "first":
            v["first"] = Path(val).read_text()
        elif key == "cells":
            v["cells"] = int(val)
        elif key == "pause":
            v["pause"] = float(val)
        elif key.isupper():
            v["env"][key] = val
        else:
            raise SystemExit(f"kernel_cost: variant {name}: unknown word {w!r} (KEY=VALUE, first=FILE, cells=N, pause=S)")
    return v


def execute(kc, code: str, timeout: float) -> tuple[str, str]:
    """Runs one cell; returns (status, text of stream/error outputs)."""
    msg_id = kc.execute(code, store_history=True)
    text = []
    deadline = time.monotonic() + timeout
    while True:
        msg = kc.get_iopub_msg(timeout=max(1.0, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        t, c = msg["msg_type"], msg["content"]
        if t == "stream":
            text.append(c["text"])
        elif t == "error":
            text.append(f"{c.get('ename')}: {c.get('evalue')}")
        elif t == "status" and c["execution_state"] == "idle":
            break
    reply = kc.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=timeout)
    return reply["content"]["status"], "".join(text)


def run_once(notebook: Path, variant: dict, timeout: float) -> dict:
    from jupyter_client import KernelManager

    cells = ["".join(c["source"]) for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == "code"]
    if variant["first"] is not None:
        cells[0] = variant["first"]
    if variant["cells"]:
        cells = cells[: variant["cells"]]
    env = dict(os.environ)
    for k, v in variant["env"].items():
        if v:
            env[k] = v
        else:
            env.pop(k, None)
    km = KernelManager(kernel_name="rust")
    t0 = time.monotonic()
    km.start_kernel(env=env, cwd=str(notebook.parent))
    pid = km.provisioner.process.pid
    sampler = Sampler(pid)
    sampler.start()
    kc = km.client()
    kc.start_channels()
    res = {"variant": variant["name"], "cells": [], "failed": None, "idle_cpu": 0.0, "idle_s": 0.0}
    try:
        kc.wait_for_ready(timeout=300)
        res["start_wall"] = time.monotonic() - t0
        res["start_cpu"] = cpu_of(pid)
        res["start_pss"] = pss_mib(pid)
        for i, code in enumerate(cells):
            if i and variant["pause"]:
                c0, w0 = cpu_of(pid), time.monotonic()
                time.sleep(variant["pause"])
                res["idle_cpu"] += cpu_of(pid) - c0
                res["idle_s"] += time.monotonic() - w0
            c0, w0 = cpu_of(pid), time.monotonic()
            status, text = execute(kc, code, timeout)
            res["cells"].append({"cpu": cpu_of(pid) - c0, "wall": time.monotonic() - w0})
            if status != "ok" or "panicked at" in text:
                res["failed"] = f"cell {i}: {status}: {text[-600:]}"
                break
        res["end_pss"] = pss_mib(pid)
        res["total_cpu"] = cpu_of(pid)
    finally:
        sampler.stop.set()
        sampler.join()
        res["peak_pss"] = sampler.peak
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return res


def machine() -> str:
    return f"{cpu_name()}, {os.cpu_count()} cores"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebook", type=Path)
    ap.add_argument("--variant", action="append", required=True, help='"NAME KEY=VALUE ..." (see above)')
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--json", type=Path, help="write every run's figures here")
    args = ap.parse_args()
    variants = [parse_variant(v) for v in args.variant]
    print(f"kernel_cost: {args.notebook}, {machine()}", flush=True)
    runs = []
    for r in range(args.rounds):
        for v in variants:
            load = load_average()
            res = run_once(args.notebook.resolve(), v, args.timeout)
            res["load"] = load
            runs.append(res)
            cells = " ".join(f"{c['cpu']:.2f}" for c in res["cells"])
            idle = (f"; idle {res['idle_cpu']:.2f} CPU-s in {res['idle_s']:.0f} s "
                    f"({60 * res['idle_cpu'] / res['idle_s']:.3f} CPU-s per minute)" if res["idle_s"] else "")
            print(f"round {r + 1} {v['name']:>10}: load {load}; start {res.get('start_cpu', 0):.2f} CPU-s "
                  f"{res.get('start_pss', 0):.0f} MiB; total {res.get('total_cpu', 0):.2f} CPU-s; "
                  f"PSS peak {res['peak_pss']:.0f} end {res.get('end_pss', 0):.0f} MiB{idle}; cells CPU-s: {cells}"
                  + (f"\n  FAILED {res['failed']}" if res["failed"] else ""), flush=True)
    print("median over rounds (CPU-s; MiB):")
    for v in variants:
        rs = [r for r in runs if r["variant"] == v["name"] and not r["failed"]]
        if not rs:
            print(f"  {v['name']:>10}: every run failed")
            continue
        def med(key, rs=rs):
            return statistics.median(r[key] for r in rs)

        ncell = min(len(r["cells"]) for r in rs)
        per_cell = " ".join(f"{statistics.median(r['cells'][i]['cpu'] for r in rs):.2f}" for i in range(ncell))
        print(f"  {v['name']:>10}: start {med('start_cpu'):.2f}, total {med('total_cpu'):.2f}; "
              f"start {med('start_pss'):.0f}, peak {med('peak_pss'):.0f}, end {med('end_pss'):.0f}; cells {per_cell}")
    if args.json:
        args.json.write_text(json.dumps(runs, indent=1))
    return 1 if any(r["failed"] for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
