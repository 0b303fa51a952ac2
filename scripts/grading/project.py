"""The class's Cargo project: one module per student, the `class` program (students' code, run only in the sandbox) and the `grader` program (no student code)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

from .common import REPO
from .extract import Submission
from .tables import Tables

# What the notebook's imports cell brings into scope (the student's code may rely on it).
PRELUDE = "use nn_grader::prelude::*;\n#[allow(unused_imports)]\nuse nn_core::{bundled, viz, Network};\n"


def stub(signature: str, why: str) -> str:
    return f"{signature} {{\n    panic!({json.dumps(why)})\n}}\n"


def module_source(sub: Submission, tables: Tables) -> tuple[str, dict[str, tuple[int, int]]]:
    """The student's module file, and each function cell's line range (1-based, inclusive)."""
    lines = ["#![allow(warnings)]", f"// {sub.student}: {sub.path.name}", *PRELUDE.rstrip("\n").split("\n")]
    ranges = {}
    for name in tables.functions:
        signature = tables.signature(name)
        if name in sub.missing:
            src = stub(signature, f"the cell of {name} is missing from the notebook")
        elif name in sub.refused:
            src = stub(signature, f"{name}'s cell was refused: {sub.refused[name]}")
        elif name in sub.stubbed:
            src = stub(signature, f"{name}'s cell does not compile")
        else:
            src = sub.cells[name]
        lines.append(f"// ===== cell: {name} =====")
        start = len(lines) + 1
        lines.extend(src.rstrip("\n").split("\n"))
        ranges[name] = (start, len(lines))
    lines.append("// ===== grading =====")
    lines.append("pub(crate) fn __nn_ex4_values(seed: u64, options: &nn_grader::GradeOptions) -> nn_grader::wire::Values {")
    lines.append("    nn_grader::class::values(seed, options, &sigmoid_gradient, &rand_initialize_weights, &nn_cost_function)")
    lines.append("}")
    return "\n".join(lines) + "\n", ranges


def grader_version(tables: Tables) -> str:
    """Hash of everything a grade depends on besides the student's code: the grader's format
    version (FORMAT_VERSION in nn-grader/src/class/protocol.rs) and sources, and these scripts."""
    h = hashlib.sha256(f"format {tables.format}\n".encode())
    files = sorted(Path(__file__).resolve().parent.glob("*.py")) + [REPO / "scripts/grade_class.py", REPO / "Cargo.lock"]
    for d in ("nn-grader/src", "nn-core/src"):
        files += sorted(p for p in (REPO / d).rglob("*.rs"))
    files += [REPO / "nn-grader/Cargo.toml", REPO / "nn-core/Cargo.toml"]
    for f in files:
        h.update(str(f.relative_to(REPO)).encode() + b"\0")
        h.update(f.read_bytes())
    return h.hexdigest()


CARGO_TOML = """[package]
name = "nn-ex4-class"
version = "0.1.0"
edition = "2021"
publish = false

# The students' code: runs only inside the sandbox.
[[bin]]
name = "class"
path = "src/main.rs"

# No student code: scores the values the sandbox hands back, draws the chart.
[[bin]]
name = "grader"
path = "src/grader.rs"

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
        self.grader = self.target / "debug" / "grader"
        self.tables: Tables | None = None

    def load_tables(self) -> tuple[Tables | None, str]:
        """Builds the `grader` program (no student code: it builds whatever the class wrote)
        and asks it for its tables; or why it could not."""
        self._write_frame()
        if not (self.dir / "src" / "main.rs").exists():
            self._write_main([])
        ok, messages, stderr = self.cargo("build", "--bin", "grader")
        if not ok:
            return None, "the grader does not build: " + "\n".join(m.get("rendered", "") for m in messages)[-2000:] + stderr[-2000:]
        p = subprocess.run([str(self.grader), "tables"], capture_output=True, text=True, timeout=60, check=False)
        if p.returncode != 0:
            return None, f"`grader tables` failed: {p.stderr.strip()[-2000:]}"
        self.tables = Tables.parse(p.stdout)
        return self.tables, ""

    def _write_frame(self) -> None:
        src = self.dir / "src"
        src.mkdir(parents=True, exist_ok=True)
        toml = CARGO_TOML.format(grader=json.dumps(str(REPO / "nn-grader")), core=json.dumps(str(REPO / "nn-core")))
        self._write_if_changed(self.dir / "Cargo.toml", toml)
        if not (self.dir / "Cargo.lock").exists():
            shutil.copyfile(REPO / "Cargo.lock", self.dir / "Cargo.lock")
        self._write_if_changed(src / "grader.rs", "// Generated by scripts/grade_class.py: no student code here.\n"
                               "fn main() {\n    nn_grader::class::grader_main();\n}\n")

    def _write_main(self, subs: list[Submission]) -> None:
        mods = "".join(f"    pub mod {s.module};\n" for s in subs)
        table = "".join(f"    ({json.dumps(s.module)}, students::{s.module}::__nn_ex4_values),\n" for s in subs)
        main = ("// Generated by scripts/grade_class.py: one module per student.\n"
                f"mod students {{\n{mods}}}\n\n"
                f"static STUDENTS: &[nn_grader::class::StudentEntry] = &[\n{table}];\n\n"
                "fn main() {\n    nn_grader::class::main(STUDENTS);\n}\n")
        self._write_if_changed(self.dir / "src" / "main.rs", main)

    def write(self, subs: list[Submission]) -> None:
        assert self.tables, "load_tables first"
        self._write_frame()
        students_dir = self.dir / "src" / "students"
        students_dir.mkdir(parents=True, exist_ok=True)
        wanted = {f"{s.module}.rs" for s in subs}
        for old in students_dir.glob("*.rs"):
            if old.name not in wanted:
                old.unlink()
        for s in subs:
            self._write_if_changed(students_dir / f"{s.module}.rs", module_source(s, self.tables)[0])
        self._write_main(subs)

    @staticmethod
    def _write_if_changed(path: Path, text: str) -> None:
        if not path.exists() or path.read_text() != text:
            path.write_text(text)

    def cargo(self, command: str, *args: str) -> tuple[bool, list[dict], str]:
        """`cargo <command> --message-format=json [args]`: success, compiler messages, stderr."""
        env = dict(os.environ, CARGO_TARGET_DIR=str(self.target), CARGO_TERM_COLOR="never")
        env.pop("RUSTFLAGS", None)
        try:
            p = subprocess.run(["cargo", command, "--message-format=json", "--quiet", *args], cwd=self.dir, env=env,
                               capture_output=True, text=True, timeout=CARGO_TIMEOUT, check=False)
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
