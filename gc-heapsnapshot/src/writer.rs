//! Writes a gclab heap's live graph as a V8 `.heapsnapshot`, streaming: three walks of the heap
//! (count and number the objects; write the nodes; write the edges) instead of a copy of the
//! graph in memory, which holds only a map from object to node index and the type names.
//!
//! The shape of the file: node 0 is V8's synthetic root (id 1) with an `element` edge to each
//! rooted object (the strong handles, in handle-table order) and, when asked, a `weak` edge to
//! each object a weak handle refers to. Every object the roots reach is one node of type
//! `object`, named by its type label (`(unlabelled)` without one), whose `self_size` is its size
//! in the heap (header, slots and payload), with an `element` edge per slot holding a reference
//! (`name_or_index` = the slot). `to_node` is a node index times the 7 node fields, as V8 writes.
//! Node ids come from the caller (stable across snapshots of one program, so snapshots compare);
//! objects it cannot name get ids above every named one.

use std::io::{self, Write};

use gc_core::{Collector, Heap, ObjectKey, TypeId};
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
const NODE_TYPE_OBJECT: u32 = 3;
const NODE_TYPE_SYNTHETIC: u32 = 9;
const EDGE_TYPE_ELEMENT: u32 = 1;
const EDGE_TYPE_WEAK: u32 = 6;
/// V8's id for the synthetic root.
pub const ROOT_ID: u32 = 1;
const STRING_EMPTY: u32 = 0;
const STRING_WEAK: u32 = 1;

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
            let next_name = 2 + plan.names.len() as u32;
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
        if plan.node_count > (u32::MAX as usize) / NODE_FIELDS {
            return Err(WriteError::TooManyNodes(plan.node_count));
        }
        let first_free = max_id.map_or(0, |id| id + 1);
        for (id, node) in (first_free..).zip(unnamed) {
            plan.ids[node as usize] = node_id_of_trace_id(id)?;
        }
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
            "\"node_count\":{},\"edge_count\":{},\"trace_function_count\":0}},\n"
        ),
        plan.node_count, plan.edge_count
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
        // Sizes are below 2^31 (gc-core's largest object is 1 GiB).
        result = write!(
            out,
            "\n,{NODE_TYPE_OBJECT},{name},{},{},{},0,0",
            plan.ids[node],
            object.size,
            object.references.len()
        );
        node += 1;
    });
    result?;
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
    heap.walk_live(|object| {
        for &(slot, target) in object.references {
            if result.is_err() {
                return;
            }
            let to = plan.index.get(&target).copied().unwrap_or(0) as usize * NODE_FIELDS;
            result = write!(out, "{separator}{EDGE_TYPE_ELEMENT},{slot},{to}");
            separator = ",\n";
        }
    });
    result?;
    out.write_all(
        b"],\n\"trace_function_infos\":[],\"trace_tree\":[],\"samples\":[],\"locations\":[],\n",
    )
}

fn write_strings<C: Collector>(out: &mut dyn Write, heap: &Heap<C>, plan: &Plan) -> io::Result<()> {
    out.write_all(b"\"strings\":[\"\",\"weak handle\"")?;
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
