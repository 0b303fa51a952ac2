#!/usr/bin/env bash
# Installs the class server's shared, root-owned, read-only half into $NNEX4_HUB_PREFIX
# (default /opt/nn-ex4-hub). Run as root on a machine where `make setup` ran (it needs
# evcxr_jupyter and the Rust toolchain). Safe to run again: finished steps are skipped.
#   venv/     the hub's Python: requirements.txt + hub/requirements-hub.txt (JupyterHub,
#             idle culler, first-use authenticator); every student's server runs from it
#   node/     configurable-http-proxy from npm, pinned, local to the prefix (not global)
#   rust/     ONE toolchain (hard links to root's rustup toolchain where the filesystem allows)
#   cargo/    ONE CARGO_HOME: the registry the notebooks' :dep lines need, and config.toml
#             with the kit's build settings for libraries (.evcxr/.cargo/config.toml)
#   rust-src/ the toolchain's standard-library sources without core::arch, for evcxr's
#             rust-analyzer (scripts/trim_rust_src.sh)
#   bin/      ONE evcxr_jupyter, and nnex4-kernel, the wrapper the `rust` kernelspec starts
#   kit/      the kit's files (nn-core, nn-grader, data, notebooks, ...) the notebooks load
#   warm/     evcxr's :cache after running the notebooks' setup cells: each student's cache
#             is seeded from it on first login (hub/spawner.py)
# Knobs: NNEX4_HUB_PREFIX, CHP_VERSION, PYTHON.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
PREFIX=${NNEX4_HUB_PREFIX:-/opt/nn-ex4-hub}
# the students' servers run from this venv as the students: its Python must be one every
# user can run (pyenv's under /root is not); Debian's python3 is
PYTHON=${PYTHON:-$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || command -v python3)}
CHP_VERSION=${CHP_VERSION:-4.6.3}
CARGO_BIN=${CARGO_HOME:-$HOME/.cargo}/bin
[ "$(id -u)" = 0 ] || { echo "hub/install.sh: run as root (it creates the shared read-only files students use)" >&2; exit 1; }
if ! command -v cargo >/dev/null && [ -x "$CARGO_BIN/cargo" ]; then export PATH="$CARGO_BIN:$PATH"; fi
t0=$(date +%s)
say() { echo "hub-install: $* ($(( $(date +%s) - t0 ))s)"; }
umask 022
mkdir -p "$PREFIX"
chmod 755 "$PREFIX"

# --- venv ---------------------------------------------------------------------------
scripts/check_python.sh "$PYTHON" hub/install.sh
if ! runuser -u nobody -- "$PYTHON" -c 'import venv' 2>/dev/null; then
  echo "hub/install.sh: $PYTHON cannot be run by other users (it lives in $(readlink -f "$PYTHON")); set PYTHON to a system-wide python3 >= 3.11" >&2
  exit 1
fi
if [ -x "$PREFIX/venv/bin/python" ] && ! runuser -u nobody -- "$PREFIX/venv/bin/python" -c pass 2>/dev/null; then
  echo "hub-install: $PREFIX/venv's python is not runnable by students: making it again"
  rm -rf "$PREFIX/venv"
fi
REQ_HASH=$(cat requirements.txt hub/requirements-hub.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$PREFIX/venv/.requirements.sha256" 2>/dev/null)" != "$REQ_HASH" ]; then
  [ -x "$PREFIX/venv/bin/python" ] || "$PYTHON" -m venv "$PREFIX/venv"
  "$PREFIX/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r requirements.txt -r hub/requirements-hub.txt
  echo "$REQ_HASH" > "$PREFIX/venv/.requirements.sha256"
  say "venv installed"
else
  say "venv up to date"
fi

# --- configurable-http-proxy (npm, pinned, local) ------------------------------------
CHP=$PREFIX/node/node_modules/.bin/configurable-http-proxy
if [ "$("$CHP" --version 2>/dev/null)" != "$CHP_VERSION" ]; then
  command -v npm >/dev/null || { echo "hub/install.sh: npm is needed (Debian: apt-get install nodejs npm)" >&2; exit 1; }
  mkdir -p "$PREFIX/node"
  npm install --silent --no-audit --no-fund --prefix "$PREFIX/node" "configurable-http-proxy@$CHP_VERSION" >/dev/null
  say "configurable-http-proxy $("$CHP" --version) installed"
else
  say "configurable-http-proxy $CHP_VERSION present"
fi

# --- one toolchain ----------------------------------------------------------------------
RUSTC=$(rustup which rustc 2>/dev/null || command -v rustc)
TOOLCHAIN=$(cd "$(dirname "$(readlink -f "$RUSTC")")/.." && pwd -P)
TC_NAME=$(basename "$TOOLCHAIN")
# evcxr's rust-analyzer infers the type of every `let` from the sources of std: rust-src
[ -d "$TOOLCHAIN/lib/rustlib/src/rust/library" ] || {
  echo "hub/install.sh: $TOOLCHAIN has no rust-src (evcxr needs it to infer variables' types): rustup component add rust-src" >&2; exit 1; }
# (again when a component was added: hard links share the components file, so compare folders)
if [ "$(ls "$TOOLCHAIN/lib/rustlib")" != "$(ls "$PREFIX/rust/$TC_NAME/lib/rustlib" 2>/dev/null)" ]; then
  rm -rf "$PREFIX/rust.new"
  mkdir -p "$PREFIX/rust.new"
  # hard links: no second 1.4 GB copy; root-owned, and students cannot write them
  cp -al "$TOOLCHAIN" "$PREFIX/rust.new/$TC_NAME" 2>/dev/null || cp -a "$TOOLCHAIN" "$PREFIX/rust.new/$TC_NAME"
  rm -rf "$PREFIX/rust"
  mv "$PREFIX/rust.new" "$PREFIX/rust"
  say "toolchain $TC_NAME copied"
fi
ln -sfn "$TC_NAME" "$PREFIX/rust/current"
# the standard library's sources for the kernels' rust-analyzer, without core::arch
bash scripts/trim_rust_src.sh "$PREFIX/rust-src" "$PREFIX/rust/current/bin/rustc"

# --- one CARGO_HOME (the registry is filled by the warm run below) ---------------------
mkdir -p "$PREFIX/cargo"
install -m 644 .evcxr/.cargo/config.toml "$PREFIX/cargo/config.toml"

# --- the kit's files ----------------------------------------------------------------
rm -rf "$PREFIX/kit.new"
mkdir -p "$PREFIX/kit.new"
if git rev-parse --git-dir >/dev/null 2>&1; then
  git ls-files -z -co --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$PREFIX/kit.new"
else
  tar --exclude=./target --exclude=./.venv --exclude=./.git --exclude=./out -cf - . | tar -xf - -C "$PREFIX/kit.new"
fi
if [ -d "$PREFIX/kit" ] && diff -rq "$PREFIX/kit" "$PREFIX/kit.new" -x out >/dev/null 2>&1; then
  rm -rf "$PREFIX/kit.new"
  KIT_CHANGED=0
else
  rm -rf "$PREFIX/kit"
  mv "$PREFIX/kit.new" "$PREFIX/kit"
  KIT_CHANGED=1
  say "kit copied"
fi

# --- nbgrader, for everybody who runs from the hub venv (students' servers, the teacher) ----
mkdir -p "$PREFIX/venv/etc/jupyter"
cat > "$PREFIX/venv/etc/jupyter/nbgrader_config.py" <<'PY'
# The class server's nbgrader settings (hub/install.sh); the hub passes these variables to
# every student's server (hub/spawner.py). A course folder's own nbgrader_config.py
# (scripts/nbgrader_notebook.py course) adds the rust stub and the autograder's timeout.
import os
c = get_config()  # noqa: F821
c.Exchange.root = os.environ.get("NNEX4_HUB_EXCHANGE", "/srv/nbgrader/exchange")
c.CourseDirectory.course_id = os.environ.get("NNEX4_HUB_COURSE", "nnex4")
# evcxr's reply to a cell that does not compile lacks `ename`: nbgrader's Execute, completed
# (the students' Validate button and the teacher's autograde; scripts/nbgrader_evcxr.py).
import sys
sys.path.insert(0, "@PREFIX@/kit/scripts")
import nbgrader_evcxr
nbgrader_evcxr.configure(c)
PY
sed -i "s|@PREFIX@|$PREFIX|g" "$PREFIX/venv/etc/jupyter/nbgrader_config.py"

# --- one evcxr_jupyter + the kernel wrapper --------------------------------------------
EVCXR=$(command -v evcxr_jupyter || echo "$CARGO_BIN/evcxr_jupyter")
[ -x "$EVCXR" ] || { echo "hub/install.sh: evcxr_jupyter not found: run make setup first" >&2; exit 1; }
mkdir -p "$PREFIX/bin"
if ! cmp -s "$EVCXR" "$PREFIX/bin/evcxr_jupyter"; then
  install -m 755 "$EVCXR" "$PREFIX/bin/evcxr_jupyter.new"
  mv "$PREFIX/bin/evcxr_jupyter.new" "$PREFIX/bin/evcxr_jupyter"
fi
install -m 755 hub/nnex4-kernel "$PREFIX/bin/nnex4-kernel"
sed -i "s|@PREFIX@|$PREFIX|g" "$PREFIX/bin/nnex4-kernel"

# --- the `rust` kernelspec, in the hub venv ---------------------------------------------
# evcxr rewrites $JUPYTER_PATH/kernels/rust/kernel.json (dropping its env) when that folder's
# version.txt does not match its binary. The wrapper hides that folder from evcxr (see
# hub/nnex4-kernel), the folder is root-owned, and the settings live in the wrapper, not in
# kernel.json's env: an upgraded evcxr_jupyter cannot drop them.
KDIR=$PREFIX/venv/share/jupyter/kernels/rust
rm -rf "$KDIR.new"
JUPYTER_PATH="$PREFIX/venv/share/jupyter/.evcxr-install" "$PREFIX/bin/evcxr_jupyter" --install >/dev/null
mv "$PREFIX/venv/share/jupyter/.evcxr-install/kernels/rust" "$KDIR.new"
rm -rf "$PREFIX/venv/share/jupyter/.evcxr-install"
"$PREFIX/venv/bin/python" - "$KDIR.new/kernel.json" "$PREFIX/bin/nnex4-kernel" <<'PY'
import json, sys
path, wrapper = sys.argv[1], sys.argv[2]
spec = json.load(open(path))
spec["argv"] = [wrapper, "--control_file", "{connection_file}"]
spec.pop("env", None)
json.dump(spec, open(path, "w"), indent=2)
PY
rm -rf "$KDIR"
mv "$KDIR.new" "$KDIR"

# --- the warm build: the notebooks' setup cells, run once as they run for a student ------
WARM_STAMP=$PREFIX/warm/.stamp
WARM_KEY=$( (sha256sum "$PREFIX/bin/evcxr_jupyter"; echo "$TC_NAME"; ls "$PREFIX/rust/$TC_NAME/lib/rustlib"; cat "$PREFIX/cargo/config.toml";
             cd "$PREFIX/kit" && find nn-core nn-grader Cargo.toml -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum)
if [ "$(cat "$WARM_STAMP" 2>/dev/null)" != "$WARM_KEY" ]; then
  rm -rf "$PREFIX/warm"
  mkdir -p "$PREFIX/warm/home"
  # the kernel's environment as a student's server gives it (hub/spawner.py kernel_env)
  env -i PATH="$PREFIX/rust/current/bin:$PREFIX/venv/bin:/usr/local/bin:/usr/bin:/bin" \
      HOME="$PREFIX/warm/home" USER=root LANG=C.UTF-8 \
      CARGO_HOME="$PREFIX/cargo" RUSTUP_HOME="$PREFIX/rust" \
      "$PREFIX/venv/bin/python" "$PREFIX/kit/scripts/warm.py"
  rm -rf "$PREFIX/warm/home/.cache/nn-ex4"  # build folders, the ended kernels' cache layers
  # (as root and online, the warm run also fetched the crates rust-src's std depends on, which
  # evcxr's rust-analyzer loads; students then run cargo offline against this registry)
  echo "$WARM_KEY" > "$WARM_STAMP"
  say "warm build done ($(du -sh "$PREFIX/warm/home/.cache/evcxr" | cut -f1) of evcxr cache)"
else
  say "warm build up to date"
fi

# --- the crates of make grade's class project: nn-grader's, at the kit's Cargo.lock ---------
# The teacher builds the class (scripts/grade_class.py) as themselves against this read-only
# CARGO_HOME, so every locked crate must be here, downloaded and unpacked (the warm build above
# fetched only what evcxr resolved for the notebooks): `cargo metadata` does both.
CARGO_HOME="$PREFIX/cargo" cargo metadata --locked --format-version 1 --manifest-path "$PREFIX/kit/Cargo.toml" >/dev/null
say "the kit's locked crates are in $PREFIX/cargo"

# --- read-only for everyone but root ------------------------------------------------------
chown -R root:root "$PREFIX"
chmod -R go-w "$PREFIX"
say "done: $PREFIX"
