"""What the grader says about the exercise (`grader tables`, nn-grader/src/class/protocol.rs):
the parts and their points, the student's functions, the kinds of outcome with the status words
a teacher reads, the mistakes and the other problems. The class grader keeps no table of its own.

A result's outcomes are facts: `{"kind": WORD, "scope": "part" | "student", ...fields}`, from the
grader's report (each part's and the initialization's `kind` and `function`) or from what only
the class grader sees (a cell that does not compile, the sandbox's exit, a malformed report).
Their words come from the grader's table of kinds, filled in with the fields.
"""

from __future__ import annotations

import json
from dataclasses import dataclass


def outcome(kind: str, scope: str = "student", **fields) -> dict:
    """An outcome the class grader itself saw (a kind of the grader's list)."""
    return {"kind": kind, "scope": scope, **fields}


@dataclass
class Tables:
    raw: dict

    @classmethod
    def parse(cls, text: str) -> Tables:
        return cls(json.loads(text))

    @property
    def format(self) -> int:
        return self.raw["format"]

    @property
    def parts(self) -> list[dict]:
        """`{"name", "points", "function"}` in the course's order."""
        return self.raw["parts"]

    @property
    def functions(self) -> list[str]:
        return [f["name"] for f in self.raw["functions"]]

    def signature(self, function: str) -> str:
        return next(f["signature"] for f in self.raw["functions"] if f["name"] == function)

    @property
    def mistakes(self) -> list[dict]:
        return self.raw["mistakes"]

    @property
    def problems(self) -> list[dict]:
        return self.raw["problems"]

    def problem(self, problem_id: str) -> dict:
        return next(p for p in self.raw["problems"] if p["id"] == problem_id)

    def _kind(self, word: str) -> dict:
        for k in self.raw["kinds"]:
            if k["kind"] == word:
                return k
        raise KeyError(f"the grader lists no kind {word!r}")

    def keep(self, outcomes: list[dict]) -> bool:
        """May a result with these outcomes be cached?"""
        return all(self._kind(o["kind"])["keep"] for o in outcomes)

    def of_report(self, report: dict | None) -> list[dict]:
        """The outcomes of the report's parts and initialization check that need a status."""
        if not report:
            return []
        checks = list(report["parts"]) + ([report["init"]] if report.get("init") else [])
        return [outcome(c["kind"], "part", function=c["function"]) for c in checks
                if self._kind(c["kind"])["part"] is not None]

    def _words(self, o: dict, which: str) -> str:
        words = self._kind(o["kind"])[o["scope"]]
        if words is None:
            return ""
        template = words[which]
        fields = {k: ", ".join(v) if isinstance(v, list) else v for k, v in o.items()}
        if not fields.get("detail"):
            template = template.replace(" ({detail})", "")
        return template.format_map(fields)

    def status(self, outcomes: list[dict]) -> tuple[str, str]:
        """The status column's text and the group summary.md counts it under: `ok`, or each
        outcome's words once, in order, joined by `; `."""
        texts: list[str] = []
        groups: list[str] = []
        for o in outcomes:
            text = self._words(o, "text")
            if text and text not in texts:
                texts.append(text)
                group = self._words(o, "group")
                if group not in groups:
                    groups.append(group)
        return "; ".join(texts) or "ok", "; ".join(groups) or "ok"
