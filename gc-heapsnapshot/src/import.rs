//! Snapshots of one program, in order, as one trace that rebuilds each snapshot's graph in turn.
//!
//! Each snapshot is a phase. The objects of a phase are the nodes the root reaches over
//! non-weak edges (what a collection would keep; V8 snapshots also list nodes nothing retains,
//! which would die at once). Each is an object of `self_size` raw bytes with one reference slot
//! per non-weak edge (edges to the root itself are left out), labelled with its class name
//! (white space and `#` made `_`), and the targets of the root's non-weak edges are the roots.
//!
//! A phase is written so that every record touches only reachable objects:
//! 1. `a` for each node new in this phase (rooted by its allocation);
//! 2. `w` for each slot whose target differs from the previous phase (all slots of new objects);
//! 3. `+` for new roots, `-` for roots that are no more, `-` for the allocation roots;
//! 4. `d` for each object of the previous phase missing from this one, then `gc`.
//!
//! A backing store, V8's way of showing an object's off-heap memory (an `internal` edge named
//! `backing_store` to a `native` node that retains nothing, as V8 writes an `ArrayBuffer`'s and
//! gclab writes `system / ExternalMemory`), is not an object: its bytes become its owner's
//! external memory, an `e` record, so the replayed heap accounts them as the original did. A
//! store two owners share counts once, for the first in node order.
//!
//! Objects are matched between phases by node id (V8 keeps ids stable within a process). The
//! trace id of an object is its node id; an object whose slot count or size changed under the
//! same id becomes a new object (trace ids from 2^32 up), and the old one dies. Memory: the
//! current snapshot's arrays plus, per live object, its trace id and slot targets.

use std::io;

use hashbrown::{HashMap, HashSet};
use thiserror::Error;

use super::dominators::EdgeKind;
use super::model::{EdgeName, HeapSnapshot};
use gc_trace::{GcRequest, Record, TraceSink, TraceValue};

#[derive(Debug, Error)]
pub enum ImportError {
    /// Two nodes the root reaches share an id, so they cannot be told apart between phases.
    #[error("node id {id} appears twice (nodes {first} and {second}); ids must be unique")]
    DuplicateId {
        id: u32,
        first: usize,
        second: usize,
    },
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// What an import wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Per phase: the objects it holds (nodes the root reaches over non-weak edges).
    pub objects_per_phase: Vec<u64>,
    pub records: u64,
}

/// An object of the previous phase.
struct Live {
    trace_id: u64,
    bytes: u32,
    /// The external bytes its last `e` record gave it.
    external: u64,
    /// Its slot targets are `targets[start..start + slots]` of the importer's arena.
    start: usize,
    slots: u32,
}

/// Writes the phases one snapshot at a time.
pub struct Importer<'s> {
    sink: &'s mut dyn TraceSink,
    live: HashMap<u32, Live>,
    /// The slot targets of the live objects, one run per object (one allocation, not one each).
    targets: Vec<u64>,
    roots: HashSet<u64>,
    /// Objects of the previous phase that this one no longer holds.
    dying: Vec<u64>,
    next_fresh: u64,
    summary: ImportSummary,
}

const ROOT: usize = 0;
const FIRST_FRESH_ID: u64 = 1 << 32;

impl<'s> Importer<'s> {
    /// Starts a trace in `sink` (its metadata names the source).
    pub fn new(sink: &'s mut dyn TraceSink, source: &str) -> io::Result<Self> {
        sink.write_record(&Record::Meta {
            key: "source",
            value: source,
        })?;
        Ok(Importer {
            sink,
            live: HashMap::new(),
            targets: Vec::new(),
            roots: HashSet::new(),
            dying: Vec::new(),
            next_fresh: FIRST_FRESH_ID,
            summary: ImportSummary::default(),
        })
    }

    fn emit(&mut self, record: Record<'_>) -> io::Result<()> {
        self.summary.records += 1;
        self.sink.write_record(&record)
    }

    /// Adds the phase of one snapshot.
    pub fn add(&mut self, snapshot: &HeapSnapshot) -> Result<(), ImportError> {
        let edges = Edges::of(snapshot);
        let reached = reachable(snapshot, &edges);
        check_unique_ids(snapshot, &reached)?;
        let external = external_bytes(snapshot, &edges, &reached);
        let trace_ids = self.allocate_new(snapshot, &edges, &reached)?;
        let fresh = self.write_slots(snapshot, &edges, &reached, &trace_ids, &external)?;
        self.update_roots(snapshot, &edges, &trace_ids)?;
        for &id in &fresh {
            self.emit(Record::DropRoot { id })?;
        }
        self.drop_missing()?;
        self.emit(Record::Gc(GcRequest::Full))?;
        let objects = reached.iter().skip(1).filter(|&&r| r).count() as u64;
        self.summary.objects_per_phase.push(objects);
        Ok(())
    }

    /// Ends the trace.
    pub fn finish(self) -> io::Result<ImportSummary> {
        self.sink.finish()?;
        Ok(self.summary)
    }

    /// Step 1: `a` for each new object; the trace id of every reached node (0 elsewhere).
    fn allocate_new(
        &mut self,
        snapshot: &HeapSnapshot,
        edges: &Edges,
        reached: &[bool],
    ) -> io::Result<Vec<u64>> {
        let mut trace_ids = vec![0u64; snapshot.node_count()];
        for node in 1..snapshot.node_count() {
            if !reached[node] {
                continue;
            }
            let id = snapshot.node_id(node);
            let slots = retained_targets(snapshot, edges, node).count() as u32;
            let bytes = snapshot.self_size(node) as u32;
            let same = self
                .live
                .get(&id)
                .filter(|live| live.slots == slots && live.bytes == bytes);
            if let Some(live) = same {
                trace_ids[node] = live.trace_id;
                continue;
            }
            let trace_id = if self.live.contains_key(&id) {
                self.next_fresh += 1;
                self.next_fresh - 1
            } else {
                u64::from(id)
            };
            trace_ids[node] = trace_id;
            let label = label_of(snapshot, node);
            self.emit(Record::Alloc {
                id: trace_id,
                slots,
                bytes,
                type_label: Some(&label),
            })?;
        }
        Ok(trace_ids)
    }

    /// Step 2: the slots and external memory that changed; returns the new objects (their
    /// allocation roots).
    fn write_slots(
        &mut self,
        snapshot: &HeapSnapshot,
        edges: &Edges,
        reached: &[bool],
        trace_ids: &[u64],
        external: &[u64],
    ) -> io::Result<Vec<u64>> {
        let mut fresh = Vec::new();
        let mut next_live = HashMap::with_capacity(self.live.len());
        let mut next_targets = Vec::with_capacity(self.targets.len());
        let mut targets = Vec::new();
        for node in 1..snapshot.node_count() {
            if !reached[node] {
                continue;
            }
            targets.clear();
            targets.extend(retained_targets(snapshot, edges, node).map(|target| trace_ids[target]));
            let id = snapshot.node_id(node);
            let previous = self
                .live
                .get(&id)
                .filter(|live| live.trace_id == trace_ids[node]);
            if previous.is_none() {
                fresh.push(trace_ids[node]);
            }
            for (slot, &target) in targets.iter().enumerate() {
                if previous.is_some_and(|live| self.targets[live.start + slot] == target) {
                    continue;
                }
                self.summary.records += 1;
                self.sink.write_record(&Record::Write {
                    id: trace_ids[node],
                    slot: slot as u32,
                    value: TraceValue::Object(target),
                })?;
            }
            if previous.map_or(0, |live| live.external) != external[node] {
                self.summary.records += 1;
                self.sink.write_record(&Record::External {
                    id: trace_ids[node],
                    bytes: external[node],
                })?;
            }
            next_live.insert(
                id,
                Live {
                    trace_id: trace_ids[node],
                    bytes: snapshot.self_size(node) as u32,
                    external: external[node],
                    start: next_targets.len(),
                    slots: targets.len() as u32,
                },
            );
            next_targets.extend_from_slice(&targets);
        }
        // The previous phase's objects stay until step 4 says which died.
        self.targets = next_targets;
        for (id, live) in std::mem::replace(&mut self.live, next_live) {
            let kept = self
                .live
                .get(&id)
                .is_some_and(|l| l.trace_id == live.trace_id);
            if !kept {
                self.dying.push(live.trace_id);
            }
        }
        Ok(fresh)
    }

    /// Step 3: roots as the root node's retaining edges say.
    fn update_roots(
        &mut self,
        snapshot: &HeapSnapshot,
        edges: &Edges,
        trace_ids: &[u64],
    ) -> io::Result<()> {
        let mut roots = Vec::new();
        let mut wanted = HashSet::new();
        for target in retained_targets(snapshot, edges, ROOT) {
            if wanted.insert(trace_ids[target]) {
                roots.push(trace_ids[target]);
            }
        }
        for &id in &roots {
            if !self.roots.contains(&id) {
                self.emit(Record::AddRoot { id })?;
            }
        }
        let mut dropped: Vec<u64> = self.roots.difference(&wanted).copied().collect();
        dropped.sort_unstable();
        for id in dropped {
            self.emit(Record::DropRoot { id })?;
        }
        self.roots = wanted;
        Ok(())
    }

    /// Step 4: `d` for the objects of the previous phase that are gone.
    fn drop_missing(&mut self) -> io::Result<()> {
        let mut dying = std::mem::take(&mut self.dying);
        dying.sort_unstable();
        for id in dying {
            self.emit(Record::Dead { id })?;
        }
        Ok(())
    }
}

fn check_unique_ids(snapshot: &HeapSnapshot, reached: &[bool]) -> Result<(), ImportError> {
    let mut seen: HashMap<u32, usize> = HashMap::new();
    for node in (1..snapshot.node_count()).filter(|&n| reached[n]) {
        let id = snapshot.node_id(node);
        if let Some(&first) = seen.get(&id) {
            return Err(ImportError::DuplicateId {
                id,
                first,
                second: node,
            });
        }
        seen.insert(id, node);
    }
    Ok(())
}

/// How an import reads a snapshot's edges.
pub struct Edges {
    /// Per edge type index, whether edges of that type retain (all but `weak`).
    retaining: Vec<bool>,
    /// Per node, whether it is a backing store (see the module docs) rather than an object.
    backing_store: Vec<bool>,
}

impl Edges {
    pub fn of(snapshot: &HeapSnapshot) -> Edges {
        let retaining: Vec<bool> = snapshot
            .layout
            .edge_types
            .iter()
            .map(|t| EdgeKind::of_type_name(t) != EdgeKind::Weak)
            .collect();
        let mut backing_store = vec![false; snapshot.node_count()];
        for edge in 0..snapshot.edge_count() {
            let target = snapshot.edge_target(edge);
            if is_backing_store_edge(snapshot, edge)
                && snapshot.node_type(target) == "native"
                && snapshot.edges_of(target).all(|out| {
                    !retaining[snapshot.edge_type_index(out)] || snapshot.edge_target(out) == ROOT
                })
            {
                backing_store[target] = true;
            }
        }
        Edges {
            retaining,
            backing_store,
        }
    }

    fn retains(&self, snapshot: &HeapSnapshot, edge: usize) -> bool {
        self.retaining[snapshot.edge_type_index(edge)]
    }
}

fn is_backing_store_edge(snapshot: &HeapSnapshot, edge: usize) -> bool {
    snapshot.edge_type(edge) == "internal"
        && snapshot.edge_name(edge) == EdgeName::Name("backing_store")
}

/// The objects `node`'s retaining edges point at, in edge order (the root and backing stores
/// left out): its slots.
fn retained_targets<'a>(
    snapshot: &'a HeapSnapshot,
    edges: &'a Edges,
    node: usize,
) -> impl Iterator<Item = usize> + 'a {
    snapshot
        .edges_of(node)
        .filter(|&edge| edges.retains(snapshot, edge))
        .map(|edge| snapshot.edge_target(edge))
        .filter(|&target| target != ROOT && !edges.backing_store[target])
}

/// Per node, the bytes of the backing stores it owns (each store counted for the first reached
/// owner in node order).
fn external_bytes(snapshot: &HeapSnapshot, edges: &Edges, reached: &[bool]) -> Vec<u64> {
    let mut external = vec![0u64; snapshot.node_count()];
    let mut claimed = vec![false; snapshot.node_count()];
    for owner in (1..snapshot.node_count()).filter(|&node| reached[node]) {
        for edge in snapshot.edges_of(owner) {
            let store = snapshot.edge_target(edge);
            if edges.backing_store[store] && edges.retains(snapshot, edge) && !claimed[store] {
                claimed[store] = true;
                external[owner] += snapshot.self_size(store);
            }
        }
    }
    external
}

/// The objects the root reaches over retaining edges (the root included; backing stores are
/// not objects).
pub fn reachable(snapshot: &HeapSnapshot, edges: &Edges) -> Vec<bool> {
    let mut reached = vec![false; snapshot.node_count()];
    reached[ROOT] = true;
    let mut stack = vec![ROOT];
    while let Some(node) = stack.pop() {
        for target in retained_targets(snapshot, edges, node) {
            if !reached[target] {
                reached[target] = true;
                stack.push(target);
            }
        }
    }
    reached
}

/// The number of objects the root reaches over non-weak edges, the root and backing stores
/// excluded: the objects an import of the snapshot keeps alive.
pub fn reachable_objects(snapshot: &HeapSnapshot) -> u64 {
    reachable(snapshot, &Edges::of(snapshot))
        .iter()
        .skip(1)
        .filter(|&&r| r)
        .count() as u64
}

/// A trace type label: the class name without white space or `#` (which starts a comment),
/// at most 128 bytes.
fn label_of(snapshot: &HeapSnapshot, node: usize) -> String {
    let mut label: String = snapshot
        .class_name(node)
        .chars()
        .map(|c| {
            if c.is_whitespace() || c == '#' {
                '_'
            } else {
                c
            }
        })
        .collect();
    if label.len() > 128 {
        let mut end = 128;
        while !label.is_char_boundary(end) {
            end -= 1;
        }
        label.truncate(end);
    }
    if label.is_empty() {
        label.push_str("(empty)");
    }
    label
}
