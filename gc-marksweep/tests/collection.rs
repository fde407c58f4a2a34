//! Mark-sweep on hand-built heaps: exactly which objects are freed, what the events say, how
//! memory returns, and the errors of the mutator API.

use gc_core::collector_api::Address;
use gc_core::testkit;
use gc_core::{
    CollectionKind, Collector, GcKind, GcPhase, GcReason, Heap, HeapConfig, HeapError, PAGE_SIZE,
    Persistent, SlotContent, TypeId, Value, VerifyHeap,
};
use gc_marksweep::MarkSweep;

fn heap() -> Heap<MarkSweep> {
    Heap::new(HeapConfig::for_testing(), MarkSweep::new()).unwrap()
}

/// Allocates `count` objects that nothing keeps: each one's local goes with its own scope.
fn garbage<C: Collector>(heap: &mut Heap<C>, ty: TypeId, count: usize, slots: u64, bytes: u64) {
    for _ in 0..count {
        heap.handle_scope(|heap, scope| {
            heap.allocate(scope, ty, slots, bytes).unwrap();
        });
    }
}

/// A new object kept by the returned persistent handle.
fn rooted<C: Collector>(heap: &mut Heap<C>, ty: TypeId, slots: u64, bytes: u64) -> Persistent {
    heap.handle_scope(|heap, scope| {
        let object = heap.allocate(scope, ty, slots, bytes)?;
        heap.persistent(object)
    })
    .unwrap()
}

#[test]
fn frees_exactly_the_unreachable_objects_and_reports_their_bytes() {
    let mut heap = heap();
    let node = heap.intern_type("Node").unwrap();
    // Only the root outlives the scope.
    let (_root, weak) = heap.handle_scope(|heap, scope| {
        let root = heap.allocate(scope, node, 2, 0).unwrap(); // 24 bytes
        let kept = heap.allocate(scope, node, 1, 8).unwrap(); // 24 bytes
        let cycle_a = heap.allocate(scope, node, 1, 0).unwrap(); // 16 bytes
        let cycle_b = heap.allocate(scope, node, 1, 100).unwrap(); // 16 + 104 bytes
        heap.store(root, 0, kept).unwrap();
        heap.store(cycle_a, 0, cycle_b).unwrap();
        heap.store(cycle_b, 0, cycle_a).unwrap();
        heap.store(kept, 0, root).unwrap();
        (
            heap.persistent(root).unwrap(),
            [kept, cycle_a, cycle_b].map(|local| heap.downgrade(local).unwrap()),
        )
    });

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
    let weak = heap.handle_scope(|heap, outer| {
        let weak = outer.scope(|inner| {
            let object = heap.allocate(inner, ty, 0, 0).unwrap();
            let weak = heap.downgrade(object).unwrap();
            let upgraded = heap.upgrade(inner, weak).unwrap().unwrap();
            assert!(heap.same_object(object, upgraded).unwrap());
            weak
        });
        // The object's locals closed with the inner scope; no collection has run since, so the
        // weak handle still upgrades, and the new local keeps the object.
        let strong = heap.upgrade(outer, weak).unwrap().unwrap();
        heap.collect(CollectionKind::Full);
        assert!(heap.is_alive(weak).unwrap(), "the upgraded local keeps it");
        assert!(heap.refers_to(weak, strong).unwrap());
        weak
    });
    heap.collect(CollectionKind::Full);
    heap.handle_scope(|heap, scope| {
        assert_eq!(heap.upgrade(scope, weak).unwrap(), None);
    });
    heap.drop_weak(weak).unwrap();
    assert_eq!(heap.is_alive(weak), Err(HeapError::InvalidWeakHandle(weak)));
}

#[test]
fn external_memory_is_released_with_its_owner() {
    testkit::external_memory_is_released_with_its_owner(MarkSweep::new(), CollectionKind::Full);
}

#[test]
#[cfg_attr(miri, ignore = "too slow under Miri")]
fn external_memory_pressure_triggers_collections() {
    testkit::external_memory_pressure_triggers_collections(MarkSweep::new());
}

#[test]
fn large_objects_get_their_own_pages_and_give_them_back() {
    let mut heap = heap();
    let ty = heap.intern_type("Big").unwrap();
    let big = heap.handle_scope(|heap, scope| {
        let big = heap.allocate(scope, ty, 3, 3 * PAGE_SIZE as u64).unwrap();
        let small = heap.allocate(scope, ty, 0, 0).unwrap();
        heap.store(big, 2, small).unwrap();
        heap.persistent(big).unwrap()
    });
    // SAFETY: only the number of pages is read, while `heap` is borrowed (P1).
    assert_eq!(unsafe { heap.core() }.lo_space.pages().len(), 1);
    heap.payload_mut(&big).unwrap()[3 * PAGE_SIZE - 1] = 7;
    heap.collect(CollectionKind::Full);
    assert_eq!(heap.payload(&big).unwrap()[3 * PAGE_SIZE - 1], 7);
    assert_eq!(
        heap.slot_type(&big, 2).unwrap(),
        Some(ty),
        "the small object lives on through the slot"
    );
    let committed = heap.stats().committed_bytes;
    drop(big);
    heap.collect(CollectionKind::Full);
    // SAFETY: as above.
    assert!(unsafe { heap.core() }.lo_space.pages().is_empty());
    assert!(heap.stats().committed_bytes <= committed - 3 * PAGE_SIZE);
}

/// Fills and empties pages with garbage; returns the heap's stats after a full collection.
fn churn_pages(step: usize) -> (Heap<MarkSweep>, Persistent, gc_core::HeapStats) {
    let config = HeapConfig {
        page_pool_pages: 2,
        initial_allocation_limit: step,
        min_allocation_limit_step: step,
        ..HeapConfig::for_testing()
    };
    let mut heap = Heap::new(config, MarkSweep::new()).unwrap();
    let ty = heap.intern_type("").unwrap();
    let keep = rooted(&mut heap, ty, 0, 0);
    garbage(&mut heap, ty, 100_000, 2, 48);
    heap.collect(CollectionKind::Full);
    let stats = heap.stats();
    (heap, keep, stats)
}

#[test]
#[cfg_attr(miri, ignore = "too slow under Miri")]
fn empty_pages_go_back_and_free_lists_are_reused() {
    let (mut heap, _keep, stats) = churn_pages(PAGE_SIZE);
    assert_eq!(
        stats.committed_bytes, PAGE_SIZE,
        "only the page holding `keep` stays"
    );
    assert!(
        stats.pooled_bytes <= 2 * PAGE_SIZE,
        "the pool keeps at most `page_pool_pages`"
    );
    let ty = heap.intern_type("").unwrap();
    garbage(&mut heap, ty, 1000, 2, 48);
    assert_eq!(
        heap.stats().committed_bytes,
        PAGE_SIZE,
        "allocation reused the free list"
    );
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
        // Every fourth object outlives its scope.
        let kept = heap.handle_scope(|heap, scope| {
            let object = heap.allocate(scope, ty, 1, 24).unwrap();
            (i % 4 == 0).then(|| heap.persistent(object).unwrap())
        });
        live.extend(kept);
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
        let allocated = heap.handle_scope(|heap, scope| {
            let object = heap.allocate(scope, ty, 4, 1000)?;
            heap.persistent(object)
        });
        match allocated {
            Ok(root) => kept.push(root),
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
    kept.truncate(kept.len() / 2);
    heap.handle_scope(|heap, scope| {
        heap.allocate(scope, ty, 4, 1000)
            .expect("memory freed by the collector is reused");
        let too_big = heap
            .allocate(scope, ty, 0, 5 * PAGE_SIZE as u64)
            .unwrap_err();
        assert!(matches!(too_big, HeapError::OutOfMemory(_)));
    });
}

#[test]
fn bad_arguments_are_errors_that_change_nothing() {
    let mut heap = heap();
    let ty = heap.intern_type("").unwrap();
    let mut other_heap = self::heap();
    let other_ty = other_heap.intern_type("").unwrap();
    let foreign = rooted(&mut other_heap, other_ty, 0, 0);
    heap.handle_scope(|heap, scope| {
        let object = heap.allocate(scope, ty, 2, 0).unwrap();
        assert_eq!(
            heap.store(object, 2, Value::Null),
            Err(HeapError::SlotOutOfRange { slot: 2, slots: 2 })
        );
        assert_eq!(
            heap.load(scope, object, u64::MAX),
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
        assert_eq!(heap.load(scope, object, 0), Ok(Value::Smi(-(1 << 30))));
        // A root of another heap names nothing here.
        let locals = scope.stack_len();
        assert_eq!(
            heap.store(object, 1, &foreign),
            Err(HeapError::ForeignPersistent)
        );
        assert_eq!(
            heap.local(scope, &foreign),
            Err(HeapError::ForeignPersistent)
        );
        assert_eq!(heap.shape(&foreign), Err(HeapError::ForeignPersistent));
        assert_eq!(scope.stack_len(), locals, "no local was made");
        assert_eq!(
            heap.read(object, 1),
            Ok(SlotContent::Null),
            "failed store left the slot alone"
        );
        assert!(matches!(
            heap.allocate(scope, ty, 1 << 28, 0),
            Err(HeapError::ObjectTooLarge { .. })
        ));
        // Persistent handles are owned: each clone is one more root, each drop one fewer.
        let first = heap.persistent(object).unwrap();
        let second = first.clone();
        assert_eq!(heap.stats().handles, 2);
        drop(first);
        assert_eq!(heap.stats().handles, 1);
        assert!(heap.same_object(&second, object).unwrap());
    });
    assert_eq!(heap.stats().local_handles, 0);
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
            heap.handle_scope(|heap, scope| {
                let head = heap.allocate(scope, ty, 1, 0).unwrap();
                // One local walks to the end as the list grows; each new cell's own local goes
                // with its scope.
                let tail = heap.local(scope, head).unwrap();
                for _ in 1..10_000_000 {
                    scope.scope(|inner| {
                        let cell = heap.allocate(inner, ty, 1, 0).unwrap();
                        heap.store(tail, 0, cell).unwrap();
                    });
                    heap.load_into(tail, tail, 0).unwrap();
                }
                heap.collect(CollectionKind::Full);
                (heap.live_graph().objects, heap.stats().used_bytes)
            })
        });
    let (objects, used) = thread.unwrap().join().unwrap();
    assert_eq!((objects, used), (10_000_000, 160_000_000));
}

#[test]
fn handle_scopes_drop_the_locals_created_inside_them() {
    let mut heap = heap();
    let ty = heap.intern_type("").unwrap();
    let root = rooted(&mut heap, ty, 1, 0);
    let (kept, [temporary, stored, escaped]) = heap.handle_scope(|heap, scope| {
        let temporary = heap.allocate(scope, ty, 0, 0).unwrap();
        let stored = heap.allocate(scope, ty, 0, 0).unwrap();
        heap.store(&root, 0, stored).unwrap();
        let kept = heap.allocate(scope, ty, 0, 0).unwrap();
        let kept = heap.persistent(kept).unwrap();
        let nested = scope.scope(|inner| {
            let nested = heap.allocate(inner, ty, 0, 0).unwrap();
            heap.downgrade(nested).unwrap()
        });
        let escaped = scope.escapable(|inner| {
            let escaped = heap.allocate(inner, ty, 0, 0).unwrap();
            heap.allocate(inner, ty, 0, 0).unwrap();
            inner.escape(escaped)
        });
        assert_eq!(
            scope.stack_len(),
            4,
            "the nested scopes' locals are gone, the escaped one is this scope's"
        );
        let loaded = heap.load(scope, &root, 0).unwrap().as_local().unwrap();
        assert!(heap.same_object(loaded, stored).unwrap());
        let weak = [temporary, stored, escaped].map(|local| heap.downgrade(local).unwrap());
        heap.collect(CollectionKind::Full);
        assert!(!heap.is_alive(nested).unwrap(), "its scope closed");
        assert!(
            weak.iter().all(|&w| heap.is_alive(w).unwrap()),
            "this scope is open"
        );
        (kept, weak)
    });
    assert_eq!(heap.stats().handles, 2, "the root and the kept handle");
    assert_eq!(heap.stats().local_handles, 0);
    heap.collect(CollectionKind::Full);
    assert!(!heap.is_alive(temporary).unwrap());
    assert!(!heap.is_alive(escaped).unwrap());
    assert!(heap.is_alive(stored).unwrap(), "the root's slot keeps it");
    assert_eq!(
        heap.shape(&kept).unwrap().slots,
        0,
        "the kept handle still names its object"
    );
}

/// Two threads mark a graph of shared subtrees and cross links (runs under Miri, which checks
/// the threads for data races): the same objects live as with one thread, exactly the garbage is
/// freed, and each page's live bytes add up to the live objects.
#[test]
fn two_marking_threads_keep_exactly_the_reachable_objects() {
    let run = |gc_threads| {
        let config = HeapConfig {
            gc_threads,
            ..HeapConfig::for_testing()
        };
        let mut heap = Heap::new(config, MarkSweep::with_parallel_marking_after(0)).unwrap();
        let node = heap.intern_type("Node").unwrap();
        let root = rooted(&mut heap, node, 4, 0);
        heap.handle_scope(|heap, scope| {
            // A list of 60 nodes, each also pointing back at every third node before it.
            let mut previous = heap.local(scope, &root).unwrap();
            let mut nodes = Vec::new();
            for i in 0..60u64 {
                let next = heap.allocate(scope, node, 4, 8 * (i % 5)).unwrap();
                heap.store(previous, 0, next).unwrap();
                if let Some(&back) = nodes.get(nodes.len().saturating_sub(3)) {
                    heap.store(next, 1, back).unwrap();
                }
                nodes.push(next);
                previous = next;
            }
        });
        garbage(&mut heap, node, 40, 2, 16);
        let before = heap.stats().used_bytes;
        heap.collect(CollectionKind::Full);
        let live = heap.live_graph();
        (live, before - heap.stats().used_bytes)
    };
    let (one, freed_one) = run(1);
    let (two, freed_two) = run(2);
    assert_eq!(one.objects, 61);
    assert_eq!(two, one);
    assert_eq!(freed_two, freed_one);
}

/// Old space's free list after a full collection, as (page index, offset in the page, size) in
/// list order: what an allocation will find, independent of where the pages are mapped.
fn free_list_layout(heap: &Heap<MarkSweep>) -> Vec<(usize, usize, usize)> {
    // SAFETY: the view is read while `heap` is borrowed; only addresses are compared (P1).
    let core = unsafe { heap.core() };
    let pages: Vec<_> = core
        .old_space
        .pages()
        .iter()
        .map(|page| page.start())
        .collect();
    let mut layout = Vec::new();
    core.old_space.free_list().for_each_block(|block, size| {
        // Pages are not mapped in address order (under Miri, for one): find the one holding it.
        let holds = |&start: &Address| start <= block && block.offset_from(start) < PAGE_SIZE;
        let page = pages
            .iter()
            .position(holds)
            .expect("a free block in an old-space page");
        layout.push((page, block.offset_from(pages[page]), size));
    });
    layout
}

/// Sweeping on two threads (from the first page on, in chunks of one page for a heap this small)
/// builds block for block the free list one thread does, and frees the same bytes.
#[test]
fn two_sweeping_threads_build_the_free_list_one_thread_does() {
    let run = |gc_threads| {
        let config = HeapConfig {
            gc_threads,
            ..HeapConfig::for_testing()
        };
        let mut heap = Heap::new(config, MarkSweep::new().with_parallel_sweeping_from(0)).unwrap();
        let node = heap.intern_type("Node").unwrap();
        // Four pages and more of 1 KiB objects; every third survives.
        let roots: Vec<Persistent> = (0..1100)
            .map(|_| rooted(&mut heap, node, 1, 1000))
            .enumerate()
            .filter_map(|(i, root)| (i % 3 == 0).then_some(root))
            .collect();
        heap.collect(CollectionKind::Full);
        let layout = free_list_layout(&heap);
        drop(roots);
        (layout, heap.stats().used_bytes)
    };
    let (one, used_one) = run(1);
    // 367 survivors of 1016 bytes.
    assert_eq!(used_one, 367 * 1016);
    assert!(
        one.iter().map(|&(page, ..)| page).max() >= Some(4),
        "{one:?}"
    );
    assert_eq!(run(2), (one, used_one));
}
