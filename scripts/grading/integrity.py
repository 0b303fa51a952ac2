"""Integrity flags for the teacher: calls of the kit's own solution, near-identical submissions.

Both are found in the student's three cells as tokens (scripts/grading/integrity.py: `tokens`):
comments and whitespace dropped, strings and numbers kept as one token each.

- The kit's solution: a path `...::NAME` where NAME is one of the kit's solution functions
  (`nn_cost_function`, `sigmoid_gradient`, `rand_initialize_weights`, their `_loop`/`_deep`
  variants) or one of the kit's modules that hold solutions (`lecture`, `engine`, `cases`,
  `scoring`, `mistakes`, `class`); any `use` or `extern crate` of `nn_core`/`nn_grader` that
  brings in anything but `Result`, `NnError`, `sigmoid`, `seeded_rng`, `prelude`; a
  `nn_core::$x`/`nn_grader::$x` path built by a macro; and the notebook's imports
  `Network`/`bundled`/`viz` used in a cell (a trained network's cost is the kit's). A
  student's own `fn sigmoid_gradient` and its calls are plain names, not paths: not flagged.
  Limits: this reads names, not behaviour. Code that reproduces the library by copying its
  source, or reaches it through a function of the kit not listed here, is not flagged.
- Near-identical: identifiers (other than keywords and the kit's names) become `ID`, strings
  `STR`; each student's code is the set of its runs of K = 5 consecutive tokens, and two
  students' similarity is the Jaccard index of their sets (shared runs / all runs); at SIMILAR
  (0.90) or more the pair is flagged. Cells left as handed out (todo!()) are not compared.

And one heuristic for the feedback's hints: the digits' sizes (400, 401, 5000, or 10, 25, 26 as
an argument or an index) written as numbers in the `nn_cost_function` of a student who lost
points on it: the grader's problem `hard_coded_sizes`.
"""

from __future__ import annotations

import re

from .extract import Submission

HARD_CODED = re.compile(r"\b(400|401|5000)\b|[(\[,]\s*(10|25|26)\s*[,)\]]")
SHOWN_SIMILAR = 3  # "similar to" flags per student in the gradebook; the rest are in summary.md
SIMILAR = 0.90  # Jaccard index of the K-token sequences (below)
K = 5
SOLUTION_FNS = {"nn_cost_function", "nn_cost_function_loop", "nn_cost_function_deep", "sigmoid_gradient",
                "rand_initialize_weights"}
SOLUTION_MODULES = {"lecture", "engine", "cases", "scoring", "mistakes", "class"}
KIT_CRATES = {"nn_core", "nn_grader"}
ALLOWED = {"Result", "NnError", "sigmoid", "seeded_rng", "prelude", "self"}
PRELUDE_KIT = {"Network", "bundled", "viz"}
KEYWORDS = {
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for", "if", "impl", "in",
    "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self", "Self", "static", "struct", "super",
    "trait", "true", "type", "unsafe", "use", "where", "while", "dyn", "async", "await",
}

TOKEN = re.compile(r"""
  (?P<ws>\s+)
 |(?P<lc>//[^\n]*)
 |(?P<bc>/\*.*?\*/)
 |(?P<raw>b?r(?P<h>\#*)".*?"(?P=h))
 |(?P<str>b?"(?:\\.|[^"\\])*")
 |(?P<chr>b?'(?:\\.|[^'\\])')
 |(?P<life>'[A-Za-z_]\w*)
 |(?P<id>(?:r\#)?[A-Za-z_]\w*)
 |(?P<num>\d[\w.]*)
 |(?P<p>::|->|=>|.)
""", re.DOTALL | re.VERBOSE)


def tokens(src: str) -> list[tuple[str, str]]:
    """(kind, text) of every token but whitespace and comments."""
    out = []
    for m in TOKEN.finditer(src):
        kind = m.lastgroup if m.lastgroup != "h" else "raw"
        if kind in ("ws", "lc", "bc"):
            continue
        text = m.group()
        out.append((kind, text[2:] if kind == "id" and text.startswith("r#") else text))
    return out


def solution_calls(cells: dict[str, str]) -> list[str]:
    """What of the kit's solution the cells use, in words (`calls nn_core::nn_cost_function`)."""
    found: list[str] = []

    def add(what: str) -> None:
        if what not in found:
            found.append(what)

    for src in cells.values():
        toks = tokens(src)
        aliases = set(KIT_CRATES)
        # `use nn_core as kit;`, `extern crate nn_core as kit;`, `use nn_core::{self as kit}`
        for i, (_, t) in enumerate(toks):
            if t in ("use", "crate"):
                j = i + 1
                item = []
                while j < len(toks) and toks[j][1] != ";":
                    item.append(toks[j][1])
                    j += 1
                if any(x in KIT_CRATES for x in item):
                    for k, x in enumerate(item):
                        if x == "as" and k + 1 < len(item):
                            aliases.add(item[k + 1])
                    names = [x for x in item if re.match(r"[A-Za-z_]\w*$", x) and x not in KIT_CRATES
                             and x not in ("as", "self", "super", "crate")]
                    for x in names:
                        if x in SOLUTION_FNS:
                            add(f"calls nn_core::{x}")
                        elif x not in ALLOWED and x not in aliases:
                            add(f"imports the kit's {x}")
        for i, (kind, t) in enumerate(toks):
            prev = toks[i - 1][1] if i else ""
            if kind == "id" and prev == "::" and t in SOLUTION_FNS:
                head = toks[i - 2][1] if i >= 2 else ""
                if head not in ("self", "super", "Self"):
                    add(f"calls nn_core::{t}")
            elif kind == "id" and prev == "::" and t in SOLUTION_MODULES and i >= 2 and toks[i - 2][1] in aliases:
                add(f"uses the kit's {t}")
            elif t == "$" and prev == "::" and i >= 2 and toks[i - 2][1] in aliases:
                add("builds a path into the kit in a macro")
            elif kind == "id" and t in PRELUDE_KIT and prev != "::" and not (i + 1 < len(toks) and toks[i + 1][1] == ":"):
                add(f"uses the kit's {t}")
    return found


def normalized(src: str) -> list[str]:
    out = []
    for kind, t in tokens(src):
        if kind == "id" and t not in KEYWORDS and t not in SOLUTION_FNS and t not in ALLOWED and t not in PRELUDE_KIT:
            out.append("ID")
        elif kind in ("raw", "str"):
            out.append("STR")
        else:
            out.append(t)
    return out


def similar_pairs(codes: dict[str, list[str]]) -> list[tuple[str, str, float]]:
    """(a, b, similarity) of every pair at SIMILAR or more, most similar first; `codes`: student ->
    normalized tokens (empty: not compared). The similarity is the Jaccard index of the two sets
    of K consecutive tokens (as MOSS compares programs, without its winnowing)."""
    grams = {s: {tuple(c[i:i + K]) for i in range(max(1, len(c) - K + 1))} for s, c in codes.items() if c}
    names = sorted(grams)
    pairs = []
    for i, a in enumerate(names):
        ga = grams[a]
        for b in names[i + 1:]:
            gb = grams[b]
            small, large = sorted((len(ga), len(gb)))
            if small < SIMILAR * large:  # the index is at most small / large
                continue
            common = len(ga & gb)
            r = common / (len(ga) + len(gb) - common)
            if r >= SIMILAR:
                pairs.append((a, b, r))
    pairs.sort(key=lambda p: (-p[2], p[0], p[1]))
    return pairs


def hard_coded_sizes(sub: Submission, report: dict | None) -> bool:
    """Sizes written as numbers in nn_cost_function, by a student who lost points on it."""
    if not report:
        return False
    cost_failed = any(p["score"] < p["max"] and p["function"] == "nn_cost_function" for p in report["parts"])
    code = re.sub(r"//[^\n]*", "", sub.cells.get("nn_cost_function", ""))
    return cost_failed and bool(HARD_CODED.search(code))


def flag(subs: list[Submission], results: dict[str, dict], functions: list[str],
         template: dict[str, str]) -> list[tuple[str, str, float]]:
    """Sets each result's `flags` (uses of the kit's solution, near-identical students) and
    `other` (the ids of problems outside the catalogue: the report's, and hard-coded sizes);
    returns the near-identical pairs. Never cached: the similarity depends on the whole class."""
    handed_out = {n: normalized(c) for n, c in template.items()}
    codes = {}
    for s in subs:
        r = results[s.student]
        r["flags"] = solution_calls(s.cells)
        report = r.get("report")
        r["other"] = list(dict.fromkeys(p["problem"] for p in (report or {}).get("parts", []) if p.get("problem")))
        if hard_coded_sizes(s, report):
            r["other"].append("hard_coded_sizes")
        code: list[str] = []
        for n in functions:
            cell = normalized(s.cells[n]) if n in s.cells else None
            if cell is not None and cell != handed_out.get(n):
                code += cell + [";;"]
        codes[s.student] = code
    pairs = similar_pairs(codes)
    for a, b, ratio in pairs:
        for x, y in ((a, b), (b, a)):
            results[x]["flags"].append(f"similar to {y} ({100 * ratio:.0f} %)")
    for r in results.values():
        similar = [f for f in r["flags"] if f.startswith("similar to")]
        if len(similar) > SHOWN_SIMILAR:
            r["flags"] = [f for f in r["flags"] if not f.startswith("similar to")] + similar[:SHOWN_SIMILAR] + [
                f"similar to {len(similar) - SHOWN_SIMILAR} more (summary.md)"]
    return pairs
