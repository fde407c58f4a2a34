// Prints, for every node of a .heapsnapshot, "id<TAB>self_size<TAB>retained_size" as memlab
// computes them (its own parser and dominator tree), then "# nodes=N total=BYTES": the format of
// `gclab inspect --nodes`. Needs @memlab/heap-analysis (scripts/check-memlab.sh installs it).
// usage: node memlab-retained.js FILE.heapsnapshot > out.tsv
const { getFullHeapFromFile } = require('@memlab/heap-analysis');
(async () => {
  const heap = await getFullHeapFromFile(process.argv[2]);
  const out = [];
  let n = 0, total = 0;
  heap.nodes.forEach((node) => {
    n++; total += node.self_size;
    out.push(`${node.id}\t${node.self_size}\t${node.retainedSize}`);
    if (out.length >= 65536) { process.stdout.write(out.join('\n') + '\n'); out.length = 0; }
  });
  process.stdout.write(out.join('\n') + (out.length ? '\n' : '') + `# nodes=${n} total=${total}\n`);
})().catch((e) => { console.error(e.message); process.exit(1); });
