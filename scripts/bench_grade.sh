#!/usr/bin/env bash
# `make bench-grade`: how long grading a class of 30 takes (scripts/make_class.py: the
# reference, every classic mistake, stubs and hostile submissions), for this tree's grader
# and for a baseline grader (default: the `main` branch, `git archive`d into a temporary
# folder; BENCH_BASELINE=<git ref> picks another, BENCH_BASELINE=none skips it), in one run:
#   cold:   empty build folder (nn-core, nn-grader and their dependencies compiled too)
#   warm:   another class of 30 (new student modules) with that build folder
#   cached: the warm class again: every grade from GRADES/.cache
# Prints one line per run and the ratios this/baseline; build folders are temporary.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
baseline=${BENCH_BASELINE:-main}
python3 scripts/make_class.py "$work/class-a" >/dev/null
mkdir "$work/class-b"
for f in "$work"/class-a/*.ipynb; do cp "$f" "$work/class-b/b-$(basename "$f")"; done
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
echo "bench-grade: $(nproc) CPUs ($cpu), $(uname -m), $(rustc --version); load average $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A took
run() {  # label, tree, class, grades, build
  local start end
  start=$(date +%s.%N)
  python3 "$2/scripts/grade_class.py" "$3" "$4" --build-dir "$5" > "$work/$1.log" 2>&1 || { cat "$work/$1.log"; exit 1; }
  end=$(date +%s.%N)
  took[$1]=$(echo "$end - $start" | bc)
  printf 'bench-grade: %-16s %6.1f s  (%s)\n' "$1" "${took[$1]}" \
    "$(grep -E '^grade: (build|ran)' "$work/$1.log" | sed 's/^grade: //' | paste -sd ';' -)"
}
trees=(this)
if [ "$baseline" != none ]; then
  mkdir "$work/baseline"
  git archive "$baseline" | tar -x -C "$work/baseline"
  echo "bench-grade: baseline = $baseline ($(git rev-parse --short "$baseline"))"
  trees=(baseline this)
fi
for t in "${trees[@]}"; do
  tree=$([ "$t" = this ] && pwd || echo "$work/baseline")
  run "$t-cold" "$tree" "$work/class-a" "$work/grades-a-$t" "$work/build-$t"
  run "$t-warm" "$tree" "$work/class-b" "$work/grades-b-$t" "$work/build-$t"
  run "$t-cached" "$tree" "$work/class-b" "$work/grades-b-$t" "$work/build-$t"
done
if grep -q "grader error\|not graded" "$work"/grades-*/gradebook.csv; then
  echo "bench-grade: the grader failed on some students" >&2; exit 1
fi
if [ "$baseline" != none ]; then
  for k in cold warm cached; do
    printf 'bench-grade: %-6s this / baseline = %.2f\n' "$k" "$(echo "${took[this-$k]} / ${took[baseline-$k]}" | bc -l)"
  done
  # The same points for every student, and the same status (the 8th column, no comma in it)
  # except where either side timed out: under load a memory hog can run out of time before it
  # runs out of memory, in either tree.
  if ! diff <(cut -d, -f1-7 "$work/grades-b-baseline/gradebook.csv") <(cut -d, -f1-7 "$work/grades-b-this/gradebook.csv"); then
    echo "bench-grade: the points differ from the baseline's (above)" >&2; exit 1
  fi
  if ! python3 - "$work/grades-b-baseline/gradebook.csv" "$work/grades-b-this/gradebook.csv" <<'EOF'
import csv, sys
old, new = ({r[0]: r[7] for r in csv.reader(open(f))} for f in sys.argv[1:])
bad = [(k, old[k], new.get(k)) for k in old if old[k] != new.get(k) and "timed out" not in old[k] + str(new.get(k))]
for k, a, b in bad:
    print(f"{k}: baseline {a!r}, this tree {b!r}")
sys.exit(1 if bad or set(old) != set(new) else 0)
EOF
  then
    echo "bench-grade: the statuses differ from the baseline's (above)" >&2; exit 1
  fi
  echo "bench-grade: every student's points are the baseline's, and every status that did not time out"
fi
echo "bench-grade: load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
cut -d, -f1,7,8 "$work/grades-b-this/gradebook.csv" | column -s, -t | sed 's/^/  /'
