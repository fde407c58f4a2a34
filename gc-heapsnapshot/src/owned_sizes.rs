//! DevTools' shallow sizes (`JSHeapSnapshot.calculateShallowSizes`): a hidden or array node —
//! a backing store, V8's internal arrays — that one object alone reaches counts in that
//! object's shallow size, and its own becomes 0, so a user sees an `Array` or a `Map` with the
//! memory it holds rather than an anonymous `(array)` beside it.
//!
//! Owners: every node that is not hidden, not an array and not a `system / ExternalStringData`
//! native owns itself; ownership flows along non-weak edges into the others; a node reached from
//! two owners has none. Sizes move only to an owner that is neither the root nor synthetic.
//! Invariant: the sizes add up to the snapshot's (nothing is created or lost). A snapshot
//! without user roots (the root has no edge to a non-synthetic node: taken with V8's internals
//! exposed) keeps its sizes as they are.

use super::model::HeapSnapshot;

const ROOT: usize = 0;
const UNVISITED: u32 = u32::MAX;
const SHARED: u32 = u32::MAX - 1;

/// DevTools' shallow size of every node of `snapshot`.
pub fn owned_sizes(snapshot: &HeapSnapshot) -> Vec<u64> {
    let count = snapshot.node_count();
    let mut sizes: Vec<u64> = (0..count).map(|n| snapshot.self_size(n)).collect();
    if !has_user_roots(snapshot) {
        return sizes;
    }
    let owners = owners(snapshot);
    for (node, &owner) in owners.iter().enumerate() {
        if owner == UNVISITED || owner == SHARED || owner as usize == node {
            continue;
        }
        let owner = owner as usize;
        if owner == ROOT || snapshot.node_type(owner) == "synthetic" {
            continue;
        }
        sizes[owner] += std::mem::take(&mut sizes[node]);
    }
    sizes
}

/// Whether the root has an edge to a node that is not synthetic (a global, in V8's snapshots).
pub fn has_user_roots(snapshot: &HeapSnapshot) -> bool {
    snapshot
        .edges_of(ROOT)
        .any(|edge| snapshot.node_type(snapshot.edge_target(edge)) != "synthetic")
}

fn can_be_owned(snapshot: &HeapSnapshot, node: usize) -> bool {
    match snapshot.node_type(node) {
        "hidden" | "array" => true,
        "native" => snapshot.node_name(node) == "system / ExternalStringData",
        _ => false,
    }
}

/// Each node's single owner, [`UNVISITED`] or [`SHARED`].
fn owners(snapshot: &HeapSnapshot) -> Vec<u32> {
    let count = snapshot.node_count();
    let mut owners = vec![UNVISITED; count];
    let mut worklist = Vec::new();
    for (node, owner) in owners.iter_mut().enumerate() {
        if !can_be_owned(snapshot, node) {
            *owner = node as u32;
            worklist.push(node);
        }
    }
    // Each node enters the worklist at most twice (unvisited -> owned -> shared).
    while let Some(node) = worklist.pop() {
        let owner = owners[node];
        for edge in snapshot.edges_of(node) {
            if snapshot.edge_type(edge) == "weak" {
                continue;
            }
            let target = snapshot.edge_target(edge);
            let current = owners[target];
            if current == UNVISITED {
                owners[target] = owner;
                worklist.push(target);
            } else if current != target as u32 && current != owner && current != SHARED {
                owners[target] = SHARED;
                worklist.push(target);
            }
        }
    }
    owners
}
