#!/usr/bin/env bash
# memlab (Meta's heap analyser, the npm package @memlab/heap-analysis) against gclab:
# - memlab parses snapshots gclab wrote, and its retained size of every node equals gclab's;
# - on a snapshot Node.js wrote, and on random snapshots full of nodes the root does not reach,
#   gclab's retained size of every node equals memlab's.
# Installs memlab into a temporary folder (or uses MEMLAB_DIR, a folder holding its
# node_modules). Needs node and npm; without them it says so and checks nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/checks.sh
skip_without_node "memlab check"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
memlab=${MEMLAB_DIR:-$work/memlab}
if [ ! -d "$memlab/node_modules/@memlab/heap-analysis" ]; then
    mkdir -p "$memlab"
    (cd "$memlab" && npm init -y >/dev/null \
        && PUPPETEER_SKIP_DOWNLOAD=true npm install --silent --no-audit --no-fund \
            @memlab/heap-analysis@2.0.5 >/dev/null)
fi
export NODE_PATH="$memlab/node_modules"

build_gclab

# Snapshots gclab writes: the leak in the middle and at the end, a server's heap, a random graph.
"$gclab" gen leaky --ticks 30 --bytes 4096 -o "$work/leaky.gct" >/dev/null
"$gclab" snapshot "$work/leaky.gct" --at 100 -o "$work/leaky-early.heapsnapshot" >/dev/null
"$gclab" snapshot "$work/leaky.gct" --end -o "$work/leaky-end.heapsnapshot" >/dev/null
"$gclab" gen server -o "$work/server.gctb" >/dev/null
"$gclab" snapshot "$work/server.gctb" --end -o "$work/server.heapsnapshot" >/dev/null
"$gclab" gen random -o "$work/random.gct" >/dev/null
"$gclab" snapshot "$work/random.gct" --end -o "$work/random.heapsnapshot" >/dev/null
# A snapshot Node.js writes (a few MB), and random graphs with memlab's special cases.
node -e "require('v8').writeHeapSnapshot('$work/node.heapsnapshot')"
for seed in 1 2 3; do
    node scripts/random-snapshot.js "$seed" 3000 "$work/special-$seed.heapsnapshot"
done

status=0
for snapshot in "$work"/*.heapsnapshot; do
    name=$(basename "$snapshot")
    node scripts/memlab-retained.js "$snapshot" 2>/dev/null > "$work/memlab.tsv"
    "$gclab" inspect --like memlab --nodes "$snapshot" > "$work/gclab.tsv"
    if cmp -s "$work/memlab.tsv" "$work/gclab.tsv"; then
        echo "memlab check: $name: $(tail -n 1 "$work/gclab.tsv" | tr -d '#') - every retained size equal"
    else
        echo "memlab check: $name: gclab and memlab differ:" >&2
        diff "$work/memlab.tsv" "$work/gclab.tsv" | head -n 10 >&2 || true
        status=1
    fi
done
exit $status
