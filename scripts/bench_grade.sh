#!/usr/bin/env bash
# `make bench-grade`: how long grading a class of 30 takes (scripts/make_class.py: the
# reference, every classic mistake, stubs and hostile submissions).
#   cold:   empty build folder (nn-core, nn-grader and their dependencies compiled too)
#   warm:   another class of 30 (new student modules) with that build folder
#   cached: the warm class again: every grade from GRADES/.cache
# Prints one line per run; the build folder is target/grade-class-bench (removed first).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
build=target/grade-class-bench
rm -rf "$build"
python3 scripts/make_class.py "$work/class-a" >/dev/null
mkdir "$work/class-b"
for f in "$work"/class-a/*.ipynb; do cp "$f" "$work/class-b/b-$(basename "$f")"; done
echo "bench-grade: $(nproc) CPUs, $(uname -m), $(rustc --version)"
run() {  # name, class, grades
  local start end
  start=$(date +%s.%N)
  python3 scripts/grade_class.py "$2" "$3" --build-dir "$build" > "$work/$1.log" 2>&1 || { cat "$work/$1.log"; exit 1; }
  end=$(date +%s.%N)
  printf 'bench-grade: %-6s %6.1f s  (%s)\n' "$1" "$(echo "$end - $start" | bc)" \
    "$(grep -E '^grade: (build|ran)' "$work/$1.log" | sed 's/^grade: //' | paste -sd ';' -)"
}
run cold "$work/class-a" "$work/grades-a"
run warm "$work/class-b" "$work/grades-b"
run cached "$work/class-b" "$work/grades-b"
if grep -q "grader error\|not graded" "$work"/grades-*/gradebook.csv; then
  echo "bench-grade: the grader failed on some students" >&2; exit 1
fi
cut -d, -f1,7,8 "$work/grades-b/gradebook.csv" | column -s, -t | sed 's/^/  /'
