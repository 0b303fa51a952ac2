"""scripts/nnex4_kernel.py's cache layers, on made-up evcxr caches (no kernel needed).

A layer links every complete entry of the shared cache (evcxr writes an entry's `stderr`
last) with a private `hits`; an entry still being written is left out. When the next kernel
starts, the layers of ended kernels give their complete new entries to the shared cache (up
to the cap) and go; a layer whose kernel still runs (its `.in-use` lock held) is left alone.
"""

from __future__ import annotations

import fcntl
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import nnex4_kernel  # noqa: E402


def entry(cache: Path, name: str, size: int = 10, complete: bool = True, hits: str = "3") -> Path:
    e = cache / name
    e.mkdir(parents=True)
    (e / "libx.rlib").write_bytes(b"x" * size)
    (e / "meta").write_text("rustc --crate-name x\n")
    (e / "hits").write_text(hits)
    if complete:
        (e / "stderr").write_text('{"artifact":"libx.rlib"}\n')
    return e


def test_layer_links_complete_entries_with_private_counters(tmp_path):
    shared, layers = tmp_path / "evcxr", tmp_path / "layers"
    entry(shared, "111", hits="")  # another kernel rewriting its counter right now
    entry(shared, "222", complete=False)
    layer, fd = nnex4_kernel.make_layer(shared, layers)
    try:
        mine = layer / "evcxr"
        assert sorted(p.name for p in mine.iterdir()) == ["111"]
        assert (mine / "111" / "libx.rlib").is_symlink()
        assert (mine / "111" / "libx.rlib").read_bytes() == b"x" * 10
        assert not (mine / "111" / "hits").is_symlink() and (mine / "111" / "hits").read_text() == "0"
        (mine / "111" / "hits").write_text("1")  # what evcxr does on a hit
        assert (shared / "111" / "hits").read_text() == ""
        assert os.get_inheritable(fd), "the kernel must inherit the lock"
    finally:
        os.close(fd)


def test_harvest_takes_new_entries_of_ended_kernels_only(tmp_path):
    shared, layers = tmp_path / "evcxr", tmp_path / "layers"
    entry(shared, "111")
    ended, fd_ended = nnex4_kernel.make_layer(shared, layers)
    running, fd_running = nnex4_kernel.make_layer(shared, layers)
    entry(ended / "evcxr", "333")  # compiled by the ended kernel
    entry(ended / "evcxr", "444", complete=False)  # it was killed mid-write
    entry(running / "evcxr", "555")
    os.close(fd_ended)
    try:
        nnex4_kernel.harvest(shared, layers, cap_bytes=1 << 20)
        assert sorted(p.name for p in shared.iterdir()) == ["111", "333"]
        assert not (shared / "333" / "stderr").is_symlink()
        assert not ended.exists(), "an ended kernel's layer is removed"
        assert (running / "evcxr" / "555").is_dir(), "a running kernel's layer is left alone"
        # the running kernel still holds its lock
        probe = os.open(running / ".in-use", os.O_RDWR)
        try:
            try:
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
                locked = False
            except OSError:
                locked = True
            assert locked
        finally:
            os.close(probe)
    finally:
        os.close(fd_running)


def test_harvest_keeps_the_shared_cache_under_its_cap(tmp_path):
    shared, layers = tmp_path / "evcxr", tmp_path / "layers"
    entry(shared, "111", size=600)
    ended, fd = nnex4_kernel.make_layer(shared, layers)
    entry(ended / "evcxr", "333", size=600)
    os.close(fd)
    nnex4_kernel.harvest(shared, layers, cap_bytes=1000)
    assert sorted(p.name for p in shared.iterdir()) == ["111"]
    assert not ended.exists()
