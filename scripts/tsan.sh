#!/usr/bin/env bash
# ThreadSanitizer over the parallel phases: mark-sweep's two-thread marking and sweeping tests and
# its marking property test with 1 and 2 GC threads, mark-compact's two-thread evacuation test,
# gen-incremental's two-thread finalization pause, the concurrent marker thread beside the
# mutator (its cycle tests and the interleaved-marking property tests of `concurrent` and
# `gen-concurrent`, which run the sweeper thread too), the sweeper thread beside the allocator
# (concurrent sweeping's tests), and the scavenger's two-thread test and its 1-vs-2-thread property test,
# with std rebuilt instrumented (-Zbuild-std needs rust-src). About four minutes on a 2-core
# machine. Needs a nightly toolchain with rust-src.
set -euo pipefail
cd "$(dirname "$0")/.."
target="$(rustc -vV | sed -n 's/^host: //p')"
export RUSTFLAGS="-Zsanitizer=thread"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/tsan"
export PROPTEST_CASES="${PROPTEST_CASES:-64}"
cargo +nightly test -Zbuild-std --target "$target" -p gc-marksweep --test collection two_
cargo +nightly test -Zbuild-std --target "$target" -p gc-marksweep --test property parallel_marking
cargo +nightly test -Zbuild-std --target "$target" -p gc-markcompact --test evacuation two_marking_threads
cargo +nightly test -Zbuild-std --target "$target" -p gc-incremental --test cycle two_threads
cargo +nightly test -Zbuild-std --target "$target" -p gc-incremental --lib background_thread
cargo +nightly test -Zbuild-std --target "$target" -p gc-incremental --test concurrent_marking
cargo +nightly test -Zbuild-std --target "$target" -p gc-incremental --test interleaved_marking concurrent_keeps
cargo +nightly test -Zbuild-std --target "$target" -p gc-incremental --test concurrent_sweeping
cargo +nightly test -Zbuild-std --target "$target" -p gc-scavenge --test scavenge two_scavenging_threads
cargo +nightly test -Zbuild-std --target "$target" -p gc-scavenge --test property parallel_scavenging
