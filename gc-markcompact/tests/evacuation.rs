//! Mark-compact on hand-built heaps: exactly which pages are evacuated, what moves and what the
//! events say, that every kind of reference follows (slots, handles, weak handles, external
//! memory), that large objects stay, that committed memory shrinks, and that evacuation aborts
//! cleanly at the heap limit.

use gc_core::page::AREA_SIZE;
use gc_core::{
    Address, CollectionKind, GcKind, GcPhase, GcReason, Handle, Heap, HeapConfig, PAGE_SIZE,
    PageRef, TypeId, Value,
};
use gc_markcompact::{CompactionKind, CompactionPolicy, MarkCompact};

/// Bytes of the test objects: a header, one slot and 1000 payload bytes.
const OBJECT_BYTES: usize = 8 + 8 + 1000;
const PER_PAGE: usize = AREA_SIZE / OBJECT_BYTES;

fn heap(policy: CompactionPolicy) -> Heap<MarkCompact> {
    Heap::new(HeapConfig::for_testing(), MarkCompact::with_policy(policy)).unwrap()
}

fn address_of(heap: &Heap<MarkCompact>, handle: Handle) -> Address {
    // SAFETY: the address is only compared, never dereferenced after the borrow.
    unsafe { heap.core() }.handles.get(handle).unwrap()
}

fn page_of(heap: &Heap<MarkCompact>, handle: Handle) -> Address {
    // SAFETY: a handle names a live object's start (P2); only the page's address is kept.
    unsafe { PageRef::containing(address_of(heap, handle)) }.start()
}

/// Allocates `pages` full pages of test objects (and then `extra` more); returns the handles
/// grouped by page, in allocation order.
fn fill(heap: &mut Heap<MarkCompact>, ty: TypeId, pages: usize, extra: usize) -> Vec<Vec<Handle>> {
    let mut by_page: Vec<Vec<Handle>> = Vec::new();
    let mut last_page = None;
    for _ in 0..pages * PER_PAGE + extra {
        let handle = heap.allocate(ty, 1, 1000).unwrap();
        let page = page_of(heap, handle);
        if last_page != Some(page) {
            by_page.push(Vec::new());
            last_page = Some(page);
        }
        by_page.last_mut().unwrap().push(handle);
    }
    by_page
}

fn committed(heap: &Heap<MarkCompact>) -> usize {
    heap.stats().committed_bytes
}

#[test]
fn fragmented_pages_are_evacuated_and_every_reference_follows() {
    let mut heap = heap(CompactionPolicy::default());
    let ty = heap.intern_type("Node").unwrap();
    let pages = fill(&mut heap, ty, 3, PER_PAGE / 2);
    assert_eq!(pages.len(), 4);
    let page_starts: Vec<Address> = pages.iter().map(|p| page_of(&heap, p[0])).collect();
    let weak_dead = heap.downgrade(pages[1][1]).unwrap();
    // Pages 1 and 2 keep every tenth object (page 2 one more); pages 0 and 3 keep everything.
    let mut survivors = Vec::new();
    for (index, page) in pages.iter().enumerate() {
        for (i, &handle) in page.iter().enumerate() {
            let keep = match index {
                1 => i % 10 == 0,
                2 => i % 10 == 0 || i == 1,
                _ => true,
            };
            if keep {
                survivors.push(handle);
            } else {
                heap.release(handle).unwrap();
            }
        }
    }
    // A chain through the survivors of pages 1 and 2 and into page 0, held by its head only.
    let movers: Vec<Handle> = survivors
        .iter()
        .copied()
        .filter(|&h| [page_starts[1], page_starts[2]].contains(&page_of(&heap, h)))
        .collect();
    let moved_bytes = movers.len() * OBJECT_BYTES;
    for pair in movers.windows(2) {
        heap.store(pair[0], 0, Value::Ref(pair[1])).unwrap();
    }
    heap.store(*movers.last().unwrap(), 0, Value::Ref(pages[0][0]))
        .unwrap();
    heap.store(pages[0][1], 0, Value::Ref(movers[0])).unwrap();
    let weak_kept: Vec<_> = movers.iter().map(|&h| heap.downgrade(h).unwrap()).collect();
    heap.set_external_bytes(movers[3], 4096).unwrap();
    let held = movers[3];
    for &handle in &movers {
        if handle != held && handle != movers[0] {
            heap.release(handle).unwrap();
        }
    }
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
    assert_eq!(summary.moved_objects, movers.len());
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
    // Every reference followed: handles, the chain of slots, weak handles, external memory.
    assert_eq!(heap.live_graph().digest, digest_before);
    for &handle in &[movers[0], held] {
        assert!(![page_starts[1], page_starts[2]].contains(&page_of(&heap, handle)));
    }
    let mut at = movers[0];
    for (step, weak) in weak_kept.iter().enumerate() {
        assert!(heap.refers_to(*weak, at).unwrap(), "weak handle {step}");
        let Value::Ref(next) = heap.load(at, 0).unwrap() else {
            panic!("chain broken at {step}");
        };
        at = next;
    }
    assert!(heap.same_object(at, pages[0][0]).unwrap());
    assert!(!heap.is_alive(weak_dead).unwrap());
    assert_eq!(heap.external_bytes(held).unwrap(), 4096);
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
    let large = heap.allocate(ty, 2, 200_000).unwrap();
    let small = heap.allocate(ty, 0, 8).unwrap();
    heap.store(large, 0, Value::Ref(small)).unwrap();
    heap.store(large, 1, Value::Ref(large)).unwrap();
    heap.payload_mut(large).unwrap()[199_999] = 7;
    let weak = heap.downgrade(small).unwrap();
    heap.release(small).unwrap();
    let large_at = address_of(&heap, large);
    let upgraded = heap.upgrade(weak).unwrap().unwrap();
    let small_at = address_of(&heap, upgraded);
    heap.release(upgraded).unwrap();

    heap.collect(CollectionKind::Full);

    let summary = heap.collector().last_compaction().unwrap();
    assert_eq!(summary.moved_objects, 1, "the small object");
    assert_eq!(address_of(&heap, large), large_at);
    let Value::Ref(small) = heap.load(large, 0).unwrap() else {
        panic!("slot lost");
    };
    assert_ne!(address_of(&heap, small), small_at);
    assert!(heap.refers_to(weak, small).unwrap());
    let Value::Ref(itself) = heap.load(large, 1).unwrap() else {
        panic!("slot lost");
    };
    assert!(heap.same_object(itself, large).unwrap());
    assert_eq!(heap.payload(large).unwrap()[199_999], 7);
}

#[test]
fn full_compaction_makes_old_space_dense_and_shrinks_committed_memory() {
    let mut heap = heap(CompactionPolicy::default());
    let ty = heap.intern_type("Node").unwrap();
    let pages = fill(&mut heap, ty, 8, 0);
    assert_eq!(pages.len(), 8);
    let mut kept = 0;
    for page in &pages {
        for (i, &handle) in page.iter().enumerate() {
            // 40% live on every page: not fragmented enough for an ordinary cycle (70% free).
            if i % 5 < 2 {
                kept += 1;
            } else {
                heap.release(handle).unwrap();
            }
        }
    }
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
    for pair in pages.concat().windows(2) {
        heap.store(pair[1], 0, Value::Ref(pair[0])).unwrap();
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
