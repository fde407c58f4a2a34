// Writes a random V8 .heapsnapshot that exercises memlab's special rules: nodes the root does
// not reach, nodes held only by weak or shortcut edges, cycles nothing else holds, shortcut and
// weak edges from the root, self edges, and a "(Document DOM trees)" root.
// usage: node random-snapshot.js SEED NODES OUT
const fs = require('fs');
const [seed, count, out] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
let state = seed >>> 0 || 1;
const random = (n) => { // xorshift32
  state ^= state << 13; state >>>= 0; state ^= state >>> 17; state ^= state << 5; state >>>= 0;
  return state % n;
};
const edgeTypes = ['context', 'element', 'property', 'internal', 'hidden', 'shortcut', 'weak'];
const strings = ['', 'A', 'B', 'C', '(Document DOM trees)', 'p'];
const nodes = [], edges = [];
for (let i = 0; i < count; i++) {
  const synthetic = i === 0 || i === 1;
  const name = i === 1 ? 4 : 1 + random(3);
  const out = [];
  const degree = i === 0 ? 12 : random(5);
  for (let k = 0; k < degree; k++) {
    // The root reaches a few nodes; others form cycles, chains and orphans among themselves.
    const to = i === 0 ? (k === 0 ? 1 : random(Math.max(1, count >> 2))) : random(count);
    const type = [1, 1, 1, 2, 2, 5, 6, 3][random(8)];
    out.push([type, type === 1 || type === 4 ? k : 5, to * 7]);
  }
  nodes.push(synthetic ? 9 : 3, name, 2 * i + 1, synthetic ? 0 : 8 * (1 + random(20)), out.length, 0, 0);
  for (const e of out) edges.push(...e);
}
const snapshot = {
  snapshot: {
    meta: {
      node_fields: ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id', 'detachedness'],
      node_types: [['hidden', 'array', 'string', 'object', 'code', 'closure', 'regexp', 'number', 'native', 'synthetic', 'concatenated string', 'sliced string', 'symbol', 'bigint', 'object shape'], 'string', 'number', 'number', 'number', 'number', 'number'],
      edge_fields: ['type', 'name_or_index', 'to_node'],
      edge_types: [edgeTypes, 'string_or_number', 'node'],
      location_fields: ['object_index', 'script_id', 'line', 'column'],
    },
    node_count: count, edge_count: edges.length / 3, trace_function_count: 0,
  },
  nodes, edges, trace_function_infos: [], trace_tree: [], samples: [], locations: [], strings,
};
fs.writeFileSync(out, JSON.stringify(snapshot));
