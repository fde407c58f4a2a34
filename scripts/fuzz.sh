#!/usr/bin/env bash
# Runs one cargo-fuzz target for a given time: scripts/fuzz.sh TARGET SECONDS [libFuzzer flags...]
#
# Targets: text_reader, binary_reader, mutator_program (`ls fuzz/fuzz_targets`). Needs a nightly
# toolchain and cargo-fuzz (`cargo install cargo-fuzz`). The first run writes the seed corpora
# (generator traces, the testkit's random programs) into fuzz/corpus/; later runs grow them.
# Crashes land in fuzz/artifacts/TARGET/; replay one with
#   cargo +nightly fuzz run -a TARGET fuzz/artifacts/TARGET/crash-...
# The build has debug assertions on (-a) and AddressSanitizer (cargo-fuzz's default).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 2 ]; then
    echo "usage: scripts/fuzz.sh TARGET SECONDS [libFuzzer flags...]" >&2
    exit 2
fi
target=$1
seconds=$2
shift 2
if [ ! -f "fuzz/fuzz_targets/$target.rs" ]; then
    echo "no fuzz target $target; the targets are: $(ls fuzz/fuzz_targets | sed 's/\.rs$//' | tr '\n' ' ')" >&2
    exit 2
fi
if ! [[ $seconds =~ ^[0-9]+$ ]]; then
    echo "SECONDS must be a whole number of seconds, not $seconds" >&2
    exit 2
fi

if [ ! -d "fuzz/corpus/$target" ] || [ -z "$(ls -A "fuzz/corpus/$target")" ]; then
    cargo run --quiet --release --manifest-path fuzz/Cargo.toml --example seed_corpus
fi

# Traces up to 16 KiB; programs up to 2 KiB (about 250 operations, each run on every collector).
max_len=16384
if [ "$target" = mutator_program ]; then
    max_len=2048
fi

cd fuzz
exec cargo +nightly fuzz run -a "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=300 -print_final_stats=1 \
    -max_len="$max_len" "$@"
