#!/usr/bin/env bash
# Renders a `gclab compare` report in headless Chromium (Debian's `chromium`, installed with
# apt-get when missing) at a desktop width (1400 px) and a phone width (400 px), and checks the
# laid-out DOM at each: every job has its three plots, each plot has a line or a note saying why
# not for every collector, the plots' text is at least 10 px, and no element reaches past the
# right edge of the page. Takes a screenshot at each width to look at.
#
#   scripts/check-report.sh [REPORT.html] [SCREENSHOT.png]
#
# The phone screenshot is SCREENSHOT with `-400` before `.png`. Without a report, a small
# comparison is run first (two short workloads, every collector). Without Chromium and no way to
# install it, says so and exits 0: the report's structure is also checked by `cargo test`
# (tests/report.rs), without a browser.
#
# How: headless Chromium will not make a window narrower than 500 px, so the report is laid out
# in an iframe of the width wanted (its `srcdoc`, which keeps it same-origin with the page
# around it), and a script in that page measures the iframe's document and writes what it found
# into its own DOM, which `--dump-dom` prints. The report itself has no script and gets none.
set -euo pipefail
cd "$(dirname "$0")/.."

report="${1:-}"
screenshot="${2:-${TMPDIR:-/tmp}/gclab-report.png}"
phone_screenshot="${screenshot%.png}-400.png"
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
if grep -q '<script' "$report"; then
    echo "check-report: the report has a script; it is meant to have none" >&2
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

# The measuring script: runs in the page around the iframe once the report in it has loaded.
cat > "$work/check.js" <<'EOF'
(() => {
  const frame = document.getElementById('report');
  const check = () => {
    const doc = frame.contentDocument, win = frame.contentWindow;
    const findings = [`viewport ${win.innerWidth}`], problems = [];
    const width = doc.documentElement.clientWidth;
    const jobs = [...doc.querySelectorAll('section.job')];
    let plots = 0, lines = 0, notes = 0, smallest = Infinity;
    if (jobs.length === 0) problems.push('no job section');
    for (const job of jobs) {
      const name = job.querySelector('h2')?.textContent ?? '?';
      const collectors = [...new Set([...job.querySelectorAll('tr[data-collector]')]
        .map(row => row.dataset.collector))];
      if (collectors.length === 0) problems.push(`${name}: no collector in its tables`);
      for (const id of ['pauses', 'heap', 'mmu']) {
        const svgs = job.querySelectorAll(`svg[data-plot="${id}"]`);
        if (svgs.length !== 1) {
          problems.push(`${name}: ${svgs.length} ${id} plots`);
          continue;
        }
        plots++;
        const svg = svgs[0], figure = svg.closest('figure') ?? job;
        for (const collector of collectors) {
          const line = [...svg.querySelectorAll('polyline[data-series]')]
            .find(l => l.dataset.series === collector && l.points.numberOfItems > 0);
          const note = [...figure.querySelectorAll('[data-note]')]
            .find(n => n.dataset.note === collector && n.textContent.trim() !== '');
          if (line) lines++;
          else if (note) notes++;
          else problems.push(`${name}: ${id}: ${collector} has neither a line nor a note`);
        }
        const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
        for (const text of svg.querySelectorAll('text')) {
          const size = parseFloat(win.getComputedStyle(text).fontSize) * scale;
          smallest = Math.min(smallest, size);
        }
      }
    }
    if (smallest < 10) problems.push(`plot text ${smallest.toFixed(1)} px, under 10 px`);
    const describe = (el) => el.tagName.toLowerCase()
      + (el.getAttribute('class') ? '.' + el.getAttribute('class').split(' ').join('.') : '')
      + ` "${(el.textContent || '').trim().slice(0, 40)}"`;
    const wide = [...doc.body.querySelectorAll('*')].filter(el => {
      const box = el.getBoundingClientRect();
      return (box.width > 0 || box.height > 0) && (box.right > width + 0.5 || box.left < -0.5);
    });
    for (const el of wide.slice(0, 5)) {
      const box = el.getBoundingClientRect();
      problems.push(`${describe(el)} spans ${box.left.toFixed(0)}-${box.right.toFixed(0)} px`);
    }
    if (wide.length > 5) problems.push(`and ${wide.length - 5} more elements past the edge`);
    if (doc.documentElement.scrollWidth > width) {
      problems.push(`the page is ${doc.documentElement.scrollWidth} px wide`);
    }
    findings.push(`jobs ${jobs.length}`, `plots ${plots}`, `lines ${lines}`, `notes ${notes}`,
      `text ${smallest.toFixed(1)}`, `overflowing ${wide.length}`);
    findings.push(...problems.map(p => `problem ${p}`));
    const out = document.createElement('pre');
    out.id = 'findings';
    out.textContent = '\n' + findings.join('\n') + '\n';
    document.body.append(out);
  };
  // Until the report has loaded, the iframe holds an empty `about:blank`, complete too.
  const doc = frame.contentDocument;
  if (doc?.URL === 'about:srcdoc' && doc.readyState === 'complete') check();
  else frame.addEventListener('load', check);
})();
EOF

# The page around the report: an iframe WIDTH px wide holding it, then the script.
frame_page() {
    local width="$1" height="$2"
    printf '<!DOCTYPE html><html><head><meta charset="utf-8"/></head><body style="margin:0">'
    printf '<iframe id="report" width="%s" height="%s" style="border:0;display:block" srcdoc="' \
        "$width" "$height"
    sed -e 's/&/\&amp;/g' -e 's/"/\&quot;/g' "$report"
    printf '"></iframe><script>'
    cat "$work/check.js"
    printf '</script></body></html>\n'
}

# Lays the report out WIDTH px wide; prints the findings, one a line.
measure() {
    local width="$1"
    frame_page "$width" 900 > "$work/frame-$width.html"
    timeout 120 "$browser" "${flags[@]}" --user-data-dir="$work/profile-$width" \
        --window-size="$((width < 500 ? 500 : width)),900" --dump-dom \
        "file://$work/frame-$width.html" > "$work/dom-$width.html" 2>"$work/chromium-$width.log" || {
        tail -n 20 "$work/chromium-$width.log" >&2
        echo "check-report: chromium could not load $report" >&2
        return 1
    }
    sed -n '/<pre id="findings">/,/<\/pre>/p' "$work/dom-$width.html" | sed '1d;$d'
}

# A screenshot of the report WIDTH px wide (the phone one in its iframe, on a grey page).
shoot() {
    local width="$1" height="$2" file="$3" url
    if [ "$width" -ge 500 ]; then
        url="file://$(realpath "$report")"
    else
        frame_page "$width" "$height" | sed 's/<body style="margin:0">/<body style="margin:0;background:#888">/' \
            > "$work/shot-$width.html"
        url="file://$work/shot-$width.html"
    fi
    timeout 120 "$browser" "${flags[@]}" --user-data-dir="$work/profile-shot-$width" \
        --window-size="$((width < 500 ? 500 : width)),$height" --screenshot="$file" "$url" \
        >"$work/chromium-shot-$width.log" 2>&1 || {
        tail -n 20 "$work/chromium-shot-$width.log" >&2
        echo "check-report: chromium could not take a screenshot" >&2
        return 1
    }
    if [ ! -s "$file" ]; then
        echo "check-report: no screenshot was written at $width px" >&2
        return 1
    fi
}

fail=0
for width in 1400 400; do
    findings="$(measure "$width")" || exit 1
    viewport=$(sed -n 's/^viewport //p' <<<"$findings")
    if [ "$viewport" != "$width" ]; then
        echo "check-report: asked for a $width px viewport, got ${viewport:-none}" >&2
        fail=1
    fi
    if [ -z "$findings" ]; then
        echo "check-report: at $width px the check found nothing (did its script run?)" >&2
        fail=1
    elif grep -q '^problem ' <<<"$findings"; then
        sed -n "s/^problem /check-report: at $width px: /p" <<<"$findings" >&2
        fail=1
    fi
    summary=$(grep -v '^problem ' <<<"$findings" | paste -sd ' ' || true)
    echo "check-report: at $width px: $summary"
done
[ "$fail" -eq 0 ] || exit 1

shoot 1400 2000 "$screenshot" &
desktop=$!
shoot 400 4000 "$phone_screenshot" || fail=1
wait "$desktop" || fail=1
[ "$fail" -eq 0 ] || exit 1
echo "check-report: ok; screenshots $screenshot (1400 px) and $phone_screenshot (400 px)"
