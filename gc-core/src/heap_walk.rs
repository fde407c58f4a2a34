//! Walking the live graph object by object: what heap snapshots are written from.
//!
//! The walk is breadth-first from the roots, taken in handle-table order, as the digest's and
//! the retaining paths' searches are, so the order in which objects are visited depends only on
//! what the mutator did, never on the collector or on addresses. It is iterative (an explicit
//! queue), so a deep heap cannot overflow the stack. Each reachable object is visited once, with
//! its references in slot order; the keys it hands out stay valid for the whole walk because the
//! walk borrows the heap (nothing can allocate or collect meanwhile).

use std::collections::VecDeque;

use hashbrown::HashSet;

use crate::address::Address;
use crate::heap_core::HeapCore;
use crate::object::HeapObject;
use crate::retaining_path::ObjectKey;
use crate::tagged::Decoded;
use crate::type_table::TypeId;

/// One reachable object, as [`crate::Heap::walk_live`] shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalkedObject<'w> {
    pub key: ObjectKey,
    pub type_id: TypeId,
    /// The object's size in the heap, header included.
    pub size: usize,
    /// Off-heap bytes the object owns.
    pub external_bytes: u64,
    /// `(slot, target)` for every slot that holds a reference, in slot order.
    pub references: &'w [(u32, ObjectKey)],
}

/// The distinct objects the strong handles root, in handle-table order.
pub(crate) fn root_keys(core: &HeapCore) -> Vec<ObjectKey> {
    distinct(|f| core.handles.for_each_root(f))
}

/// The distinct objects the live weak handles refer to, in handle-table order.
pub(crate) fn weak_targets(core: &HeapCore) -> Vec<ObjectKey> {
    distinct(|f| core.weak_handles.for_each_target(f))
}

fn distinct(each: impl FnOnce(&mut dyn FnMut(Address))) -> Vec<ObjectKey> {
    let mut seen = HashSet::new();
    let mut keys = Vec::new();
    each(&mut |address| {
        if seen.insert(address) {
            keys.push(ObjectKey::of(address));
        }
    });
    keys
}

/// Calls `visit` with every object the strong handles reach, breadth-first from the roots.
pub(crate) fn walk_live(core: &HeapCore, mut visit: impl FnMut(&WalkedObject<'_>)) {
    let mut seen: HashSet<Address> = HashSet::new();
    let mut queue = VecDeque::new();
    core.handles.for_each_root(|root| {
        if seen.insert(root) {
            queue.push_back(root);
        }
    });
    let mut references = Vec::new();
    while let Some(address) = queue.pop_front() {
        // SAFETY: roots and pointer slots of reachable objects are live object starts (P2), and
        // nothing writes the heap while `core` is borrowed (P3).
        let object = unsafe { HeapObject::from_address(address) };
        references.clear();
        for index in 0..object.slot_count() {
            if let Decoded::Pointer(child) = object.slot(index).decode() {
                references.push((index, ObjectKey::of(child)));
                if seen.insert(child) {
                    queue.push_back(child);
                }
            }
        }
        visit(&WalkedObject {
            key: ObjectKey::of(address),
            type_id: object.type_id(),
            size: object.size(),
            external_bytes: core.external.of(address),
            references: &references,
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::testkit::NoGc;
    use crate::{Heap, HeapConfig};

    /// The unsafe walk on a small heap, so that Miri runs it (`cargo miri test -p gc-core --lib`).
    #[test]
    fn the_walk_visits_each_reachable_object_once_in_breadth_first_order() {
        let mut heap = Heap::new(HeapConfig::for_testing(), NoGc).unwrap();
        let node = heap.intern_type("Node").unwrap();
        // Only `root` outlives the scope: `left` and `right` live through its slots, `garbage`
        // through nothing.
        let (_root, weak) = heap.handle_scope(|heap, scope| {
            let root = heap.allocate(scope, node, 2, 0).unwrap();
            let left = heap.allocate(scope, node, 1, 8).unwrap();
            let right = heap.allocate(scope, node, 0, 0).unwrap();
            let _garbage = heap.allocate(scope, node, 0, 0).unwrap();
            heap.store(root, 0, left).unwrap();
            heap.store(root, 1, right).unwrap();
            heap.store(left, 0, root).unwrap(); // a cycle back to the root
            (
                heap.persistent(root).unwrap(),
                heap.downgrade(right).unwrap(),
            )
        });
        let mut visited = Vec::new();
        heap.walk_live(|object| visited.push((object.key, object.references.to_vec())));
        let roots = heap.root_keys();
        assert_eq!(roots.len(), 1);
        assert_eq!(visited.len(), 3);
        assert_eq!(visited[0].0, roots[0]);
        let (left_key, right_key) = (visited[1].0, visited[2].0);
        assert_eq!(visited[0].1, vec![(0, left_key), (1, right_key)]);
        assert_eq!(visited[1].1, vec![(0, roots[0])]);
        assert!(visited[2].1.is_empty());
        assert_eq!(heap.weak_handle_targets(), vec![right_key]);
        assert_eq!(heap.object_key(weak).unwrap(), Some(right_key));
    }
}
