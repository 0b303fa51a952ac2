#!/usr/bin/env bash
# make test: the three suites (cargo, Python, notebooks), each run even when one before it
# failed, then one summary of the three, and last the notebook runner's own closing line
# (`notebooks: N passed, M failed`). Exits non-zero if any suite failed.
# Variables given to `make test` (PYTEST_ARGS, NB_ARGS, ...) reach the suites through MAKEFLAGS.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.."
MAKE=${MAKE:-make}
nb_log=$(mktemp)
trap 'rm -f "$nb_log"' EXIT

"$MAKE" --no-print-directory rust-test;   rust=$?
"$MAKE" --no-print-directory python-test; python=$?
"$MAKE" --no-print-directory notebook-test 2>&1 | tee "$nb_log"; notebooks=${PIPESTATUS[0]}

word() { [ "$1" = 0 ] && echo passed || echo "FAILED (exit $1)"; }
last=$(grep -E '^notebooks: [0-9]+ passed, [0-9]+ failed' "$nb_log" | tail -n 1)
echo
echo "make test: cargo tests $(word "$rust"); python tests $(word "$python"); notebooks $(word "$notebooks")"
echo "${last:-notebooks: the runner printed no summary (exit $notebooks)}"
[ "$rust" = 0 ] && [ "$python" = 0 ] && [ "$notebooks" = 0 ]
