//! The sweeper thread beside the mutator (these tests also run under ThreadSanitizer and, on
//! fewer objects, Miri): after the
//! finalization pause it sweeps old space's pages while the mutator allocates, the allocator
//! sweeps the pages it has not reached, no page is swept twice, and no object is ever allocated
//! on a page still waiting for its sweep.

use std::time::Duration;

use gc_core::collector_api::{PageFlags, PageRef};
use gc_core::{
    CollectionKind, Collector, GcKind, GcPhase, Heap, Local, Persistent, Progress, TypeId,
};
use gc_incremental::Concurrent;
use gc_incremental::incremental::Phase;
use gc_scavenge::Generational;

mod threads;

use threads::{config, manual};

/// Fills old space with `n` objects of which every `keep`-th is kept (by a persistent handle).
fn fill<C: Collector>(heap: &mut Heap<C>, node: TypeId, n: usize, keep: usize) -> Vec<Persistent> {
    heap.handle_scope(|heap, scope| {
        (0..n)
            .filter_map(|i| {
                scope.scope(|inner| {
                    let object = heap.allocate(inner, node, 1, 48).unwrap();
                    (i % keep == 0).then(|| heap.persistent(object).unwrap())
                })
            })
            .collect()
    })
}

/// Whether `object` lies on a page still waiting for its sweep.
fn on_unswept_page<C: Collector>(heap: &Heap<C>, object: Local<'_>) -> bool {
    // SAFETY: the address is a live object's start on a live page, read within the borrow; only
    // the page's flags are read (P1, P2).
    unsafe {
        let address = heap.core().handles.address(object).unwrap();
        PageRef::containing(address)
            .flags()
            .contains(PageFlags::NEEDS_SWEEPING)
    }
}

/// Runs increments until the finalization pause has queued the pages for sweeping.
fn mark_to_sweeping<C: Collector>(heap: &mut Heap<C>, phase: impl Fn(&Heap<C>) -> Phase) {
    assert_eq!(heap.collect_increment(Duration::ZERO), Progress::Continue);
    while phase(heap) == Phase::Marking {
        // The finalization pause's increment says `Complete`: marking is.
        heap.collect_increment(Duration::ZERO);
    }
    assert_eq!(phase(heap), Phase::Sweeping);
}

/// Objects the tests allocate per batch: several pages' worth, a few under Miri (a page or two).
const OBJECTS: usize = if cfg!(miri) { 3_000 } else { 20_000 };

/// How often the mutator gives its core to the sweeper thread before going on.
const YIELDS: usize = if cfg!(miri) { 1_000 } else { 100_000 };

/// Allocates `n` objects while the sweeper thread sweeps, checking that none lands on an unswept
/// page; gives the thread the chance to run first (not a timing assertion: the callers check
/// only what holds whoever swept).
fn allocate_while_sweeping<C: Collector>(
    heap: &mut Heap<C>,
    node: TypeId,
    n: usize,
    thread_swept: impl Fn(&Heap<C>) -> usize,
) {
    for _ in 0..YIELDS {
        if thread_swept(heap) > 0 {
            break;
        }
        std::thread::yield_now();
    }
    heap.handle_scope(|heap, scope| {
        for _ in 0..n {
            scope.scope(|inner| {
                let object = heap.allocate(inner, node, 1, 48).unwrap();
                assert!(
                    !on_unswept_page(heap, object),
                    "an object was allocated on an unswept page"
                );
            });
        }
    });
}

#[test]
fn the_sweeper_thread_and_the_allocator_sweep_each_page_once() {
    let mut heap = Heap::new(config(), Concurrent::with_config(manual())).unwrap();
    let node = heap.intern_type("Node").unwrap();
    let kept = fill(&mut heap, node, 2 * OBJECTS, 7);
    mark_to_sweeping(&mut heap, |heap| heap.collector().phase());
    let queued = heap.collector().pages_to_sweep();
    assert!(queued >= 1, "{queued} pages to sweep");
    allocate_while_sweeping(&mut heap, node, OBJECTS, |heap| {
        heap.collector().pages_swept_by().1
    });
    heap.verify().unwrap();
    while heap.collector().phase() == Phase::Sweeping {
        heap.collect_increment(Duration::ZERO);
    }
    let (main, thread) = heap.collector().pages_swept_by();
    let swept_once = heap.collector().pages_queued_for_the_thread();
    assert_eq!(
        main + thread,
        swept_once,
        "{main} + {thread} pages swept of {swept_once} queued"
    );
    assert!(swept_once <= queued);
    // The sweeper thread's time is reported on the pause that ended the sweep, not as a pause.
    let reported: Duration = heap
        .events()
        .iter()
        .map(|event| event.outcome.concurrent_sweeping)
        .sum();
    assert_eq!(
        reported > Duration::ZERO,
        thread > 0,
        "{reported:?} reported for {thread} pages"
    );
    heap.verify().unwrap();
    assert_eq!(heap.collector().pages_to_sweep(), 0);
    for handle in &kept {
        heap.handle_scope(|heap, scope| {
            let object = heap.local(scope, handle).unwrap();
            assert!(!on_unswept_page(heap, object));
        });
    }
}

/// The last pause is a scavenge whose first phase is its wait for the collector's threads
/// (`time_to_safepoint` on a `--trace-gc-nvp` line), so that a loaded machine's long waits show
/// as such rather than as unexplained pause time.
fn assert_scavenge_waited_for_the_threads_first<C: Collector>(heap: &Heap<C>) {
    let event = heap.events().last().unwrap();
    assert_eq!(event.kind, GcKind::Scavenge);
    assert_eq!(
        event.outcome.phases.first().map(|&(phase, _)| phase),
        Some(GcPhase::TimeToSafepoint),
        "{:?}",
        event.outcome.phases
    );
}

#[test]
fn scavenges_and_full_collections_stop_the_sweeper_thread_of_gen_concurrent() {
    let collector = Generational::new(Concurrent::with_config(manual()));
    let mut heap = Heap::new(config(), collector).unwrap();
    let node = heap.intern_type("Node").unwrap();
    fill(&mut heap, node, OBJECTS, 5);
    heap.collect(CollectionKind::Full);
    let kept = fill(&mut heap, node, OBJECTS, 3);
    heap.collect(CollectionKind::Young);
    mark_to_sweeping(&mut heap, |heap| heap.collector().old().phase());
    allocate_while_sweeping(&mut heap, node, OBJECTS / 4, |heap| {
        heap.collector().old().pages_swept_by().1
    });
    heap.collect(CollectionKind::Young);
    assert_scavenge_waited_for_the_threads_first(&heap);
    heap.verify().unwrap();
    allocate_while_sweeping(&mut heap, node, OBJECTS / 4, |_| 1);
    // A full collection abandons what is left of the sweep.
    heap.collect(CollectionKind::Full);
    heap.verify().unwrap();
    assert_eq!(heap.collector().old().pages_to_sweep(), 0);
    for handle in &kept {
        heap.handle_scope(|heap, scope| {
            let object = heap.local(scope, handle).unwrap();
            assert!(!on_unswept_page(heap, object));
        });
    }
}
