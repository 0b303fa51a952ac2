"""The gradebook's rows and each student's feedback page."""

from __future__ import annotations

import argparse
import concurrent.futures
import csv
import fcntl
import hashlib
import html
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .common import PARTS
from .extract import Submission

# Problems the catalogue (nn_grader::mistakes) has no entry for, spotted by the driver:
# name -> what to re-teach.
OTHER_PROBLEMS = {
    "delta with the bias column": "delta2 keeps the bias unit's error: drop its first column "
                                  "(delta3.dot(&theta2.slice(s![.., 1..]))) before delta2.t().dot(&a1) "
                                  "(Theta1_grad gets one row too many)",
    "hard-coded sizes": "nn_cost_function uses the digits' sizes (400, 25, 10, 5000) as numbers: take them from "
                        "x.nrows(), theta1.nrows(), theta2.nrows(), so that any network works (the grader "
                        "uses 3-5-3 and other small ones)",
}


HARD_CODED = re.compile(r"\b(400|401|5000)\b|[(\[,]\s*(10|25|26)\s*[,)\]]")


def other_problems(sub: Submission, report: dict | None) -> list[str]:
    if not report:
        return []
    found = []
    messages = [p["message"] for p in report["parts"]]
    if any("one row too many" in m for m in messages):
        found.append("delta with the bias column")
    code = re.sub(r"//[^\n]*", "", sub.cells.get("nn_cost_function", ""))
    cost_failed = any(p["score"] < p["max"] and p["function"] == "nn_cost_function" for p in report["parts"])
    if cost_failed and HARD_CODED.search(code):
        found.append("hard-coded sizes")
    return found


def row_of(student: str, result: dict) -> list:
    report = result.get("report")
    scores = {p["part"]: p["score"] for p in report["parts"]} if report else {}
    points = [scores.get(name, 0) for name, _, _ in PARTS]
    return [student, *points, sum(points), result["status"], "; ".join(result.get("flags", [])),
            result.get("sandbox", "")]


HEADER = ["student", *[name for name, _, _ in PARTS], "total", "status", "flags", "sandbox"]


def feedback_html(student: str, result: dict, catalogue: dict) -> str:
    e = html.escape
    report = result.get("report")
    rows, hints = [], []
    scores = {p["part"]: p for p in report["parts"]} if report else {}
    for name, points, _ in PARTS:
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
    for name in result.get("other", []):
        hints.append(f"<li><b>{e(name)}</b>: {e(OTHER_PROBLEMS[name])}</li>")
    total = sum(p["score"] for p in scores.values())
    init = (report or {}).get("init")
    init_line = f"<p>Random initialization (not scored): {e(init['message'])}</p>" if init else ""
    status = result["status"]
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
</tbody><tfoot><tr><th>Total</th><th class=num>{total} / 100</th><th></th></tr></tfoot></table>
{init_line}
{'<h2>Hints</h2><ul>' + ''.join(hints) + '</ul>' if hints else ''}
{'<h2>The grader&#x27;s table</h2><pre>' + e(table_text) + '</pre>' if table_text else ''}
</body></html>
"""
