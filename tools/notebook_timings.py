#!/usr/bin/env python3
"""Summarise, or compare, notebook timings written by the notebook runner.

    python tests/notebooks/run_notebooks.py --timings out/before.json   # one measurement
    python tools/notebook_timings.py out/before.json                    # per notebook
    python tools/notebook_timings.py out/before.json out/after.json     # before -> after

Per notebook: "top to bottom" is what a student waits for with Run All on a warm cache
(the kernel's start plus every code cell, not the runner's own sync cells); ":dep" is the
first code cell (the libraries), "first" the one after it; "median" the median cell;
"cells > 0.5 s" how many take longer than half a second. The runner prints the same
summary after each run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def summary(run: dict) -> dict:
    """Figures of one run as the runner's --timings file holds it."""
    cells = run["cells"]
    secs = sorted(c["seconds"] for c in cells)
    first = next((c["seconds"] for c in cells[1:2]), 0.0)
    return {
        "top": run["kernel_start"] + sum(secs),
        "start": run["kernel_start"],
        "dep": cells[0]["seconds"] if cells else 0.0,
        "first": first,
        "median": secs[len(secs) // 2] if secs else 0.0,
        "slow": sum(1 for s in secs if s > 0.5),
        "n": len(secs),
    }


def load(path: str) -> dict:
    data = json.loads(Path(path).read_text())
    return {r["label"]: summary(r) for r in data["runs"] if r["cells"]}, data.get("cpu", "?")


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    (runs, cpu), other = load(argv[0]), (load(argv[1]) if len(argv) == 2 else None)
    print(f"cpu: {cpu}" + (f" / {other[1]}" if other else ""))
    head = f"{'notebook':44} {'top to bottom':>14} {'kernel':>7} {':dep':>6} {'first':>6} {'median':>7} {'> 0.5 s':>8}"
    print(head)
    fmt = lambda s: (f"{s['top']:13.1f}s {s['start']:6.1f}s {s['dep']:5.1f}s {s['first']:5.1f}s "
                     f"{s['median']:6.2f}s {s['slow']:3}/{s['n']:<4}")
    for label, s in runs.items():
        print(f"{label:44} {fmt(s)}")
        if other and label in other[0]:
            t = other[0][label]
            print(f"{'  -> after':44} {fmt(t)}  ({t['top'] / s['top']:.2f}x top to bottom)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
