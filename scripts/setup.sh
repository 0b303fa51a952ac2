#!/usr/bin/env bash
# Sets up everything the notebooks need, without sudo. Safe to run again: finished steps
# are skipped.
#   1. .venv/ (python3 -m venv) with the pinned packages of requirements.txt
#   2. evcxr_jupyter (the Rust Jupyter kernel), built with cargo if it is missing
#   3. the `rust` kernelspec, registered inside .venv/share/jupyter (not in ~/.local)
# Environment knobs: PYTHON (default python3), VENV (default .venv),
# EVCXR_VERSION (default 0.22.0, used only when evcxr_jupyter must be built).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
PYTHON=${PYTHON:-python3}
VENV=${VENV:-$ROOT/.venv}
case "$VENV" in /*) ;; *) VENV=$ROOT/$VENV ;; esac
EVCXR_VERSION=${EVCXR_VERSION:-0.22.0}
CARGO_BIN=${CARGO_HOME:-$HOME/.cargo}/bin

SETUP_START=$(date +%s)
STEP_START=$SETUP_START
TIMINGS=()
step() { STEP_START=$(date +%s); echo "==> $*"; }
done_step() {
  local secs=$(( $(date +%s) - STEP_START ))
  TIMINGS+=("$(printf '%5ss  %s' "$secs" "$1")")
  echo "    done in ${secs}s"
}

# --- 0. tools that must already be there --------------------------------------------
step "checking python, cargo, rustc"
scripts/check_python.sh "$PYTHON"
if ! command -v cargo >/dev/null && [ -x "$CARGO_BIN/cargo" ]; then export PATH="$CARGO_BIN:$PATH"; fi
command -v cargo >/dev/null || { echo "error: cargo not found; install Rust (>= 1.95) first" >&2; exit 1; }
echo "    $("$PYTHON" --version), $(rustc --version), $(cargo --version)"
done_step "check tools"

# The class grader's sandbox (make grade): bubblewrap and user namespaces. A student needs
# neither (the in-notebook grader runs without them; their tests skip, saying so); a teacher's
# `make grade` stops with the fix when they are absent. As root with apt-get, it is installed.
step "checking the grading sandbox (bubblewrap)"
# A teacher's server: as root with apt-get, install Debian's bubblewrap rather than stop later.
if ! command -v bwrap >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "    bwrap is missing; running as root with apt-get: apt-get install bubblewrap"
  if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null 2>&1 \
     || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null 2>&1; }; then
    echo "    installed bubblewrap: $(bwrap --version)"
  else
    echo "    warning: apt-get install bubblewrap failed; make grade will stop until it is installed" >&2
  fi
fi
if ! command -v bwrap >/dev/null; then
  echo "    warning: bwrap is missing: make grade will stop until it is installed (apt-get install bubblewrap)" >&2
else
  # as an unprivileged user, as the grader runs it; as root, where Ubuntu's AppArmor restricts
  # user namespaces, the profile for bwrap Ubuntu documents is installed and loaded
  if [ "$(id -u)" = 0 ]; then userns=ensure; else userns=check; fi
  if ! "$PYTHON" scripts/grading/userns.py "$userns" > /tmp/nn-ex4-bwrap.$$ 2>&1; then
    sed 's/^/    warning: /' /tmp/nn-ex4-bwrap.$$ >&2
    echo "    warning: make grade will stop until that is fixed (a student's notebooks do not need it)" >&2
  else
    sed 's/^sandbox: /    /' /tmp/nn-ex4-bwrap.$$
  fi
fi
rm -f /tmp/nn-ex4-bwrap.$$
done_step "grading sandbox"

# --- 1. virtual environment ----------------------------------------------------------
step "python venv in ${VENV#"$ROOT"/}"
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
  echo "    created"
else
  echo "    exists"
fi
done_step "venv"

step "pip install -r requirements.txt"
REQ_HASH=$("$VENV/bin/python" -c 'import hashlib; print(hashlib.sha256(open("requirements.txt", "rb").read()).hexdigest())')
STAMP=$VENV/.requirements.sha256
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$REQ_HASH" ]; then
  echo "    already installed (requirements.txt unchanged)"
else
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements.txt
  echo "$REQ_HASH" > "$STAMP"
  echo "    installed"
fi
done_step "pip install"

# --- 2. evcxr_jupyter --------------------------------------------------------------
step "evcxr_jupyter"
# (the binary itself, not a link to it: the kernel must not depend on the PATH setup ran with)
EVCXR=$(readlink -f "$(command -v evcxr_jupyter)" 2>/dev/null || true)
if [ -z "$EVCXR" ] && [ -x "$CARGO_BIN/evcxr_jupyter" ]; then EVCXR=$CARGO_BIN/evcxr_jupyter; fi
if [ -z "$EVCXR" ]; then
  echo "    not found: building it with cargo install --locked evcxr_jupyter@$EVCXR_VERSION"
  echo "    (this takes about 8 minutes on 2 cores, once; later runs skip it)"
  # Default release settings on purpose: opt-level 1 builds it 14% faster, but the kernel
  # then opens every notebook 2-3 s slower (its rust-analyzer runs slower); see the README.
  cargo install --locked evcxr_jupyter --version "$EVCXR_VERSION"
  EVCXR=$CARGO_BIN/evcxr_jupyter
else
  echo "    found $EVCXR"
fi
done_step "evcxr_jupyter"

# --- 3. the `rust` kernel, inside the venv ------------------------------------------
step "registering the rust kernel in ${VENV#"$ROOT"/}/share/jupyter"
# evcxr_jupyter --install writes to $JUPYTER_PATH/kernels/rust when JUPYTER_PATH is set.
JUPYTER_PATH="$VENV/share/jupyter" "$EVCXR" --install >/dev/null
KERNEL_DIR=$VENV/share/jupyter/kernels/rust
[ -f "$KERNEL_DIR/kernel.json" ] || { echo "error: $KERNEL_DIR/kernel.json was not written" >&2; exit 1; }
# The kernel's TMPDIR is .evcxr/ in the kit: evcxr makes its build folders there, so cargo
# finds .evcxr/.cargo/config.toml (libraries built without incremental compilation, so that
# `:cache` reuses nn-core instead of compiling it for every notebook, and without debug
# assertions; the notebook's own cells keep evcxr's settings). See that file.
mkdir -p "$ROOT/.evcxr"
"$VENV/bin/python" - "$KERNEL_DIR/kernel.json" "$ROOT/.evcxr" <<'PY'
import json, os, sys
path, tmpdir = sys.argv[1], sys.argv[2]
spec = json.load(open(path))
spec.setdefault("env", {})["TMPDIR"] = tmpdir
with open(path + ".tmp", "w") as f:
    json.dump(spec, f, indent=2)
    f.write("\n")
os.replace(path + ".tmp", path)
PY
echo "    kernel.json: env TMPDIR=${ROOT}/.evcxr (build settings in .evcxr/.cargo/config.toml)"
# Kept across evcxr upgrades: evcxr_jupyter rewrites $JUPYTER_PATH/kernels/rust/kernel.json
# (or ~/.local/share/jupyter/kernels/rust's), dropping its env, whenever that folder's
# version.txt differs from its binary. kernel.json starts evcxr through a wrapper (in the
# kernel's folder) that sets the same TMPDIR and points JUPYTER_PATH at a folder with no
# kernels/ in it, so evcxr's check finds nothing to rewrite, whatever version it is.
# The standard library's sources for evcxr's rust-analyzer, without core::arch (less memory
# and CPU at every kernel start; made from the toolchain's rust-src, nothing is downloaded).
bash "$ROOT/scripts/trim_rust_src.sh" "$ROOT/.evcxr/rust-src"
# The wrapper ends in scripts/nnex4_kernel.py: a private layer of evcxr's cache per kernel (two
# notebooks open at once) and RUST_SRC_PATH when the trimmed sources fit the toolchain.
cat > "$KERNEL_DIR/nnex4-kernel" <<SH
#!/bin/sh
# written by scripts/setup.sh: the kit's rust kernel (see there)
export JUPYTER_PATH="$KERNEL_DIR/no-kernelspecs-here"
export TMPDIR="$ROOT/.evcxr"
# ndarray's matrix products on one thread: with a thread pool, a forked child (where
# nn_grader::train_with runs a student's training, stoppable) would wait for pool threads
# it does not have, and the training would run in the kernel itself (see hub/nnex4-kernel)
export MATMUL_NUM_THREADS=1
exec "$VENV/bin/python" "$ROOT/scripts/nnex4_kernel.py" --rust-src "$ROOT/.evcxr/rust-src" -- "$EVCXR" "\$@"
SH
chmod 755 "$KERNEL_DIR/nnex4-kernel"
"$VENV/bin/python" - "$KERNEL_DIR/kernel.json" "$KERNEL_DIR/nnex4-kernel" <<'PY'
import json, os, sys
path, wrapper = sys.argv[1], sys.argv[2]
spec = json.load(open(path))
spec["argv"] = [wrapper] + spec["argv"][1:]
with open(path + ".tmp", "w") as f:
    json.dump(spec, f, indent=2)
    f.write("\n")
os.replace(path + ".tmp", path)
PY
echo "    kernel.json: argv starts $KERNEL_DIR/nnex4-kernel (TMPDIR kept across evcxr upgrades, MATMUL_NUM_THREADS=1)"
# Verify with jupyter itself that the venv sees the kernel, and that it is the venv's one.
LISTED=$("$VENV/bin/jupyter" kernelspec list | awk '$1 == "rust" {print $2}')
if [ -z "$LISTED" ]; then
  echo "error: 'jupyter kernelspec list' from the venv does not show the rust kernel" >&2
  "$VENV/bin/jupyter" kernelspec list >&2
  exit 1
fi
echo "    jupyter kernelspec list: rust -> $LISTED"
if [ "$(cd "$LISTED" && pwd -P)" != "$(cd "$KERNEL_DIR" && pwd -P)" ]; then
  echo "    warning: another 'rust' kernelspec shadows the venv's one: $LISTED" >&2
fi
done_step "rust kernel"

echo
echo "setup timings:"
printf '  %s\n' "${TIMINGS[@]}"
echo "  total $(( $(date +%s) - SETUP_START ))s"
