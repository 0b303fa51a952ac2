#!/usr/bin/env python3
"""Grade a whole class of ex4 notebooks: `make grade SUBMISSIONS=dir GRADES=dir`.

    python3 scripts/grade_class.py SUBMISSIONS GRADES [--time-limit S] [--memory-limit MB]
                                   [--student-time-limit S] [--assignment NAME] [--jobs N]
                                   [--no-cache] [--build-dir DIR]

SUBMISSIONS holds `<student>.ipynb` files, or nbgrader's `submitted/<student>/<assignment>/*.ipynb`
(SUBMISSIONS may be the nbgrader course folder or its `submitted/` folder). GRADES gets
`gradebook.csv`, `feedback/<student>.html`, `summary.md` and `summary.png`, each written
atomically (temporary file + rename), and `.cache/` (results of unchanged submissions are
reused: the key is a hash of the student's extracted code, the grader's sources and the limits).

Only the student's function cells are graded (tagged `slot:NAME` or nbgrader `grade_id`
NAME; a cell that lost its tags is found by its `fn NAME(`), with the kit's own grader
(nn_grader::GradeOptions::grade), never the notebook's grading cells or outputs. The class is
compiled as one Cargo project (`src/students/<module>.rs` per student, built against the kit's
nn-grader): a cell that does not compile is replaced by a stub (the student keeps the points
of the other functions), a student whose code still does not compile is left out of the build
(status `compile error`). Then each student runs as `class grade-one <module>` in a process of
its own, in an empty temporary folder, with the grader's per-part time and memory limits
(`--time-limit`, default 5 s; `--memory-limit`, default 2048 MB) and a wall-clock limit for the
whole student (8 x time limit + 30 s).

Standard library only: runs with any Python >= 3.9 and a Rust toolchain.
"""

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

REPO = Path(__file__).resolve().parents[1]
DRIVER_VERSION = "2"
PARTS = [  # (name in the table, points, student function)
    ("Feedforward and cost", 30, "nn_cost_function"),
    ("Regularized cost", 15, "nn_cost_function"),
    ("Sigmoid gradient", 5, "sigmoid_gradient"),
    ("Backpropagation", 40, "nn_cost_function"),
    ("Regularized gradient", 10, "nn_cost_function"),
]
FUNCTIONS = ["sigmoid_gradient", "rand_initialize_weights", "nn_cost_function"]
SIGNATURES = {
    "sigmoid_gradient": "fn sigmoid_gradient(z: &Array2<f64>) -> Array2<f64>",
    "rand_initialize_weights":
        "fn rand_initialize_weights(l_in: usize, l_out: usize, epsilon: f64, rng: &mut StdRng) -> Array2<f64>",
    "nn_cost_function": "fn nn_cost_function(theta1: &Array2<f64>, theta2: &Array2<f64>, x: &Array2<f64>, "
                        "y: &Array1<usize>, lambda: f64) -> nn_core::Result<(f64, Array2<f64>, Array2<f64>)>",
}
# What the notebook's imports cell brings into scope (the student's code may rely on it).
PRELUDE = "use nn_grader::prelude::*;\n#[allow(unused_imports)]\nuse nn_core::{bundled, viz, Network};\n"


# Problems the catalogue (nn_grader::mistakes) has no entry for, spotted by the driver:
# name -> what to re-teach.
OTHER_PROBLEMS = {
    "delta with the bias column": "delta2 keeps the bias unit's error: drop its first column before "
                                  "Theta1_grad = delta2' * a1 (Theta1_grad gets one row too many)",
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


def log(msg: str) -> None:
    print(f"grade: {msg}", flush=True)


_UMASK = os.umask(0)
os.umask(_UMASK)


def write_atomic(path: Path, data: bytes | str) -> None:
    """Writes path via a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


# --------------------------------------------------------------------------------------------
# Submissions and their code

@dataclass
class Submission:
    student: str
    path: Path
    module: str = ""
    cells: dict[str, str] = field(default_factory=dict)  # function -> source
    missing: list[str] = field(default_factory=list)
    unreadable: str = ""  # why the notebook could not be read
    key: str = ""
    stubbed: dict[str, str] = field(default_factory=dict)  # function -> compiler message
    compile_error: str = ""  # whole student left out of the build: the compiler's message


def find_submissions(root: Path, assignment: str = "*") -> list[Submission]:
    """`<student>.ipynb` files, or nbgrader's submitted/<student>/<assignment>/*.ipynb (the
    notebook with `ex4` in its name first, when a student has several)."""
    subs: dict[str, Submission] = {}
    submitted = root / "submitted" if (root / "submitted").is_dir() else root
    for student_dir in sorted(p for p in submitted.iterdir() if p.is_dir() and not p.name.startswith(".")):
        notebooks = sorted(student_dir.glob(f"{assignment}/*.ipynb"))
        if assignment == "*":
            notebooks += sorted(student_dir.glob("*.ipynb"))
        notebooks = [n for n in notebooks if ".ipynb_checkpoints" not in n.parts]
        if notebooks:
            preferred = [n for n in notebooks if "ex4" in n.name] or notebooks
            subs[student_dir.name] = Submission(student_dir.name, preferred[0])
    for nb in sorted(root.glob("*.ipynb")):
        subs.setdefault(nb.stem, Submission(nb.stem, nb))
    return [subs[k] for k in sorted(subs)]


def cell_text(cell: dict) -> str:
    src = cell.get("source", "")
    if isinstance(src, list):
        src = "".join(s for s in src if isinstance(s, str))
    return src if isinstance(src, str) else ""


def strip_evcxr_commands(src: str) -> str:
    """evcxr's `:dep`, `:cache`, ... lines are not Rust."""
    return "\n".join("" if line.lstrip().startswith(":") and not line.lstrip().startswith("::") else line
                     for line in src.split("\n"))


def extract(sub: Submission) -> None:
    """The student's three function cells (by tag, nbgrader grade_id, or `fn NAME(`)."""
    try:
        raw = sub.path.read_bytes()
        nb = json.loads(raw.decode("utf-8"))
        cells = nb["cells"]
        if not isinstance(cells, list):
            raise ValueError("cells is not a list")
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as e:
        sub.unreadable = f"unreadable notebook ({type(e).__name__})"
        return
    code_cells = [c for c in cells if isinstance(c, dict) and c.get("cell_type") == "code"]
    for name in FUNCTIONS:
        found = None
        for c in code_cells:
            meta = c.get("metadata") if isinstance(c.get("metadata"), dict) else {}
            tags = meta.get("tags") if isinstance(meta.get("tags"), list) else []
            nbg = meta.get("nbgrader") if isinstance(meta.get("nbgrader"), dict) else {}
            if f"slot:{name}" in tags or nbg.get("grade_id") == name:
                found = cell_text(c)
                break
        if found is None:  # tags lost (cell copied, metadata edited): look for the definition
            pattern = re.compile(rf"^\s*(pub\s+)?fn\s+{name}\s*[<(]", re.M)
            for c in code_cells:
                if pattern.search(cell_text(c)):
                    found = cell_text(c)
                    break
        if found is None:
            sub.missing.append(name)
        else:
            sub.cells[name] = strip_evcxr_commands(found)


def stub(name: str, why: str) -> str:
    return f"{SIGNATURES[name]} {{\n    panic!({json.dumps(why)})\n}}\n"


def module_source(sub: Submission) -> tuple[str, dict[str, tuple[int, int]]]:
    """The student's module file, and each function cell's line range (1-based, inclusive)."""
    lines = ["#![allow(warnings)]", f"// {sub.student}: {sub.path.name}", *PRELUDE.rstrip("\n").split("\n")]
    ranges = {}
    for name in FUNCTIONS:
        if name in sub.missing:
            src = stub(name, f"the cell of {name} is missing from the notebook")
        elif name in sub.stubbed:
            src = stub(name, f"{name}'s cell does not compile")
        else:
            src = sub.cells[name]
        lines.append(f"// ===== cell: {name} =====")
        start = len(lines) + 1
        lines.extend(src.rstrip("\n").split("\n"))
        ranges[name] = (start, len(lines))
    lines.append("// ===== grading =====")
    lines.append("pub(crate) fn __nn_ex4_grade(options: &nn_grader::GradeOptions) -> nn_grader::GradeReport {")
    lines.append("    options.grade(&sigmoid_gradient, &rand_initialize_weights, &nn_cost_function)")
    lines.append("}")
    return "\n".join(lines) + "\n", ranges


def grader_version() -> str:
    """Hash of everything a grade depends on besides the student's code."""
    h = hashlib.sha256(f"driver {DRIVER_VERSION}\n".encode())
    files = [Path(__file__).resolve(), REPO / "Cargo.lock"]
    for d in ("nn-grader/src", "nn-core/src"):
        files += sorted(p for p in (REPO / d).rglob("*.rs"))
    files += [REPO / "nn-grader/Cargo.toml", REPO / "nn-core/Cargo.toml"]
    for f in files:
        h.update(str(f.relative_to(REPO)).encode() + b"\0")
        h.update(f.read_bytes())
    return h.hexdigest()


def module_name(student: str) -> str:
    base = re.sub(r"[^a-z0-9_]", "_", student.lower())[:40].strip("_") or "student"
    return f"s_{base}_{hashlib.sha256(student.encode()).hexdigest()[:8]}"


# --------------------------------------------------------------------------------------------
# The class project

CARGO_TOML = """[package]
name = "nn-ex4-class"
version = "0.1.0"
edition = "2021"
publish = false

[[bin]]
name = "class"
path = "src/main.rs"

[dependencies]
nn-grader = {{ path = {grader} }}
nn-core = {{ path = {core} }}

# Not a member of the kit's workspace.
[workspace]

# The students' code: debug assertions and overflow checks on, as in the notebook's kernel.
[profile.dev]
opt-level = 1
debug = false
incremental = true

[profile.dev.package."*"]
opt-level = 2
debug-assertions = false
overflow-checks = false
"""


CARGO_TIMEOUT = 1800  # seconds for one cargo build of the class (a cold one takes ~2 min)


class Project:
    def __init__(self, build_dir: Path):
        self.dir = build_dir / "project"
        self.target = build_dir / "target"
        self.binary = self.target / "debug" / "class"

    def write(self, subs: list[Submission]) -> None:
        src = self.dir / "src"
        students_dir = src / "students"
        students_dir.mkdir(parents=True, exist_ok=True)
        toml = CARGO_TOML.format(grader=json.dumps(str(REPO / "nn-grader")), core=json.dumps(str(REPO / "nn-core")))
        self._write_if_changed(self.dir / "Cargo.toml", toml)
        if not (self.dir / "Cargo.lock").exists():
            shutil.copyfile(REPO / "Cargo.lock", self.dir / "Cargo.lock")
        wanted = {f"{s.module}.rs" for s in subs}
        for old in students_dir.glob("*.rs"):
            if old.name not in wanted:
                old.unlink()
        for s in subs:
            self._write_if_changed(students_dir / f"{s.module}.rs", module_source(s)[0])
        mods = "".join(f"    pub mod {s.module};\n" for s in subs)
        table = "".join(f"    ({json.dumps(s.module)}, students::{s.module}::__nn_ex4_grade),\n" for s in subs)
        main = ("// Generated by scripts/grade_class.py: one module per student.\n"
                f"mod students {{\n{mods}}}\n\n"
                f"static STUDENTS: &[nn_grader::class::StudentEntry] = &[\n{table}];\n\n"
                "fn main() {\n    nn_grader::class::main(STUDENTS);\n}\n")
        self._write_if_changed(src / "main.rs", main)

    @staticmethod
    def _write_if_changed(path: Path, text: str) -> None:
        if not path.exists() or path.read_text() != text:
            path.write_text(text)

    def cargo(self, command: str) -> tuple[bool, list[dict], str]:
        """`cargo <command> --message-format=json`: success, compiler messages, stderr."""
        env = dict(os.environ, CARGO_TARGET_DIR=str(self.target), CARGO_TERM_COLOR="never")
        env.pop("RUSTFLAGS", None)
        try:
            p = subprocess.run(["cargo", command, "--message-format=json", "--quiet"], cwd=self.dir, env=env,
                               capture_output=True, text=True, timeout=CARGO_TIMEOUT)
        except subprocess.TimeoutExpired:
            return False, [], f"cargo {command} took more than {CARGO_TIMEOUT} s"
        messages = []
        for line in p.stdout.splitlines():
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if msg.get("reason") == "compiler-message" and msg["message"].get("level") in ("error", "error: internal compiler error"):
                messages.append(msg["message"])
        return p.returncode == 0, messages, p.stderr


def culprits(messages: list[dict], subs: list[Submission]) -> tuple[dict[str, list[tuple[list[int], str]]], list[str]]:
    """Errors per student module, each with the lines it points at (primary spans first) and
    its rendered text; and the errors that point into no student's file."""
    by_module: dict[str, list[tuple[list[int], str]]] = {}
    orphans = []
    modules = {s.module for s in subs}
    for m in messages:
        text = m.get("rendered") or m.get("message", "")
        spans = [sp for sp in m.get("spans", [])
                 if "students" in Path(sp.get("file_name", "")).parts and Path(sp["file_name"]).stem in modules]
        if not spans:
            orphans.append(text)
            continue
        spans.sort(key=lambda sp: not sp.get("is_primary"))
        module = Path(spans[0]["file_name"]).stem
        lines = [sp.get("line_start", 0) for sp in spans if Path(sp["file_name"]).stem == module]
        by_module.setdefault(module, []).append((lines, text))
    return by_module, orphans


def cells_of(lines: list[int], ranges: dict[str, tuple[int, int]]) -> list[str]:
    """The cells an error is in: its first line's (the primary span), else any of its lines'
    (an unclosed `{` is reported at the end of the file, and shown where it was opened)."""
    for group in (lines[:1], lines):
        found = [name for name, (a, b) in ranges.items() if any(a <= line <= b for line in group)]
        if found:
            return found[:1] if group is lines else found
    return []


def build_class(project: Project, subs: list[Submission]) -> tuple[list[Submission], str]:
    """Builds the class binary; stubs cells / leaves out students that do not compile.

    Returns the students in the binary, and an error if the binary could not be built at all."""
    included = list(subs)
    for round_ in range(8):
        project.write(included)
        ok, messages, stderr = project.cargo("build")
        if ok:
            return included, ""
        by_module, orphans = culprits(messages, included)
        if not by_module:
            if orphans or "error" in stderr:
                # Not a student's file (e.g. an include! of another file): find them one by one.
                bad = [s for s in included if not check_alone(project, s)]
                if not bad:
                    return [], "the class project does not build: " + "\n".join(orphans or [stderr])[-2000:]
                for s in bad:
                    s.compile_error = "does not compile (an error outside the student's cells)"
                    included.remove(s)
                continue
            return [], "cargo failed: " + stderr[-2000:]
        for s in [s for s in included if s.module in by_module]:
            errors = by_module[s.module]
            _, ranges = module_source(s)
            placed = [(cells_of(lines, ranges), text) for lines, text in errors]
            cells = {name for names, _ in placed for name in names if name not in s.missing and name not in s.stubbed}
            if cells and all(names for names, _ in placed) and round_ < 6:
                for name in cells:
                    s.stubbed[name] = relabel("\n".join(text for names, text in placed if name in names), s)
            else:
                s.compile_error = relabel("\n\n".join(text for _, text in errors), s)
                included.remove(s)
        log(f"compile errors: round {round_ + 1}, rebuilding without them")
    project.write(included)
    ok, _, stderr = project.cargo("build")
    return (included, "") if ok else ([], "the class project does not build: " + stderr[-2000:])


def relabel(message: str, sub: Submission) -> str:
    """The compiler's `src/students/<module>.rs:LINE:COL` as `<function>'s cell, line N:COL`."""
    _, ranges = module_source(sub)

    def where(m: re.Match) -> str:
        line = int(m.group(1))
        for name, (a, b) in ranges.items():
            if a <= line <= b:
                return f"{name}'s cell, line {line - a + 1}:{m.group(2)}"
        return f"your code, line {line}:{m.group(2)}"

    return re.sub(rf"src/students/{re.escape(sub.module)}\.rs:(\d+):(\d+)", where, message)[:6000]


def check_alone(project: Project, sub: Submission) -> bool:
    project.write([sub])
    ok, _, _ = project.cargo("check")
    return ok


# --------------------------------------------------------------------------------------------
# Running students

def status_of(report: dict) -> str:
    """`ok`, or why some part could not be graded normally."""
    reasons = []
    for p in report["parts"]:
        msg = p["message"]
        m = re.match(r"timed out after .* in (\w+)", msg)
        if m:
            reasons.append(f"timed out in {m.group(1)}")
        elif msg.startswith("the process exited"):
            reasons.append("process exited")
        elif msg.startswith("ran out of memory"):
            reasons.append("ran out of memory")
        elif msg.startswith("stack overflow"):
            reasons.append("stack overflow")
        elif msg.startswith("the process crashed"):
            reasons.append("crashed")
        elif msg.startswith("could not run"):
            reasons.append("could not run")
    init = report.get("init") or {}
    m = re.match(r"timed out after .* in (\w+)", init.get("message", ""))
    if m:
        reasons.append(f"timed out in {m.group(1)}")
    out = []
    for r in reasons:
        if r not in out:
            out.append(r)
    return "; ".join(out) or "ok"


def run_student(project: Project, sub: Submission, time_limit: float, memory_mb: int,
                wall: float | None = None) -> dict:
    wall = wall or 8 * time_limit + 30
    with tempfile.TemporaryDirectory(prefix="nn-ex4-grade-") as work:
        out = Path(work) / "out" / "report.json"
        out.parent.mkdir()
        cwd = Path(work) / "cwd"
        cwd.mkdir()
        cmd = [str(project.binary), "grade-one", sub.module, str(out),
               "--time-limit", str(time_limit), "--memory-limit", str(memory_mb)]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), "TMPDIR": str(cwd),
               "LANG": "C.UTF-8"}
        start = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, start_new_session=True)
        try:
            _, err = proc.communicate(timeout=wall)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return {"report": None, "status": f"timed out (whole student, {wall:.0f} s)", "seconds": wall}
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # leftovers of the student's children
            except ProcessLookupError:
                pass
        seconds = time.monotonic() - start
        try:
            report = json.loads(out.read_text())
        except (OSError, ValueError):
            tail = err.decode("utf-8", "replace").strip()[-300:]
            why = "process exited" if proc.returncode >= 0 else f"killed by signal {-proc.returncode}"
            return {"report": None, "status": f"{why} ({tail})" if tail else why, "seconds": seconds}
    return {"report": report, "status": status_of(report), "seconds": seconds}


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
    if notes:
        r["status"] = "; ".join(notes + ([] if r["status"] == "ok" else [r["status"]]))
    if not r["status"].startswith(("not graded", "grader error")):
        write_atomic(cache_dir / f"{sub.key}.json", json.dumps(r))
    return r


def result_for_unbuilt(sub: Submission) -> dict:
    if sub.unreadable:
        return {"report": None, "status": sub.unreadable, "compiler": ""}
    return {"report": None, "status": "compile error", "compiler": sub.compile_error}


# --------------------------------------------------------------------------------------------
# Outputs

def row_of(student: str, result: dict) -> list:
    report = result.get("report")
    scores = {p["part"]: p["score"] for p in report["parts"]} if report else {}
    points = [scores.get(name, 0) for name, _, _ in PARTS]
    return [student, *points, sum(points), result["status"]]


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


def summarize(results: dict[str, dict], catalogue: list[dict]) -> tuple[str, str]:
    """summary.md and the chart's TSV input."""
    n = len(results)
    earned = {name: sum(1 for r in results.values() if r.get("report") and
                        any(p["part"] == name and p["score"] == p["max"] for p in r["report"]["parts"]))
              for name, _, _ in PARTS}
    hit = {m["id"]: set() for m in catalogue}
    for student, r in results.items():
        for p in (r.get("report") or {}).get("parts", []):
            if p.get("mistake"):
                hit.setdefault(p["mistake"]["id"], set()).add(student)
    others = {name: sum(1 for r in results.values() if name in r.get("other", [])) for name in OTHER_PROBLEMS}
    statuses: dict[str, int] = {}
    for r in results.values():
        key = re.sub(r" \(.*", "", r["status"])
        statuses[key] = statuses.get(key, 0) + 1
    totals = sorted(row_of(s, r)[-2] for s, r in results.items())
    md = io.StringIO()
    md.write(f"# Exercise 4: class summary\n\n{n} submissions")
    if totals:
        md.write(f"; total points: median {totals[len(totals) // 2]}, mean {sum(totals) / n:.1f}, "
                 f"{sum(1 for t in totals if t == 100)} at 100 / 100")
    md.write(".\n\n![class chart](summary.png)\n\n## Parts\n\n| part | points | students who earned it |\n| --- | --- | --- |\n")
    for name, points, _ in PARTS:
        md.write(f"| {name} | {points} | {earned[name]} / {n} |\n")
    md.write("\n## Classic mistakes recognized\n\nEach student is counted once per mistake.\n\n"
             "| mistake | students | what to re-teach |\n| --- | --- | --- |\n")
    for m in sorted(catalogue, key=lambda m: -len(hit.get(m["id"], ()))):
        md.write(f"| {m['name']} | {len(hit.get(m['id'], ()))} | {m['description'].replace('|', '/')} |\n")
    md.write("\n## Other problems spotted\n\nNot in the grader's catalogue; found by the class grader.\n\n"
             "| problem | students | what to re-teach |\n| --- | --- | --- |\n")
    for name, what in OTHER_PROBLEMS.items():
        md.write(f"| {name} | {others[name]} | {what} |\n")
    md.write("\n## Status\n\n| status | students |\n| --- | --- |\n")
    for k, v in sorted(statuses.items(), key=lambda kv: (kv[0] != "ok", -kv[1])):
        md.write(f"| {k} | {v} |\n")
    tsv = [f"title\tExercise 4: {n} submissions (green: earned the part; red: made the mistake)"]
    tsv += [f"{name} ({points})\t{earned[name]}\t{n}\tpart" for name, points, _ in PARTS]
    tsv += [f"{m['name']}\t{len(hit.get(m['id'], ()))}\t{n}\tmistake"
            for m in sorted(catalogue, key=lambda m: -len(hit.get(m["id"], ())))]
    tsv += [f"{name}\t{count}\t{n}\tmistake" for name, count in sorted(others.items(), key=lambda kv: -kv[1])]
    return md.getvalue(), "\n".join(tsv) + "\n"


# --------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("submissions", type=Path)
    ap.add_argument("grades", type=Path)
    ap.add_argument("--assignment", default="*", help="nbgrader layout: the assignment folder to grade")
    ap.add_argument("--time-limit", type=float, default=5.0, help="seconds per part of one student (default 5)")
    ap.add_argument("--memory-limit", type=int, default=2048, help="MB per part of one student (default 2048)")
    ap.add_argument("--student-time-limit", type=float, default=None,
                    help="wall-clock seconds for one student's whole grading (default 8 x time limit + 30)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="students graded at once")
    ap.add_argument("--no-cache", action="store_true", help="grade every submission again")
    ap.add_argument("--build-dir", type=Path, default=REPO / "target" / "grade-class",
                    help="the class project and its build cache (default target/grade-class)")
    args = ap.parse_args(argv)
    if not args.submissions.is_dir():
        print(f"grade: {args.submissions} is not a folder", file=sys.stderr)
        return 2
    start = time.monotonic()
    grades = args.grades
    cache_dir = grades / ".cache"
    cache_dir.mkdir(parents=True, exist_ok=True)
    version = grader_version()

    subs = find_submissions(args.submissions, args.assignment)
    used = set()
    for s in subs:
        s.module = module_name(s.student)
        assert s.module not in used
        used.add(s.module)
        extract(s)
        h = hashlib.sha256(f"{version}\n{args.time_limit}\n{args.memory_limit}\n{args.student_time_limit}\n".encode())
        if s.unreadable:
            h.update(b"unreadable\0" + s.path.read_bytes() if s.path.exists() else b"")
        for name in FUNCTIONS:
            h.update(f"\0{name}\0".encode() + (s.cells.get(name, "\0missing").encode("utf-8", "replace")))
        s.key = h.hexdigest()
    log(f"{len(subs)} submissions in {args.submissions}")

    results: dict[str, dict] = {}
    todo = []
    for s in subs:
        cached = cache_dir / f"{s.key}.json"
        if not args.no_cache and cached.exists():
            try:
                results[s.student] = dict(json.loads(cached.read_text()), cached=True)
                continue
            except ValueError:
                pass
        if s.unreadable:
            results[s.student] = finish(s, result_for_unbuilt(s), cache_dir)
        else:
            todo.append(s)
    log(f"{len(subs) - len(todo)} reused or unreadable, {len(todo)} to grade")

    build_dir = args.build_dir.resolve()
    build_dir.mkdir(parents=True, exist_ok=True)
    catalogue: list[dict] = []
    with open(build_dir / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one class build at a time in this folder
        project = Project(build_dir)
        t = time.monotonic()
        built, failure = build_class(project, todo)
        log(f"build: {time.monotonic() - t:.1f} s, {len(built)} students compiled")
        if failure:
            print(f"grade: {failure}", file=sys.stderr)
        for s in todo:
            if s not in built and not failure:
                results[s.student] = finish(s, result_for_unbuilt(s), cache_dir)
            elif failure:
                results[s.student] = {"report": None, "status": "not graded: the grader did not build"}
        t = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = {pool.submit(run_student, project, s, args.time_limit, args.memory_limit,
                                   args.student_time_limit): s
                       for s in built} if not failure else {}
            for fut in concurrent.futures.as_completed(futures):
                s = futures[fut]
                try:
                    r = fut.result()
                except Exception as e:  # never lose a student's row
                    r = {"report": None, "status": f"grader error ({type(e).__name__}: {e})"}
                results[s.student] = finish(s, r, cache_dir)  # cached at once: an interrupted batch resumes
        if built and not failure:
            log(f"ran {len(built)} students in {time.monotonic() - t:.1f} s ({args.jobs} at once)")
        if project.binary.exists():
            p = subprocess.run([str(project.binary), "catalogue"], capture_output=True, text=True)
            if p.returncode == 0:
                catalogue = json.loads(p.stdout)

        # Outputs
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["student", *[name for name, _, _ in PARTS], "total", "status"])
        for s in subs:
            w.writerow(row_of(s.student, results[s.student]))
        write_atomic(grades / "gradebook.csv", buf.getvalue())
        for s in subs:
            write_atomic(grades / "feedback" / f"{s.student}.html", feedback_html(s.student, results[s.student], {}))
        md, tsv = summarize({s.student: results[s.student] for s in subs}, catalogue)
        write_atomic(grades / "summary.md", md)
        if project.binary.exists():
            with tempfile.TemporaryDirectory() as tmp:
                (Path(tmp) / "chart.tsv").write_text(tsv)
                p = subprocess.run([str(project.binary), "chart", str(Path(tmp) / "chart.tsv"),
                                    str(grades / "summary.png")], capture_output=True, text=True)
                if p.returncode != 0:
                    print(f"grade: the chart failed: {p.stderr.strip()}", file=sys.stderr)
    reused = sum(1 for r in results.values() if r.get("cached"))
    log(f"{len(subs)} graded ({reused} reused from the cache) in {time.monotonic() - start:.1f} s: "
        f"{grades / 'gradebook.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
