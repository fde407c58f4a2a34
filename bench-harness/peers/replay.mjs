// gclab's replayer for Node.js: performs a peer trace (bench-harness/src/peers/peer_trace.rs)
// with V8's own objects, so that V8's collector does the work gclab's collectors do.
//
//   node --expose-gc replay.mjs PEER_TRACE spin|skip
//
// An object of N slots and B raw bytes is an array of N + 1 elements: the N references, then for
// B > 0 an array of ceil(B / 8) doubles (unboxed: raw bytes V8 does not scan, kept on V8's heap;
// a typed array would put them off-heap), else null. So one trace object is one or two arrays,
// as few V8 objects as its shape allows. External memory is an ArrayBuffer in a property `e`.
// `gc` is `gc()`, `gc minor` is `gc({type: 'minor'})`.
//
// V8 logs its pauses with --trace-gc-nvp, switched on just before the replay: the first line is
// the full collection that marks the replay's start, and each later line's `mutator=` is the
// time since the previous pause ended, so the pauses are placed on the replay's timeline. The
// result goes to standard error as one line `gclab-peer: {json}` (V8 writes to standard output).
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';

const [path, think] = process.argv.slice(2);
const data = readFileSync(path);
const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
if (data.length < 16 || data.toString('latin1', 0, 8) !== 'GCLABPR1') {
  process.stderr.write(`gclab-peer-error: ${path} is not a peer trace\n`);
  process.exit(2);
}
const table = new Array(view.getUint32(8, true)).fill(null);

function object(slots, bytes) {
  const o = new Array(slots + 1).fill(null);
  if (bytes !== 0) o[slots] = new Array((bytes + 7) >> 3).fill(0.5);
  return o;
}

function spin(nanos) {
  const until = performance.now() + nanos / 1e6;
  while (performance.now() < until) {
    // computing, as the trace's program did
  }
}

function replay() {
  let at = 16;
  let loads = 0;
  let allocated = 0;
  for (;;) {
    const op = data[at];
    switch (op) {
      case 0:
        return { loads, allocated };
      case 1: {
        const slots = view.getUint32(at + 5, true);
        const bytes = view.getUint32(at + 9, true);
        table[view.getUint32(at + 1, true)] = object(slots, bytes);
        allocated += 16 + 8 * slots + bytes;
        at += 13;
        break;
      }
      case 2:
        table[view.getUint32(at + 1, true)][view.getUint32(at + 5, true)] =
          table[view.getUint32(at + 9, true)];
        at += 13;
        break;
      case 3:
        table[view.getUint32(at + 1, true)][view.getUint32(at + 5, true)] = null;
        at += 9;
        break;
      case 4:
        if (table[view.getUint32(at + 1, true)][view.getUint32(at + 5, true)] !== null) loads++;
        at += 9;
        break;
      case 5:
        gc();
        at += 1;
        break;
      case 6:
        gc({ type: 'minor' });
        at += 1;
        break;
      case 7:
        if (think === 'spin') spin(Number(view.getBigUint64(at + 1, true)));
        at += 9;
        break;
      case 8:
        table[view.getUint32(at + 1, true)].e = new ArrayBuffer(
          Number(view.getBigUint64(at + 5, true)),
        );
        at += 13;
        break;
      case 9:
        table[view.getUint32(at + 1, true)] = null;
        at += 5;
        break;
      default:
        throw new Error(`unknown operation ${op} at byte ${at}`);
    }
  }
}

/** The objects the table reaches, counted once each. */
function liveObjects() {
  const seen = new Set();
  const stack = table.filter((object) => object !== null);
  while (stack.length > 0) {
    const object = stack.pop();
    if (seen.has(object)) continue;
    seen.add(object);
    // The last element is the raw bytes (or null), not a reference.
    for (let slot = 0; slot < object.length - 1; slot++) {
      if (object[slot] !== null) stack.push(object[slot]);
    }
  }
  return seen.size;
}

v8.setFlagsFromString('--trace-gc-nvp');
gc();
const start = performance.now();
const { allocated } = replay();
const end = performance.now();
v8.setFlagsFromString('--no-trace-gc-nvp');
gc();
const result = {
  live_objects: liveObjects(),
  replay_ms: end - start,
  allocated_bytes: allocated,
  peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
};
process.stderr.write(`gclab-peer: ${JSON.stringify(result)}\n`);
