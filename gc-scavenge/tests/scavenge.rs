//! The scavenger and `gen-marksweep` on hand-built heaps: exactly which objects are copied,
//! promoted and freed, what the remembered set holds, weak handles and external memory of young
//! objects, large and pretenured objects, promotion failure and semispace sizing. The verifier
//! runs after every collection (`HeapConfig::for_testing`), pages come from the ordinary
//! allocator (so these run under Miri).

use gc_core::collector_api::{RememberedSet, SpaceId};
use gc_core::page::PageRef;
use gc_core::testkit;
use gc_core::{
    CollectionKind, GcKind, GcReason, Heap, HeapConfig, HeapError, PAGE_SIZE, Rooted, SlotContent,
    Value,
};
use gc_marksweep::MarkSweep;
use gc_scavenge::{
    Generational, MAX_YOUNG_OBJECT_SIZE, SlotSetRememberedSet, StoreBuffer, YoungGenerationConfig,
};

type GenMarkSweep<R = SlotSetRememberedSet> = Generational<MarkSweep, R>;

fn heap() -> Heap<GenMarkSweep> {
    Heap::new(
        HeapConfig::for_testing(),
        Generational::new(MarkSweep::new()),
    )
    .unwrap()
}

fn heap_with<R: RememberedSet>(remembered: R) -> Heap<GenMarkSweep<R>> {
    let plan = Generational::with(
        MarkSweep::new(),
        remembered,
        YoungGenerationConfig::default(),
    );
    Heap::new(HeapConfig::for_testing(), plan).unwrap()
}

/// Which space holds `root`'s object, and its age.
fn space_of<R: RememberedSet>(heap: &Heap<GenMarkSweep<R>>, root: impl Rooted) -> (SpaceId, u8) {
    // SAFETY: the address and page are used only while the heap is borrowed (P1, P2).
    let core = unsafe { heap.core() };
    let address = core.handles.address(root).unwrap();
    // SAFETY: a root names a live object start (P2).
    let page = unsafe { PageRef::containing(address) };
    // SAFETY: as above (P2).
    let object = unsafe { gc_core::collector_api::HeapObject::from_address(address) };
    (page.owner(), object.age())
}

fn last_event<R: RememberedSet>(heap: &Heap<GenMarkSweep<R>>) -> (GcKind, usize, usize, usize) {
    let event = heap.events().last().unwrap();
    (
        event.kind,
        event.outcome.freed_bytes,
        event.outcome.promoted_bytes,
        event.outcome.moved_bytes,
    )
}

#[test]
fn survivors_are_copied_on_the_first_scavenge_and_promoted_on_the_second() {
    let mut heap = heap();
    let ty = heap.intern_type("Node").unwrap();
    heap.handle_scope(|heap, scope| {
        let kept = heap.allocate(scope, ty, 1, 8).unwrap(); // 24 bytes
        scope.scope(|inner| {
            let child = heap.allocate(inner, ty, 0, 0).unwrap(); // 8 bytes
            heap.allocate(inner, ty, 2, 100).unwrap(); // 128 bytes of garbage
            heap.store(kept, 0, child).unwrap();
        });
        assert_eq!(space_of(heap, kept), (SpaceId::NewSpace, 0));

        heap.collect(CollectionKind::Young);
        assert_eq!(last_event(heap), (GcKind::Scavenge, 128, 0, 32));
        assert_eq!(space_of(heap, kept), (SpaceId::NewSpace, 1));
        assert_eq!(heap.stats().used_bytes, 32);

        heap.collect(CollectionKind::Young);
        assert_eq!(last_event(heap), (GcKind::Scavenge, 0, 32, 32));
        assert_eq!(space_of(heap, kept).0, SpaceId::OldSpace);
        let result = heap.collector().last_scavenge().unwrap();
        assert_eq!((result.promoted_objects, result.copied_objects), (2, 0));
        let loaded = heap.load(scope, kept, 0).unwrap();
        let loaded = loaded.as_local().expect("slot lost");
        assert_eq!(space_of(heap, loaded).0, SpaceId::OldSpace);
        assert_eq!(heap.live_graph().objects, 2);
    });
}

#[test]
fn the_number_of_survivals_before_promotion_is_configurable() {
    let config = YoungGenerationConfig {
        survivals_before_promotion: 3,
        ..YoungGenerationConfig::default()
    };
    let plan = Generational::with(MarkSweep::new(), SlotSetRememberedSet::default(), config);
    let mut heap = Heap::new(HeapConfig::for_testing(), plan).unwrap();
    let ty = heap.intern_type("").unwrap();
    let spaces = heap.handle_scope(|heap, scope| {
        let object = heap.allocate(scope, ty, 0, 0).unwrap();
        let mut spaces = Vec::new();
        for _ in 0..4 {
            heap.collect(CollectionKind::Young);
            spaces.push(space_of(heap, object));
        }
        spaces
    });
    use SpaceId::{NewSpace, OldSpace};
    assert_eq!(spaces[..3], [(NewSpace, 1), (NewSpace, 2), (NewSpace, 3)]);
    assert_eq!(spaces[3].0, OldSpace);
}

/// An old object that points at a young one: the slot is remembered, kept while the target is
/// young and dropped once it is promoted.
fn old_to_new_slots_follow_their_targets<R: RememberedSet>(remembered: R) {
    let mut heap = heap_with(remembered);
    let ty = heap.intern_type("").unwrap();
    heap.handle_scope(|heap, scope| {
        let old = heap.allocate(scope, ty, 3, 0).unwrap();
        heap.collect(CollectionKind::Young);
        heap.collect(CollectionKind::Young);
        assert_eq!(space_of(heap, old).0, SpaceId::OldSpace);
        let weak = scope.scope(|inner| {
            let young = heap.allocate(inner, ty, 0, 16).unwrap();
            heap.store(old, 1, young).unwrap();
            heap.store(old, 2, Value::Smi(7)).unwrap();
            assert_eq!(heap.collector().remembered_set().len(), 1);
            heap.downgrade(young).unwrap()
        });

        heap.collect(CollectionKind::Young);
        assert!(heap.is_alive(weak).unwrap(), "the remembered slot kept it");
        assert_eq!(heap.collector().remembered_set().len(), 1, "still young");
        assert_eq!(last_event(heap), (GcKind::Scavenge, 0, 0, 24));

        heap.collect(CollectionKind::Young);
        assert_eq!(heap.collector().remembered_set().len(), 0, "promoted");
        let target = heap.load(scope, old, 1).unwrap();
        let target = target.as_local().expect("slot lost");
        assert!(heap.refers_to(weak, target).unwrap());
        assert_eq!(space_of(heap, target).0, SpaceId::OldSpace);

        // A young object stored and then overwritten: its stale slot is dropped, the object
        // freed.
        let weak = scope.scope(|inner| {
            let young = heap.allocate(inner, ty, 0, 0).unwrap();
            heap.store(old, 0, young).unwrap();
            heap.downgrade(young).unwrap()
        });
        heap.store(old, 0, Value::Null).unwrap();
        assert_eq!(heap.collector().remembered_set().len(), 1);
        heap.collect(CollectionKind::Young);
        assert!(!heap.is_alive(weak).unwrap());
        assert_eq!(heap.collector().remembered_set().len(), 0);
    });
}

#[test]
fn old_to_new_slots_follow_their_targets_in_the_slot_set() {
    old_to_new_slots_follow_their_targets(SlotSetRememberedSet::default());
}

#[test]
#[cfg_attr(
    miri,
    ignore = "the store buffer has no unsafe code; the slot-set twin runs under Miri"
)]
fn old_to_new_slots_follow_their_targets_in_the_store_buffer() {
    old_to_new_slots_follow_their_targets(StoreBuffer::default());
}

#[test]
fn a_promoted_object_pointing_at_a_younger_one_is_remembered() {
    let mut heap = heap();
    let ty = heap.intern_type("").unwrap();
    heap.handle_scope(|heap, scope| {
        let parent = heap.allocate(scope, ty, 1, 0).unwrap();
        heap.collect(CollectionKind::Young); // parent: age 1
        scope.scope(|inner| {
            let child = heap.allocate(inner, ty, 0, 0).unwrap();
            heap.store(parent, 0, child).unwrap(); // young to young: not remembered
        });
        assert_eq!(heap.collector().remembered_set().len(), 0);
        heap.collect(CollectionKind::Young); // parent promoted, child copied
        assert_eq!(space_of(heap, parent).0, SpaceId::OldSpace);
        let set = heap.collector().remembered_set();
        assert_eq!(set.len(), 1);
        // SAFETY: read only while the heap is borrowed (P1, P2).
        let core = unsafe { heap.core() };
        let address = core.handles.address(parent).unwrap();
        // SAFETY: a local names a live object start (P2).
        let page = unsafe { PageRef::containing(address) }.start();
        let slot_offset = address.add(8).offset_from(page);
        assert!(set.page(page).unwrap().contains(slot_offset));
        heap.collect(CollectionKind::Young); // child promoted too
        assert_eq!(heap.collector().remembered_set().len(), 0);
        assert_eq!(heap.live_graph().objects, 2);
    });
}

#[test]
fn external_memory_of_young_objects_is_released_by_a_scavenge() {
    testkit::external_memory_is_released_with_its_owner(
        Generational::new(MarkSweep::new()),
        CollectionKind::Young,
    );
}

#[test]
#[cfg_attr(miri, ignore = "too slow under Miri")]
fn external_memory_pressure_triggers_collections() {
    testkit::external_memory_pressure_triggers_collections(Generational::new(MarkSweep::new()));
}

/// What the shared scenario cannot see: a young object's weak handle and external bytes follow
/// it through a copy and its promotion, and a dead young object's weak handle is cleared.
#[test]
fn weak_handles_and_external_memory_follow_young_objects_into_old_space() {
    let mut heap = heap();
    let ty = heap.intern_type("ArrayBuffer").unwrap();
    heap.handle_scope(|heap, scope| {
        let kept = heap.allocate(scope, ty, 0, 0).unwrap();
        heap.set_external_bytes(kept, 1000).unwrap();
        let weak_kept = heap.downgrade(kept).unwrap();
        let weak_dropped = scope.scope(|inner| {
            let dropped = heap.allocate(inner, ty, 0, 0).unwrap();
            heap.downgrade(dropped).unwrap()
        });

        heap.collect(CollectionKind::Young);
        assert!(!heap.is_alive(weak_dropped).unwrap());
        assert!(
            heap.refers_to(weak_kept, kept).unwrap(),
            "moved with its object"
        );
        assert_eq!(space_of(heap, kept).0, SpaceId::NewSpace);
        assert_eq!(heap.external_bytes(kept).unwrap(), 1000);
        heap.collect(CollectionKind::Young);
        assert_eq!(space_of(heap, kept).0, SpaceId::OldSpace);
        assert_eq!(heap.external_bytes(kept).unwrap(), 1000);
        assert_eq!(heap.stats().external_bytes, 1000);
        assert!(heap.refers_to(weak_kept, kept).unwrap());
    });
}

#[test]
fn large_objects_take_part_in_the_remembered_set() {
    let mut heap = heap();
    let ty = heap.intern_type("Big").unwrap();
    let slots = 2 * PAGE_SIZE as u64 / 8; // slots run past the large page's first PAGE_SIZE
    heap.handle_scope(|heap, scope| {
        let big = heap.allocate(scope, ty, slots, 0).unwrap();
        assert_eq!(space_of(heap, big).0, SpaceId::LargeObjectSpace);
        let weak = scope.scope(|inner| {
            let young = heap.allocate(inner, ty, 0, 0).unwrap();
            heap.store(big, slots - 1, young).unwrap();
            heap.store(big, 0, young).unwrap();
            heap.downgrade(young).unwrap()
        });
        assert_eq!(heap.collector().remembered_set().len(), 2);
        heap.collect(CollectionKind::Young);
        assert!(heap.is_alive(weak).unwrap());
        let last = heap.load(scope, big, slots - 1).unwrap();
        let last = last.as_local().expect("slot lost");
        assert!(heap.refers_to(weak, last).unwrap());
        heap.collect(CollectionKind::Young);
        assert_eq!(heap.collector().remembered_set().len(), 0);
        assert!(heap.refers_to(weak, last).unwrap());
    });
}

#[test]
fn objects_over_the_young_limit_are_allocated_old() {
    let mut heap = heap();
    let ty = heap.intern_type("").unwrap();
    heap.handle_scope(|heap, scope| {
        let small = heap
            .allocate(scope, ty, 0, MAX_YOUNG_OBJECT_SIZE as u64 - 8)
            .unwrap();
        let medium = heap
            .allocate(scope, ty, 0, MAX_YOUNG_OBJECT_SIZE as u64)
            .unwrap();
        assert_eq!(space_of(heap, small).0, SpaceId::NewSpace);
        assert_eq!(space_of(heap, medium).0, SpaceId::OldSpace);
        let young = heap.allocate(scope, ty, 0, 0).unwrap();
        let holder = heap
            .allocate(scope, ty, 1, MAX_YOUNG_OBJECT_SIZE as u64)
            .unwrap();
        heap.store(holder, 0, young).unwrap();
        assert_eq!(heap.collector().remembered_set().len(), 1);
    });
}

#[test]
fn a_full_collection_empties_new_space_and_the_remembered_set() {
    let mut heap = heap();
    let ty = heap.intern_type("").unwrap();
    heap.handle_scope(|heap, scope| {
        let old = heap.allocate(scope, ty, 1, 0).unwrap();
        heap.collect(CollectionKind::Young);
        heap.collect(CollectionKind::Young);
        let young = heap.allocate(scope, ty, 0, 40).unwrap();
        heap.store(old, 0, young).unwrap();
        scope.scope(|inner| {
            heap.allocate(inner, ty, 0, 1000).unwrap(); // garbage
        });
        heap.collect(CollectionKind::Full);
        let event = heap.events().last().unwrap();
        assert_eq!(
            (event.kind, event.outcome.freed_bytes),
            (GcKind::MarkSweep, 1008)
        );
        assert_eq!(space_of(heap, young).0, SpaceId::OldSpace);
        assert_eq!(heap.collector().remembered_set().len(), 0);
        // SAFETY: read only while the heap is borrowed (P1).
        let lab = &unsafe { heap.core() }.lab;
        assert_eq!(heap.collector().new_space().object_bytes(lab), 0);
        assert_eq!(heap.stats().used_bytes, 16 + 48);
        // New space takes objects again.
        let next = heap.allocate(scope, ty, 0, 0).unwrap();
        assert_eq!(space_of(heap, next).0, SpaceId::NewSpace);
    });
}

#[test]
#[cfg_attr(miri, ignore = "too slow under Miri")]
fn filling_new_space_scavenges_and_high_survival_grows_the_semispaces() {
    let config = YoungGenerationConfig {
        initial_semispace_bytes: PAGE_SIZE,
        max_semispace_bytes: 4 * PAGE_SIZE,
        survivals_before_promotion: 15,
        ..YoungGenerationConfig::default()
    };
    let plan = Generational::with(MarkSweep::new(), SlotSetRememberedSet::default(), config);
    let mut heap = Heap::new(HeapConfig::for_testing(), plan).unwrap();
    let ty = heap.intern_type("").unwrap();
    assert_eq!(
        heap.collector().new_space().capacity(),
        0,
        "set up on first use"
    );
    heap.handle_scope(|heap, kept| {
        for i in 0..40_000 {
            // 32 bytes; every other one kept, by a local of the scope `kept`.
            if i % 2 == 0 {
                heap.allocate(kept, ty, 1, 16).unwrap();
            } else {
                kept.scope(|dropped| heap.allocate(dropped, ty, 1, 16).map(|_| ()))
                    .unwrap();
            }
        }
        let scavenges = heap
            .events()
            .iter()
            .filter(|e| (e.kind, e.reason) == (GcKind::Scavenge, GcReason::AllocationFailure))
            .count();
        assert!(scavenges >= 2, "{scavenges}");
        assert_eq!(heap.collector().new_space().capacity(), 4);
    });
    // Now nothing survives (the kept objects' scope closed): after enough low-survival
    // scavenges the semispaces shrink back.
    for _ in 0..200_000 {
        heap.handle_scope(|heap, scope| heap.allocate(scope, ty, 1, 16).map(|_| ()))
            .unwrap();
    }
    assert_eq!(heap.collector().new_space().capacity(), 1);
    assert_eq!(heap.live_graph().objects, 0);
}

#[test]
#[cfg_attr(miri, ignore = "too slow under Miri (fills the heap)")]
fn promotion_failure_ends_in_a_full_collection_not_an_error() {
    let config = HeapConfig {
        max_heap_bytes: 8 * PAGE_SIZE, // one page per semispace, six for the old generation
        ..HeapConfig::for_testing()
    };
    let mut heap = Heap::new(config, Generational::new(MarkSweep::new())).unwrap();
    let ty = heap.intern_type("").unwrap();
    heap.handle_scope(|heap, scope| {
        // Fill the old generation with pretenured objects, down to the smallest that is not
        // young; each stays rooted by a local of `scope`.
        let mut old = 0;
        for payload in [100_000, MAX_YOUNG_OBJECT_SIZE as u64] {
            loop {
                match heap.allocate(scope, ty, 0, payload) {
                    Ok(_) => old += 1,
                    Err(HeapError::OutOfMemory(_)) => break,
                    Err(error) => panic!("{error}"),
                }
            }
        }
        // The largest young object: no gap old space has left can take it.
        let young = heap
            .allocate(scope, ty, 0, MAX_YOUNG_OBJECT_SIZE as u64 - 16)
            .unwrap();
        assert_eq!(space_of(heap, young).0, SpaceId::NewSpace);
        heap.collect(CollectionKind::Young); // age 1: due for promotion at the next scavenge
        let before = heap.events().len();
        heap.collect(CollectionKind::Young);
        let kinds: Vec<(GcKind, GcReason)> = heap.events()[before..]
            .iter()
            .map(|e| (e.kind, e.reason))
            .collect();
        assert_eq!(
            kinds,
            [
                (GcKind::Scavenge, GcReason::Explicit),
                (GcKind::MarkSweep, GcReason::AllocationFailure)
            ]
        );
        assert_eq!(
            heap.payload(young).unwrap().len(),
            MAX_YOUNG_OBJECT_SIZE - 16
        );
        assert_eq!(
            space_of(heap, young).0,
            SpaceId::OldSpace,
            "moved with its page"
        );
        assert_eq!(heap.live_graph().objects as usize, old + 1);
    });
}

#[test]
fn bad_arguments_change_nothing_in_a_generational_heap() {
    let mut heap = heap();
    let ty = heap.intern_type("").unwrap();
    heap.handle_scope(|heap, scope| {
        let object = heap.allocate(scope, ty, 1, 0).unwrap();
        assert_eq!(
            heap.store(object, 1, Value::Null),
            Err(HeapError::SlotOutOfRange { slot: 1, slots: 1 })
        );
        heap.collect(CollectionKind::Young);
        assert_eq!(heap.read(object, 0), Ok(SlotContent::Null));
        assert_eq!(heap.load(scope, object, 0), Ok(Value::Null));
    });
}

/// The survivor guarantee: however the survivors' sizes and copy order differ from their
/// allocation order, to-space takes all of them; none is promoted for lack of room.
#[test]
#[cfg_attr(miri, ignore = "too slow under Miri (fills the heap)")]
fn to_space_takes_every_survivor_of_a_full_from_space() {
    fill_new_space_with_survivors(1, 1);
}

/// The survivor guarantee when two threads copy, each keeping a to-space page partly filled:
/// the spare to-space page takes the difference.
#[test]
#[cfg_attr(miri, ignore = "too slow under Miri (fills the heap)")]
fn to_space_takes_every_survivor_of_a_full_from_space_copied_by_two_threads() {
    fill_new_space_with_survivors(4, 2);
}

/// Fills semispaces of `pages` pages with rooted objects of random sizes, scavenges on
/// `gc_threads` threads, links the survivors in a shuffled order and scavenges again: every
/// object is copied both times, none promoted.
fn fill_new_space_with_survivors(pages: usize, gc_threads: usize) {
    let config = YoungGenerationConfig {
        initial_semispace_bytes: pages * PAGE_SIZE,
        max_semispace_bytes: pages * PAGE_SIZE,
        survivals_before_promotion: 15,
        bytes_per_scavenging_thread: 0,
        // Every object survives: fast promotion would promote them all at the second scavenge.
        fast_promotion_fill: 2.0,
        ..YoungGenerationConfig::default()
    };
    let plan = Generational::with(MarkSweep::new(), SlotSetRememberedSet::default(), config);
    let config = HeapConfig {
        gc_threads,
        ..HeapConfig::for_testing()
    };
    let mut heap = Heap::new(config, plan).unwrap();
    let ty = heap.intern_type("").unwrap();
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut random = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    heap.handle_scope(|heap, scope| {
        let root = heap.allocate(scope, ty, 4096, 0).unwrap(); // pretenured: 32 KiB
        // The objects are locals of a scope that closes before the second scavenge.
        let count = scope.scope(|kept| {
            let mut objects = Vec::new();
            while heap.stats().gc_count == 0 {
                let payload = if random(4) == 0 {
                    MAX_YOUNG_OBJECT_SIZE as u64 - 16 - random(64) * 8
                } else {
                    random(200)
                };
                // Kept unless allocated after the scavenge.
                let object = kept.escapable(|inner| {
                    let object = heap.allocate(inner, ty, 0, payload).unwrap();
                    (heap.stats().gc_count == 0).then(|| inner.escape(object))
                });
                objects.extend(object);
            }
            // Every object allocated before the scavenge was rooted, so all survived it.
            let result = heap.collector().last_scavenge().unwrap().clone();
            assert_eq!(result.promoted_bytes, 0, "{result:?}");
            assert_eq!(result.copied_bytes, result.young_bytes);
            assert!(
                result.young_bytes > pages * PAGE_SIZE * 9 / 10,
                "{result:?}"
            );
            assert_eq!(result.threads, gc_threads);
            // Now link them in a shuffled order and scavenge again: breadth-first from the root
            // copies them in that order.
            for i in (1..objects.len()).rev() {
                objects.swap(i, random(i as u64 + 1) as usize);
            }
            for (i, &object) in objects.iter().enumerate() {
                heap.store(root, i as u64 % 4096, object).unwrap();
            }
            objects.len().min(4096)
        });
        heap.collect(CollectionKind::Young);
        let result = heap.collector().last_scavenge().unwrap();
        assert_eq!(result.promoted_bytes, 0, "{result:?}");
        assert_eq!(result.threads, gc_threads);
        assert_eq!(heap.live_graph().objects as usize, 1 + count);
    });
}

/// A scavenge on one thread and on two (parallel whatever new space holds): young nodes reached
/// both from a handle and from remembered slots, many from several parents (so the threads race
/// to copy them), garbage between them. The same objects are copied, then promoted, and the
/// remembered set ends empty. Small enough for Miri, which checks the threads for data races.
#[test]
fn two_scavenging_threads_keep_exactly_the_reachable_objects() {
    let run = |gc_threads| {
        let young = YoungGenerationConfig {
            initial_semispace_bytes: 2 * PAGE_SIZE,
            max_semispace_bytes: 2 * PAGE_SIZE,
            bytes_per_scavenging_thread: 0,
            ..YoungGenerationConfig::default()
        };
        let plan = Generational::with(MarkSweep::new(), SlotSetRememberedSet::default(), young);
        let config = HeapConfig {
            gc_threads,
            ..HeapConfig::for_testing()
        };
        let mut heap = Heap::new(config, plan).unwrap();
        let node = heap.intern_type("Node").unwrap();
        heap.handle_scope(|heap, scope| {
            let old = heap.allocate(scope, node, 8, 0).unwrap();
            heap.collect(CollectionKind::Young);
            heap.collect(CollectionKind::Young);
            assert_eq!(space_of(heap, old).0, SpaceId::OldSpace);
            let head = scope.scope(|inner| {
                let mut nodes = Vec::new();
                for i in 0..80u64 {
                    let next = heap.allocate(inner, node, 2, 8 * (i % 4)).unwrap();
                    heap.allocate(inner, node, 1, 24).unwrap(); // garbage
                    if let Some(&previous) = nodes.last() {
                        heap.store(previous, 0, next).unwrap();
                    }
                    if let Some(&shared) = nodes.get(i as usize / 2) {
                        heap.store(next, 1, shared).unwrap();
                    }
                    nodes.push(next);
                }
                for slot in 1..8 {
                    heap.store(old, slot, nodes[(slot as usize * 11) % 80])
                        .unwrap();
                }
                heap.store(old, 0, nodes[0]).unwrap();
                heap.downgrade(nodes[40]).unwrap()
            });
            heap.collect(CollectionKind::Young);
            let copied = heap.collector().last_scavenge().unwrap().clone();
            heap.collect(CollectionKind::Young);
            let promoted = heap.collector().last_scavenge().unwrap().clone();
            assert!(heap.is_alive(head).unwrap());
            assert_eq!(heap.collector().remembered_set().len(), 0);
            (heap.live_graph(), copied, promoted)
        })
    };
    let (one, copied_one, promoted_one) = run(1);
    let (two, copied_two, promoted_two) = run(2);
    assert_eq!(one.objects, 81);
    assert_eq!(two, one);
    assert_eq!((copied_two.threads, promoted_two.threads), (2, 2));
    assert_eq!(
        (promoted_two.copied_objects, promoted_two.promoted_objects),
        (0, 80)
    );
    for (one, two) in [(copied_one, copied_two), (promoted_one, promoted_two)] {
        assert_eq!(
            (
                one.copied_objects,
                one.promoted_objects,
                one.survived_bytes()
            ),
            (
                two.copied_objects,
                two.promoted_objects,
                two.survived_bytes()
            )
        );
    }
}

/// Premature promotion, measured: objects promoted and then dropped before the next full
/// collection are exactly the bytes that collection reports dead (`promoted_dead` in
/// `--trace-gc-nvp`), with marking on one thread and on two; the counts restart after it.
#[test]
fn a_full_collection_reports_the_promoted_bytes_that_died_in_old_space() {
    for gc_threads in [1, 2] {
        let plan = Generational::with(
            MarkSweep::with_parallel_marking_after(0),
            SlotSetRememberedSet::default(),
            YoungGenerationConfig::default(),
        );
        let config = HeapConfig {
            gc_threads,
            ..HeapConfig::for_testing()
        };
        let mut heap = Heap::new(config, plan).unwrap();
        let ty = heap.intern_type("").unwrap();
        heap.handle_scope(|heap, scope| {
            let kept = heap.allocate(scope, ty, 1, 8).unwrap(); // 24 bytes
            scope.scope(|inner| {
                for _ in 0..10 {
                    heap.allocate(inner, ty, 0, 32).unwrap(); // 40 bytes each, promoted
                }
                heap.collect(CollectionKind::Young);
                heap.collect(CollectionKind::Young);
            }); // the ten die in old space
            let promoted = heap.collector().last_scavenge().unwrap().promoted_bytes;
            assert_eq!(promoted, 24 + 10 * 40);
            assert_eq!(space_of(heap, kept).0, SpaceId::OldSpace);
            heap.collect(CollectionKind::Full);
            let event = heap.events().last().unwrap();
            assert_eq!(event.kind, GcKind::MarkSweep);
            assert_eq!(
                event.outcome.promoted_dead_bytes,
                Some(10 * 40),
                "{gc_threads} threads"
            );
            heap.collect(CollectionKind::Full);
            let event = heap.events().last().unwrap();
            assert_eq!(
                event.outcome.promoted_dead_bytes, None,
                "nothing promoted since"
            );
        });
    }
}
