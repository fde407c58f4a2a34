//! Mark-sweep on hand-built heaps: exactly which objects are freed, what the events say, how
//! memory returns, and the errors of the mutator API.

use gc_core::{
    CollectionKind, GcKind, GcPhase, GcReason, Heap, HeapConfig, HeapError, PAGE_SIZE, Value,
    VerifyHeap,
};
use gc_marksweep::MarkSweep;

fn heap() -> Heap<MarkSweep> {
    Heap::new(HeapConfig::for_testing(), MarkSweep::new()).unwrap()
}

#[test]
fn frees_exactly_the_unreachable_objects_and_reports_their_bytes() {
    let mut heap = heap();
    let node = heap.intern_type("Node").unwrap();
    let root = heap.allocate(node, 2, 0).unwrap(); // 24 bytes
    let kept = heap.allocate(node, 1, 8).unwrap(); // 24 bytes
    let cycle_a = heap.allocate(node, 1, 0).unwrap(); // 16 bytes
    let cycle_b = heap.allocate(node, 1, 100).unwrap(); // 16 + 104 bytes
    heap.store(root, 0, Value::Ref(kept)).unwrap();
    heap.store(cycle_a, 0, Value::Ref(cycle_b)).unwrap();
    heap.store(cycle_b, 0, Value::Ref(cycle_a)).unwrap();
    heap.store(kept, 0, Value::Ref(root)).unwrap();
    let weak = [kept, cycle_a, cycle_b].map(|h| heap.downgrade(h).unwrap());
    for handle in [kept, cycle_a, cycle_b] {
        heap.release(handle).unwrap();
    }

    heap.collect(CollectionKind::Full);

    let alive: Vec<bool> = weak.iter().map(|&w| heap.is_alive(w).unwrap()).collect();
    assert_eq!(alive, [true, false, false]);
    let event = heap.events().last().unwrap();
    assert_eq!(
        (event.kind, event.reason),
        (GcKind::MarkSweep, GcReason::Explicit)
    );
    assert_eq!(event.used_before, 24 + 24 + 16 + 120);
    assert_eq!(event.used_after, 48);
    assert_eq!(event.outcome.freed_bytes, 136);
    let phases: Vec<GcPhase> = event
        .outcome
        .phases
        .iter()
        .map(|&(phase, _)| phase)
        .collect();
    assert_eq!(phases, [GcPhase::Mark, GcPhase::Weak, GcPhase::Sweep]);
    assert_eq!(heap.stats().used_bytes, 48);
    let graph = heap.live_graph();
    assert_eq!((graph.objects, graph.slots, graph.payload_bytes), (2, 3, 8));
}

#[test]
fn weak_handles_are_cleared_but_stay_valid_until_dropped() {
    let mut heap = heap();
    let ty = heap.intern_type("").unwrap();
    let object = heap.allocate(ty, 0, 0).unwrap();
    let weak = heap.downgrade(object).unwrap();
    let strong = heap.upgrade(weak).unwrap().unwrap();
    assert!(heap.same_object(object, strong).unwrap());
    heap.release(object).unwrap();
    heap.collect(CollectionKind::Full);
    assert!(heap.is_alive(weak).unwrap(), "the upgraded handle keeps it");
    heap.release(strong).unwrap();
    heap.collect(CollectionKind::Full);
    assert_eq!(heap.upgrade(weak).unwrap(), None);
    heap.drop_weak(weak).unwrap();
    assert_eq!(heap.is_alive(weak), Err(HeapError::InvalidWeakHandle(weak)));
}

#[test]
fn external_memory_is_released_with_its_owner() {
    let mut heap = heap();
    let ty = heap.intern_type("ArrayBuffer").unwrap();
    let kept = heap.allocate(ty, 0, 0).unwrap();
    let dropped = heap.allocate(ty, 0, 0).unwrap();
    heap.set_external_bytes(kept, 1000).unwrap();
    heap.set_external_bytes(dropped, 5000).unwrap();
    assert_eq!(heap.stats().external_bytes, 6000);
    heap.release(dropped).unwrap();
    heap.collect(CollectionKind::Full);
    assert_eq!(heap.stats().external_bytes, 1000);
    assert_eq!(
        heap.events().last().unwrap().outcome.external_freed_bytes,
        5000
    );
    assert_eq!(heap.external_bytes(kept).unwrap(), 1000);
}

#[test]
#[cfg_attr(miri, ignore = "too slow under Miri")]
fn external_memory_pressure_triggers_a_collection() {
    let config = HeapConfig {
        external_limit_step: 1 << 20,
        ..HeapConfig::for_testing()
    };
    let mut heap = Heap::new(config, MarkSweep::new()).unwrap();
    let ty = heap.intern_type("ArrayBuffer").unwrap();
    for _ in 0..20 {
        let buffer = heap.allocate(ty, 0, 1 << 10).unwrap();
        heap.set_external_bytes(buffer, 256 << 10).unwrap();
        heap.release(buffer).unwrap();
        // A LAB refill is what runs the slow path; large allocations always take it.
        let large = heap.allocate(ty, 0, 200_000).unwrap();
        heap.release(large).unwrap();
    }
    let reasons: Vec<GcReason> = heap.events().iter().map(|e| e.reason).collect();
    assert!(
        reasons.contains(&GcReason::ExternalMemoryPressure),
        "{reasons:?}"
    );
    assert!(heap.stats().external_bytes <= 2 << 20);
}

#[test]
fn large_objects_get_their_own_pages_and_give_them_back() {
    let mut heap = heap();
    let ty = heap.intern_type("Big").unwrap();
    let big = heap.allocate(ty, 3, 3 * PAGE_SIZE as u64).unwrap();
    let small = heap.allocate(ty, 0, 0).unwrap();
    heap.store(big, 2, Value::Ref(small)).unwrap();
    heap.release(small).unwrap();
    // SAFETY: only the number of pages is read.
    assert_eq!(unsafe { heap.core() }.lo_space.pages().len(), 1);
    heap.payload_mut(big).unwrap()[3 * PAGE_SIZE - 1] = 7;
    heap.collect(CollectionKind::Full);
    assert_eq!(heap.payload(big).unwrap()[3 * PAGE_SIZE - 1], 7);
    let Value::Ref(child) = heap.load(big, 2).unwrap() else {
        panic!("slot lost")
    };
    heap.release(child).unwrap();
    let committed = heap.stats().committed_bytes;
    heap.release(big).unwrap();
    heap.collect(CollectionKind::Full);
    // SAFETY: as above.
    assert!(unsafe { heap.core() }.lo_space.pages().is_empty());
    assert!(heap.stats().committed_bytes <= committed - 3 * PAGE_SIZE);
}

/// Fills and empties pages with garbage; returns the heap's stats after a full collection.
fn churn_pages(step: usize) -> (Heap<MarkSweep>, gc_core::Handle, gc_core::HeapStats) {
    let config = HeapConfig {
        page_pool_pages: 2,
        initial_allocation_limit: step,
        min_allocation_limit_step: step,
        ..HeapConfig::for_testing()
    };
    let mut heap = Heap::new(config, MarkSweep::new()).unwrap();
    let ty = heap.intern_type("").unwrap();
    let keep = heap.allocate(ty, 0, 0).unwrap();
    for _ in 0..100_000 {
        let garbage = heap.allocate(ty, 2, 48).unwrap();
        heap.release(garbage).unwrap();
    }
    heap.collect(CollectionKind::Full);
    let stats = heap.stats();
    (heap, keep, stats)
}

#[test]
#[cfg_attr(miri, ignore = "too slow under Miri")]
fn empty_pages_go_back_and_free_lists_are_reused() {
    let (mut heap, keep, stats) = churn_pages(PAGE_SIZE);
    assert_eq!(
        stats.committed_bytes, PAGE_SIZE,
        "only the page holding `keep` stays"
    );
    assert!(
        stats.pooled_bytes <= 2 * PAGE_SIZE,
        "the pool keeps at most `page_pool_pages`"
    );
    let ty = heap.intern_type("").unwrap();
    for _ in 0..1000 {
        let reuse = heap.allocate(ty, 2, 48).unwrap();
        heap.release(reuse).unwrap();
    }
    assert_eq!(
        heap.stats().committed_bytes,
        PAGE_SIZE,
        "allocation reused the free list"
    );
    heap.release(keep).unwrap();
}

/// Pages the mutator will fill again before the next collection stay pooled rather than being
/// unmapped and faulted in again; the rest go back to the OS.
#[test]
#[cfg_attr(miri, ignore = "too slow under Miri")]
fn the_pool_keeps_the_pages_of_the_allocation_headroom() {
    let (_heap, _keep, stats) = churn_pages(4 << 20);
    assert_eq!(stats.committed_bytes, PAGE_SIZE);
    assert!(stats.pooled_bytes > 2 * PAGE_SIZE, "{}", stats.pooled_bytes);
    assert!(stats.pooled_bytes <= 4 << 20, "{}", stats.pooled_bytes);
}

#[test]
#[cfg_attr(miri, ignore = "too slow under Miri")]
fn the_allocation_limit_triggers_collections_and_grows_with_live_bytes() {
    let config = HeapConfig {
        initial_allocation_limit: 1 << 20,
        min_allocation_limit_step: 1 << 20,
        ..HeapConfig::for_testing()
    };
    let mut heap = Heap::new(config, MarkSweep::new()).unwrap();
    let ty = heap.intern_type("").unwrap();
    let mut live = Vec::new();
    for i in 0..200_000 {
        let object = heap.allocate(ty, 1, 24).unwrap();
        if i % 4 == 0 {
            live.push(object)
        } else {
            heap.release(object).unwrap()
        }
    }
    let events = heap.events();
    assert!(events.len() >= 2);
    assert!(events.iter().all(|e| e.reason == GcReason::AllocationLimit));
    let last = events.last().unwrap();
    let limit = heap.stats().allocation_limit;
    assert!(
        limit >= last.used_after + (1 << 20),
        "limit {limit} after {} live",
        last.used_after
    );
}

#[test]
fn reaching_the_heap_limit_is_an_error_that_leaves_the_heap_usable() {
    let config = HeapConfig {
        max_heap_bytes: 4 * PAGE_SIZE,
        ..HeapConfig::for_testing()
    };
    let mut heap = Heap::new(config, MarkSweep::new()).unwrap();
    let ty = heap.intern_type("").unwrap();
    let mut kept = Vec::new();
    let error = loop {
        match heap.allocate(ty, 4, 1000) {
            Ok(handle) => kept.push(handle),
            Err(error) => break error,
        }
    };
    let HeapError::OutOfMemory(oom) = &error else {
        panic!("{error}")
    };
    assert_eq!(oom.limit, 4 * PAGE_SIZE);
    assert_eq!(oom.requested, 8 + 32 + 1000);
    assert_eq!(oom.live, kept.len() * 1040);
    assert!(
        error
            .to_string()
            .contains(&format!("heap limit of {} bytes", 4 * PAGE_SIZE))
    );
    let last = heap.events().last().unwrap();
    assert_eq!(
        last.reason,
        GcReason::AllocationFailure,
        "a full collection ran before failing"
    );
    for handle in kept.drain(..kept.len() / 2) {
        heap.release(handle).unwrap();
    }
    heap.allocate(ty, 4, 1000)
        .expect("memory freed by the collector is reused");
    let too_big = heap.allocate(ty, 0, 5 * PAGE_SIZE as u64).unwrap_err();
    assert!(matches!(too_big, HeapError::OutOfMemory(_)));
}

#[test]
fn bad_arguments_are_errors_that_change_nothing() {
    let mut heap = heap();
    let ty = heap.intern_type("").unwrap();
    let object = heap.allocate(ty, 2, 0).unwrap();
    assert_eq!(
        heap.store(object, 2, Value::Null),
        Err(HeapError::SlotOutOfRange { slot: 2, slots: 2 })
    );
    assert_eq!(
        heap.load(object, u64::MAX),
        Err(HeapError::SlotOutOfRange {
            slot: u64::MAX,
            slots: 2
        })
    );
    assert_eq!(
        heap.store(object, 0, Value::Smi(1 << 30)),
        Err(HeapError::SmiOutOfRange(1 << 30))
    );
    heap.store(object, 0, Value::Smi(-(1 << 30))).unwrap();
    assert_eq!(heap.load(object, 0), Ok(Value::Smi(-(1 << 30))));
    let other = heap.allocate(ty, 0, 0).unwrap();
    heap.release(other).unwrap();
    assert_eq!(
        heap.store(object, 1, Value::Ref(other)),
        Err(HeapError::InvalidHandle(other))
    );
    assert_eq!(heap.release(other), Err(HeapError::InvalidHandle(other)));
    assert_eq!(
        heap.load(object, 1),
        Ok(Value::Null),
        "failed store left the slot alone"
    );
    assert!(matches!(
        heap.allocate(ty, 1 << 28, 0),
        Err(HeapError::ObjectTooLarge { .. })
    ));
    heap.retain(object).unwrap();
    assert_eq!(heap.root_count(object), Ok(2));
}

/// Marking uses an explicit worklist: a ten-million-long list is marked on a thread with a
/// 256 KiB native stack.
#[test]
#[cfg_attr(miri, ignore = "too slow under Miri")]
fn a_ten_million_long_list_does_not_overflow_the_stack() {
    let thread = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            let config = HeapConfig {
                verify: VerifyHeap::OnRequest,
                ..HeapConfig::for_testing()
            };
            let mut heap = Heap::new(config, MarkSweep::new()).unwrap();
            let ty = heap.intern_type("Cons").unwrap();
            let mut head = heap.allocate(ty, 1, 0).unwrap();
            for _ in 1..10_000_000 {
                let cell = heap.allocate(ty, 1, 0).unwrap();
                heap.store(cell, 0, Value::Ref(head)).unwrap();
                heap.release(head).unwrap();
                head = cell;
            }
            heap.collect(CollectionKind::Full);
            (heap.live_graph().objects, heap.stats().used_bytes)
        });
    let (objects, used) = thread.unwrap().join().unwrap();
    assert_eq!((objects, used), (10_000_000, 160_000_000));
}

#[test]
fn handle_scopes_drop_the_roots_created_inside_them() {
    let mut heap = heap();
    let ty = heap.intern_type("").unwrap();
    let root = heap.allocate(ty, 1, 0).unwrap();
    let (escaped, [temporary, stored]) = heap.scope(|heap| {
        let temporary = heap.allocate(ty, 0, 0).unwrap();
        let stored = heap.allocate(ty, 0, 0).unwrap();
        heap.store(root, 0, Value::Ref(stored)).unwrap();
        let escaped = heap.allocate(ty, 0, 0).unwrap();
        heap.retain(escaped).unwrap();
        let nested = heap.scope(|heap| heap.allocate(ty, 0, 0).unwrap());
        assert_eq!(
            heap.root_count(nested),
            Err(HeapError::InvalidHandle(nested))
        );
        let Value::Ref(loaded) = heap.load(root, 0).unwrap() else {
            panic!("slot lost")
        };
        heap.release(loaded).unwrap(); // released early: the scope skips it
        (
            escaped,
            [temporary, stored].map(|h| heap.downgrade(h).unwrap()),
        )
    });
    assert_eq!(heap.stats().handles, 2, "the root and the escaped handle");
    assert_eq!(heap.root_count(escaped), Ok(1));
    heap.collect(CollectionKind::Full);
    assert!(!heap.is_alive(temporary).unwrap());
    assert!(heap.is_alive(stored).unwrap());
}
