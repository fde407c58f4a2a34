// Chrome DevTools' Memory panel Summary of a .heapsnapshot, computed by DevTools' own
// heap-snapshot worker (chrome-devtools-frontend's HeapSnapshotLoader and JSHeapSnapshot,
// bundled by scripts/check-devtools.sh), as `gclab inspect --json` prints it: the total and,
// per class (one row per constructor location, as DevTools keeps them), name, count, shallow
// and retained size, largest retained size first.
// usage: node devtools-summary.mjs WORKER.mjs FILE.heapsnapshot [GCLAB.json]
//   with GCLAB.json (gclab's `inspect --like devtools --json`), compares instead of printing:
//   exits 1 naming the rows that differ.
import fs from 'node:fs';

// DevTools runs in Chrome; node 20 lacks this one helper its worker uses.
if (!Promise.withResolvers) {
  Promise.withResolvers = () => {
    let resolve, reject;
    const promise = new Promise((a, b) => { resolve = a; reject = b; });
    return {promise, resolve, reject};
  };
}

const [workerPath, file, gclabPath] = process.argv.slice(2);
if (!workerPath || !file) {
  console.error('usage: node devtools-summary.mjs WORKER.mjs FILE.heapsnapshot [GCLAB.json]');
  process.exit(2);
}
const {HeapSnapshotLoader, SecondaryInitManager} = await import(workerPath);

async function devtoolsSummary(path) {
  const loader = new HeapSnapshotLoader(undefined);
  const fd = fs.openSync(path, 'r');
  const buffer = Buffer.alloc(1 << 20);
  const decoder = new TextDecoder();
  let read;
  while ((read = fs.readSync(fd, buffer, 0, buffer.length)) > 0) {
    loader.write(decoder.decode(buffer.subarray(0, read), {stream: true}));
  }
  fs.closeSync(fd);
  loader.close();
  // The worker's second thread, in this thread, as DevTools' own tests run it.
  const channel = new MessageChannel();
  new SecondaryInitManager(channel.port2);
  const snapshot = await loader.buildSnapshot(channel.port1);
  channel.port1.close();
  channel.port2.close();
  const classes = Object.values(snapshot.aggregatesWithFilter({})).map(a => ({
    name: a.name, count: a.count, shallow_size: a.self, retained_size: a.maxRet,
  }));
  classes.sort((a, b) => b.retained_size - a.retained_size || b.shallow_size - a.shallow_size ||
               (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) || b.count - a.count);
  return {total_size: snapshot.totalSize, classes};
}

const row = c => `${c.name}\t${c.count}\t${c.shallow_size}\t${c.retained_size}`;

function compare(devtools, gclab) {
  const problems = [];
  if (devtools.total_size !== gclab.total_size) {
    problems.push(`total: DevTools ${devtools.total_size}, gclab ${gclab.total_size}`);
  }
  // Rows as a multiset: names repeat, and rows of equal sizes have no one order.
  const counts = new Map();
  for (const c of devtools.classes) counts.set(row(c), (counts.get(row(c)) ?? 0) + 1);
  for (const c of gclab.classes) counts.set(row(c), (counts.get(row(c)) ?? 0) - 1);
  for (const [key, n] of counts) {
    if (n > 0) problems.push(`only DevTools: ${key}`);
    if (n < 0) problems.push(`only gclab:    ${key}`);
  }
  return problems;
}

const devtools = await devtoolsSummary(file);
if (!gclabPath) {
  console.log(JSON.stringify(devtools, null, 1));
} else {
  const gclab = JSON.parse(fs.readFileSync(gclabPath, 'utf8'));
  const problems = compare(devtools, gclab);
  if (problems.length) {
    console.log(`${problems.length} differences (name, count, shallow, retained):`);
    for (const p of problems.slice(0, 20)) console.log(`  ${p}`);
    process.exit(1);
  }
  const top = devtools.classes.slice(0, 3).map(c => `${c.name} ${c.retained_size}`).join(', ');
  console.log(`${devtools.classes.length} classes and the total (${devtools.total_size}) equal; top: ${top}`);
}
