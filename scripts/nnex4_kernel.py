#!/usr/bin/env python3
"""Starts evcxr_jupyter for the kit's `rust` kernel (the last step of scripts/setup.sh's
kernel wrapper and of hub/nnex4-kernel, which set the rest of its environment):

    nnex4_kernel.py --rust-src DIR -- /path/to/evcxr_jupyter ARGS...

1. Its own evcxr cache. evcxr's `:cache` (~/.cache/evcxr, one folder per compiled crate)
   is not safe for two kernels of one user at once: on every cache hit evcxr rewrites the
   entry's `hits` counter (truncate, then write), and a second kernel reading that counter
   in between fails the whole build ("Failed to wrap rustc", exit status 255: a notebook's
   first cell fails, and every later cell with "cannot find crate `nn_core`"). So each kernel
   gets a layer of its own (XDG_CACHE_HOME, which evcxr reads): every complete entry of the
   shared cache symlinked file by file, with a private `hits`. What the kernel compiles
   afresh lands in its layer; the next kernel to start moves complete new entries of layers
   whose kernel has ended into the shared cache (up to NNEX4_EVCXR_CACHE_MB, default 500 as
   the notebooks' `:cache 500`) and removes those layers. A layer is "in use" while a
   process holds the lock on its `.in-use` file: the kernel inherits that file open.
2. The trimmed standard-library sources (scripts/trim_rust_src.sh) through RUST_SRC_PATH,
   when DIR/library exists and was made from the toolchain the kernel runs (`rustc -vV`
   matches DIR/rustc-version); otherwise evcxr finds the toolchain's own rust-src.

Anything that fails here leaves evcxr's own behaviour (a note on stderr, the kernel's log).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path


def note(text: str) -> None:
    print(f"nnex4-kernel: {text}", file=sys.stderr, flush=True)


def _size(path: Path) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.stat(os.path.join(root, f)).st_size
            except OSError:
                pass
    return total


def harvest(shared: Path, layers: Path, cap_bytes: int) -> None:
    """Moves complete entries that ended kernels compiled into the shared cache; removes
    those kernels' layers."""
    if not layers.is_dir():
        return
    room = cap_bytes - _size(shared) if shared.is_dir() else cap_bytes
    for layer in layers.iterdir():
        try:
            fd = os.open(layer / ".in-use", os.O_RDWR)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue  # its kernel still runs
        try:
            cache = layer / "evcxr"
            for entry in cache.iterdir() if cache.is_dir() else []:
                stderr = entry / "stderr"
                # compiled by that kernel (not a link to the shared cache) and complete
                # (evcxr writes `stderr` last)
                if stderr.is_symlink() or not stderr.is_file() or (shared / entry.name).exists():
                    continue
                size = _size(entry)
                if size > room:
                    continue
                shared.mkdir(parents=True, exist_ok=True)
                try:
                    os.rename(entry, shared / entry.name)
                    room -= size
                except OSError:
                    pass  # another kernel's harvest put the same entry there first
            shutil.rmtree(layer, ignore_errors=True)
        finally:
            os.close(fd)


def make_layer(shared: Path, layers: Path) -> tuple[Path, int]:
    """A new layer over the shared cache; returns (its XDG_CACHE_HOME, the open lock fd)."""
    layer = layers / uuid.uuid4().hex[:12]
    cache = layer / "evcxr"
    cache.mkdir(parents=True, mode=0o700)
    fd = os.open(layer / ".in-use", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    for entry in shared.iterdir() if shared.is_dir() else []:
        if not (entry / "stderr").is_file():
            continue  # being written by a kernel right now, or not evcxr's
        mine = cache / entry.name
        mine.mkdir()
        for f in entry.iterdir():
            if f.name != "hits":
                os.symlink(f, mine / f.name)
        (mine / "hits").write_text("0")
    os.set_inheritable(fd, True)
    return layer, fd


def rust_src(folder: Path) -> Path | None:
    library = folder / "library"
    try:
        # `rustc -vV` of the toolchain it was made from, then a line saying how (trim: ...)
        made_from = "\n".join(l for l in (folder / "rustc-version").read_text().splitlines()
                               if not l.startswith("trim:")).strip()
    except OSError:
        return None
    try:
        running = subprocess.run(["rustc", "-vV"], capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    if running != made_from:
        note(f"{library} was made for another toolchain: the kernel reads the toolchain's own rust-src")
        return None
    return library if (library / "core").is_dir() else None


def cache_folders() -> tuple[Path, Path, int]:
    """(the shared evcxr cache, the kernels' layers, the cap in bytes) for this user."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    cap = int(os.environ.get("NNEX4_EVCXR_CACHE_MB", "500")) << 20
    return base / "evcxr", base / "nn-ex4" / "evcxr-kernels", cap


def harvest_all() -> None:
    harvest(*cache_folders())


def main(argv: list[str]) -> int:
    if "--" not in argv:
        note("usage: nnex4_kernel.py [--rust-src DIR] -- EVCXR_JUPYTER ARGS...")
        return 2
    cut = argv.index("--")
    opts, command = argv[:cut], argv[cut + 1:]
    src_dir = Path(opts[opts.index("--rust-src") + 1]) if "--rust-src" in opts else None

    if src_dir and not os.environ.get("RUST_SRC_PATH"):
        library = rust_src(src_dir)
        if library:
            os.environ["RUST_SRC_PATH"] = str(library)

    shared, layers, cap = cache_folders()
    try:
        harvest(shared, layers, cap)
        layer, _fd = make_layer(shared, layers)
        os.environ["XDG_CACHE_HOME"] = str(layer)
    except OSError as e:
        note(f"no cache layer ({e}): the kernel uses {shared} directly")
    os.execv(command[0], command)
    return 127


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
