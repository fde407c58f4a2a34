#!/usr/bin/env bash
# binary-trees (the Benchmarks Game's) through gclab's mutator API, beside the same program on
# Rust's Box and Rc, HotSpot and Node, in one session on one machine: the whole-run times the
# embedding API's targets are stated in (criterion's `cargo bench -p bench-harness --bench mutator` has
# depth 16).
#
#   scripts/binary-trees-peers.sh [DEPTH ...]      # default: 18 21
#
# Environment: RUNS (best of, default 3), COLLECTORS (default: gen-marksweep marksweep
# gen-incremental), PEERS (the peers folder, default ../shared/peers). Each time is the program's
# own measure of its work (gclab's `wall`, the peers' `total_ms`), not process start-up; the best
# of RUNS runs is kept, as HotSpot's adaptive sizing varies a lot from run to run. Peers that are
# missing (no java, no node, no peers folder) are skipped with a message.
set -euo pipefail
cd "$(dirname "$0")/.."

depths=("$@")
[ ${#depths[@]} -gt 0 ] || depths=(18 21)
runs=${RUNS:-3}
collectors=(${COLLECTORS:-gen-marksweep marksweep gen-incremental})
peers=${PEERS:-../shared/peers}

cargo build --release -q -p bench-harness
gclab=target/release/gclab
rustpeers=""
if [ -d "$peers/rust-binarytrees" ]; then
    # shared/ may be read-only: build beside the project's own target.
    CARGO_TARGET_DIR=target/rustpeers cargo build --release -q \
        --manifest-path "$peers/rust-binarytrees/Cargo.toml"
    rustpeers=target/rustpeers/release/rustpeers
else
    echo "no $peers/rust-binarytrees: Box and Rc skipped" >&2
fi

# best_ms COMMAND...: the smallest time in ms over $runs runs of COMMAND, read from its output.
best_ms() {
    local best=""
    for _ in $(seq "$runs"); do
        local out ms
        out=$("$@" 2>&1) || { echo "failed: $*" >&2; echo "-"; return; }
        ms=$(printf '%s\n' "$out" | awk '
            /wall: / { for (i = 1; i <= NF; i++) if ($i == "wall:") { printf "%.0f", $(i + 1) * 1000; exit } }
            /total_ms/ { for (i = 1; i <= NF; i++) { if ($i ~ /^total_ms=/) { sub("total_ms=", "", $i); printf "%.0f", $i; exit } if ($i == "total_ms") { printf "%.0f", $(i + 1); exit } } }')
        [ -n "$ms" ] || { echo "no time in the output of: $*" >&2; echo "-"; return; }
        if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
    done
    echo "$best"
}

for depth in "${depths[@]}"; do
    scale=$((1 << (depth > 12 ? depth - 12 : 0)))
    declare -A times=()
    order=()
    if [ -n "$rustpeers" ]; then
        for strategy in box rc; do
            times[$strategy]=$(best_ms "$rustpeers" "$strategy" "$depth"); order+=("$strategy")
        done
    fi
    for collector in "${collectors[@]}"; do
        times["gclab $collector"]=$(best_ms "$gclab" run -w binary-trees --scale "$scale" -c "$collector" -q)
        order+=("gclab $collector")
    done
    if command -v java >/dev/null && [ -f "$peers/BinaryTrees.java" ]; then
        for gc in SerialGC ParallelGC; do
            times["HotSpot $gc"]=$(best_ms java "-XX:+Use$gc" "$peers/BinaryTrees.java" "$depth")
            order+=("HotSpot $gc")
        done
    else
        echo "no java or $peers/BinaryTrees.java: HotSpot skipped" >&2
    fi
    if command -v node >/dev/null && [ -f "$peers/binarytrees.js" ]; then
        times[node]=$(best_ms node "$peers/binarytrees.js" "$depth"); order+=("node")
    fi
    box=${times[box]:-}
    echo "binary-trees depth $depth (best of $runs)"
    printf '  %-24s %10s %8s\n' program ms "x Box"
    for name in "${order[@]}"; do
        ms=${times[$name]}
        ratio="-"
        if [ -n "$box" ] && [ "$box" != "-" ] && [ "$ms" != "-" ]; then
            ratio=$(awk -v a="$ms" -v b="$box" 'BEGIN { printf "%.2f", a / b }')
        fi
        printf '  %-24s %10s %8s\n' "$name" "$ms" "$ratio"
    done
    unset times
done
