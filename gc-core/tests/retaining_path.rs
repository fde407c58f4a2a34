//! Retaining paths: the chain from a root to a live object, shortest first, and none for an
//! object no root reaches.

use gc_core::testkit::NoGc;
use gc_core::{Heap, HeapConfig};

#[test]
fn the_path_is_the_shortest_chain_from_a_root() {
    let mut heap = Heap::new(HeapConfig::for_testing(), NoGc).unwrap();
    let node = heap.intern_type("Node").unwrap();
    let leaf_type = heap.intern_type("Leaf").unwrap();
    // Only the root outlives the scope.
    let (_root, [weak_leaf, weak_middle, weak_root]) = heap.handle_scope(|heap, scope| {
        let root = heap.allocate(scope, node, 2, 0).unwrap();
        let middle = heap.allocate(scope, node, 1, 0).unwrap();
        let leaf = heap.allocate(scope, leaf_type, 0, 8).unwrap();
        // root -0-> middle -0-> leaf, and root -1-> leaf: the shorter path goes through slot 1.
        heap.store(root, 0, middle).unwrap();
        heap.store(middle, 0, leaf).unwrap();
        heap.store(root, 1, leaf).unwrap();
        (
            heap.persistent(root).unwrap(),
            [leaf, middle, root].map(|local| heap.downgrade(local).unwrap()),
        )
    });

    let paths = heap
        .retaining_paths(&[weak_leaf, weak_middle, weak_root])
        .unwrap();
    let root_key = heap.object_key(weak_root).unwrap().unwrap();
    let leaf_key = heap.object_key(weak_leaf).unwrap().unwrap();
    let middle_key = heap.object_key(weak_middle).unwrap().unwrap();

    let leaf_path = paths[0].as_ref().expect("the leaf is reachable");
    let steps: Vec<_> = leaf_path.iter().map(|s| (s.object, s.slot)).collect();
    assert_eq!(steps, vec![(root_key, Some(1)), (leaf_key, None)]);
    assert_eq!(leaf_path[1].type_id, leaf_type);
    let middle_path = paths[1].as_ref().expect("the middle node is reachable");
    let steps: Vec<_> = middle_path.iter().map(|s| (s.object, s.slot)).collect();
    assert_eq!(steps, vec![(root_key, Some(0)), (middle_key, None)]);
    let root_path = paths[2].as_ref().expect("a root reaches itself");
    assert_eq!(root_path.len(), 1);
    assert_eq!(root_path[0].slot, None);
}

#[test]
fn an_unreachable_object_has_no_path() {
    let mut heap = Heap::new(HeapConfig::for_testing(), NoGc).unwrap();
    let node = heap.intern_type("Node").unwrap();
    let (_kept, weak) = heap.handle_scope(|heap, scope| {
        let kept = heap.allocate(scope, node, 1, 0).unwrap();
        let dropped = heap.allocate(scope, node, 1, 0).unwrap();
        // The dropped object points at the kept one; nothing points at it. NoGc never frees, so
        // it is still in the heap, just unreachable once the scope closes.
        heap.store(dropped, 0, kept).unwrap();
        (
            heap.persistent(kept).unwrap(),
            heap.downgrade(dropped).unwrap(),
        )
    });
    assert_eq!(heap.retaining_paths(&[weak]).unwrap(), vec![None]);
    heap.drop_weak(weak).unwrap();
    assert!(
        heap.retaining_paths(&[weak]).is_err(),
        "a dropped weak handle is stale"
    );
}

#[test]
fn a_deep_chain_does_not_recurse() {
    let mut heap = Heap::new(HeapConfig::for_testing(), NoGc).unwrap();
    let node = heap.intern_type("Node").unwrap();
    let (_head, weak) = heap.handle_scope(|heap, scope| {
        let head = heap.allocate(scope, node, 1, 0).unwrap();
        // One local walks down the chain as it grows; each new node's local goes with its scope.
        let tail = heap.local(scope, head).unwrap();
        for _ in 0..100_000 {
            scope.scope(|inner| {
                let next = heap.allocate(inner, node, 1, 0).unwrap();
                heap.store(tail, 0, next).unwrap();
            });
            heap.load_into(tail, tail, 0).unwrap();
        }
        (
            heap.persistent(head).unwrap(),
            heap.downgrade(tail).unwrap(),
        )
    });
    let paths = heap.retaining_paths(&[weak]).unwrap();
    assert_eq!(paths[0].as_ref().map(Vec::len), Some(100_001));
}
