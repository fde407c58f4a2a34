#!/usr/bin/env bash
# Times the programs of a Scheme benchmark folder (laid out as ../shared/scheme-benchmarks: src/
# and inputs/) on Guile 3 and on gcscheme with each collector, and prints a Markdown table: each
# program's own `Elapsed time`, and for gcscheme the collector's share of the run (--gc-stats).
#
#   scripts/scheme-vs-guile.sh SUITE INPUTS [COLLECTORS]
#
# INPUTS holds NAME.input for each program to run (the suite's own are large: an interpreter
# wants smaller ones; gc-scheme/tests/inputs are the tests'). COLLECTORS is a comma-separated
# list (default: the six collectors of the default build). Guile runs with --r7rs, once to
# compile the program and once timed; a missing `guile` leaves its column empty.
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 SUITE INPUTS [COLLECTORS]" >&2
  exit 2
fi
suite=$1
inputs=$2
collectors=${3:-marksweep,markcompact,incremental,gen-marksweep,gen-markcompact,gen-incremental}
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/lib/scheme.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

build_gcscheme
has_guile=$(command -v guile >/dev/null && echo yes || echo no)

# The program's own `Elapsed time: S seconds`, or the first error line.
elapsed() {
  grep -m1 -o 'Elapsed time: [0-9.e-]*' "$1" | awk '{printf "%.3g\n", $3}' | grep . ||
    grep -m1 -E 'ERROR|error' "$1" | cut -c1-40 || echo '?'
}

IFS=, read -r -a names <<<"$collectors"
header="| program | guile s |"
rule="|---|---|"
for name in "${names[@]}"; do
  header+=" $name s (GC) |"
  rule+="---|"
done
echo "$header"
echo "$rule"
for input in "$inputs"/*.input; do
  program=$(basename "$input" .input)
  [[ -f $suite/src/$program.scm ]] || continue
  assemble_program "$suite" "$program" "$work/$program.scm"
  row="| $program |"
  if [[ $has_guile == yes ]]; then
    assemble_program "$suite" "$program" "$work/$program-guile.scm" \
      '(define (this-scheme-implementation-name) "guile")'
    guile --r7rs "$work/$program-guile.scm" <"$input" >/dev/null 2>&1 || true
    guile --r7rs "$work/$program-guile.scm" <"$input" >"$work/out" 2>&1 || true
    row+=" $(elapsed "$work/out") |"
  else
    row+=" |"
  fi
  for name in "${names[@]}"; do
    "$gcscheme" --collector "$name" --gc-stats "$work/$program.scm" <"$input" \
      >"$work/out" 2>"$work/err" || true
    share=$(grep -o '([0-9.]*% in the collector)' "$work/err" | grep -o '[0-9.]*%' || echo '?')
    row+=" $(elapsed "$work/out") ($share) |"
  done
  echo "$row"
done
