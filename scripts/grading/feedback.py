"""The gradebook's rows and each student's feedback page."""

from __future__ import annotations

import csv
import html
import io
from pathlib import Path

from .common import write_atomic
from .tables import Tables


def status_of(result: dict, tables: Tables) -> tuple[str, str]:
    """The result's status and its group in summary.md (`Tables.status`): the cells' and the
    run's outcomes, then the report's."""
    return tables.status(result["outcomes"] + tables.of_report(result.get("report")))


def header(tables: Tables) -> list[str]:
    return ["student", *[p["name"] for p in tables.parts], "total", "status", "flags", "sandbox"]


def row_of(student: str, result: dict, tables: Tables) -> list:
    report = result.get("report")
    scores = {p["part"]: p["score"] for p in report["parts"]} if report else {}
    points = [scores.get(p["name"], 0) for p in tables.parts]
    return [student, *points, sum(points), status_of(result, tables)[0], "; ".join(result.get("flags", [])),
            result.get("sandbox", "")]


def write_gradebook(path: Path, results: dict[str, dict], tables: Tables) -> None:
    """gradebook.csv: one row per student, in the order of `results`."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header(tables))
    for student, r in results.items():
        w.writerow(row_of(student, r, tables))
    write_atomic(path, buf.getvalue())


def write_feedback(folder: Path, results: dict[str, dict], tables: Tables) -> None:
    """feedback/<student>.html for every student."""
    for student, r in results.items():
        write_atomic(folder / f"{student}.html", feedback_html(student, r, tables))


def feedback_html(student: str, result: dict, tables: Tables) -> str:
    e = html.escape
    report = result.get("report")
    rows, hints = [], []
    scores = {p["part"]: p for p in report["parts"]} if report else {}
    for part in tables.parts:
        name, points = part["name"], part["points"]
        p = scores.get(name)
        if p:
            ok = p["score"] == p["max"]
            rows.append(f"<tr class={'pass' if ok else 'fail'}><td>{e(name)}</td><td class=num>{p['score']} / {p['max']}"
                        f"</td><td>{e(p['message'])}</td></tr>")
            if p.get("mistake"):
                m = p["mistake"]
                hint = f"<li><b>{e(m['name'])}</b> ({e(name)}): {e(m['description'])}</li>"
                if hint not in hints:
                    hints.append(hint)
        else:
            rows.append(f"<tr class=fail><td>{e(name)}</td><td class=num>0 / {points}</td><td>not graded</td></tr>")
    for problem_id in result.get("other", []):
        problem = tables.problem(problem_id)
        hints.append(f"<li><b>{e(problem['name'])}</b>: {e(problem['description'])}</li>")
    total = sum(p["score"] for p in scores.values())
    max_total = sum(p["points"] for p in tables.parts)
    init = (report or {}).get("init")
    init_line = f"<p>Random initialization (not scored): {e(init['message'])}</p>" if init else ""
    status, _ = status_of(result, tables)
    notes = []
    for flag in result.get("flags", []):
        notes.append(f"<p class=status>Flagged for the teacher: {e(flag)}</p>")
    if result.get("sandbox", "").startswith("none"):
        notes.append("<p>Graded without the sandbox (--no-sandbox).</p>")
    for name, why in sorted(result.get("refused", {}).items()):
        notes.append(f"<p>The cell of <code>{e(name)}</code> was not compiled: {e(why)}. It was graded as not written.</p>")
    if status != "ok":
        notes.append(f"<p class=status>Status: {e(status)}</p>")
    for name, why in sorted(result.get("stubbed", {}).items()):
        notes.append(f"<p>The cell of <code>{e(name)}</code> does not compile; it was graded as not written. "
                     f"The compiler said:</p><pre>{e(why)}</pre>")
    for name in result.get("missing", []):
        notes.append(f"<p>The cell of <code>{e(name)}</code> is missing from the notebook.</p>")
    if result.get("compiler"):
        notes.append(f"<p>Your code does not compile. The compiler said:</p><pre>{e(result['compiler'])}</pre>")
    table_text = report["table"] if report else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>ex4 feedback: {e(student)}</title>
<style>
body {{ font-family: sans-serif; max-width: 60em; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: .3em .6em; text-align: left; }}
td.num {{ text-align: right; white-space: nowrap; }} tr.pass td:nth-child(2) {{ color: #060; }}
tr.fail td:nth-child(2) {{ color: #a00; }} pre {{ background: #f6f6f6; padding: .6em; overflow-x: auto; }}
.status {{ font-weight: bold; color: #a00; }}
</style></head><body>
<h1>Exercise 4 — feedback for {e(student)}</h1>
{''.join(notes)}
<table><thead><tr><th>Part</th><th>Score</th><th>Feedback</th></tr></thead><tbody>
{''.join(rows)}
</tbody><tfoot><tr><th>Total</th><th class=num>{total} / {max_total}</th><th></th></tr></tfoot></table>
{init_line}
{'<h2>Hints</h2><ul>' + ''.join(hints) + '</ul>' if hints else ''}
{'<h2>The grader&#x27;s table</h2><pre>' + e(table_text) + '</pre>' if table_text else ''}
</body></html>
"""
