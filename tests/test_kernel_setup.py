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
            ("ctx", '[package]\nname = "ctx"\nversion = "1.0.0"\nedition = "2021"\n\n'
                    f'[profile.dev]\nopt-level = {cell_opt}\ndebug-assertions = true\nincremental = true\n'
                    'overflow-checks = true\n\n[dependencies]\nlibrary = { path = "../library" }\n'),
        ]:
            (root / name / "src").mkdir(parents=True)
            (root / name / "src" / "lib.rs").write_text("pub fn f() {}\n")
            (root / name / "Cargo.toml").write_text(manifest)
        out = subprocess.run(
            [cargo, "build", "-v", "--offline"],
            cwd=root / "ctx", capture_output=True, text=True, timeout=600,
            env={**os.environ, "CARGO_TARGET_DIR": str(root / "target"), "CARGO_TERM_COLOR": "never"},
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
