"""Results of unchanged submissions reused: GRADES/.cache, written by the grader alone."""

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

from .common import write_atomic
from .extract import Submission
from .feedback import other_problems

def finish(sub: Submission, r: dict, cache_dir: Path) -> dict:
    """A fresh result completed (missing cells, stubbed cells, other problems) and cached."""
    r["other"] = other_problems(sub, r.get("report"))
    notes = []
    if sub.missing:
        r["missing"] = sub.missing
        notes.append("missing cell: " + ", ".join(sub.missing))
    if sub.stubbed:
        r["stubbed"] = sub.stubbed
        notes.append("compile error in " + ", ".join(sorted(sub.stubbed)))
    if sub.refused:
        r["refused"] = sub.refused
        notes.append("refused cell: " + ", ".join(sorted(sub.refused)))
    if notes:
        r["status"] = "; ".join(notes + ([] if r["status"] == "ok" else [r["status"]]))
    if not r["status"].startswith(("not graded", "grader error")):
        write_atomic(cache_dir / f"{sub.key}.json", json.dumps(r))
    return r


def result_for_unbuilt(sub: Submission) -> dict:
    if sub.unreadable:
        return {"report": None, "status": sub.unreadable, "compiler": ""}
    return {"report": None, "status": "compile error", "compiler": sub.compile_error}
