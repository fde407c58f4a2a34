// Takes .heapsnapshot files of real Node.js programs at phases of their work: acorn parsing its
// own source (a parser's heap) and marked rendering and caching documents (a server's heap).
// usage: node node-heaps.js acorn|marked OUTDIR   (acorn@8.14.0 / marked@15.0.6 on NODE_PATH)
const v8 = require('v8'), fs = require('fs'), path = require('path');
const [program, out] = [process.argv[2], process.argv[3] || '.'];
const snap = (phase) => v8.writeHeapSnapshot(path.join(out, `${program}-${phase}.heapsnapshot`));
const keep = [];
if (program === 'acorn') {
  const acorn = require('acorn');
  const src = fs.readFileSync(require.resolve('acorn'), 'utf8');
  snap('0-start');
  for (let i = 0; i < 4; i++) keep.push(acorn.parse(src, { ecmaVersion: 'latest', locations: true }));
  snap('1-parsed');
  keep.length = 2;
  snap('2-dropped');
} else if (program === 'marked') {
  const { marked } = require('marked');
  const doc = fs.readFileSync(path.join(path.dirname(require.resolve('marked')), '..', 'README.md'), 'utf8');
  snap('0-start');
  const cache = new Map();
  for (let i = 0; i < 200; i++) cache.set(i, { html: marked.parse(doc + '\n\n' + i), tokens: marked.lexer(doc) });
  snap('1-cached');
  for (let i = 0; i < 150; i++) cache.delete(i);
  snap('2-evicted');
  keep.push(cache);
} else {
  console.error('usage: node node-heaps.js acorn|marked OUTDIR');
  process.exit(2);
}
