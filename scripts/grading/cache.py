"""Results of unchanged submissions reused: GRADES/.cache, written by the grader alone.

A result's key is a hash of the student's extracted cells, the grader (its format version and
sources, these scripts) and the settings that change a grade (limits, sandbox)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .common import write_atomic
from .extract import Submission
from .tables import Tables


class Cache:
    def __init__(self, folder: Path, tables: Tables, version: str, settings: str, reuse: bool = True):
        self.folder = folder
        self.tables = tables
        self.prefix = f"{version}\n{settings}\n"
        self.reuse = reuse
        folder.mkdir(parents=True, exist_ok=True)

    def key(self, sub: Submission) -> str:
        h = hashlib.sha256(f"{self.prefix}{sorted(sub.refused.items())}\n".encode())
        if sub.unreadable:
            h.update(b"unreadable\0" + sub.path.read_bytes() if sub.path.exists() else b"")
        for name in self.tables.functions:
            h.update(f"\0{name}\0".encode() + (sub.cells.get(name, "\0missing").encode("utf-8", "replace")))
        return h.hexdigest()

    def lookup(self, subs: list[Submission]) -> tuple[dict[str, dict], list[Submission]]:
        """The results found (marked `cached`), and the submissions to grade."""
        results: dict[str, dict] = {}
        todo = []
        for s in subs:
            s.key = self.key(s)
            path = self.folder / f"{s.key}.json"
            if self.reuse and path.exists():
                try:
                    results[s.student] = dict(json.loads(path.read_text()), cached=True)
                    continue
                except ValueError:
                    pass
            todo.append(s)
        return results, todo

    def store(self, sub: Submission, result: dict) -> dict:
        """Keeps `result` (unless the grader itself failed on it) and returns it."""
        if self.tables.keep(result["outcomes"]):
            write_atomic(self.folder / f"{sub.key}.json", json.dumps(result))
        return result
