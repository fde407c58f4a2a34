//! Mark-compact on hand-built heaps: exactly which pages are evacuated, what moves and what the
//! events say, that every kind of reference follows (slots, handles, weak handles, external
//! memory), that large objects stay, that committed memory shrinks, and that evacuation aborts
//! cleanly at the heap limit.

use gc_core::collector_api::{Address, PageRef};
use gc_core::page::AREA_SIZE;
use gc_core::testkit;
use gc_core::{
    CollectionKind, GcKind, GcPhase, GcReason, Heap, HeapConfig, PAGE_SIZE, Persistent, Rooted,
    SlotContent, TypeId,
};
use gc_markcompact::{CompactionKind, CompactionPolicy, MarkCompact};
use gc_scavenge::Generational;

/// Bytes of the test objects: a header, one slot and 1000 payload bytes.
const OBJECT_BYTES: usize = 8 + 8 + 1000;
const PER_PAGE: usize = AREA_SIZE / OBJECT_BYTES;

fn heap(policy: CompactionPolicy) -> Heap<MarkCompact> {
    Heap::new(HeapConfig::for_testing(), MarkCompact::with_policy(policy)).unwrap()
}

/// Where `root`'s object is (a local's or a persistent handle's).
fn address_of(heap: &Heap<MarkCompact>, root: impl Rooted) -> Address {
    // SAFETY: the address is only compared, never dereferenced after the borrow (P1, P2).
    unsafe { heap.core() }.handles.address(root).unwrap()
}

fn page_of(heap: &Heap<MarkCompact>, root: impl Rooted) -> Address {
    // SAFETY: a root names a live object's start on a live page (P1, P2); only the page's address
    // is kept.
    unsafe { PageRef::containing(address_of(heap, root)) }.start()
}

/// Allocates `pages` full pages of test objects (and then `extra` more), each rooted by a
/// persistent handle; returns the handles grouped by page, in allocation order.
fn fill(
    heap: &mut Heap<MarkCompact>,
    ty: TypeId,
    pages: usize,
    extra: usize,
) -> Vec<Vec<Persistent>> {
    let mut by_page: Vec<Vec<Persistent>> = Vec::new();
    let mut last_page = None;
    for _ in 0..pages * PER_PAGE + extra {
        let (root, page) = heap.handle_scope(|heap, scope| {
            let object = heap.allocate(scope, ty, 1, 1000).unwrap();
            (heap.persistent(object).unwrap(), page_of(heap, object))
        });
        if last_page != Some(page) {
            by_page.push(Vec::new());
            last_page = Some(page);
        }
        by_page.last_mut().unwrap().push(root);
    }
    by_page
}

/// Drops the persistent handles of `page` for which `keep(i)` is false, `i` being the object's
/// index on its page; the others stay in order.
fn keep_only(page: &mut Vec<Persistent>, keep: impl Fn(usize) -> bool) {
    let mut index = 0;
    page.retain(|_| {
        index += 1;
        keep(index - 1)
    });
}

fn committed(heap: &Heap<MarkCompact>) -> usize {
    heap.stats().committed_bytes
}

#[test]
fn fragmented_pages_are_evacuated_and_every_reference_follows() {
    let mut heap = heap(CompactionPolicy::default());
    let ty = heap.intern_type("Node").unwrap();
    let mut pages = fill(&mut heap, ty, 3, PER_PAGE / 2);
    assert_eq!(pages.len(), 4);
    let page_starts: Vec<Address> = pages.iter().map(|p| page_of(&heap, &p[0])).collect();
    let weak_dead = heap.downgrade(&pages[1][1]).unwrap();
    // Pages 1 and 2 keep every tenth object (page 2 one more); pages 0 and 3 keep everything.
    keep_only(&mut pages[1], |i| i % 10 == 0);
    keep_only(&mut pages[2], |i| i % 10 == 0 || i == 1);
    // A chain through the survivors of pages 1 and 2 and into page 0, held by its head only.
    let movers: Vec<Persistent> = [1, 2]
        .into_iter()
        .flat_map(|page| std::mem::take(&mut pages[page]))
        .collect();
    assert!(
        movers
            .iter()
            .all(|m| [page_starts[1], page_starts[2]].contains(&page_of(&heap, m)))
    );
    let moved_objects = movers.len();
    let moved_bytes = moved_objects * OBJECT_BYTES;
    for pair in movers.windows(2) {
        heap.store(&pair[0], 0, &pair[1]).unwrap();
    }
    heap.store(movers.last().unwrap(), 0, &pages[0][0]).unwrap();
    heap.store(&pages[0][1], 0, &movers[0]).unwrap();
    let weak_kept: Vec<_> = movers.iter().map(|m| heap.downgrade(m).unwrap()).collect();
    heap.set_external_bytes(&movers[3], 4096).unwrap();
    // Only the chain's head and its fourth object stay rooted; the chain holds the others.
    let mut movers = movers.into_iter();
    let (head, held) = (movers.next().unwrap(), movers.nth(2).unwrap());
    drop(movers);
    let digest_before = heap.live_graph().digest;
    let committed_before = committed(&heap);
    assert_eq!(committed_before, 4 * PAGE_SIZE);

    heap.collect(CollectionKind::Full);

    let summary = heap.collector().last_compaction().unwrap().clone();
    assert_eq!(summary.kind, CompactionKind::Candidates);
    // The least live first: page 1 has one object fewer than page 2.
    assert_eq!(summary.candidates, vec![page_starts[1], page_starts[2]]);
    assert_eq!(summary.evacuated_pages, summary.candidates);
    assert!(summary.aborted_pages.is_empty());
    assert_eq!(summary.moved_bytes, moved_bytes);
    assert_eq!(summary.moved_objects, moved_objects);
    let event = heap.events().last().unwrap();
    assert_eq!(event.kind, GcKind::MarkCompact);
    assert_eq!(event.outcome.evacuated_pages, 2);
    assert_eq!(event.outcome.moved_bytes, moved_bytes);
    let phases: Vec<GcPhase> = event.outcome.phases.iter().map(|p| p.0).collect();
    assert_eq!(
        phases,
        [
            GcPhase::Mark,
            GcPhase::Weak,
            GcPhase::Sweep,
            GcPhase::Evacuate,
            GcPhase::UpdateReferences,
            GcPhase::Sweep
        ]
    );
    // The survivors fit in page 3's free half: two pages fewer.
    assert_eq!(committed(&heap), committed_before - 2 * PAGE_SIZE);
    assert_eq!(event.committed_after, committed_before - 2 * PAGE_SIZE);
    // Every reference followed: persistent handles, the chain of slots, weak handles, external
    // memory.
    assert_eq!(heap.live_graph().digest, digest_before);
    for root in [&head, &held] {
        assert!(![page_starts[1], page_starts[2]].contains(&page_of(&heap, root)));
    }
    heap.handle_scope(|heap, scope| {
        // One local walks the chain.
        let at = heap.local(scope, &head).unwrap();
        for (step, weak) in weak_kept.iter().enumerate() {
            assert!(heap.refers_to(*weak, at).unwrap(), "weak handle {step}");
            assert_eq!(
                heap.load_into(at, at, 0).unwrap(),
                SlotContent::Reference,
                "chain broken at {step}"
            );
        }
        assert!(heap.same_object(at, &pages[0][0]).unwrap());
    });
    assert!(!heap.is_alive(weak_dead).unwrap());
    assert_eq!(heap.external_bytes(&held).unwrap(), 4096);
    assert_eq!(heap.stats().external_bytes, 4096);
}

#[test]
fn no_compaction_when_it_would_free_no_page() {
    let mut heap = heap(CompactionPolicy::default());
    let ty = heap.intern_type("Node").unwrap();
    let pages = fill(&mut heap, ty, 1, PER_PAGE / 5);
    // The second page is 80% free but is the only candidate: its objects would fill a page.
    assert_eq!(pages.len(), 2);
    heap.collect(CollectionKind::Full);
    assert_eq!(heap.collector().last_compaction(), None);
    let event = heap.events().last().unwrap();
    assert_eq!(event.kind, GcKind::MarkSweep);
    assert_eq!(
        (event.outcome.moved_bytes, event.outcome.evacuated_pages),
        (0, 0)
    );
    assert_eq!(committed(&heap), 2 * PAGE_SIZE);
}

#[test]
fn large_objects_never_move_and_their_slots_are_updated() {
    let mut heap = heap(CompactionPolicy::stress_every_page());
    let ty = heap.intern_type("Big").unwrap();
    // Only the large object outlives the scope; the small one lives through its slot.
    let (large, weak) = heap.handle_scope(|heap, scope| {
        let large = heap.allocate(scope, ty, 2, 200_000).unwrap();
        let small = heap.allocate(scope, ty, 0, 8).unwrap();
        heap.store(large, 0, small).unwrap();
        heap.store(large, 1, large).unwrap();
        heap.payload_mut(large).unwrap()[199_999] = 7;
        (
            heap.persistent(large).unwrap(),
            heap.downgrade(small).unwrap(),
        )
    });
    let large_at = address_of(&heap, &large);
    let small_at = heap.handle_scope(|heap, scope| {
        let upgraded = heap.upgrade(scope, weak).unwrap().unwrap();
        address_of(heap, upgraded)
    });

    heap.collect(CollectionKind::Full);

    let summary = heap.collector().last_compaction().unwrap();
    assert_eq!(summary.moved_objects, 1, "the small object");
    assert_eq!(address_of(&heap, &large), large_at);
    heap.handle_scope(|heap, scope| {
        let small = heap
            .load(scope, &large, 0)
            .unwrap()
            .as_local()
            .expect("slot lost");
        assert_ne!(address_of(heap, small), small_at);
        assert!(heap.refers_to(weak, small).unwrap());
    });
    assert!(
        heap.slot_refers_to(&large, 1, &large).unwrap(),
        "the slot to itself stays"
    );
    assert_eq!(heap.payload(&large).unwrap()[199_999], 7);
}

#[test]
fn full_compaction_makes_old_space_dense_and_shrinks_committed_memory() {
    let mut heap = heap(CompactionPolicy::default());
    let ty = heap.intern_type("Node").unwrap();
    let mut pages = fill(&mut heap, ty, 8, 0);
    assert_eq!(pages.len(), 8);
    for page in &mut pages {
        // 40% live on every page: not fragmented enough for an ordinary cycle (70% free).
        keep_only(page, |i| i % 5 < 2);
    }
    let kept: usize = pages.iter().map(Vec::len).sum();
    heap.collect(CollectionKind::Full);
    assert_eq!(heap.collector().last_compaction(), None);
    assert_eq!(committed(&heap), 8 * PAGE_SIZE);
    let digest = heap.live_graph().digest;

    heap.collect_for(CollectionKind::Full, GcReason::LowMemoryNotification);

    let summary = heap.collector().last_compaction().unwrap();
    assert_eq!(summary.kind, CompactionKind::Full);
    assert_eq!(summary.evacuated_pages.len(), 4);
    assert_eq!(summary.moved_bytes, 4 * (kept / 8) * OBJECT_BYTES);
    let live = kept * OBJECT_BYTES;
    assert_eq!(heap.stats().used_bytes, live);
    assert_eq!(committed(&heap), live.div_ceil(AREA_SIZE) * PAGE_SIZE);
    assert_eq!(heap.live_graph().digest, digest);
    let event = heap.events().last().unwrap();
    assert_eq!(
        (event.kind, event.reason),
        (GcKind::MarkCompact, GcReason::LowMemoryNotification)
    );
}

#[test]
fn evacuation_aborts_at_the_heap_limit_and_keeps_the_rest_in_place() {
    let config = HeapConfig {
        max_heap_bytes: 3 * PAGE_SIZE,
        page_pool_pages: 0,
        ..HeapConfig::for_testing()
    };
    let mut heap = Heap::new(
        config,
        MarkCompact::with_policy(CompactionPolicy::stress_every_page()),
    )
    .unwrap();
    let ty = heap.intern_type("Node").unwrap();
    let pages = fill(&mut heap, ty, 2, 0);
    let all: Vec<&Persistent> = pages.iter().flatten().collect();
    for pair in all.windows(2) {
        heap.store(pair[1], 0, pair[0]).unwrap();
    }
    let digest = heap.live_graph().digest;

    heap.collect(CollectionKind::Full);

    // One free page under the limit: the first candidate moves into it, the second stays.
    let summary = heap.collector().last_compaction().unwrap();
    assert_eq!(summary.candidates.len(), 2);
    assert_eq!(summary.evacuated_pages, summary.candidates[..1]);
    assert_eq!(summary.aborted_pages, summary.candidates[1..]);
    assert_eq!(summary.moved_objects, PER_PAGE);
    assert_eq!(heap.live_graph().digest, digest);
    assert_eq!(committed(&heap), 2 * PAGE_SIZE);
    // The aborted page is an ordinary page again: the next collection evacuates it.
    heap.collect(CollectionKind::Full);
    assert_eq!(heap.live_graph().digest, digest);
}

#[test]
fn external_memory_is_released_with_its_owner() {
    testkit::external_memory_is_released_with_its_owner(MarkCompact::new(), CollectionKind::Full);
    testkit::external_memory_is_released_with_its_owner(
        Generational::new(MarkCompact::new()),
        CollectionKind::Young,
    );
}

#[test]
#[cfg_attr(miri, ignore = "too slow under Miri")]
fn external_memory_pressure_triggers_collections() {
    testkit::external_memory_pressure_triggers_collections(MarkCompact::new());
    testkit::external_memory_pressure_triggers_collections(Generational::new(MarkCompact::new()));
}

/// Marking on two threads (parallel from the roots) gives the evacuator exactly what one thread
/// does: the same live bytes per page, so the same objects move and the same graph survives.
#[test]
fn two_marking_threads_evacuate_exactly_the_reachable_objects() {
    let run = |gc_threads| {
        let config = HeapConfig {
            gc_threads,
            ..HeapConfig::for_testing()
        };
        let collector = MarkCompact::with_policy(CompactionPolicy::stress_every_page())
            .with_parallel_marking_after(0);
        let mut heap = Heap::new(config, collector).unwrap();
        let node = heap.intern_type("Node").unwrap();
        let _root = heap
            .handle_scope(|heap, scope| {
                let root = heap.allocate(scope, node, 4, 0)?;
                // A list of 60 nodes, each also pointing back at every third node before it, with
                // garbage between them.
                let mut previous = root;
                let mut nodes = Vec::new();
                for i in 0..60u64 {
                    let next = heap.allocate(scope, node, 4, 8 * (i % 5))?;
                    heap.allocate(scope, node, 2, 16)?;
                    heap.store(previous, 0, next)?;
                    if let Some(&back) = nodes.get(nodes.len().saturating_sub(3)) {
                        heap.store(next, 1, back)?;
                    }
                    nodes.push(next);
                    previous = next;
                }
                heap.persistent(root)
            })
            .unwrap();
        heap.collect(CollectionKind::Full);
        let summary = heap.collector().last_compaction().unwrap().clone();
        (
            heap.live_graph(),
            summary.moved_objects,
            summary.moved_bytes,
        )
    };
    let (one, moved_one, bytes_one) = run(1);
    let (two, moved_two, bytes_two) = run(2);
    assert_eq!(one.objects, 61);
    assert_eq!(moved_one, 61);
    assert_eq!((two, moved_two, bytes_two), (one, moved_one, bytes_one));
}
