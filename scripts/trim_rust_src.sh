#!/usr/bin/env bash
# Usage: scripts/trim_rust_src.sh DEST [RUSTC]
#
# Makes DEST/library: the toolchain's own standard-library sources (rust-src, found through
# `RUSTC --print sysroot`; nothing is downloaded) with `core::arch` (stdarch's core_arch:
# 16 MB of SIMD intrinsics for every target) replaced by an empty module and without the
# library's Cargo.toml/Cargo.lock, and DEST/rustc-version (`RUSTC -vV`, the toolchain it was
# made from). Without that manifest rust-analyzer assembles std from its own list of sysroot
# crates instead of running `cargo metadata` on it, which loads std's crates.io dependencies
# too (libc, hashbrown, gimli, ...; fetched from crates.io when missing, or failing offline). The notebook kernel gives DEST/library to
# evcxr's embedded rust-analyzer through RUST_SRC_PATH (scripts/setup.sh, hub/nnex4-kernel):
# rust-analyzer reads these sources to infer the type of every `let`, rustc never reads them
# (it links the toolchain's compiled std). The kernel then starts with less memory and CPU;
# see docs/notebook-speed.md for the figures. The kernel uses DEST/library only while
# DEST/rustc-version matches the toolchain it runs (the wrapper checks), so an updated
# toolchain falls back to its own rust-src instead of stale sources.
#
# A toolchain without rust-src: nothing is made, DEST is removed, and the kernel keeps evcxr's
# own behaviour (exit status 0, with a note). Safe to run again: an up-to-date DEST is kept.
set -euo pipefail
DEST=${1:?usage: scripts/trim_rust_src.sh DEST [RUSTC]}
RUSTC=${2:-rustc}
# (the second line: how the copy is made; a change here makes it again)
VERSION=$("$RUSTC" -vV; echo "trim: core::arch emptied, no Cargo.toml")
SRC=$("$RUSTC" --print sysroot)/lib/rustlib/src/rust/library
ARCH=stdarch/crates/core_arch/src
if [ ! -f "$SRC/core/src/lib.rs" ] || [ ! -f "$SRC/$ARCH/mod.rs" ]; then
  rm -rf "$DEST"
  echo "    no rust-src in $("$RUSTC" --print sysroot) (or no core::arch in it): the kernel reads std's sources the default way"
  exit 0
fi
if [ -f "$DEST/library/$ARCH/mod.rs" ] && [ "$(cat "$DEST/rustc-version" 2>/dev/null)" = "$VERSION" ]; then
  echo "    $DEST/library up to date"
  exit 0
fi
rm -rf "$DEST.new"
mkdir -p "$DEST.new"
cp -a "$SRC" "$DEST.new/library"
# keep the docs file core's arch.rs includes; drop every target's intrinsics
find "$DEST.new/library/$ARCH" -mindepth 1 -maxdepth 1 ! -name core_arch_docs.md -exec rm -rf {} +
cat > "$DEST.new/library/$ARCH/mod.rs" <<'RS'
//! Emptied by the nn-ex4 kit (scripts/trim_rust_src.sh) for evcxr's rust-analyzer: the
//! notebooks use no SIMD intrinsics, and rustc does not read these sources.
pub mod arch {}
RS
rm -f "$DEST.new/library/Cargo.toml" "$DEST.new/library/Cargo.lock"
printf '%s\n' "$VERSION" > "$DEST.new/rustc-version"
rm -rf "$DEST"
mv "$DEST.new" "$DEST"
echo "    $DEST/library: rust-src without core::arch ($(du -sh "$DEST/library" | cut -f1))"
