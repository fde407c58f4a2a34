//! The post-allocation hook: called for every object, fast path included, when the collector
//! asks for it.

use gc_core::collector_api::{Address, HeapCore, HeapObject};
use gc_core::{
    CollectionKind, Collector, CollectorConstraints, GcReason, Heap, HeapConfig, OutOfMemory,
};

#[derive(Default)]
struct Counting {
    seen: Vec<(Address, u32)>,
}

// SAFETY: like NoGc, it frees nothing and allocates through the core.
unsafe impl Collector for Counting {
    const CONSTRAINTS: CollectorConstraints = CollectorConstraints {
        post_allocation: true,
        ..CollectorConstraints::simple("counting")
    };

    fn allocate_slow(&mut self, core: &mut HeapCore, size: usize) -> Result<Address, OutOfMemory> {
        core.allocate_in_old_generation(size)
            .ok_or_else(|| core.out_of_memory(size))
    }

    fn collect(&mut self, _: &mut HeapCore, _: CollectionKind, _: GcReason) {}

    fn post_allocation(&mut self, _: &mut HeapCore, object: HeapObject) {
        self.seen.push((object.address(), object.slot_count()));
    }
}

#[test]
fn every_allocation_reaches_the_hook_with_its_initialized_object() {
    let mut heap = Heap::new(HeapConfig::for_testing(), Counting::default()).unwrap();
    let ty = heap.intern_type("").unwrap();
    heap.handle_scope(|heap, scope| {
        for slots in 0..100 {
            heap.allocate(scope, ty, slots, 0).unwrap();
        }
        heap.allocate(scope, ty, 1, 200_000).unwrap();
        // The scope's locals, bottom of the stack first: the objects in allocation order.
        let mut roots = Vec::new();
        // SAFETY: only addresses are read and compared, never dereferenced after the borrow
        // (P1, P2).
        unsafe { heap.core() }
            .handles
            .for_each_root(|a| roots.push(a));
        let seen = &heap.collector().seen;
        assert_eq!(seen.len(), 101);
        assert_eq!(seen.iter().map(|&(a, _)| a).collect::<Vec<_>>(), roots);
        assert!(
            seen.iter()
                .take(100)
                .enumerate()
                .all(|(i, &(_, slots))| slots == i as u32)
        );
    });
}
