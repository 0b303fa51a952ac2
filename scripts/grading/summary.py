"""summary.md and the class chart's input."""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
from pathlib import Path

from .common import write_atomic
from .feedback import row_of, status_of
from .tables import Tables


def write_summary(grades: Path, results: dict[str, dict], tables: Tables, pairs: list, sandboxed: bool,
                  grader: Path) -> None:
    """summary.md, and summary.png drawn by `grader chart`."""
    md, tsv = summarize(results, tables, pairs, sandboxed)
    write_atomic(grades / "summary.md", md)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "chart.tsv").write_text(tsv)
        p = subprocess.run([str(grader), "chart", str(Path(tmp) / "chart.tsv"), str(grades / "summary.png")],
                           capture_output=True, text=True, check=False)
        if p.returncode != 0:
            print(f"grade: the chart failed: {p.stderr.strip()}", file=sys.stderr)


def summarize(results: dict[str, dict], tables: Tables, pairs: list | None = None,
              sandboxed: bool = True) -> tuple[str, str]:
    """summary.md and the chart's TSV input."""
    n = len(results)
    parts = [(p["name"], p["points"]) for p in tables.parts]
    catalogue = tables.mistakes
    earned = {name: sum(1 for r in results.values() if r.get("report") and
                        any(p["part"] == name and p["score"] == p["max"] for p in r["report"]["parts"]))
              for name, _ in parts}
    hit = {m["id"]: set() for m in catalogue}
    for student, r in results.items():
        for p in (r.get("report") or {}).get("parts", []):
            if p.get("mistake"):
                hit.setdefault(p["mistake"]["id"], set()).add(student)
    others = {p["name"]: sum(1 for r in results.values() if p["id"] in r.get("other", [])) for p in tables.problems}
    statuses: dict[str, int] = {}
    for r in results.values():
        _, group = status_of(r, tables)
        statuses[group] = statuses.get(group, 0) + 1
    totals = sorted(row_of(s, r, tables)[len(parts) + 1] for s, r in results.items())
    md = io.StringIO()
    md.write(f"# Exercise 4: class summary\n\n{n} submissions")
    if totals:
        md.write(f"; total points: median {totals[len(totals) // 2]}, mean {sum(totals) / n:.1f}, "
                 f"{sum(1 for t in totals if t == 100)} at 100 / 100")
    md.write(".\n\n![class chart](summary.png)\n\n## Parts\n\n| part | points | students who earned it |\n| --- | --- | --- |\n")
    for name, points in parts:
        md.write(f"| {name} | {points} | {earned[name]} / {n} |\n")
    md.write("\n## Classic mistakes recognized\n\nEach student is counted once per mistake.\n\n"
             "| mistake | students | what to re-teach |\n| --- | --- | --- |\n")
    for m in sorted(catalogue, key=lambda m: -len(hit.get(m["id"], ()))):
        md.write(f"| {m['name']} | {len(hit.get(m['id'], ()))} | {m['description'].replace('|', '/')} |\n")
    md.write("\n## Other problems spotted\n\nNot in the grader's catalogue; found by the class grader.\n\n"
             "| problem | students | what to re-teach |\n| --- | --- | --- |\n")
    for p in tables.problems:
        md.write(f"| {p['name']} | {others[p['name']]} | {p['description']} |\n")
    md.write("\n## Integrity flags\n\nThe teacher decides; the tool tells (docs/grading.md says how each is found).\n\n")
    flagged = {s: [f for f in r.get("flags", []) if not f.startswith("similar to")] for s, r in results.items()}
    flagged = {s: f for s, f in flagged.items() if f}
    md.write("| student | uses of the kit's solution |\n| --- | --- |\n")
    for s, f in sorted(flagged.items()):
        md.write(f"| {s} | {'; '.join(f)} |\n")
    if not flagged:
        md.write("| (none) | |\n")
    pairs = pairs or []
    md.write(f"\nNear-identical pairs (Jaccard index of 5-token runs >= 90 %, names, whitespace and comments ignored): "
             f"{len(pairs)}.\n\n| student | student | similarity |\n| --- | --- | --- |\n")
    for a, b, r in pairs[:100]:
        md.write(f"| {a} | {b} | {100 * r:.1f} % |\n")
    if len(pairs) > 100:
        md.write(f"\n... and {len(pairs) - 100} more pairs (each student's `flags` in gradebook.csv lists them).\n")
    md.write("\n## Sandbox\n\n" + ("Every student's program ran in the sandbox (bubblewrap).\n" if sandboxed else
             "**Graded without the sandbox (--no-sandbox)**: the students' code ran with the grader's rights.\n"))
    md.write("\n## Status\n\n| status | students |\n| --- | --- |\n")
    for k, v in sorted(statuses.items(), key=lambda kv: (kv[0] != "ok", -kv[1])):
        md.write(f"| {k} | {v} |\n")
    tsv = [f"title\tExercise 4: {n} submissions (green: earned the part; red: made the mistake)"]
    tsv += [f"{name} ({points})\t{earned[name]}\t{n}\tpart" for name, points in parts]
    tsv += [f"{m['name']}\t{len(hit.get(m['id'], ()))}\t{n}\tmistake"
            for m in sorted(catalogue, key=lambda m: -len(hit.get(m["id"], ())))]
    tsv += [f"{name}\t{count}\t{n}\tmistake" for name, count in sorted(others.items(), key=lambda kv: -kv[1])]
    return md.getvalue(), "\n".join(tsv) + "\n"
