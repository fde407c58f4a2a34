#!/usr/bin/env bash
# Chrome DevTools' Memory panel against `gclab inspect --like devtools`: DevTools' own
# heap-snapshot worker (the npm package chrome-devtools-frontend, bundled for node) computes the
# Summary of real Node.js snapshots taken here (a bare process; acorn parsing; marked caching)
# and of snapshots gclab writes, and every class (name, count, shallow and retained size) and
# the total must equal gclab's.
# Installs what it needs into a cache folder (DEVTOOLS_DIR, by default
# ~/.cache/gclab/devtools-VERSION), once. Needs node and npm; without them it says so and checks
# nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/checks.sh
skip_without_node "devtools check"
frontend=1.0.1705227
cache=${DEVTOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/gclab/devtools-$frontend}
worker="$cache/heap-snapshot-worker.mjs"
if [ ! -f "$worker" ]; then
    mkdir -p "$cache"
    (cd "$cache" && npm init -y >/dev/null \
        && npm install --silent --no-audit --no-fund "chrome-devtools-frontend@$frontend" \
            esbuild@0.28.2 acorn@8.14.0 marked@15.0.6 >/dev/null)
    front_end="$cache/node_modules/chrome-devtools-frontend/front_end"
    # DevTools' build generates its locale list; the worker only needs the default.
    cat > "$front_end/core/i18n/locales.js" <<'JS'
export const LOCALES = ['en-US'];
export const BUNDLED_LOCALES = ['en-US'];
export const DEFAULT_LOCALE = 'en-US';
export const REMOTE_FETCH_PATTERN = '';
export const LOCAL_FETCH_PATTERN = '';
JS
    worker_dir="$front_end/entrypoints/heap_snapshot_worker"
    printf '%s\n' \
        "export {HeapSnapshotLoader} from '$worker_dir/HeapSnapshotLoader.js';" \
        "export {SecondaryInitManager} from '$worker_dir/HeapSnapshot.js';" > "$cache/entry.ts"
    "$cache/node_modules/.bin/esbuild" "$cache/entry.ts" --bundle --platform=node \
        --format=esm --log-level=warning --outfile="$worker.tmp"
    mv "$worker.tmp" "$worker"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
build_gclab

# Real Node.js heaps: a bare process, a parser's, a server's, each at phases of their work.
node -e "require('v8').writeHeapSnapshot('$work/node-bare.heapsnapshot')"
for program in acorn marked; do
    NODE_PATH="$cache/node_modules" node scripts/node-heaps.js "$program" "$work"
done
# Snapshots gclab writes: the leak at its end, a server's heap, a random graph.
"$gclab" gen leaky --ticks 30 --bytes 4096 -o "$work/leaky.gct" >/dev/null
"$gclab" snapshot "$work/leaky.gct" --end -o "$work/gclab-leaky.heapsnapshot" >/dev/null
"$gclab" gen server -o "$work/server.gctb" >/dev/null
"$gclab" snapshot "$work/server.gctb" --end -o "$work/gclab-server.heapsnapshot" >/dev/null
"$gclab" gen random -o "$work/random.gct" >/dev/null
"$gclab" snapshot "$work/random.gct" --end -o "$work/gclab-random.heapsnapshot" >/dev/null

status=0
for snapshot in "$work"/*.heapsnapshot; do
    name=$(basename "$snapshot" .heapsnapshot)
    "$gclab" inspect --like devtools --json "$snapshot" > "$work/gclab.json"
    # DevTools reports a heap's unreachable nodes on standard error: kept aside.
    if verdict=$(node scripts/devtools-summary.mjs "$worker" "$snapshot" "$work/gclab.json" \
            2>"$work/devtools.log"); then
        echo "devtools check: $name: $verdict"
    else
        echo "devtools check: $name: gclab and DevTools differ: $verdict" >&2
        tail -n 5 "$work/devtools.log" >&2
        status=1
    fi
done
exit $status
