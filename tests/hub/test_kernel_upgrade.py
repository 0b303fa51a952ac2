"""The kernel's settings survive an evcxr upgrade.

evcxr_jupyter, started with `--control_file`, first compares $JUPYTER_PATH/kernels/rust/
version.txt (or ~/.local/share/jupyter/kernels/rust's) with its own version and, when they
differ, rewrites that folder's kernel.json, dropping its `env` (and any wrapper in argv). A
faked mismatch (version.txt = "0.0.0-old") shows the loss with evcxr started directly, and
none through the wrapper that the kit's kernelspec (scripts/setup.sh) and the hub's
(hub/install.sh) start. A bogus control-file path makes evcxr stop right after that check.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hubenv import PREFIX, REPO

VENV = Path(os.environ.get("VENV", REPO / ".venv"))
KIT_KERNEL = VENV / "share" / "jupyter" / "kernels" / "rust"
HUB_KERNEL = PREFIX / "venv" / "share" / "jupyter" / "kernels" / "rust"


def fake_old_install(kernel_dir: Path, tmp: Path) -> Path:
    jp = tmp / "jupyter"
    shutil.copytree(kernel_dir, jp / "kernels" / "rust")
    (jp / "kernels" / "rust" / "version.txt").write_text("0.0.0-old\n")
    return jp


def start_and_stop(argv0: str, jupyter_path: Path, home: Path) -> None:
    subprocess.run([argv0, "--control_file", str(home / "no-such-connection-file.json")],
                   env={**os.environ, "JUPYTER_PATH": str(jupyter_path), "HOME": str(home)},
                   capture_output=True, timeout=60)


def evcxr_of(spec: dict, kernel_dir: Path) -> str:
    wrapper = Path(spec["argv"][0])
    text = wrapper.read_text()
    for line in text.splitlines():
        if line.startswith("exec "):
            return line.split('"')[1]
    raise AssertionError(f"{wrapper} has no exec line:\n{text}")


def check(kernel_dir: Path, tmp: Path):
    spec = json.loads((kernel_dir / "kernel.json").read_text())
    assert Path(spec["argv"][0]).name == "nnex4-kernel", spec
    wrapper_text = Path(spec["argv"][0]).read_text()
    assert "TMPDIR=" in wrapper_text and "JUPYTER_PATH=" in wrapper_text
    assert "export MATMUL_NUM_THREADS=1" in wrapper_text, "train_with needs products without a pool"
    evcxr = evcxr_of(spec, kernel_dir).replace("$PREFIX", str(PREFIX))
    home = tmp / "home"
    home.mkdir()
    # 1. evcxr started directly, as an upgraded binary would be: the rewrite happens
    jp = fake_old_install(kernel_dir, tmp / "direct")
    start_and_stop(evcxr, jp, home)
    rewritten = json.loads((jp / "kernels" / "rust" / "kernel.json").read_text())
    assert rewritten != spec and rewritten["argv"][0] == evcxr, "evcxr no longer rewrites kernel.json? " + str(rewritten)
    # 2. through the kernelspec's wrapper: kernel.json and the fake version.txt untouched
    jp = fake_old_install(kernel_dir, tmp / "wrapped")
    start_and_stop(spec["argv"][0], jp, home)
    assert json.loads((jp / "kernels" / "rust" / "kernel.json").read_text()) == spec
    assert (jp / "kernels" / "rust" / "version.txt").read_text() == "0.0.0-old\n"


def test_kit_kernel_keeps_its_settings_across_an_evcxr_upgrade(tmp_path):
    if not (KIT_KERNEL / "kernel.json").is_file():
        pytest.skip(f"{KIT_KERNEL} missing: run make setup")
    check(KIT_KERNEL, tmp_path)
    spec = json.loads((KIT_KERNEL / "kernel.json").read_text())
    assert Path(spec["env"]["TMPDIR"]).resolve() == (REPO / ".evcxr").resolve()


@pytest.mark.needs_hub_install
def test_hub_kernel_keeps_its_settings_across_an_evcxr_upgrade(tmp_path):
    check(HUB_KERNEL, tmp_path)
