#!/usr/bin/env bash
# Renders a `gclab compare` report in headless Chromium (Debian's `chromium`, installed with
# apt-get when missing): checks that the DOM holds the three plots of every job with one line per
# collector, and takes a screenshot to look at.
#
#   scripts/check-report.sh [REPORT.html] [SCREENSHOT.png]
#
# Without a report, a small comparison is run first (two short workloads, every collector).
# Without Chromium and no way to install it, says so and exits 0: the report's structure is also
# checked by `cargo test` (tests/compare.rs), without a browser.
set -euo pipefail
cd "$(dirname "$0")/.."

report="${1:-}"
screenshot="${2:-${TMPDIR:-/tmp}/gclab-report.png}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [ -z "$report" ]; then
    cargo run --release --quiet -- compare binary-trees:depth=10 listeners:connections=2000 \
        --out "$work/results" > "$work/table.txt"
    report="$work/results/report.html"
fi
if [ ! -f "$report" ]; then
    echo "check-report: no report at $report" >&2
    exit 1
fi

browser=""
for name in chromium chromium-browser; do
    if command -v "$name" >/dev/null 2>&1; then browser="$name"; break; fi
done
if [ -z "$browser" ] && command -v apt-get >/dev/null 2>&1; then
    echo "check-report: installing chromium (apt-get)"
    if timeout 300 apt-get update -qq >"$work/apt.log" 2>&1 \
        && DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq chromium \
            >>"$work/apt.log" 2>&1; then
        browser=chromium
    else
        tail -n 5 "$work/apt.log" >&2 || true
    fi
fi
if [ -z "$browser" ]; then
    echo "check-report: skipped: chromium is not installed and apt-get could not install it"
    exit 0
fi

flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
    --disable-background-networking --disable-component-update --disable-sync
    --disable-dev-shm-usage --hide-scrollbars)
url="file://$(realpath "$report")"

timeout 120 "$browser" "${flags[@]}" --user-data-dir="$work/profile-dom" --dump-dom "$url" \
    > "$work/dom.html" 2>"$work/chromium-dom.log" || {
    tail -n 20 "$work/chromium-dom.log" >&2
    echo "check-report: chromium could not load $report" >&2
    exit 1
}

jobs=$(grep -o '<section class="job"' "$work/dom.html" | wc -l)
fail=0
if [ "$jobs" -eq 0 ]; then
    echo "check-report: the rendered DOM has no job section" >&2
    fail=1
fi
for plot in pauses heap mmu; do
    count=$(grep -o "data-plot=\"$plot\"" "$work/dom.html" | wc -l)
    if [ "$count" -ne "$jobs" ]; then
        echo "check-report: $count '$plot' plots for $jobs jobs" >&2
        fail=1
    fi
done
lines=$(grep -o '<polyline' "$work/dom.html" | wc -l)
if [ "$lines" -lt $((3 * jobs)) ]; then
    echo "check-report: only $lines plotted lines for $jobs jobs" >&2
    fail=1
fi
[ "$fail" -eq 0 ] || exit 1

timeout 120 "$browser" "${flags[@]}" --user-data-dir="$work/profile-shot" \
    --window-size=1860,1600 --screenshot="$screenshot" "$url" >"$work/chromium-shot.log" 2>&1 || {
    tail -n 20 "$work/chromium-shot.log" >&2
    echo "check-report: chromium could not take a screenshot" >&2
    exit 1
}
if [ ! -s "$screenshot" ]; then
    echo "check-report: no screenshot was written" >&2
    exit 1
fi
echo "check-report: $jobs jobs, $((3 * jobs)) plots, $lines lines rendered; screenshot $screenshot"
