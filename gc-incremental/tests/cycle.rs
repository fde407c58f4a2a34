//! One marking cycle at a time, on small heaps (these tests also run under Miri): lazy sweeping
//! after finalization, the stop-the-world fallback, young objects under gen-incremental.

use std::time::Duration;

use gc_core::testkit;
use gc_core::{
    CollectionKind, Collector, GcKind, GcReason, Heap, HeapConfig, Persistent, Progress,
    SlotContent, TypeId, WeakHandle,
};
use gc_incremental::incremental::Phase;
use gc_incremental::{Incremental, IncrementalConfig};
use gc_scavenge::Generational;

/// Steps only when asked: nothing is paced by allocation.
fn manual() -> IncrementalConfig {
    IncrementalConfig {
        step_budget: Duration::ZERO,
        step_interval: usize::MAX,
        min_step_bytes: 16,
    }
}

fn node<C: Collector>(heap: &mut Heap<C>) -> TypeId {
    heap.intern_type("Node").unwrap()
}

/// A list of `n` objects of `bytes` payload hanging from one root; returns the root, a
/// persistent handle to the head.
fn list<C: Collector>(heap: &mut Heap<C>, n: usize, bytes: u64) -> Persistent {
    let ty = node(heap);
    heap.handle_scope(|heap, scope| {
        let head = heap.allocate(scope, ty, 1, bytes).unwrap();
        let tail = heap.local(scope, head).unwrap();
        for _ in 1..n {
            scope.scope(|step| {
                let next = heap.allocate(step, ty, 1, bytes).unwrap();
                heap.store(tail, 0, next).unwrap();
            });
            heap.load_into(tail, tail, 0).unwrap();
        }
        heap.persistent(head).unwrap()
    })
}

/// A new object rooted by the returned persistent handle.
fn object<C: Collector>(heap: &mut Heap<C>, slots: u64, bytes: u64) -> Persistent {
    let ty = node(heap);
    heap.handle_scope(|heap, scope| {
        let local = heap.allocate(scope, ty, slots, bytes).unwrap();
        heap.persistent(local).unwrap()
    })
}

/// A new object rooted by nothing (a local in a scope that closes at once): its weak handle.
fn unrooted<C: Collector>(heap: &mut Heap<C>, slots: u64, bytes: u64) -> WeakHandle {
    let ty = node(heap);
    heap.handle_scope(|heap, scope| {
        let local = heap.allocate(scope, ty, slots, bytes).unwrap();
        heap.downgrade(local).unwrap()
    })
}

fn finish_cycle<C: Collector>(heap: &mut Heap<C>) {
    for _ in 0..100_000 {
        if heap.collect_increment(Duration::ZERO) == Progress::Complete {
            return;
        }
    }
    panic!("marking did not finish");
}

#[test]
fn finalization_sweeps_no_page_and_the_allocator_sweeps_them_one_by_one() {
    let mut heap = Heap::new(
        HeapConfig::for_testing(),
        Incremental::with_config(manual()),
    )
    .unwrap();
    let live = list(&mut heap, 200, 1000);
    let garbage = list(&mut heap, 200, 1000);
    let weak = heap.downgrade(&garbage).unwrap();
    drop(garbage);
    assert_eq!(heap.collect_increment(Duration::ZERO), Progress::Continue);
    assert!(heap.collector().is_marking());
    finish_cycle(&mut heap);
    assert_eq!(heap.events().last().unwrap().kind, GcKind::MarkingFinalize);
    assert!(
        !heap.is_alive(weak).unwrap(),
        "the weak handle is cleared at finalization"
    );
    // SAFETY: only page counts are read, while the heap is borrowed (P1).
    let pages = unsafe { heap.core() }.old_space.pages().len();
    assert_eq!(heap.collector().pages_to_sweep(), pages);
    assert_eq!(heap.collector().phase(), Phase::Sweeping);
    heap.verify().unwrap();
    // A step while sweeping sweeps; marking does not start again before sweeping is done.
    heap.collect_increment(Duration::ZERO);
    assert_eq!(heap.events().last().unwrap().kind, GcKind::LazySweep);
    assert!(heap.collector().pages_to_sweep() < pages);
    // Allocation sweeps the rest on demand before it takes a new page.
    let committed = heap.stats().committed_bytes;
    while heap.collector().phase() == Phase::Sweeping {
        unrooted(&mut heap, 0, 1000);
    }
    assert!(heap.stats().committed_bytes <= committed);
    heap.verify().unwrap();
    assert_eq!(heap.stats().used_bytes, heap.verify().unwrap().object_bytes);
    assert_eq!(heap.read(&live, 0).unwrap(), SlotContent::Reference);
}

/// Allocates garbage (each object's local dropped at once) until an event `stop` says so;
/// returns weak handles to the garbage.
fn allocate_garbage_until<C: Collector>(
    heap: &mut Heap<C>,
    stop: impl Fn(&gc_core::GcEvent) -> bool,
) -> Vec<WeakHandle> {
    let mut weaks = Vec::new();
    while !heap.events().iter().any(&stop) {
        weaks.push(unrooted(heap, 0, 2000));
    }
    weaks
}

#[test]
fn marking_that_cannot_keep_up_finishes_in_one_pause_past_the_overshoot_margin() {
    // Limit 256 KB; margin: half of what the hard limit leaves (about 1.9 MB).
    let config = HeapConfig {
        max_heap_bytes: 16 * gc_core::PAGE_SIZE,
        initial_allocation_limit: 256 * 1024,
        ..HeapConfig::for_testing()
    };
    let mut heap = Heap::new(config, Incremental::with_config(manual())).unwrap();
    let live = list(&mut heap, 50, 100);
    heap.collect_increment(Duration::ZERO);
    assert!(heap.collector().is_marking());
    allocate_garbage_until(&mut heap, |e| e.reason == GcReason::AllocationLimit);
    let events = heap.events();
    let at_limit = events
        .iter()
        .position(|e| e.reason == GcReason::AllocationLimit);
    let at_limit = &events[at_limit.unwrap()];
    assert_eq!(at_limit.kind, GcKind::MarkingFinalize);
    assert!(events.iter().all(|e| e.kind != GcKind::MarkSweep));
    assert!(!heap.collector().is_marking());
    heap.verify().unwrap();
    assert_eq!(heap.read(&live, 0).unwrap(), SlotContent::Reference);
}

#[test]
fn an_allocation_failure_while_marking_falls_back_to_a_stop_the_world_mark_sweep() {
    let config = HeapConfig {
        max_heap_bytes: 8 * gc_core::PAGE_SIZE,
        initial_allocation_limit: 1 << 30,
        ..HeapConfig::for_testing()
    };
    let mut heap = Heap::new(config, Incremental::with_config(manual())).unwrap();
    let live = list(&mut heap, 50, 100);
    heap.collect_increment(Duration::ZERO);
    assert!(heap.collector().is_marking());
    let garbage = allocate_garbage_until(&mut heap, |e| e.kind == GcKind::MarkSweep);
    let fallback = heap.events().last().unwrap();
    assert_eq!(
        (fallback.kind, fallback.reason),
        (GcKind::MarkSweep, GcReason::AllocationFailure)
    );
    assert!(!heap.collector().is_marking());
    // Allocated black while marking, the garbage still dies in the stop-the-world collection.
    let before_last = &garbage[..garbage.len() - 1];
    assert!(before_last.iter().all(|&w| !heap.is_alive(w).unwrap()));
    heap.verify().unwrap();
    assert_eq!(heap.read(&live, 0).unwrap(), SlotContent::Reference);
}

#[test]
fn young_objects_reached_only_through_black_old_objects_survive_finalization() {
    let mut heap = Heap::new(
        HeapConfig::for_testing(),
        Generational::new(Incremental::with_config(manual())),
    )
    .unwrap();
    let old = object(&mut heap, 2, 0);
    heap.collect(CollectionKind::Young);
    heap.collect(CollectionKind::Young);
    heap.collect_increment(Duration::ZERO);
    heap.collect_increment(Duration::ZERO);
    assert!(heap.collector().is_marking());
    // `old`, the one root, was grey and is black after one step; a young object stored into
    // it is reached only through it.
    let ty = node(&mut heap);
    let (young_weak, dead_weak) = heap.handle_scope(|heap, scope| {
        let young = heap.allocate(scope, ty, 0, 8).unwrap();
        heap.store(&old, 0, young).unwrap();
        // A young object no one reaches: its weak handle is cleared at finalization.
        let dead = heap.allocate(scope, ty, 1, 8).unwrap();
        heap.store(dead, 0, &old).unwrap();
        (
            heap.downgrade(young).unwrap(),
            heap.downgrade(dead).unwrap(),
        )
    });
    finish_cycle(&mut heap);
    assert_eq!(heap.events().last().unwrap().kind, GcKind::MarkingFinalize);
    assert!(heap.is_alive(young_weak).unwrap());
    assert!(!heap.is_alive(dead_weak).unwrap());
    heap.verify().unwrap();
    heap.collect(CollectionKind::Young);
    assert!(heap.is_alive(young_weak).unwrap());
    heap.verify().unwrap();
}

#[test]
fn objects_promoted_while_marking_are_grey() {
    let mut heap = Heap::new(
        HeapConfig::for_testing(),
        Generational::new(Incremental::with_config(manual())),
    )
    .unwrap();
    let holder = object(&mut heap, 1, 0);
    let target = object(&mut heap, 0, 16);
    let target_weak = heap.downgrade(&target).unwrap();
    heap.collect(CollectionKind::Young);
    heap.collect(CollectionKind::Young);
    // holder (old) -> young (survives one scavenge) -> target (old, no root).
    let ty = node(&mut heap);
    heap.handle_scope(|heap, scope| {
        let young = heap.allocate(scope, ty, 1, 0).unwrap();
        heap.store(young, 0, &target).unwrap();
        heap.store(&holder, 0, young).unwrap();
    });
    drop(target);
    heap.collect(CollectionKind::Young);
    heap.collect_increment(Duration::ZERO);
    heap.collect_increment(Duration::ZERO);
    assert!(
        heap.collector().is_marking(),
        "holder is black, target white"
    );
    // The young object is promoted while marking. Were it white, the black holder would point
    // at it (the verifier's tri-colour check) and target would be freed at finalization.
    heap.collect(CollectionKind::Young);
    heap.verify().unwrap();
    finish_cycle(&mut heap);
    assert!(heap.is_alive(target_weak).unwrap());
    heap.verify().unwrap();
}

#[test]
fn external_memory_is_released_with_its_owner() {
    testkit::external_memory_is_released_with_its_owner(Incremental::new(), CollectionKind::Full);
    testkit::external_memory_is_released_with_its_owner(
        Generational::new(Incremental::new()),
        CollectionKind::Young,
    );
}

#[test]
#[cfg_attr(miri, ignore = "too slow under Miri")]
fn external_memory_pressure_triggers_collections() {
    testkit::external_memory_pressure_triggers_collections(Incremental::new());
    testkit::external_memory_pressure_triggers_collections(Generational::new(Incremental::new()));
}

/// gen-incremental's finalization pause on `gc_threads` threads, draining from the first grey
/// object on in parallel: an old root holds a list of 60 young objects whose last names an old
/// object no root holds (white until the pause traces the list), and a young object no one
/// reaches names another. Returns the live graph, the live bytes the pause reported and whether
/// the two old objects survived.
fn finalization_on(gc_threads: usize) -> (gc_core::LiveGraph, Option<usize>, bool, bool) {
    let config = HeapConfig {
        gc_threads,
        ..HeapConfig::for_testing()
    };
    let old = Incremental::with_config(manual()).with_parallel_marking_after(0);
    let mut heap = Heap::new(config, Generational::new(old)).unwrap();
    let root = object(&mut heap, 1, 0);
    let (target, lonely) = (object(&mut heap, 0, 16), object(&mut heap, 0, 16));
    heap.collect(CollectionKind::Young);
    heap.collect(CollectionKind::Young);
    let ty = node(&mut heap);
    heap.handle_scope(|heap, scope| {
        let mut previous = heap.local(scope, &root).unwrap();
        let mut nodes = Vec::new();
        for _ in 0..60 {
            let next = heap.allocate(scope, ty, 2, 0).unwrap();
            heap.store(previous, 0, next).unwrap();
            if let Some(&back) = nodes.get(nodes.len().saturating_sub(3)) {
                heap.store(next, 1, back).unwrap();
            }
            nodes.push(next);
            previous = next;
        }
        heap.store(previous, 1, &target).unwrap();
        let garbage = heap.allocate(scope, ty, 1, 0).unwrap();
        heap.store(garbage, 0, &lonely).unwrap();
    });
    let (target_weak, lonely_weak) = (
        heap.downgrade(&target).unwrap(),
        heap.downgrade(&lonely).unwrap(),
    );
    drop((target, lonely));
    finish_cycle(&mut heap);
    let finalization = heap.events().last().unwrap().clone();
    assert_eq!(finalization.kind, GcKind::MarkingFinalize);
    heap.verify().unwrap();
    let survived = (
        heap.is_alive(target_weak).unwrap(),
        heap.is_alive(lonely_weak).unwrap(),
    );
    (
        heap.live_graph(),
        finalization.outcome.live_bytes,
        survived.0,
        survived.1,
    )
}

#[test]
fn two_threads_finalize_marking_with_exactly_the_reachable_objects() {
    let one = finalization_on(1);
    // Old: the root (header and one slot, 16 bytes) and the target (header and 16 bytes, 24);
    // young: 60 nodes of a header and two slots (24 bytes each).
    assert_eq!(one.0.objects, 62);
    assert_eq!(one.1, Some(16 + 24 + 60 * 24));
    assert_eq!((one.2, one.3), (true, false));
    assert_eq!(finalization_on(2), one);
}
