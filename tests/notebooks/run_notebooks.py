#!/usr/bin/env python3
"""Run the project's notebooks headlessly on the evcxr `rust` kernel and check them.

Usage (from the repository root, with the venv made by `make setup`):

    .venv/bin/python tests/notebooks/run_notebooks.py              # every notebook
    .venv/bin/python tests/notebooks/run_notebooks.py notebooks/01-data.ipynb
    .venv/bin/python tests/notebooks/run_notebooks.py --write      # store outputs back
    .venv/bin/python tests/notebooks/run_notebooks.py --list       # show what would run

What runs: every notebook named in a spec file under tests/notebooks/expect/*.json, plus
every notebooks/**/*.ipynb that no spec names (those only have to run without error).
The spec format is documented in tests/notebooks/README.md.

A run FAILS (exit status 1) when
  * a cell returns an error (compile error, a panic: evcxr is started with
    tests/notebooks/evcxr-config/init.evcxr, whose `:preserve_vars_on_panic 0` turns a
    panic into "Subprocess terminated with status: signal: 6 (SIGABRT)"),
  * a cell writes to stderr (that is where a panic message and an `Err` returned through
    a top-level `?` show up; evcxr reports the latter as success) unless the cell is
    tagged `allow-stderr` or the spec allows it (evcxr forwards stderr on its own thread,
    so after each cell a tiny cell writes a marker to stderr and the runner waits for it:
    stderr that arrives late still counts for the cell that wrote it),
  * a cell runs longer than the per-cell timeout,
  * or a check of the spec is not met.
The last line printed is `notebooks: N passed, M failed`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import queue
import re
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
EXPECT_DIR = HERE / "expect"
EVCXR_CONFIG_DIR = HERE / "evcxr-config"
KERNEL_LOG_DIR = REPO / "out" / "notebook-logs"  # out/ is git-ignored
DISCOVER_GLOBS = ("notebooks/**/*.ipynb",)
KERNEL_NAME = "rust"
DEFAULT_CELL_TIMEOUT = 900  # seconds; the first `:dep nn-core` cell compiles the crate
STARTUP_TIMEOUT = 120
STDERR_SYNC_TIMEOUT = 120  # seconds to wait for the stderr marker after a cell

ALLOW_STDERR_TAG = "allow-stderr"
SLOT_TAG = "solution-slot"
SLOT_NAME_PREFIX = "slot:"
SLOT_FILE_MARKER = re.compile(r"^\s*//\s*=+\s*slot:\s*([A-Za-z0-9_.\-]+)\s*=*\s*$")

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
PANIC = re.compile(r"panicked at|SIGABRT|Subprocess terminated")

NOTEBOOK_KEYS = {
    "_comment", "runs", "checks", "timeout", "allow_stderr", "expect", "failure",
    "substitute", "write", "needs",
}
RUN_KEYS = {
    "_comment", "name", "checks", "timeout", "allow_stderr", "expect", "failure",
    "substitute", "needs",
}
# What a run may need that a plain clone does not have: such a run is skipped (and the
# runner says so) where the thing is not set up, and fails where it is set up but broken.
NEEDS = {"course-weights"}
CHECK_KEYS = {
    "_comment", "cell", "text", "contains", "not_text", "stderr", "image", "mime",
}
SELECTOR_KEYS = {"tag", "marker", "index"}


class SpecError(Exception):
    """A spec file, a selector or a substitution is malformed or does not fit."""


# --------------------------------------------------------------------------- specs


@dataclass
class Run:
    notebook: str  # repo-relative, forward slashes
    name: str = "default"
    checks: list = field(default_factory=list)
    timeout: int = DEFAULT_CELL_TIMEOUT
    allow_stderr: Any = False  # bool or list of selectors
    expect: str = "pass"  # "pass" | "fail"
    failure: str | None = None  # regex the failure message must match (expect=fail)
    substitute: dict | None = None
    needs: str | None = None  # one of NEEDS
    write: bool = True  # may --write store this notebook's outputs?
    spec_file: str | None = None

    @property
    def label(self) -> str:
        return self.notebook if self.name == "default" else f"{self.notebook} [{self.name}]"


def _rel(path: Path) -> str:
    try:
        return path.resolve().relative_to(REPO).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def _check_keys(obj: dict, allowed: set, where: str) -> None:
    if not isinstance(obj, dict):
        raise SpecError(f"{where}: expected an object, got {type(obj).__name__}")
    unknown = set(obj) - allowed
    if unknown:
        raise SpecError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed)}")


def _validate_check(check: dict, where: str) -> None:
    _check_keys(check, CHECK_KEYS, where)
    if "cell" not in check:
        raise SpecError(f"{where}: a check needs a 'cell' selector")
    _validate_selector(check["cell"], where)
    for key in ("text", "not_text", "stderr"):
        if key in check:
            try:
                re.compile(check[key])
            except re.error as err:
                raise SpecError(f"{where}: bad regex in '{key}': {err}") from None
    if not set(check) & {"text", "contains", "not_text", "stderr", "image", "mime"}:
        raise SpecError(f"{where}: a check needs at least one assertion")


def _validate_selector(sel: Any, where: str) -> None:
    _check_keys(sel, SELECTOR_KEYS, f"{where} cell")
    if len(sel) != 1:
        raise SpecError(f"{where}: a cell selector has exactly one of {sorted(SELECTOR_KEYS)}")


def parse_spec_file(path: Path) -> list[Run]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise SpecError(f"{_rel(path)}: invalid JSON: {err}") from None
    if not isinstance(data, dict):
        raise SpecError(f"{_rel(path)}: top level must be an object notebook-path -> spec")
    runs: list[Run] = []
    for nb_key, nb_spec in data.items():
        if nb_key.startswith("_"):
            continue  # "_comment" and friends
        where = f"{_rel(path)}: {nb_key}"
        _check_keys(nb_spec, NOTEBOOK_KEYS, where)
        nb_path = (REPO / nb_key)
        if nb_path.suffix != ".ipynb":
            raise SpecError(f"{where}: key must be a notebook path relative to the repo root")
        base = {k: nb_spec[k] for k in ("timeout", "allow_stderr", "expect", "failure",
                                         "substitute") if k in nb_spec}
        if "runs" in nb_spec:
            if "checks" in nb_spec:
                raise SpecError(f"{where}: give either 'checks' or 'runs', not both")
            run_specs = nb_spec["runs"]
            if not isinstance(run_specs, list) or not run_specs:
                raise SpecError(f"{where}: 'runs' must be a non-empty list")
        else:
            run_specs = [{"checks": nb_spec.get("checks", [])}]
        names = set()
        for i, rs in enumerate(run_specs):
            rwhere = f"{where} run {rs.get('name', i) if isinstance(rs, dict) else i}"
            _check_keys(rs, RUN_KEYS, rwhere)
            merged = {**base, **rs}
            name = merged.get("name", "default" if len(run_specs) == 1 else f"run{i}")
            if name in names:
                raise SpecError(f"{where}: duplicate run name {name!r}")
            names.add(name)
            checks = merged.get("checks", [])
            if not isinstance(checks, list):
                raise SpecError(f"{rwhere}: 'checks' must be a list")
            for j, c in enumerate(checks):
                _validate_check(c, f"{rwhere} check {j}")
            expect = merged.get("expect", "pass")
            if expect not in ("pass", "fail"):
                raise SpecError(f"{rwhere}: 'expect' is 'pass' or 'fail'")
            sub = merged.get("substitute")
            if sub is not None:
                _check_keys(sub, {"_comment", "from", "tag"}, f"{rwhere} substitute")
                if "from" not in sub:
                    raise SpecError(f"{rwhere}: substitute needs 'from'")
            needs = merged.get("needs")
            if needs is not None and needs not in NEEDS:
                raise SpecError(f"{rwhere}: 'needs' is one of {sorted(NEEDS)}, not {needs!r}")
            allow = merged.get("allow_stderr", False)
            if isinstance(allow, list):
                for sel in allow:
                    _validate_selector(sel, f"{rwhere} allow_stderr")
            elif not isinstance(allow, bool):
                raise SpecError(f"{rwhere}: 'allow_stderr' is true/false or a list of selectors")
            runs.append(Run(
                notebook=_rel(nb_path),
                name=name,
                checks=checks,
                timeout=int(merged.get("timeout", DEFAULT_CELL_TIMEOUT)),
                allow_stderr=allow,
                expect=expect,
                failure=merged.get("failure"),
                substitute=sub,
                needs=needs,
                write=bool(nb_spec.get("write", True)),
                spec_file=_rel(path),
            ))
    return runs


def load_runs(expect_dirs: list[Path] | None = None, discover: bool = True) -> list[Run]:
    runs: list[Run] = []
    seen: dict[str, str] = {}
    specs = []
    for d in expect_dirs or [EXPECT_DIR]:
        if not d.is_dir():
            raise SpecError(f"spec folder {d} does not exist")
        specs.extend(sorted(d.glob("*.json")))
    for spec in specs:
        for run in parse_spec_file(spec):
            other = seen.get(run.notebook)
            if other is not None and other != run.spec_file:
                raise SpecError(f"{run.notebook} is specified in both {other} and {run.spec_file}")
            seen[run.notebook] = run.spec_file
            runs.append(run)
    if discover:
        for pattern in DISCOVER_GLOBS:
            for nb in sorted(REPO.glob(pattern)):
                if ".ipynb_checkpoints" in nb.parts:
                    continue
                rel = _rel(nb)
                if rel not in seen:
                    seen[rel] = "(discovered)"
                    runs.append(Run(notebook=rel))
    return runs


# ------------------------------------------------------------------- cell helpers


def cell_tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []) or [])


def cell_source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def first_line(cell) -> str:
    for line in cell_source(cell).splitlines():
        if line.strip():
            return line.strip()[:70]
    return "(empty)"


def select_cells(nb, sel: dict) -> list[int]:
    """Indices of the code cells that a selector picks."""
    idx = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    if "tag" in sel:
        return [i for i in idx if sel["tag"] in cell_tags(nb.cells[i])]
    if "marker" in sel:
        return [i for i in idx if sel["marker"] in cell_source(nb.cells[i])]
    if "index" in sel:
        i = sel["index"]
        return [i] if isinstance(i, int) and 0 <= i < len(nb.cells) else []
    raise SpecError(f"bad selector {sel!r}")


def select_one(nb, sel: dict) -> int:
    found = select_cells(nb, sel)
    if len(found) != 1:
        raise SpecError(f"selector {json.dumps(sel)} matches {len(found)} code cells, "
                        "it must match exactly one")
    return found[0]


def _join(text: Any) -> str:
    return "".join(text) if isinstance(text, list) else (text or "")


def cell_text(cell) -> str:
    """stdout plus the text/plain of results and displays, in output order."""
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream" and out.get("name") == "stdout":
            parts.append(_join(out.get("text")))
        elif out.output_type in ("execute_result", "display_data"):
            parts.append(_join(out.get("data", {}).get("text/plain", "")))
    return ANSI.sub("", "".join(parts))


def cell_stderr(cell) -> str:
    return ANSI.sub("", "".join(_join(o.get("text")) for o in cell.get("outputs", [])
                                if o.output_type == "stream" and o.get("name") == "stderr"))


def cell_error(cell) -> str | None:
    errs = [o for o in cell.get("outputs", []) if o.output_type == "error"]
    if not errs:
        return None
    lines = []
    for e in errs:
        tb = [ANSI.sub("", t) for t in e.get("traceback", [])]
        head = f"{e.get('ename', '')}: {e.get('evalue', '')}".strip(": ")
        lines.append(head)
        lines.extend(t for t in tb if t.strip() and t.strip() != head)
    return "\n".join(lines)


def stderr_excerpt(stderr: str, limit: int = 20) -> str:
    """stderr without blank lines and without the backtrace that follows a panic message."""
    lines = []
    for line in stderr.splitlines():
        if line.startswith(("stack backtrace:", "note: run with `RUST_BACKTRACE")):
            break
        if line.strip():
            lines.append(line)
    return "\n".join(lines[:limit])


def cell_mimes(cell) -> set[str]:
    mimes = set()
    for out in cell.get("outputs", []):
        if out.output_type in ("execute_result", "display_data"):
            mimes.update(out.get("data", {}).keys())
    return mimes


# ------------------------------------------------------------------ substitutions


def load_solutions(source: Path) -> dict[str, str]:
    """Slot name -> solution text, from a sectioned text file or a notebook.

    Text file (e.g. a .rs file): a line `// ===== slot: NAME =====` starts the section
    NAME, which runs to the next such line. Notebook: every code cell tagged `slot:NAME`.
    """
    if not source.exists():
        raise SpecError(f"solution source {_rel(source)} does not exist")
    slots: dict[str, str] = {}
    if source.suffix == ".ipynb":
        import nbformat

        nb = nbformat.read(source, as_version=4)
        for cell in nb.cells:
            for tag in cell_tags(cell):
                if tag.startswith(SLOT_NAME_PREFIX):
                    name = tag[len(SLOT_NAME_PREFIX):]
                    if name in slots:
                        raise SpecError(f"{_rel(source)}: slot {name!r} appears twice")
                    slots[name] = cell_source(cell)
        return slots
    current = None
    buf: list[str] = []
    for line in source.read_text(encoding="utf-8").splitlines(keepends=True):
        m = SLOT_FILE_MARKER.match(line)
        if m:
            if current is not None:
                slots[current] = "".join(buf).strip("\n") + "\n"
            current = m.group(1)
            if current in slots:
                raise SpecError(f"{_rel(source)}: slot {current!r} appears twice")
            buf = []
        elif current is not None:
            buf.append(line)
    if current is not None:
        slots[current] = "".join(buf).strip("\n") + "\n"
    return slots


def apply_substitutions(nb, sub: dict) -> list[str]:
    """Replace the source of every cell tagged `solution-slot` (or sub['tag']).

    The cell's `slot:NAME` tag names the section of sub['from'] that replaces it.
    Returns the slot names used. Every slot cell must find its solution.
    """
    tag = sub.get("tag", SLOT_TAG)
    solutions = load_solutions(REPO / sub["from"])
    used = []
    for i, cell in enumerate(nb.cells):
        tags = cell_tags(cell)
        if tag not in tags:
            continue
        names = [t[len(SLOT_NAME_PREFIX):] for t in tags if t.startswith(SLOT_NAME_PREFIX)]
        if len(names) != 1:
            raise SpecError(f"cell {i} is tagged {tag!r} but has {len(names)} "
                            f"'{SLOT_NAME_PREFIX}NAME' tags (needs exactly one)")
        name = names[0]
        if name not in solutions:
            raise SpecError(f"cell {i}: slot {name!r} not found in {sub['from']} "
                            f"(it has {sorted(solutions)})")
        cell.source = solutions[name]
        used.append(name)
    if not used:
        raise SpecError(f"substitute: no cell is tagged {tag!r}")
    return used


# ---------------------------------------------------------------------- execution


@dataclass
class CellTime:
    index: int
    seconds: float
    head: str


@dataclass
class Result:
    run: Run
    ok: bool = False
    failure: str | None = None  # what went wrong (for expect=fail: what did)
    problems: list = field(default_factory=list)  # why the run counts as failed
    seconds: float = 0.0
    startup: float = 0.0
    cells: list = field(default_factory=list)
    nb: Any = None


def _allowed_stderr(nb, run: Run, index: int) -> bool:
    if ALLOW_STDERR_TAG in cell_tags(nb.cells[index]):
        return True
    if run.allow_stderr is True:
        return True
    if isinstance(run.allow_stderr, list):
        return any(index in select_cells(nb, sel) for sel in run.allow_stderr)
    return False


def describe(nb_label: str, nb, index: int) -> str:
    cell = nb.cells[index]
    tags = cell_tags(cell)
    tag_txt = f" tags={tags}" if tags else ""
    return f"{nb_label} cell {index}{tag_txt} `{first_line(cell)}`"


def _indent(text: str, limit: int = 40) -> str:
    lines = text.rstrip().splitlines()
    if len(lines) > limit:
        lines = lines[:limit] + [f"... ({len(lines) - limit} more lines)"]
    return "\n".join("    | " + line for line in lines)


async def _execute(run: Run, nb, kernel_env: dict) -> tuple[str | None, list, float]:
    """Execute nb in place. Returns (failure or None, cell timings, startup seconds)."""
    from nbclient import NotebookClient

    nb_dir = (REPO / run.notebook).parent
    client = NotebookClient(
        nb,
        kernel_name=KERNEL_NAME,
        timeout=run.timeout,
        startup_timeout=STARTUP_TIMEOUT,
        allow_errors=False,
        force_raise_errors=True,
        record_timing=False,
        resources={"metadata": {"path": str(nb_dir)}},
    )
    timings: list[CellTime] = []
    client.reset_execution_trackers()
    t0 = time.monotonic()
    # The kernel process's own stdout/stderr (evcxr's startup chatter, cargo's "Compiling
    # ..." lines, a crash of the kernel itself) go to a log file, not into the report.
    log_path = kernel_log_path(run)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:  # noqa: ASYNC230 (opened once per notebook, before any cell runs)
        failure, startup = await _execute_cells(client, run, nb, kernel_env, log, timings, t0)
    if failure is not None and ("the kernel died" in failure or "timed out" in failure):
        failure += f"\n  kernel log: {_rel(log_path)}"
    return failure, timings, startup


async def _execute_cells(client, run: Run, nb, kernel_env: dict, log, timings: list,
                         t0: float) -> tuple[str | None, float]:
    from nbclient.exceptions import (
        CellExecutionError,
        CellTimeoutError,
        DeadKernelError,
    )

    failure = None
    async with client.async_setup_kernel(env=kernel_env, stdout=log, stderr=log):
        info = await client.async_wait_for_reply(client.kc.kernel_info())
        if info and "language_info" in info["content"]:
            nb.metadata["language_info"] = info["content"]["language_info"]
        startup = time.monotonic() - t0
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            if not cell_source(cell).strip():
                cell.outputs = []
                cell.execution_count = None
                continue
            c0 = time.monotonic()
            where = describe(run.label, nb, index)
            try:
                await client.async_execute_cell(
                    cell, index, execution_count=client.code_cells_executed + 1)
            except CellTimeoutError:
                failure = f"{where}: timed out after {run.timeout} s"
            except DeadKernelError as err:
                failure = f"{where}: the kernel died: {err}"
            except CellExecutionError:
                failure = f"{where}: the cell failed\n{_indent(cell_error(cell) or '(no error output)')}"
                stderr = stderr_excerpt(cell_stderr(cell))
                if stderr:
                    failure += f"\n  stderr:\n{_indent(stderr)}"
            elapsed = time.monotonic() - c0
            # The kernel counts the stderr sync cells too; keep a result's number the cell's.
            for out in cell.get("outputs", []):
                if out.get("output_type") == "execute_result":
                    out["execution_count"] = cell.get("execution_count")
            if failure is None:
                # stderr that reached us only after the cell's reply belongs to this cell
                try:
                    late = await _drain_stderr(client)
                except RuntimeError as err:
                    failure = f"{where}: {err}"
                else:
                    if late:
                        cell.outputs.append(_stream_output("stderr", late))
            timings.append(CellTime(index, elapsed, first_line(cell)))
            if failure is None:
                err = cell_error(cell)
                if err:
                    failure = f"{where}: error output\n{_indent(err)}"
            if failure is None:
                stderr = cell_stderr(cell)
                if stderr.strip() and not _allowed_stderr(nb, run, index):
                    kind = ("a panic" if PANIC.search(stderr) else
                            "stderr output (an Err from a top-level `?` shows up only here)")
                    failure = (f"{where}: {kind}; tag the cell '{ALLOW_STDERR_TAG}' if "
                               f"intended\n{_indent(stderr_excerpt(stderr) or stderr)}")
            if failure is not None:
                break
    return failure, startup


def _stream_output(name: str, text: str):
    import nbformat
    return nbformat.v4.new_output("stream", name=name, text=text)


async def _drain_stderr(client) -> str:
    """Return the stderr of the cell that just ran which arrived after its reply.

    evcxr forwards the stderr of the process running the cells on a thread of its own, so a
    line written by a cell (the message of an `Err` returned through a top-level `?`, which
    evcxr otherwise reports as success) can reach the client after the cell's reply and
    `idle` status, when nbclient has stopped listening. Whether it does depends on timing,
    so a run could pass on a busy machine and fail on a quiet one. To make it
    deterministic, a tiny cell writes a unique marker to the same pipe; the pipe keeps
    order, so once the marker has arrived, every earlier stderr line has too. Everything
    on stderr before the marker is returned (the marker itself is dropped).
    """
    marker = f"nn-ex4-stderr-sync-{uuid.uuid4().hex}"
    msg_id = client.kc.execute(f'eprintln!("{marker}");', store_history=False,
                               allow_stdin=False)
    seen = ""
    idle = False
    deadline = time.monotonic() + STDERR_SYNC_TIMEOUT
    while marker not in seen or not idle:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise RuntimeError(f"the stderr sync marker did not arrive within "
                               f"{STDERR_SYNC_TIMEOUT} s (the kernel is stuck or died)")
        try:
            msg = await client.kc.get_iopub_msg(timeout=remaining)
        except queue.Empty:
            continue
        content = msg.get("content", {})
        if msg["msg_type"] == "stream" and content.get("name") == "stderr":
            seen += content.get("text", "")
        elif (msg["msg_type"] == "status" and content.get("execution_state") == "idle"
              and msg.get("parent_header", {}).get("msg_id") == msg_id):
            idle = True
    reply = await client.async_wait_for_reply(msg_id)
    if reply is not None and reply["content"].get("status") != "ok":
        raise RuntimeError(f"the stderr sync cell failed: {reply['content']}")
    before, _, _ = seen.partition(marker)
    return before


def run_checks(run: Run, nb) -> list[str]:
    problems = []
    for j, check in enumerate(run.checks):
        try:
            index = select_one(nb, check["cell"])
        except SpecError as err:
            problems.append(f"{run.label} check {j}: {err}")
            continue
        cell = nb.cells[index]
        where = f"{describe(run.label, nb, index)} check {j}"
        text = cell_text(cell)
        shown = _indent(text or "(no text output)", 15)
        if "text" in check and not re.search(check["text"], text, re.MULTILINE):
            problems.append(f"{where}: text does not match /{check['text']}/\n{shown}")
        if "contains" in check and check["contains"] not in text:
            problems.append(f"{where}: text does not contain {check['contains']!r}\n{shown}")
        if "not_text" in check and re.search(check["not_text"], text, re.MULTILINE):
            problems.append(f"{where}: text matches forbidden /{check['not_text']}/\n{shown}")
        if "stderr" in check and not re.search(check["stderr"], cell_stderr(cell), re.MULTILINE):
            problems.append(f"{where}: stderr does not match /{check['stderr']}/\n"
                            f"{_indent(cell_stderr(cell) or '(no stderr)', 15)}")
        mimes = cell_mimes(cell)
        if "image" in check:
            has = "image/png" in mimes
            if bool(check["image"]) != has:
                problems.append(f"{where}: expected {'an' if check['image'] else 'no'} image/png "
                                f"output; outputs have {sorted(mimes) or 'no rich data'}")
        if "mime" in check and check["mime"] not in mimes:
            problems.append(f"{where}: no {check['mime']} output; outputs have "
                            f"{sorted(mimes) or 'no rich data'}")
    return problems


def kernel_log_path(run: Run) -> Path:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{run.notebook[:-6]}__{run.name}")
    return KERNEL_LOG_DIR / f"{name}.log"


def kernel_env() -> dict:
    env = dict(os.environ)
    env["EVCXR_CONFIG_DIR"] = str(EVCXR_CONFIG_DIR)
    return env


def execute_run(run: Run) -> Result:
    import nbformat

    res = Result(run=run)
    path = REPO / run.notebook
    t0 = time.monotonic()
    try:
        if not path.exists():
            raise SpecError(f"{run.notebook} does not exist (named in {run.spec_file})")
        if (path.parent / "evcxr.toml").exists():
            print(f"  warning: {_rel(path.parent / 'evcxr.toml')} overrides the test's "
                  "evcxr settings", flush=True)
        nb = nbformat.read(path, as_version=4)
        if run.substitute:
            used = apply_substitutions(nb, run.substitute)
            print(f"  substituted slots {used} from {run.substitute['from']}", flush=True)
        res.nb = nb
        failure, res.cells, res.startup = asyncio.run(_execute(run, nb, kernel_env()))
        if failure is None:
            res.problems = run_checks(run, nb)
            if res.problems:
                failure = "\n".join(res.problems)
        res.failure = failure
    except SpecError as err:
        res.failure = f"{run.label}: spec error: {err}"
    except Exception as err:  # noqa: BLE001 (kernel could not start, ...: the notebook's result says why)
        res.failure = (f"{run.label}: {type(err).__name__}: {err}"
                       f"\n  kernel log: {_rel(kernel_log_path(run))}")
    res.seconds = time.monotonic() - t0
    if run.expect == "pass":
        res.ok = res.failure is None
        if not res.ok:
            res.problems = [res.failure]
    else:
        if res.failure is None:
            res.problems = [f"{run.label}: expected to FAIL, but it passed"]
        elif run.failure and not re.search(run.failure, res.failure, re.MULTILINE):
            res.problems = [(f"{run.label}: failed as expected, but the failure does not match "
                             f"/{run.failure}/:\n{_indent(res.failure)}")]
        else:
            res.ok = True
            res.problems = []
    return res


def check_kernel() -> str | None:
    try:
        from jupyter_client.kernelspec import KernelSpecManager
    except ImportError:
        return "jupyter_client is not installed: run `make setup` (or use the .venv python)"
    specs = KernelSpecManager().find_kernel_specs()
    if KERNEL_NAME not in specs:
        return (f"no '{KERNEL_NAME}' kernel is registered for {sys.executable} "
                f"(found {sorted(specs)}): run `make setup`")
    return None


def unmet_need(run: Run) -> str | None:
    """Why a run must be skipped here (its `needs` is not set up), or None.

    Raises SpecError when the need is set up but broken (a variable naming no file)."""
    if run.needs == "course-weights":
        sys.path.insert(0, str(REPO / "tests"))
        from course_files import CourseFileError, course_weights_file

        try:
            if course_weights_file() is None:
                return "the course's ex4weights.mat"
        except CourseFileError as err:
            raise SpecError(str(err)) from None
    return None


def timings_entry(r: Result) -> dict:
    """One run's kernel start and cell times, as --timings writes them."""
    return {"label": r.run.label, "notebook": r.run.notebook, "ok": r.ok,
            "kernel_start": round(r.startup, 3), "seconds": round(r.seconds, 3),
            "cells": [{"index": c.index, "seconds": round(c.seconds, 3), "head": c.head}
                      for c in r.cells]}


def write_timings(path: Path, results: list) -> None:
    """Every run's kernel start and cell times, as JSON (tools/notebook_timings.py reads it)."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    body = {"cpu": cpu, "cores": os.cpu_count(), "runs": [timings_entry(r) for r in results]}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(body, indent=1) + "\n")
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("notebooks", nargs="*", help="notebook paths (default: all)")
    ap.add_argument("--expect-dir", type=Path, action="append", default=[],
                    help="folder of *.json spec files; repeatable "
                         "(default: tests/notebooks/expect)")
    ap.add_argument("--run", dest="run_names", action="append", default=[],
                    help="only runs with this name (repeatable)")
    ap.add_argument("--write", action="store_true",
                    help="store executed outputs back into passing notebooks "
                         "(only plain runs, not substituted ones; not notebooks with "
                         "\"write\": false)")
    ap.add_argument("--timeout", type=int, help="per-cell timeout in seconds (overrides specs)")
    ap.add_argument("--save-executed", type=Path, metavar="DIR",
                    help="also save every executed notebook (passing or not) into DIR")
    ap.add_argument("--timings", type=Path, metavar="FILE",
                    help="write every run's kernel start and per-cell seconds to FILE (JSON); "
                         "tools/notebook_timings.py summarises and compares such files")
    ap.add_argument("--list", action="store_true", help="list the runs and exit")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(REPO / "tools"))
    from notebook_timings import summary as timing_summary

    try:
        runs = load_runs(args.expect_dir or [EXPECT_DIR], discover=not args.notebooks)
        if args.notebooks:
            wanted = {_rel(Path(p)) for p in args.notebooks}
            named = {r.notebook for r in runs}
            runs = [r for r in runs if r.notebook in wanted]
            runs += [Run(notebook=n) for n in sorted(wanted - named)]
        if args.run_names:
            runs = [r for r in runs if r.name in args.run_names]
    except SpecError as err:
        print(f"spec error: {err}", file=sys.stderr)
        print("notebooks: 0 passed, 1 failed")
        return 1
    if args.timeout:
        for r in runs:
            r.timeout = args.timeout

    if args.list:
        for r in runs:
            extra = []
            if r.substitute:
                extra.append(f"substitute from {r.substitute['from']}")
            if r.expect == "fail":
                extra.append("expected to fail")
            extra.append(f"{len(r.checks)} checks")
            print(f"{r.label}  ({', '.join(extra)})")
        return 0

    problem = check_kernel()
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        print(f"notebooks: 0 passed, {max(len(runs), 1)} failed")
        return 1

    print(f"running {len(runs)} notebook run(s) on kernel '{KERNEL_NAME}', "
          f"EVCXR_CONFIG_DIR={_rel(EVCXR_CONFIG_DIR)}", flush=True)
    results: list[Result] = []
    skipped: dict[str, list[str]] = {}
    t_all = time.monotonic()
    written = set()
    for run in runs:
        try:
            need = unmet_need(run)
        except SpecError as err:
            results.append(Result(run=run, problems=[f"{run.label}: {err}"]))
            print(f"FAILED {run.label}: {err}", flush=True)
            continue
        if need:
            skipped.setdefault(need, []).append(run.label)
            print(f"--- {run.label}: skipped (needs {need})", flush=True)
            continue
        print(f"--- {run.label}" + (" (expected to fail)" if run.expect == "fail" else ""),
              flush=True)
        res = execute_run(run)
        results.append(res)
        slow = sorted(res.cells, key=lambda c: -c.seconds)[:3]
        slow_txt = ", ".join(f"cell {c.index} {c.seconds:.1f}s" for c in slow)
        status = "ok" if res.ok else "FAILED"
        print(f"{status:6} {run.label}: {res.seconds:.1f}s (kernel start {res.startup:.1f}s, "
              f"{len(res.cells)} cells; slowest: {slow_txt or '-'})", flush=True)
        if res.cells:
            t = timing_summary(timings_entry(res))
            print(f"       top to bottom {t['top']:.1f}s: kernel start {t['start']:.1f}s + cells "
                  f"{t['top'] - t['start']:.1f}s (median cell {t['median']:.2f}s)", flush=True)
        if run.expect == "fail" and res.ok:
            print(f"       failed as expected:\n{_indent(res.failure, 12)}", flush=True)
        for p in res.problems:
            print(f"       {p}", flush=True)
        if args.save_executed and res.nb is not None:
            import nbformat

            args.save_executed.mkdir(parents=True, exist_ok=True)
            out = args.save_executed / (run.notebook.replace("/", "__")[:-6] + f"__{run.name}.ipynb")
            nbformat.write(res.nb, out)
        if (args.write and res.ok and run.expect == "pass" and not run.substitute
                and run.write and run.notebook not in written):
            import nbformat

            nbformat.write(res.nb, REPO / run.notebook)
            written.add(run.notebook)
            print(f"       wrote outputs into {run.notebook}", flush=True)

    if args.timings:
        write_timings(args.timings, results)
        print(f"timings: {_rel(args.timings)}")
    all_cells = [(r.run.label, c) for r in results for c in r.cells]
    if all_cells:
        print("slowest cells:")
        for label, c in sorted(all_cells, key=lambda x: -x[1].seconds)[:5]:
            print(f"  {c.seconds:7.1f}s  {label} cell {c.index} `{c.head}`")
    failed = [r for r in results if not r.ok]
    print(f"total {time.monotonic() - t_all:.1f}s")
    if failed:
        print("FAILED runs:")
        for r in failed:
            print(f"  {r.run.label}")
    for need, labels in skipped.items():
        hint = ("set NN_EX4_COURSE_WEIGHTS=/path/to/ex4weights.mat or put the file in data/"
                if need == "the course's ex4weights.mat" else "")
        print(f"notebooks: skipped {len(labels)} run(s) that need {need} ({', '.join(labels)})"
              + (f": {hint}" if hint else ""))
    n_skipped = sum(len(v) for v in skipped.values())
    print(f"notebooks: {len(results) - len(failed)} passed, {len(failed)} failed"
          + (f", {n_skipped} skipped" if n_skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
