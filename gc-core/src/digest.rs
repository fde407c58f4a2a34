//! The live-graph digest: a hash of every object the strong handles reach (type label, slot
//! count, payload, external bytes, and each slot's content) that does not depend on addresses,
//! so that different collectors can be checked to have kept the same graph.
//!
//! Objects are numbered in breadth-first order from the roots, taken in handle-table order; a
//! slot pointing at an object hashes that object's number. Both orders depend only on what the
//! mutator did, never on where a collector put anything.

use std::collections::VecDeque;
use std::fmt;

use hashbrown::HashMap;
use xxhash_rust::xxh3::Xxh3;

use crate::address::Address;
use crate::heap_core::HeapCore;
use crate::object::HeapObject;
use crate::tagged::Decoded;

/// A 128-bit digest of a live graph.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub struct Digest(pub u128);

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

/// The reachable graph's size and digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveGraph {
    pub digest: Digest,
    pub objects: u64,
    pub slots: u64,
    /// Sum of the payload (raw byte) lengths.
    pub payload_bytes: u64,
    /// Sum of the object sizes, headers included.
    pub object_bytes: u64,
    pub external_bytes: u64,
}

const TAG_NULL: u8 = 0;
const TAG_SMI: u8 = 1;
const TAG_REF: u8 = 2;

/// Whether a digest hashes the payload's bytes or only its length.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Payload {
    Contents,
    /// What a trace carries: a trace gives sizes, never contents.
    LengthOnly,
}

/// Walks the graph the strong handles reach.
pub fn live_graph(core: &HeapCore) -> LiveGraph {
    let mut roots = Vec::new();
    core.handles.for_each_root(|root| roots.push(root));
    graph_from(core, &roots, Payload::Contents)
}

/// The live graph as a trace can describe it, for comparing a recorded heap with a replay of
/// its trace: the rooted objects taken once each, ordered by their trace ids (`id_of`; objects
/// without one last, in handle-table order), and payloads hashed by length, not contents.
/// Handle-table order and payload bytes are the embedder's business, which a trace does not
/// carry.
pub fn trace_live_graph(core: &HeapCore, id_of: impl Fn(Address) -> Option<u64>) -> LiveGraph {
    let mut roots = Vec::new();
    let mut seen = hashbrown::HashSet::new();
    core.handles.for_each_root(|root| {
        if seen.insert(root) {
            roots.push(root);
        }
    });
    // Stable: the unnamed keep their handle-table order.
    roots.sort_by_key(|&root| id_of(root).map_or((1, 0), |id| (0, id)));
    graph_from(core, &roots, Payload::LengthOnly)
}

fn graph_from(core: &HeapCore, roots: &[Address], payload_mode: Payload) -> LiveGraph {
    let mut numbers: HashMap<Address, u64> = HashMap::new();
    let mut queue = VecDeque::new();
    let mut hasher = Xxh3::new();
    let mut number = |address: Address, queue: &mut VecDeque<Address>| {
        let next = numbers.len() as u64;
        *numbers.entry(address).or_insert_with(|| {
            queue.push_back(address);
            next
        })
    };
    for &root in roots {
        hasher.update(&number(root, &mut queue).to_le_bytes());
    }
    let mut graph = LiveGraph {
        digest: Digest(0),
        objects: 0,
        slots: 0,
        payload_bytes: 0,
        object_bytes: 0,
        external_bytes: 0,
    };
    while let Some(address) = queue.pop_front() {
        // SAFETY: roots and pointer slots of live objects are live object starts (P2).
        let object = unsafe { HeapObject::from_address(address) };
        let name = core.types.name(object.type_id());
        let external = core.external.of(address);
        hasher.update(&(name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        hasher.update(&object.slot_count().to_le_bytes());
        hasher.update(&external.to_le_bytes());
        for index in 0..object.slot_count() {
            match object.slot(index).decode() {
                Decoded::Pointer(target) => {
                    hasher.update(&[TAG_REF]);
                    hasher.update(&number(target, &mut queue).to_le_bytes());
                }
                Decoded::Smi(smi) => {
                    hasher.update(&[TAG_SMI]);
                    hasher.update(&smi.value().to_le_bytes());
                }
                Decoded::Null => hasher.update(&[TAG_NULL]),
            }
        }
        hasher.update(&object.payload_len().to_le_bytes());
        // SAFETY: the payload lies inside the live object (P2) and nothing writes the heap while
        // `core` is borrowed (P3).
        let payload = unsafe {
            std::slice::from_raw_parts(
                object.payload_address().as_mut_ptr(),
                object.payload_len() as usize,
            )
        };
        if payload_mode == Payload::Contents {
            hasher.update(payload);
        }
        graph.objects += 1;
        graph.slots += u64::from(object.slot_count());
        graph.payload_bytes += u64::from(object.payload_len());
        graph.object_bytes += object.size() as u64;
        graph.external_bytes += external;
    }
    graph.digest = Digest(hasher.digest128());
    graph
}
