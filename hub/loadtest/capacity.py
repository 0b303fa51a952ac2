#!/usr/bin/env python3
"""make hub-capacity: docs/classroom.md's capacity table, one `make hub-test` row at a time.

    capacity.py --out DIR 01:runall:1 01:runall:8 01:lab:8 03:teacher:8 ...

Each row (NOTEBOOK:PATTERN:STUDENTS) is one run of hub/loadtest/loadtest.py, started once the
1-minute load average is below --quiet (0.5: a benchmark's row on an otherwise idle machine;
the load before the run is in the row). The rows run one after another, in the order given;
each run's whole output goes to DIR/NOTEBOOK-PATTERN-N.log and its row is appended to
DIR/table.md as soon as it ends, so an interrupted table keeps the rows it has. A failed run
is a row that says so. Run as root, from the hub's venv.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
LOAD = re.compile(r"^hub-test: load average before the run: (\S+) (\S+) (\S+) on (\d+) cores \((.*)\)$")
RUN = re.compile(r"^hub-test: run ([\d.]+) s, machine CPU ([\d.]+) CPU-s \((\d+)% of \d+ cores\), "
                 r"CPU-s to the first result per student ([\d.]+)$")
LAST = re.compile(r"^hub-test: (\d+) students, (\S+) (\S+), (\d+) MiB per student \(kernel (\d+) MiB, peak (\d+) MiB\), "
                  r"([\d.]+) CPU-s per student, cell latency p50 ([\d.]+) s p95 ([\d.]+) s, "
                  r"first result median ([\d.]+) s slowest ([\d.]+) s, disk (\d+) MiB per student$")
HEADER = ("| notebook | pattern | students | load before | MiB per student (kernel) | peak MiB | CPU-s per student "
          "| to first result | cell p50 | p95 | first result median | slowest | run | machine CPU | disk MiB |\n"
          "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")


def parse(output: str) -> dict[str, tuple[str, ...]]:
    """The figures of a loadtest.py run's output: "load", "run" and "last" (each present only
    if its line was printed), as the regular expressions' groups."""
    found = {}
    for line in output.splitlines():
        for key, rx in (("load", LOAD), ("run", RUN), ("last", LAST)):
            if m := rx.match(line):
                found[key] = m.groups()
    return found


def row(spec: str, out: Path, quiet: float, pause: float) -> str:
    notebook, pattern, n = spec.split(":")
    log = out / f"{notebook}-{pattern}-{n}.log"
    cmd = [sys.executable, str(HERE / "loadtest.py"), "--students", n, "--notebook", notebook,
           "--pattern", pattern, "--pause", str(pause), "--quiet", str(quiet),
           # no cell of the table's notebooks takes a minute; a stuck one fails its row in 10
           "--cell-timeout", "600"]
    with open(log, "w") as f:
        rc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, check=False).returncode
    found = parse(log.read_text())
    load = found["load"][0] if "load" in found else "?"
    if rc != 0 or "last" not in found or "run" not in found:
        return f"| {notebook} | {pattern} | {n} | {load} | FAILED (exit {rc}): see {log.name} |\n"
    last, run = found["last"], found["run"]
    mib, kernel, peak, cpu, p50, p95, first, slowest, disk = last[3:]
    wall, busy, pct, first_cpu = run
    return (f"| {notebook} | {pattern} | {n} | {load} | {mib} ({kernel}) | {peak} | {cpu} | {first_cpu} "
            f"| {p50} s | {p95} s | {first} s | {slowest} s | {wall} s | {busy} CPU-s ({pct}%) | {disk} |\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("rows", nargs="+", metavar="NOTEBOOK:PATTERN:STUDENTS")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--quiet", type=float, default=0.5)
    ap.add_argument("--pause", type=float, default=5.0, help="teacher: the class's reading time between cells")
    args = ap.parse_args()
    for spec in args.rows:
        parts = spec.split(":")
        if len(parts) != 3 or parts[0] not in ("01", "03", "exercise") or not parts[2].isdigit():
            ap.error(f"row {spec!r}: expected NOTEBOOK:PATTERN:STUDENTS, e.g. 01:lab:8")
    args.out.mkdir(parents=True, exist_ok=True)
    table = args.out / "table.md"
    if not table.exists():
        table.write_text(HEADER)
    for spec in args.rows:
        line = row(spec, args.out, args.quiet, args.pause)
        with open(table, "a") as f:
            f.write(line)
        print(line, end="", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
