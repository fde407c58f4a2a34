//! Retaining paths: for an object that is still alive, one chain of references from a root to it
//! (what DevTools shows as the "retainers" of a leaked object).
//!
//! One breadth-first search from the roots serves a whole batch of targets, so each path is a
//! shortest one, and asking for many leaks costs one walk of the live graph. The search is
//! iterative (an explicit queue and a parent map): a deep heap, such as a long linked list,
//! cannot overflow the stack. Roots are taken in handle-table order, so for a given mutator
//! program the path found does not depend on the collector.

use std::collections::VecDeque;

use hashbrown::{HashMap, HashSet};

use crate::address::Address;
use crate::heap_core::HeapCore;
use crate::object::HeapObject;
use crate::tagged::Decoded;
use crate::type_table::TypeId;

/// Identifies an object until the heap next runs anything that may collect or move (an
/// allocation, a collection). It is a plain number: holding one keeps nothing alive and is
/// never dereferenced. Tools use it to match the objects of a path with the objects they know.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct ObjectKey(usize);

impl ObjectKey {
    pub(crate) fn of(address: Address) -> ObjectKey {
        ObjectKey(address.raw())
    }

    pub(crate) fn address(self) -> Address {
        Address::new(self.0)
    }
}

/// One object on a retaining path through the live heap: the object, its type, and the slot that
/// leads on. (A `.heapsnapshot`'s paths have a step type of their own in gc-heapsnapshot,
/// `SnapshotPathStep`: a snapshot node's id and the name of the edge into it.)
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub struct PathStep {
    pub object: ObjectKey,
    pub type_id: TypeId,
    /// The slot of this object that holds the next object of the path; `None` for the target.
    pub slot: Option<u32>,
}

/// Where the search reached an object from: the parent object and its slot, or a root.
type Parents = HashMap<Address, Option<(Address, u32)>>;

/// Shortest retaining paths to each of `targets` (`None` for a target no root reaches). Each
/// path starts at a rooted object and ends at its target.
pub(crate) fn retaining_paths(core: &HeapCore, targets: &[Address]) -> Vec<Option<Vec<PathStep>>> {
    let parents = search(core, targets);
    targets
        .iter()
        .map(|&target| path_to(&parents, target))
        .collect()
}

/// Breadth-first search from the roots until every target is reached (or the graph ends).
fn search(core: &HeapCore, targets: &[Address]) -> Parents {
    let mut parents: Parents = HashMap::new();
    let mut queue = VecDeque::new();
    core.handles.for_each_root(|root| {
        parents.entry(root).or_insert_with(|| {
            queue.push_back(root);
            None
        });
    });
    let mut wanted: HashSet<Address> = targets
        .iter()
        .copied()
        .filter(|t| !t.is_null() && !parents.contains_key(t))
        .collect();
    while let Some(address) = queue.pop_front() {
        if wanted.is_empty() {
            break;
        }
        // SAFETY: roots and pointer slots of reachable objects are live object starts (P2), and
        // nothing writes the heap while `core` is borrowed (P3).
        let object = unsafe { HeapObject::from_address(address) };
        for index in 0..object.slot_count() {
            let Decoded::Pointer(child) = object.slot(index).decode() else {
                continue;
            };
            if let hashbrown::hash_map::Entry::Vacant(vacant) = parents.entry(child) {
                vacant.insert(Some((address, index)));
                queue.push_back(child);
                wanted.remove(&child);
            }
        }
    }
    parents
}

fn path_to(parents: &Parents, target: Address) -> Option<Vec<PathStep>> {
    parents.get(&target)?;
    let mut steps = Vec::new();
    let (mut current, mut slot) = (target, None);
    loop {
        // SAFETY: every address in `parents` was reached from a root: a live object start (P2).
        let object = unsafe { HeapObject::from_address(current) };
        steps.push(PathStep {
            object: ObjectKey::of(current),
            type_id: object.type_id(),
            slot,
        });
        match parents.get(&current).copied().flatten() {
            Some((parent, index)) => (current, slot) = (parent, Some(index)),
            None => break,
        }
    }
    steps.reverse();
    Some(steps)
}

#[cfg(test)]
mod tests {
    use crate::testkit::NoGc;
    use crate::{Heap, HeapConfig};

    /// The unsafe walk on a small heap, so that Miri runs it (`cargo miri test -p gc-core --lib`).
    #[test]
    fn a_path_follows_slots_from_a_root() {
        let mut heap = Heap::new(HeapConfig::for_testing(), NoGc).unwrap();
        let node = heap.intern_type("Node").unwrap();
        // Only `root` outlives the scope; the others live through its slots.
        let (_root, weak) = heap.handle_scope(|heap, scope| {
            let root = heap.allocate(scope, node, 2, 0).unwrap();
            let child = heap.allocate(scope, node, 1, 8).unwrap();
            let leaf = heap.allocate(scope, node, 0, 0).unwrap();
            heap.store(root, 1, child).unwrap();
            heap.store(child, 0, leaf).unwrap();
            (
                heap.persistent(root).unwrap(),
                heap.downgrade(leaf).unwrap(),
            )
        });
        let paths = heap.retaining_paths(&[weak]).unwrap();
        let slots: Vec<Option<u32>> = paths[0].iter().flatten().map(|s| s.slot).collect();
        assert_eq!(slots, vec![Some(1), Some(0), None]);
    }
}
