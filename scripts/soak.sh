#!/usr/bin/env bash
# The long soak: a `server` trace of REQUESTS requests (default 2000000, about 75 million events;
# think times left out) replayed on every compiled-in collector, with the process's anonymous
# resident memory sampled every 20000 records and the heap's committed bytes after every pause.
# Prints one line per collector (memory at the start, the peaks of the middle and last thirds, at
# the end) and fails if memory grows after the first third (warm-up). Usage:
#   scripts/soak.sh [REQUESTS]
# The test-sized soak (600000 requests) runs with `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

requests=${1:-2000000}
if ! [[ $requests =~ ^[0-9]+$ ]] || [ "$requests" -lt 3000 ] || [ "$requests" -gt 10000000 ]; then
    echo "REQUESTS must be a number from 3000 to 10000000 (the server generator's range), not $requests" >&2
    exit 2
fi
GCLAB_SOAK_REQUESTS=$requests exec cargo test --quiet -p bench-harness --test soak long_soak \
    -- --ignored --nocapture
