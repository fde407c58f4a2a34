//! The marker thread beside the mutator, on small heaps (these tests also run under Miri and
//! ThreadSanitizer): it marks while the mutator stores into the objects it scans and allocates
//! black, it is stopped by scavenges, verification and the finalization pause, and the cycle
//! keeps exactly the reachable objects.

use std::time::Duration;

use gc_core::{
    CollectionKind, Collector, GcKind, Heap, Persistent, Progress, SlotContent, TypeId, Value,
    WeakHandle,
};
use gc_incremental::Concurrent;
use gc_incremental::incremental::Phase;
use gc_scavenge::Generational;

mod threads;

use threads::{config, manual};

/// A list of `n` objects with two slots (next, spare) from one root; returns the root and weak
/// handles to every node.
fn list<C: Collector>(heap: &mut Heap<C>, node: TypeId, n: usize) -> (Persistent, Vec<WeakHandle>) {
    heap.handle_scope(|heap, scope| {
        let head = heap.allocate(scope, node, 2, 8).unwrap();
        let mut weak = vec![heap.downgrade(head).unwrap()];
        let mut tail = head;
        for _ in 1..n {
            let next = heap.allocate(scope, node, 2, 8).unwrap();
            heap.store(tail, 0, next).unwrap();
            weak.push(heap.downgrade(next).unwrap());
            tail = next;
        }
        (heap.persistent(head).unwrap(), weak)
    })
}

/// How often the mutator gives its core to the marker thread before going on.
const YIELDS: usize = 100_000;

/// Lets the marker thread run until it has marked something; the mutator meanwhile hangs a new
/// (black) object off each node's spare slot, then drops every other one (a white object stored
/// into objects the marker may be scanning: the barrier greys it).
fn mutate_while_marking<C: Collector>(
    heap: &mut Heap<C>,
    node: TypeId,
    root: &Persistent,
    n: usize,
    marked: impl Fn(&Heap<C>) -> usize,
) {
    heap.handle_scope(|heap, scope| {
        let mut at = heap.local(scope, root).unwrap();
        for i in 0..n {
            scope.scope(|inner| {
                let spare = heap.allocate(inner, node, 1, 16).unwrap();
                heap.store(spare, 0, at).unwrap();
                heap.store(at, 1, spare).unwrap();
                if i % 2 == 1 {
                    heap.store(at, 1, Value::Null).unwrap();
                }
            });
            if let Ok(Value::Ref(next)) = heap.load(scope, at, 0) {
                at = next;
            }
        }
    });
    // Not a timing assertion: the marker is only given the chance to run (the callers check
    // that it marked, which it does as soon as it is scheduled).
    for _ in 0..YIELDS {
        if marked(heap) > 0 {
            return;
        }
        std::thread::yield_now();
    }
}

/// Finishes the cycle in steps; returns the finalization pause's concurrent marking time.
fn finish<C: Collector>(heap: &mut Heap<C>) -> Duration {
    while heap.collect_increment(Duration::ZERO) == Progress::Continue {
        heap.verify().unwrap();
    }
    heap.events()
        .iter()
        .rev()
        .find(|event| event.kind == GcKind::MarkingFinalize)
        .expect("a finalization pause")
        .outcome
        .concurrent_marking
}

#[test]
fn the_marker_thread_marks_beside_the_mutator() {
    let n = 64;
    let mut heap = Heap::new(config(), Concurrent::with_config(manual())).unwrap();
    let node = heap.intern_type("Node").unwrap();
    let (root, weak) = list(&mut heap, node, n);
    let garbage = heap.handle_scope(|heap, scope| {
        let garbage = heap.allocate(scope, node, 0, 64).unwrap();
        heap.downgrade(garbage).unwrap()
    });
    // Starting marking greys the root and hands it to the marker thread.
    assert_eq!(heap.collect_increment(Duration::ZERO), Progress::Continue);
    assert_eq!(heap.collector().phase(), Phase::Marking);
    mutate_while_marking(&mut heap, node, &root, n, |heap| {
        heap.collector().concurrently_marked_bytes()
    });
    heap.verify().unwrap();
    let concurrent_marking = finish(&mut heap);
    assert!(heap.collector().concurrently_marked_bytes() > 0);
    assert!(concurrent_marking > Duration::ZERO);
    heap.verify().unwrap();
    for weak in &weak {
        assert!(
            heap.is_alive(*weak).unwrap(),
            "a node of the list was freed"
        );
    }
    assert!(!heap.is_alive(garbage).unwrap());
    heap.handle_scope(|heap, scope| {
        let head = heap.local(scope, &root).unwrap();
        assert_eq!(heap.read(head, 1).unwrap(), SlotContent::Reference);
    });
}

#[test]
fn scavenges_stop_the_marker_thread_of_gen_concurrent() {
    let n = 48;
    let collector = Generational::new(Concurrent::with_config(manual()));
    let mut heap = Heap::new(config(), collector).unwrap();
    let node = heap.intern_type("Node").unwrap();
    let (root, weak) = list(&mut heap, node, n);
    // The list is promoted, then marked by the thread while young objects come and go.
    heap.collect(CollectionKind::Full);
    assert_eq!(heap.collect_increment(Duration::ZERO), Progress::Continue);
    mutate_while_marking(&mut heap, node, &root, n, |heap| {
        heap.collector().old().concurrently_marked_bytes()
    });
    heap.collect(CollectionKind::Young);
    heap.verify().unwrap();
    finish(&mut heap);
    heap.collect(CollectionKind::Young);
    heap.verify().unwrap();
    for weak in &weak {
        assert!(
            heap.is_alive(*weak).unwrap(),
            "a node of the list was freed"
        );
    }
    assert!(heap.collector().old().concurrently_marked_bytes() > 0);
}

/// Each step hands its one grey object to the marker and back (a lock and a wake-up per list
/// node), so the list is short: 200,000 nodes took three minutes, and Miri runs this file.
#[test]
fn marking_steps_out_of_budget_leave_the_work_to_the_marker_and_the_cycle_still_ends() {
    let n = if cfg!(miri) { 20 } else { 2_000 };
    let mut heap = Heap::new(config(), Concurrent::with_config(manual())).unwrap();
    let node = heap.intern_type("Node").unwrap();
    let (root, weak) = list(&mut heap, node, n);
    let garbage = list(&mut heap, node, n / 2).1;
    assert_eq!(heap.collect_increment(Duration::ZERO), Progress::Continue);
    // A list has one grey object at a time, mostly the marker's: each step of no budget finds
    // none published, asks the marker for it and returns without waiting for it (the marker
    // hands it back when it next looks, or goes on when the next step resumes it). Marking
    // still ends, with the whole list and nothing else.
    finish(&mut heap);
    assert!(heap.collector().concurrently_marked_bytes() > 0);
    heap.verify().unwrap();
    assert!(weak.iter().all(|weak| heap.is_alive(*weak).unwrap()));
    assert!(garbage.iter().all(|weak| !heap.is_alive(*weak).unwrap()));
    drop(root);
}
