#!/usr/bin/env bash
# Is $1 a Python the kit's pinned packages install on? The one place that says which:
# requirements.txt's numpy 2.4, scipy 1.17 and nbgrader 0.9.6 require Python >= 3.11
# (tests/test_environment.py checks this against the installed packages' Requires-Python).
# Used by scripts/setup.sh and hub/install.sh; $2 names the caller in the message.
set -euo pipefail
PYTHON_MIN=3.11
python=$1 who=${2:-error}
command -v "$python" >/dev/null || { echo "$who: $python not found (Python >= $PYTHON_MIN is needed)" >&2; exit 1; }
"$python" -c "import sys; sys.exit(sys.version_info[:2] < tuple(map(int, '$PYTHON_MIN'.split('.'))))" \
  || { echo "$who: $python is $("$python" --version 2>&1), too old: Python >= $PYTHON_MIN is needed (requirements.txt's pins)" >&2; exit 1; }
