#!/usr/bin/env bash
# Runs a command on a PATH that has every command of this one except those named: the machine
# of a student who has only what the README asks for, on a machine that has more.
#   tests/without_tools.sh bwrap chromium chromium-browser chromedriver apt-get -- make test
set -euo pipefail
hide=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do hide+=("$1"); shift; done
[ "${1:-}" = "--" ] && [ $# -gt 1 ] || { echo "usage: $0 TOOL... -- COMMAND [ARG...]" >&2; exit 2; }
shift
bin=$(mktemp -d "${TMPDIR:-/tmp}/nn-ex4-path.XXXXXX")
trap 'rm -rf "$bin"' EXIT
IFS=: read -ra dirs <<< "$PATH"
for d in "${dirs[@]}"; do
  [ -d "$d" ] || continue
  for f in "$d"/*; do
    n=${f##*/}
    [ -x "$f" ] && [ ! -d "$f" ] && [ ! -e "$bin/$n" ] || continue
    for h in "${hide[@]}"; do [ "$n" = "$h" ] && continue 2; done
    ln -s "$f" "$bin/$n"
  done
done
for h in "${hide[@]}"; do
  if PATH=$bin command -v "$h" >/dev/null; then echo "$0: could not hide $h" >&2; exit 1; fi
done
echo "without_tools: PATH hides ${hide[*]}"
PATH=$bin "$@"
