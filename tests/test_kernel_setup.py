"""The kit's `rust` kernel (scripts/setup.sh) builds notebook libraries the fast way.

Checks what setup.sh registered in .venv (the test command runs setup first):
kernel.json sends evcxr's build folders into .evcxr/ (TMPDIR), where cargo finds
.evcxr/.cargo/config.toml; that file builds every dependency without incremental
compilation (so evcxr's `:cache` reuses nn-core) and without debug assertions, and
leaves the notebook's own cells alone; the workspace does not claim those build folders;
and cargo really applies the settings to a crate built below .evcxr/.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
VENV = Path(os.environ.get("VENV", REPO / ".venv"))


def test_kernel_json_points_tmpdir_at_the_kits_build_settings():
    spec_path = VENV / "share" / "jupyter" / "kernels" / "rust" / "kernel.json"
    assert spec_path.is_file(), f"{spec_path} missing: run `make setup` (scripts/setup.sh)"
    spec = json.loads(spec_path.read_text())
    tmpdir = Path(spec.get("env", {}).get("TMPDIR", ""))
    assert tmpdir.resolve() == (REPO / ".evcxr").resolve(), spec
    assert (tmpdir / ".cargo" / "config.toml").is_file()


def test_build_settings_cover_dependencies_only():
    config = tomllib.loads((REPO / ".evcxr" / ".cargo" / "config.toml").read_text())
    dev = config["profile"]["dev"]
    assert set(dev) == {"package"}, "the cells' own profile must stay evcxr's"
    deps = dev["package"]["*"]
    assert deps["incremental"] is False
    assert deps["debug-assertions"] is False
    assert deps["opt-level"] == 2, "the libraries stay at evcxr's default level whatever :opt says"
    workspace = tomllib.loads((REPO / "Cargo.toml").read_text())["workspace"]
    assert ".evcxr" in workspace.get("exclude", [])


@pytest.mark.parametrize("cell_opt", [2, 1, 0])
def test_cargo_applies_them_below_evcxr(cell_opt):
    """A crate made where evcxr makes its build folders, with evcxr's [profile.dev], depending
    on a local path crate (as a notebook depends on nn-core): cargo must build the library
    without incremental compilation and without debug assertions, and the crate itself (what
    a cell is) with both. With `:opt 1` or `:opt 0` in a notebook (the walkthroughs have `:opt 0`)
    the cells change level, the library does not (so the cache `make warm` filled still fits)."""
    cargo = shutil.which("cargo")
    assert cargo, "cargo is needed"
    with tempfile.TemporaryDirectory(dir=REPO / ".evcxr", prefix=".tmp-test-") as tmp:
        root = Path(tmp)
        for name, manifest in [
            ("library", '[package]\nname = "library"\nversion = "0.1.0"\nedition = "2021"\n'),
            ("ctx", ('[package]\nname = "ctx"\nversion = "1.0.0"\nedition = "2021"\n\n'
                     f'[profile.dev]\nopt-level = {cell_opt}\ndebug-assertions = true\nincremental = true\n'
                     'overflow-checks = true\n\n[dependencies]\nlibrary = { path = "../library" }\n')),
        ]:
            (root / name / "src").mkdir(parents=True)
            (root / name / "src" / "lib.rs").write_text("pub fn f() {}\n")
            (root / name / "Cargo.toml").write_text(manifest)
        out = subprocess.run(
            [cargo, "build", "-v", "--offline"],
            cwd=root / "ctx", capture_output=True, text=True, timeout=600,
            env={**os.environ, "CARGO_TARGET_DIR": str(root / "target"), "CARGO_TERM_COLOR": "never"}, check=False,
        )
        assert out.returncode == 0, out.stderr[-3000:]
        lines = out.stderr.splitlines()

        def rustc_line(name: str) -> str:
            found = [l for l in lines if "Running" in l and f"--crate-name {name} " in l]
            assert found, f"no rustc command for {name}:\n" + "\n".join(lines[-20:])
            return found[-1]

        library, ctx = rustc_line("library"), rustc_line("ctx")
        # (at opt-level 2 cargo passes debug-assertions only when they are on)
        assert "incremental=" not in library and "debug-assertions=on" not in library, library
        assert "overflow-checks=on" not in library, library
        assert "incremental=" in ctx, ctx
        assert "opt-level=2" in library, library
        if cell_opt == 0:
            # rustc's own defaults (no optimization, debug assertions on): cargo passes neither
            assert "opt-level=" not in ctx and "debug-assertions=off" not in ctx, ctx
        else:
            assert f"opt-level={cell_opt}" in ctx and "debug-assertions=on" in ctx, ctx


def _setup_cell(notebook: Path) -> list[str]:
    cells = json.loads(notebook.read_text())["cells"]
    first = next(c for c in cells if c["cell_type"] == "code")
    return "".join(first["source"]).splitlines()


def test_walkthroughs_compile_their_cells_unoptimized_and_the_exercise_does_not():
    """The walkthroughs' cells only call the library (kept at opt-level 2 above), so their
    first cell sets `:opt 0`; the exercise notebook runs the student's own code and keeps
    evcxr's default."""
    walkthroughs = sorted((REPO / "notebooks").glob("0*.ipynb"))
    assert len(walkthroughs) == 5
    for nb in walkthroughs:
        lines = _setup_cell(nb)
        assert lines[0].startswith(":dep nn-core"), nb.name
        assert ":opt 0" in lines, nb.name
    for nb in (REPO / "notebooks" / "exercises").glob("*.ipynb"):
        assert not any(l.startswith(":opt") for l in _setup_cell(nb)), nb.name


def test_kernel_runs_matrix_products_without_a_thread_pool():
    """The wrapper kernel.json starts gives evcxr MATMUL_NUM_THREADS=1: ndarray's products then
    start no thread pool, so nn_grader::train_with can always run a student's training in a
    forked child (stopped at its time limit) instead of in the kernel itself. Run as the
    wrapper, with `env` in evcxr's place: the environment evcxr would get."""
    spec_path = VENV / "share" / "jupyter" / "kernels" / "rust" / "kernel.json"
    wrapper = Path(json.loads(spec_path.read_text())["argv"][0])
    lines = wrapper.read_text().splitlines()
    assert lines[-1].startswith("exec "), lines[-1]
    probe = "\n".join(lines[:-1] + ['exec env "$@"'])
    env = {k: v for k, v in os.environ.items() if k != "MATMUL_NUM_THREADS"}
    out = subprocess.run(["sh", "-c", probe, "wrapper"], env=env, capture_output=True, text=True, check=True)
    assert "MATMUL_NUM_THREADS=1" in out.stdout.splitlines(), out.stdout


# --- two notebooks of one user at once ----------------------------------------------------
# evcxr's `:cache` rewrites an entry's `hits` counter (truncate, then write) on every cache
# hit; a second kernel of the same user that reads the counter in between fails its build
# ("Failed to wrap rustc", cargo: exit status 255), so the notebook's first cell fails and
# every later one cannot find `nn_core`. The kit's kernel gives each kernel a cache layer of
# its own (scripts/nnex4_kernel.py). The deterministic reproducer: a copy of the user's warm
# cache whose `hits` files are all empty, as another kernel leaves them mid-write.

PROBE = 'use nn_core::prelude::*;\nlet s = sigmoid(&array![0.0])[0];\nprintln!("sigmoid(0) = {s}");'


def _first_cell(notebook: Path) -> str:
    return "\n".join(_setup_cell(notebook))


def _run(kernel_name: str, cells: list[str], env: dict, cwd: Path, ksm=None) -> list[tuple[str, str]]:
    """Runs the cells on a fresh kernel; (status, text) per cell, stopping at the first error."""
    from jupyter_client import KernelManager

    sys.path.insert(0, str(REPO / "tools"))
    from kernel_cost import execute

    km = KernelManager(kernel_name=kernel_name, **({"kernel_spec_manager": ksm} if ksm else {}))
    km.start_kernel(env=env, cwd=str(cwd))
    kc = km.client()
    kc.start_channels()
    out = []
    try:
        kc.wait_for_ready(timeout=300)
        for code in cells:
            out.append(execute(kc, code, 900))
            if out[-1][0] != "ok":
                break
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return out


def _warm_cache_or_skip() -> list[Path]:
    """The complete entries of the user's evcxr cache; skips unless `make warm` filled it
    (then the notebooks' crates are in CARGO_HOME too)."""
    real = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "evcxr"
    entries = [e for e in real.iterdir() if (e / "stderr").is_file()] if real.is_dir() else []
    if not any(e.name.isdigit() and (e / "meta").is_file() and "nn_core" in (e / "meta").read_text() for e in entries):
        pytest.skip(f"{real} holds no compiled nn-core: run `make warm` first")
    return entries


def _cache_mid_write(tmp: Path) -> Path:
    """XDG_CACHE_HOME whose evcxr/ is the user's cache (hard links) with every `hits` empty."""
    entries = _warm_cache_or_skip()
    base = tmp / "cache"
    for e in entries:
        (base / "evcxr" / e.name).mkdir(parents=True)
        for f in e.iterdir():
            dst = base / "evcxr" / e.name / f.name
            if f.name == "hits":
                dst.write_text("")
                continue
            try:
                os.link(f, dst)
            except OSError:
                shutil.copyfile(f, dst)
    return base


def test_kernel_survives_another_kernel_rewriting_the_cache(tmp_path):
    from jupyter_client.kernelspec import KernelSpecManager

    notebook = REPO / "notebooks" / "01-feedforward-and-cost.ipynb"
    cells = [_first_cell(notebook), PROBE]
    cache = _cache_mid_write(tmp_path)
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    env.pop("RUST_SRC_PATH", None)

    # evcxr started directly (the kit's kernel before its launcher): the first cell fails
    spec = json.loads((VENV / "share" / "jupyter" / "kernels" / "rust" / "kernel.json").read_text())
    evcxr = shutil.which("evcxr_jupyter") or str(Path.home() / ".cargo" / "bin" / "evcxr_jupyter")
    raw = tmp_path / "kernels" / "rawrust"
    raw.mkdir(parents=True)
    (raw / "kernel.json").write_text(json.dumps({
        "argv": [evcxr, "--control_file", "{connection_file}"], "language": "rust", "display_name": "raw",
        "env": {"TMPDIR": spec["env"]["TMPDIR"], "JUPYTER_PATH": str(tmp_path / "no-kernels")}}))
    direct = _run("rawrust", cells, env, notebook.parent, KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")]))
    assert direct[0][0] != "ok" and "Failed to wrap rustc" in direct[0][1], (
        "evcxr no longer fails on a cache entry being rewritten? " + str(direct)[-1500:])

    # the kit's kernel: its own layer over the same cache
    kit = _run("rust", cells, env, notebook.parent)
    assert [s for s, _ in kit] == ["ok", "ok"], str(kit)[-3000:]
    assert "sigmoid(0) = 0.5" in kit[1][1]
    # the shared cache was not written; the ended kernel's layer goes at the next start
    assert all((e / "hits").read_text() == "" for e in (cache / "evcxr").iterdir())


@pytest.mark.parametrize("cache_state", [
    "warm",
    pytest.param("cold", marks=pytest.mark.skipif(
        os.environ.get("NNEX4_COLD") != "1",
        reason="cold cache: both kernels compile nn-core at once (minutes of CPU); NNEX4_COLD=1 runs it")),
])
def test_two_kernels_of_one_user_at_once(tmp_path, cache_state):
    """Two notebooks started together (the walkthrough and the exercise beside it): both
    first cells and a cell using the library pass, on a copy of the user's warm cache or on
    an empty one."""
    import threading

    if cache_state == "warm":
        cache = _cache_mid_write(tmp_path)  # (the same seeded copy; its hits are irrelevant here)
        for e in (cache / "evcxr").iterdir():
            (e / "hits").unlink()
            (e / "hits").write_text("0")
    else:
        cache = tmp_path / "empty-cache"
        cache.mkdir()
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    notebooks = [REPO / "notebooks" / "01-feedforward-and-cost.ipynb",
                 REPO / "notebooks" / "exercises" / "ex4-neural-network-learning.ipynb"]
    results: dict = {}

    def one(nb: Path):
        results[nb.name] = _run("rust", [_first_cell(nb), PROBE], env, nb.parent)

    threads = [threading.Thread(target=one, args=(nb,)) for nb in notebooks]
    [t.start() for t in threads]
    [t.join() for t in threads]
    for name, out in results.items():
        assert [s for s, _ in out] == ["ok", "ok"], f"{name}: {str(out)[-3000:]}"
        assert "sigmoid(0) = 0.5" in out[1][1], name


# --- the trimmed standard-library sources (scripts/trim_rust_src.sh) -----------------------
STD_CASES = {"v.": ["push(value)", "len()", "iter()"], "m.": ["insert(k, v)", "get(k)", "keys()"],
             "s.": ["push_str(string)", "chars()", "len()"], "v.iter().": ["map(f)", "sum()", "count()"],
             "String::": ["new()", "with_capacity(capacity)"]}
INSPECT = {"v.push": "Appends an element", "m.insert": "Inserts a key-value",
           "String::from": "Converts to this type", "Vec::with_capacity": "at least the specified capacity"}


def _completions_and_docs(env: dict) -> tuple[str | None, dict, dict]:
    from jupyter_client import KernelManager

    km = KernelManager(kernel_name="rust")
    km.start_kernel(env=env, cwd=str(REPO / "notebooks"))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=300)
        environ = Path(f"/proc/{km.provisioner.process.pid}/environ").read_bytes().split(b"\0")
        src = next((e.split(b"=", 1)[1].decode() for e in environ if e.startswith(b"RUST_SRC_PATH=")), None)
        reply = kc.execute_interactive(
            'let mut v: Vec<i32> = Vec::new(); let m = std::collections::HashMap::<String, i32>::new();'
            ' let s = String::from("a");', timeout=300)
        assert reply["content"]["status"] == "ok", reply
        comp = {c: kc.complete(c, len(c), reply=True, timeout=120)["content"]["matches"] for c in STD_CASES}
        docs = {c: kc.inspect(c, len(c), reply=True, timeout=120)["content"].get("data", {}).get("text/plain", "")
                for c in INSPECT}
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return src, comp, docs


def test_completions_and_docs_of_std_types_with_the_trimmed_sources():
    """Through the kernel (Jupyter complete_request / inspect_request, what JupyterLab's Tab
    and Shift+Tab send): the kit's kernel reads the trimmed sources, and gives the same
    completions (253 on a Vec) and docs on Vec, HashMap, String and iterators as with the
    toolchain's own."""
    trimmed = REPO / ".evcxr" / "rust-src" / "library"
    if not trimmed.is_dir():
        pytest.skip("no trimmed rust-src: the toolchain has no rust-src component (scripts/trim_rust_src.sh)")
    full = subprocess.run(["rustc", "--print", "sysroot"], capture_output=True, text=True, check=False).stdout.strip()
    full = Path(full) / "lib" / "rustlib" / "src" / "rust" / "library"
    env = {k: v for k, v in os.environ.items() if k != "RUST_SRC_PATH"}
    src, comp, docs = _completions_and_docs(env)
    assert src == str(trimmed), f"the kit's kernel reads {src}, not the trimmed sources"
    assert not (trimmed / "stdarch" / "crates" / "core_arch" / "src" / "x86").exists()
    src_full, comp_full, docs_full = _completions_and_docs({**env, "RUST_SRC_PATH": str(full)})
    assert src_full == str(full)
    for case, expected in STD_CASES.items():
        assert set(expected) <= set(comp[case]), (case, comp[case][:40])
        # the same completions; among equally ranked ones the order may differ
        assert sorted(comp[case]) == sorted(comp_full[case]), case
    for case, text in INSPECT.items():
        assert text in docs[case], (case, docs[case][:300])
        assert docs[case] == docs_full[case], case


def test_trim_rust_src_without_rust_src_makes_nothing(tmp_path):
    """A toolchain without the rust-src component: no error, nothing made (the kernel then
    reads std's sources the way evcxr does by default), and a stale copy is removed."""
    sysroot = tmp_path / "sysroot"
    (sysroot / "lib" / "rustlib").mkdir(parents=True)
    fake = tmp_path / "rustc"
    fake.write_text(f'#!/bin/sh\ncase "$*" in *sysroot*) echo {sysroot};; *) echo "rustc 0.0.0-fake";; esac\n')
    fake.chmod(0o755)
    dest = tmp_path / "rust-src"
    (dest / "library").mkdir(parents=True)
    out = subprocess.run(["bash", str(REPO / "scripts" / "trim_rust_src.sh"), str(dest), str(fake)],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert "no rust-src" in out.stdout
    assert not dest.exists()


def test_kernel_ignores_trimmed_sources_of_another_toolchain(tmp_path):
    """The launcher sets RUST_SRC_PATH only when the copy was made from the running rustc."""
    sys.path.insert(0, str(REPO / "scripts"))
    import nnex4_kernel

    (tmp_path / "library" / "core").mkdir(parents=True)
    (tmp_path / "rustc-version").write_text("rustc 0.0.0-old\n")
    assert nnex4_kernel.rust_src(tmp_path) is None
    running = subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=False).stdout
    (tmp_path / "rustc-version").write_text(running)
    assert nnex4_kernel.rust_src(tmp_path) == tmp_path / "library"


# --- a classroom without internet ----------------------------------------------------------
OFFLINE_SCRIPT = r'''
import json, os, sys
sys.path.insert(0, sys.argv[1])
import test_kernel_setup as t
nb = t.REPO / "notebooks" / "01-feedforward-and-cost.ipynb"
out = t._run("rust", [t._first_cell(nb), t.PROBE], dict(os.environ), nb.parent)
print(json.dumps(out))
'''


def _without_network(env: dict) -> list:
    """Notebook 01's first cell and a probe on the kit's kernel, kernel and client in a
    network namespace of their own with only the loopback up (`unshare -n`: no internet)."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.skip("needs unshare and ip (util-linux, iproute2)")
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a network namespace here: {probe.stderr.decode()[:200]}")
    cmd = ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$0" -c "$1" "$2"',
           sys.executable, OFFLINE_SCRIPT, str(REPO / "tests")]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1200, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_kernel_without_internet_needs_cargo_offline():
    """With the notebooks' crates already on the machine (`make warm` ran, online, once):
    cargo, online by default, fails the first `:dep` cell without internet (it asks the
    crates.io index); with CARGO_NET_OFFLINE=true in JupyterLab's environment, as
    docs/classroom.md tells a class without internet, the cell passes from what is there."""
    _warm_cache_or_skip()
    env = {k: v for k, v in os.environ.items() if k != "CARGO_NET_OFFLINE"}
    online = _without_network(env)
    assert online[0][0] != "ok" and "crates.io" in online[0][1], str(online)[-2000:]
    offline = _without_network({**env, "CARGO_NET_OFFLINE": "true"})
    assert [s for s, _ in offline] == ["ok", "ok"], str(offline)[-3000:]
    assert "sigmoid(0) = 0.5" in offline[1][1]


def test_kernel_cost_reads_its_variants():
    """tools/kernel_cost.py's variant words: a pause between cells, a cell count, an
    environment variable; an unknown word stops it, naming the word."""
    sys.path.insert(0, str(REPO / "tools"))
    from kernel_cost import parse_variant

    v = parse_variant("reading pause=30 cells=5 RUST_LOG=")
    assert (v["name"], v["pause"], v["cells"], v["env"]) == ("reading", 30.0, 5, {"RUST_LOG": ""})
    assert parse_variant("base")["pause"] == 0.0
    with pytest.raises(SystemExit, match="'wait=3'"):
        parse_variant("x wait=3")
