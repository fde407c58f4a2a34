//! Writes a gclab heap's live graph as a V8 `.heapsnapshot`, streaming: three walks of the heap
//! (count and number the objects; write the nodes; write the edges) instead of a copy of the
//! graph in memory, which holds only a map from object to node index and the type names.
//!
//! The shape of the file: node 0 is V8's synthetic root (id 1) with an `element` edge to each
//! rooted object (the strong handles, in handle-table order) and, when asked, a `weak` edge to
//! each object a weak handle refers to. Every object the roots reach is one node of its type's
//! node type (`Heap::node_type`: what the embedder gave, or the default for the label, so a
//! `String` is a `string` node), named by its type label (`(unlabelled)` without one), whose
//! `self_size` is its size in the heap (header, slots and payload), with an `element` edge per
//! slot holding a reference (`name_or_index` = the slot). An object that owns external memory
//! has one more edge, `internal` `backing_store`, to a `native` node
//! `system / ExternalMemory` of that many bytes (after every object's node), as V8 writes an
//! `ArrayBuffer`'s backing store; bytes past a node's 32-bit size go to the header's
//! `extra_native_bytes`. So DevTools' totals and Statistics count the external memory.
//! `to_node` is a node index times the 7 node fields, as V8 writes. Node ids come from the
//! caller (stable across snapshots of one program, so snapshots compare); objects it cannot name
//! get ids above every named one; an external memory node's id is its owner's plus one (even,
//! as V8's native ids are).

use std::io::{self, Write};

use gc_core::{Collector, Heap, NodeType, ObjectKey, TypeId};
use hashbrown::HashMap;
use thiserror::Error;

/// Whether the mutator's weak handles appear as `weak` edges from the root.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum WeakEdges {
    Include,
    Omit,
}

#[derive(Debug, Error)]
pub enum WriteError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error(
        "object id {0} is too large for a heap snapshot (node ids are 32-bit there: ids up to 2147483645 fit)"
    )]
    IdTooLarge(u64),
    #[error("the heap has {0} objects, more than a heap snapshot can index")]
    TooManyNodes(usize),
}

/// What a written snapshot holds.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct SnapshotCounts {
    pub nodes: u64,
    pub edges: u64,
}

const NODE_FIELDS: usize = 7;
/// `node_types` as V8 lists them; a node's type is an index into this.
const NODE_TYPES: [&str; 15] = [
    "hidden",
    "array",
    "string",
    "object",
    "code",
    "closure",
    "regexp",
    "number",
    "native",
    "synthetic",
    "concatenated string",
    "sliced string",
    "symbol",
    "bigint",
    "object shape",
];
const NODE_TYPE_NATIVE: u32 = 8;
const NODE_TYPE_SYNTHETIC: u32 = 9;
const EDGE_TYPE_ELEMENT: u32 = 1;
const EDGE_TYPE_INTERNAL: u32 = 3;
const EDGE_TYPE_WEAK: u32 = 6;
/// V8's id for the synthetic root.
pub const ROOT_ID: u32 = 1;
/// The strings every snapshot starts with; type labels follow.
const FIXED_STRINGS: [&str; 4] = [
    "",
    "weak handle",
    "backing_store",
    "system / ExternalMemory",
];
const STRING_EMPTY: u32 = 0;
const STRING_WEAK: u32 = 1;
const STRING_BACKING_STORE: u32 = 2;
const STRING_EXTERNAL_MEMORY: u32 = 3;

/// The index of `node_type` in [`NODE_TYPES`].
fn node_type_index(node_type: NodeType) -> u32 {
    NODE_TYPES
        .iter()
        .position(|&name| name == node_type.v8_name())
        .unwrap_or(3) as u32
}

/// The node id of the object with trace id `id`: odd, as V8's JavaScript objects' ids are, and
/// above the root's.
pub fn node_id_of_trace_id(id: u64) -> Result<u32, WriteError> {
    id.checked_mul(2)
        .and_then(|double| double.checked_add(3))
        .and_then(|node| u32::try_from(node).ok())
        .ok_or(WriteError::IdTooLarge(id))
}

/// The trace id of a node id written by [`node_id_of_trace_id`].
pub fn trace_id_of_node_id(node: u32) -> Option<u64> {
    (node >= 3 && node % 2 == 1).then(|| u64::from(node - 3) / 2)
}

/// Writes the live graph of `heap` to `out`. `trace_id` names objects (`None`: unnamed).
pub fn write_heap_snapshot<C: Collector>(
    heap: &Heap<C>,
    trace_id: &dyn Fn(ObjectKey) -> Option<u64>,
    weak: WeakEdges,
    out: &mut dyn Write,
) -> Result<SnapshotCounts, WriteError> {
    let plan = Plan::of(heap, trace_id, weak)?;
    write_header(out, &plan)?;
    write_nodes(out, heap, &plan)?;
    write_edges(out, heap, &plan)?;
    write_strings(out, heap, &plan)?;
    out.flush()?;
    Ok(SnapshotCounts {
        nodes: plan.node_count as u64,
        edges: plan.edge_count,
    })
}

/// What the first walk learns: each object's node index and id, the type names, the counts.
struct Plan {
    index: HashMap<ObjectKey, u32>,
    ids: Vec<u32>,
    roots: Vec<u32>,
    weak_targets: Vec<u32>,
    /// Type id -> string index.
    names: HashMap<TypeId, u32>,
    name_order: Vec<TypeId>,
    /// Objects (node indexes) owning external memory, in walk order, with their bytes.
    natives: Vec<(u32, u64)>,
    /// External bytes past what the natives' 32-bit sizes hold.
    extra_native_bytes: u64,
    /// Nodes for objects, the root included; the natives follow them.
    object_nodes: usize,
    node_count: usize,
    edge_count: u64,
}

impl Plan {
    fn of<C: Collector>(
        heap: &Heap<C>,
        trace_id: &dyn Fn(ObjectKey) -> Option<u64>,
        weak: WeakEdges,
    ) -> Result<Plan, WriteError> {
        let mut plan = Plan {
            index: HashMap::new(),
            ids: vec![ROOT_ID],
            roots: Vec::new(),
            weak_targets: Vec::new(),
            names: HashMap::new(),
            name_order: Vec::new(),
            natives: Vec::new(),
            extra_native_bytes: 0,
            object_nodes: 0,
            node_count: 1,
            edge_count: 0,
        };
        let mut unnamed = Vec::new();
        let mut max_id = None;
        let mut failure = None;
        heap.walk_live(|object| {
            let node = plan.node_count as u32;
            plan.index.insert(object.key, node);
            plan.node_count += 1;
            plan.edge_count += object.references.len() as u64;
            if object.external_bytes > 0 {
                plan.natives.push((node, object.external_bytes));
                plan.edge_count += 1;
            }
            let next_name = FIXED_STRINGS.len() as u32 + plan.names.len() as u32;
            if let hashbrown::hash_map::Entry::Vacant(v) = plan.names.entry(object.type_id) {
                v.insert(next_name);
                plan.name_order.push(object.type_id);
            }
            match trace_id(object.key) {
                Some(id) => match node_id_of_trace_id(id) {
                    Ok(node_id) => {
                        plan.ids.push(node_id);
                        max_id = max_id.max(Some(id));
                    }
                    Err(error) => {
                        failure.get_or_insert(error);
                        plan.ids.push(0);
                    }
                },
                None => {
                    unnamed.push(node);
                    plan.ids.push(0);
                }
            }
        });
        if let Some(error) = failure {
            return Err(error);
        }
        plan.object_nodes = plan.node_count;
        plan.node_count += plan.natives.len();
        if plan.node_count > (u32::MAX as usize) / NODE_FIELDS {
            return Err(WriteError::TooManyNodes(plan.node_count));
        }
        let first_free = max_id.map_or(0, |id| id + 1);
        for (id, node) in (first_free..).zip(unnamed) {
            plan.ids[node as usize] = node_id_of_trace_id(id)?;
        }
        plan.add_native_ids()?;
        plan.roots = heap
            .root_keys()
            .iter()
            .filter_map(|k| plan.index.get(k).copied())
            .collect();
        if weak == WeakEdges::Include {
            plan.weak_targets = heap
                .weak_handle_targets()
                .iter()
                .filter_map(|k| plan.index.get(k).copied())
                .collect();
        }
        plan.edge_count += (plan.roots.len() + plan.weak_targets.len()) as u64;
        Ok(plan)
    }
}

impl Plan {
    /// Each native's id, its owner's plus one; the bytes no 32-bit size holds.
    fn add_native_ids(&mut self) -> Result<(), WriteError> {
        for &(owner, bytes) in &self.natives {
            let owner_id = self.ids[owner as usize];
            let id = owner_id
                .checked_add(1)
                .ok_or(WriteError::IdTooLarge(u64::from(owner_id)))?;
            self.ids.push(id);
            self.extra_native_bytes += bytes.saturating_sub(u64::from(u32::MAX));
        }
        Ok(())
    }
}

fn write_header(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    write!(
        out,
        concat!(
            "{{\"snapshot\":{{\"meta\":{{",
            "\"node_fields\":[\"type\",\"name\",\"id\",\"self_size\",\"edge_count\",\"trace_node_id\",\"detachedness\"],\n",
            "\"node_types\":[[\"hidden\",\"array\",\"string\",\"object\",\"code\",\"closure\",\"regexp\",\"number\",\"native\",\"synthetic\",\"concatenated string\",\"sliced string\",\"symbol\",\"bigint\",\"object shape\"],\"string\",\"number\",\"number\",\"number\",\"number\",\"number\"],\n",
            "\"edge_fields\":[\"type\",\"name_or_index\",\"to_node\"],\n",
            "\"edge_types\":[[\"context\",\"element\",\"property\",\"internal\",\"hidden\",\"shortcut\",\"weak\"],\"string_or_number\",\"node\"],\n",
            "\"trace_function_info_fields\":[\"function_id\",\"name\",\"script_name\",\"script_id\",\"line\",\"column\"],\n",
            "\"trace_node_fields\":[\"id\",\"function_info_index\",\"count\",\"size\",\"children\"],\n",
            "\"sample_fields\":[\"timestamp_us\",\"last_assigned_id\"],\n",
            "\"location_fields\":[\"object_index\",\"script_id\",\"line\",\"column\"]}},\n",
            "\"node_count\":{},\"edge_count\":{},\"trace_function_count\":0{}}},\n"
        ),
        plan.node_count,
        plan.edge_count,
        match plan.extra_native_bytes {
            0 => String::new(),
            bytes => format!(",\"extra_native_bytes\":{bytes}"),
        }
    )
}

fn write_nodes<C: Collector>(out: &mut dyn Write, heap: &Heap<C>, plan: &Plan) -> io::Result<()> {
    let root_edges = plan.roots.len() + plan.weak_targets.len();
    write!(
        out,
        "\"nodes\":[{NODE_TYPE_SYNTHETIC},{STRING_EMPTY},{ROOT_ID},0,{root_edges},0,0"
    )?;
    let mut node = 1usize;
    let mut result = Ok(());
    heap.walk_live(|object| {
        if result.is_err() {
            return;
        }
        let name = plan
            .names
            .get(&object.type_id)
            .copied()
            .unwrap_or(STRING_EMPTY);
        let node_type = node_type_index(heap.node_type(object.type_id));
        let edges = object.references.len() + usize::from(object.external_bytes > 0);
        // Sizes are below 2^31 (gc-core's largest object is 1 GiB).
        result = write!(
            out,
            "\n,{node_type},{name},{},{},{edges},0,0",
            plan.ids[node], object.size,
        );
        node += 1;
    });
    result?;
    for (native, &(_, bytes)) in plan.natives.iter().enumerate() {
        let size = bytes.min(u64::from(u32::MAX));
        let id = plan.ids[plan.object_nodes + native];
        write!(
            out,
            "\n,{NODE_TYPE_NATIVE},{STRING_EXTERNAL_MEMORY},{id},{size},0,0,0"
        )?;
    }
    out.write_all(b"],\n")
}

fn write_edges<C: Collector>(out: &mut dyn Write, heap: &Heap<C>, plan: &Plan) -> io::Result<()> {
    out.write_all(b"\"edges\":[")?;
    let mut separator = "";
    for (ordinal, &node) in plan.roots.iter().enumerate() {
        write!(
            out,
            "{separator}{EDGE_TYPE_ELEMENT},{ordinal},{}",
            node as usize * NODE_FIELDS
        )?;
        separator = ",\n";
    }
    for &node in &plan.weak_targets {
        write!(
            out,
            "{separator}{EDGE_TYPE_WEAK},{STRING_WEAK},{}",
            node as usize * NODE_FIELDS
        )?;
        separator = ",\n";
    }
    let mut result = Ok(());
    let mut next_native = plan.object_nodes;
    heap.walk_live(|object| {
        for &(slot, target) in object.references {
            if result.is_err() {
                return;
            }
            let to = plan.index.get(&target).copied().unwrap_or(0) as usize * NODE_FIELDS;
            result = write!(out, "{separator}{EDGE_TYPE_ELEMENT},{slot},{to}");
            separator = ",\n";
        }
        if object.external_bytes > 0 && result.is_ok() {
            let to = next_native * NODE_FIELDS;
            result = write!(
                out,
                "{separator}{EDGE_TYPE_INTERNAL},{STRING_BACKING_STORE},{to}"
            );
            separator = ",\n";
            next_native += 1;
        }
    });
    result?;
    out.write_all(
        b"],\n\"trace_function_infos\":[],\"trace_tree\":[],\"samples\":[],\"locations\":[],\n",
    )
}

fn write_strings<C: Collector>(out: &mut dyn Write, heap: &Heap<C>, plan: &Plan) -> io::Result<()> {
    out.write_all(b"\"strings\":[")?;
    for (at, fixed) in FIXED_STRINGS.iter().enumerate() {
        if at > 0 {
            out.write_all(b",")?;
        }
        serde_json::to_writer(&mut *out, fixed).map_err(io::Error::from)?;
    }
    for &type_id in &plan.name_order {
        let name = match heap.type_name(type_id) {
            "" => "(unlabelled)",
            name => name,
        };
        out.write_all(b",\n")?;
        serde_json::to_writer(&mut *out, name).map_err(io::Error::from)?;
    }
    out.write_all(b"]}\n")
}
