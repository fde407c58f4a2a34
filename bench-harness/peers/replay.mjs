// gclab's replayer for Node.js: performs a peer trace (bench-harness/src/peers/peer_trace.rs)
// with V8's own objects, so that V8's collector does the work gclab's collectors do.
//
//   node --expose-gc replay.mjs PEER_TRACE spin|skip
//
// An object of N slots and B raw bytes is one JavaScript object with the references as in-object
// fields `s0`…`s3` (as V8 lays out a class instance: one object, no separate elements store), the
// references past the fourth in an array `r`, and in `b` for B > 0 an array of ceil(B / 8)
// doubles (unboxed: raw bytes V8 does not scan, kept on V8's heap; a typed array would put them
// off-heap), else null. So a trace object is one V8 object, two with bytes, three past four
// slots. Four classes (one for 1, 2, 3 and 4+ slots) keep every field access's inline cache
// polymorphic rather than megamorphic. External memory is an ArrayBuffer in a property `e`.
// `gc` is `gc()`, `gc minor` is `gc({type: 'minor'})`.
//
// The trace is read in chunks, so the replayer's own memory does not grow with the trace and
// V8 does not see the trace as external memory.
//
// V8 logs its pauses with --trace-gc-nvp, switched on just before the replay: the first line is
// the full collection that marks the replay's start, and each later line's `mutator=` is the
// time since the previous pause ended, so the pauses are placed on the replay's timeline. The
// result goes to standard error as one line `gclab-peer: {json}` (V8 writes to standard output).
// --trace-gc-verbose adds each pause's space sizes, for the committed heap.
import { openSync, readFileSync, readSync } from 'node:fs';
import v8 from 'node:v8';

const [path, think] = process.argv.slice(2);

/** The trace, a chunk at a time: `data[at..filled]` is read and not yet performed. */
const CHUNK = 1 << 20;
const data = Buffer.alloc(CHUNK);
const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
const fd = openSync(path, 'r');
let at = 0;
let filled = 0;
let position = 0;

/** Each operation's length in bytes, its opcode byte included. */
const LENGTH = [1, 13, 13, 9, 9, 1, 1, 9, 13, 5];
const LONGEST = 13;

/** Keeps the unperformed tail and reads on, to a whole operation or the end of the file. */
function refill() {
  data.copy(data, 0, at, filled);
  filled -= at;
  at = 0;
  for (let read = 1; read > 0 && filled < LONGEST; ) {
    read = readSync(fd, data, filled, CHUNK - filled, position);
    position += read;
    filled += read;
  }
  if (filled === 0 || filled < (LENGTH[data[0]] ?? 1)) {
    fail('is cut short: it ends before its END operation');
  }
}

function fail(message) {
  process.stderr.write(`gclab-peer-error: ${path}: ${message}\n`);
  process.exit(2);
}

if (readSync(fd, data, 0, CHUNK, 0) < 16 || data.toString('latin1', 0, 8) !== 'GCLABPR1') {
  fail('not a peer trace');
}
const table = new Array(view.getUint32(8, true)).fill(null);
position = 16;

class Object0 {
  constructor() {
    this.b = null;
  }
}
class Object1 {
  constructor() {
    this.s0 = null;
    this.b = null;
  }
}
class Object2 {
  constructor() {
    this.s0 = null;
    this.s1 = null;
    this.b = null;
  }
}
class Object3 {
  constructor() {
    this.s0 = null;
    this.s1 = null;
    this.s2 = null;
    this.b = null;
  }
}
class Object4 {
  constructor(slots) {
    this.s0 = null;
    this.s1 = null;
    this.s2 = null;
    this.s3 = null;
    this.r = slots > 4 ? new Array(slots - 4).fill(null) : null;
    this.b = null;
  }
}

function object(slots, bytes) {
  let o;
  switch (slots) {
    case 0:
      o = new Object0();
      break;
    case 1:
      o = new Object1();
      break;
    case 2:
      o = new Object2();
      break;
    case 3:
      o = new Object3();
      break;
    default:
      o = new Object4(slots);
  }
  if (bytes !== 0) o.b = new Array((bytes + 7) >> 3).fill(0.5);
  return o;
}

function store(o, slot, value) {
  switch (slot) {
    case 0:
      o.s0 = value;
      break;
    case 1:
      o.s1 = value;
      break;
    case 2:
      o.s2 = value;
      break;
    case 3:
      o.s3 = value;
      break;
    default:
      o.r[slot - 4] = value;
  }
}

function load(o, slot) {
  switch (slot) {
    case 0:
      return o.s0;
    case 1:
      return o.s1;
    case 2:
      return o.s2;
    case 3:
      return o.s3;
    default:
      return o.r[slot - 4];
  }
}

function spin(nanos) {
  const until = performance.now() + nanos / 1e6;
  while (performance.now() < until) {
    // computing, as the trace's program did
  }
}

function replay() {
  let loads = 0;
  let allocated = 0;
  for (;;) {
    if (filled - at < LONGEST) refill();
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
        store(
          table[view.getUint32(at + 1, true)],
          view.getUint32(at + 5, true),
          table[view.getUint32(at + 9, true)],
        );
        at += 13;
        break;
      case 3:
        store(table[view.getUint32(at + 1, true)], view.getUint32(at + 5, true), null);
        at += 9;
        break;
      case 4:
        if (load(table[view.getUint32(at + 1, true)], view.getUint32(at + 5, true)) !== null) {
          loads++;
        }
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
        fail(`unknown operation ${op} at byte ${position - filled + at}`);
    }
  }
}

/** The objects the table reaches, counted once each. */
function liveObjects() {
  const seen = new Set();
  const stack = table.filter((object) => object !== null);
  const push = (object) => {
    // A field an object's class lacks is undefined; an empty one is null.
    if (object != null) stack.push(object);
  };
  while (stack.length > 0) {
    const object = stack.pop();
    if (seen.has(object)) continue;
    seen.add(object);
    push(object.s0);
    push(object.s1);
    push(object.s2);
    push(object.s3);
    if (object.r != null) object.r.forEach(push);
  }
  return seen.size;
}

/**
 * VmHWM of /proc/self/status, in bytes; -1 where the system does not say. Not
 * `process.resourceUsage().maxRSS`: Linux carries a process's peak across exec, so that would
 * be gclab's own peak when gclab's is larger.
 */
function peakRss() {
  try {
    const found = /VmHWM:\s*(\d+) kB/.exec(readFileSync('/proc/self/status', 'latin1'));
    return found === null ? -1 : Number(found[1]) * 1024;
  } catch {
    return -1;
  }
}

v8.setFlagsFromString('--trace-gc-nvp');
v8.setFlagsFromString('--trace-gc-verbose');
gc();
const start = performance.now();
const { allocated } = replay();
const end = performance.now();
v8.setFlagsFromString('--no-trace-gc-nvp');
v8.setFlagsFromString('--no-trace-gc-verbose');
gc();
const result = {
  live_objects: liveObjects(),
  replay_ms: end - start,
  allocated_bytes: allocated,
  peak_rss_bytes: peakRss(),
};
process.stderr.write(`gclab-peer: ${JSON.stringify(result)}\n`);
