//! The write barrier's fast path: the collector's slow path runs exactly for pointer stores from
//! a page flagged "pointers from here are interesting" to a page flagged "pointers to here are
//! interesting", and never for a collector that needs no barrier.

use gc_core::collector_api::{Address, HeapCore, HeapObject, PageFlags};
use gc_core::testkit::NoGc;
use gc_core::{
    BarrierKind, CollectionKind, Collector, CollectorConstraints, GcReason, Heap, HeapConfig,
    Local, OutOfMemory, SlotContent, Value,
};

/// Records every slow-path call.
#[derive(Default)]
struct Recording {
    calls: Vec<(Address, Address, Address)>,
}

// SAFETY: like NoGc, it frees nothing and allocates through the core.
unsafe impl Collector for Recording {
    const CONSTRAINTS: CollectorConstraints = CollectorConstraints {
        barrier: BarrierKind::Generational,
        ..CollectorConstraints::simple("recording")
    };

    fn allocate_slow(&mut self, core: &mut HeapCore, size: usize) -> Result<Address, OutOfMemory> {
        core.allocate_in_old_generation(size)
            .ok_or_else(|| core.out_of_memory(size))
    }

    fn collect(&mut self, _: &mut HeapCore, _: CollectionKind, _: GcReason) {}

    unsafe fn write_barrier_slow(
        &mut self,
        _: &mut HeapCore,
        host: HeapObject,
        slot: Address,
        value: HeapObject,
    ) {
        self.calls.push((host.address(), slot, value.address()));
    }
}

/// Where `local`'s object is.
fn address_of(heap: &Heap<impl Collector>, local: Local<'_>) -> Address {
    // SAFETY: the address is only compared, never dereferenced after the borrow (P1, P2).
    unsafe { heap.core() }.handles.address(local).unwrap()
}

#[test]
fn slow_path_runs_only_for_interesting_pointer_stores() {
    let mut heap = Heap::new(HeapConfig::for_testing(), Recording::default()).unwrap();
    let ty = heap.intern_type("").unwrap();
    heap.handle_scope(|heap, scope| {
        let host = heap.allocate(scope, ty, 2, 0).unwrap();
        let target = heap.allocate(scope, ty, 0, 0).unwrap();
        let (host_address, target_address) = (address_of(heap, host), address_of(heap, target));
        // SAFETY: `Recording` never frees a page, so the page stays valid for the whole test (P1).
        let page = unsafe { heap.core() }.old_space.pages()[0];

        heap.store(host, 0, target).unwrap();
        assert!(heap.collector().calls.is_empty(), "no page is flagged yet");

        // SAFETY: the test plays the collector that owns the page (P5); flags only steer the
        // barrier.
        unsafe { page.set_flags(PageFlags::POINTERS_FROM_HERE_ARE_INTERESTING) };
        heap.store(host, 0, target).unwrap();
        assert!(
            heap.collector().calls.is_empty(),
            "the target's page is not interesting"
        );

        // SAFETY: as above.
        unsafe { page.set_flags(PageFlags::POINTERS_TO_HERE_ARE_INTERESTING) };
        heap.store(host, 1, Value::Smi(5)).unwrap();
        heap.store(host, 0, Value::Null).unwrap();
        assert!(
            heap.collector().calls.is_empty(),
            "SMIs and null never need the barrier"
        );

        heap.store(host, 1, target).unwrap();
        assert_eq!(
            heap.collector().calls,
            vec![(host_address, host_address.add(16), target_address)]
        );

        // SAFETY: as above.
        unsafe { page.clear_flags(PageFlags::POINTERS_FROM_HERE_ARE_INTERESTING) };
        heap.store(host, 1, target).unwrap();
        assert_eq!(
            heap.collector().calls.len(),
            1,
            "host page no longer interesting"
        );
    });
}

#[test]
fn collectors_without_a_barrier_skip_it() {
    let mut heap = Heap::new(HeapConfig::for_testing(), NoGc).unwrap();
    let ty = heap.intern_type("").unwrap();
    heap.handle_scope(|heap, scope| {
        let host = heap.allocate(scope, ty, 1, 0).unwrap();
        // SAFETY: NoGc never frees a page, so the page stays valid for the whole test (P1).
        let page = unsafe { heap.core() }.old_space.pages()[0];
        let both = PageFlags::POINTERS_FROM_HERE_ARE_INTERESTING
            .union(PageFlags::POINTERS_TO_HERE_ARE_INTERESTING);
        // SAFETY: the test plays the collector that owns the page (P5); flags only steer the
        // barrier.
        unsafe { page.set_flags(both) };
        heap.store(host, 0, host).unwrap();
        assert_eq!(
            heap.read(host, 0).unwrap(),
            SlotContent::Reference,
            "the store happened"
        );
        assert!(heap.slot_refers_to(host, 0, host).unwrap());
    });
}
