#!/usr/bin/env bash
# Records the programs of a Scheme benchmark folder (laid out as ../shared/scheme-benchmarks: src/
# and inputs/) as gclab traces, one per program, for `gclab compare` like any other trace:
#
#   scripts/record-scheme-suite.sh SUITE INPUTS OUT [PROGRAM...]
#   cargo run --release -- compare OUT/*.gctb
#
# INPUTS holds NAME.input for each program to record (the suite's own inputs are large: a trace
# holds every allocation and store, so pick sizes whose traces fit the disk; gc-scheme/tests/inputs
# are small). Without PROGRAM names, every program with an input is recorded. A program that
# prints `ERROR` or no `Elapsed time`, or fails, stops the script with its output.
set -euo pipefail

if [[ $# -lt 3 ]]; then
  echo "usage: $0 SUITE INPUTS OUT [PROGRAM...]" >&2
  exit 2
fi
suite=$1
inputs=$2
out=$3
shift 3
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/lib/scheme.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

build_gcscheme
mkdir -p "$out"

programs=("$@")
if [[ ${#programs[@]} -eq 0 ]]; then
  for input in "$inputs"/*.input; do
    programs+=("$(basename "$input" .input)")
  done
fi
for program in "${programs[@]}"; do
  source=$suite/src/$program.scm
  input=$inputs/$program.input
  for file in "$source" "$input"; do
    [[ -f $file ]] || { echo "$0: no $file" >&2; exit 1; }
  done
  assemble_program "$suite" "$program" "$work/$program.scm"
  trace=$out/$program.gctb
  if ! "$gcscheme" --record "$trace" "$work/$program.scm" <"$input" >"$work/out" 2>&1 ||
    grep -q 'ERROR' "$work/out" || ! grep -q 'Elapsed time' "$work/out"; then
    echo "$0: $program failed:" >&2
    cat "$work/out" >&2
    exit 1
  fi
  echo "$program: $(du -h "$trace" | cut -f1) trace, $(grep -m1 -o 'Elapsed time: [0-9.e-]*' "$work/out")"
done
echo "compare them: cargo run --release -- compare $out/*.gctb"
