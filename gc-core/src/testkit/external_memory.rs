//! External memory as every collector must treat it, one scenario for all: a collector's tests
//! call these with their own collector (and the collection kind that frees young objects, for a
//! generational one), so the rule is written once and no collector is left out.
//!
//! What they hold a collector to: external bytes count while their owner lives, are released
//! (and reported in the pause's outcome) by the collection that reclaims the owner, stay with a
//! survivor (which a scavenge moves), and external bytes past the heap's external limit
//! make the allocation slow path collect, with [`GcReason::ExternalMemoryPressure`].

use crate::collector::{CollectionKind, Collector};
use crate::config::HeapConfig;
use crate::event::GcReason;
use crate::heap::Heap;

/// One rooted and one unrooted object with external bytes: both count until a collection of
/// `kind`, which releases the unrooted one's bytes and reports them, and leaves the survivor's.
pub fn external_memory_is_released_with_its_owner<C: Collector>(
    collector: C,
    kind: CollectionKind,
) {
    let mut heap = Heap::new(HeapConfig::for_testing(), collector).unwrap();
    let ty = heap.intern_type("ArrayBuffer").unwrap();
    let kept = heap.handle_scope(|heap, scope| {
        let kept = heap.allocate(scope, ty, 0, 0).unwrap();
        let dropped = heap.allocate(scope, ty, 0, 0).unwrap();
        heap.set_external_bytes(kept, 1000).unwrap();
        heap.set_external_bytes(dropped, 5000).unwrap();
        heap.persistent(kept).unwrap()
    });
    assert_eq!(heap.stats().external_bytes, 6000);
    assert_eq!(
        heap.live_graph().external_bytes,
        1000,
        "only `kept` is reachable"
    );

    heap.collect(kind);

    let name = C::CONSTRAINTS.name;
    assert_eq!(heap.stats().external_bytes, 1000, "{name}");
    let event = heap.events().last().unwrap();
    assert_eq!(event.outcome.external_freed_bytes, 5000, "{name}");
    assert_eq!(heap.external_bytes(&kept).unwrap(), 1000, "{name}");
    // A second collection finds nothing more to release.
    heap.collect(CollectionKind::Full);
    assert_eq!(heap.stats().external_bytes, 1000, "{name}");
    assert_eq!(
        heap.events().last().unwrap().outcome.external_freed_bytes,
        0
    );
    assert_eq!(heap.external_bytes(&kept).unwrap(), 1000, "{name}");
}

/// Buffers of 256 KiB of external memory each, dropped at once, on a heap whose external limit
/// grows by 1 MiB: the external bytes make the heap collect, and the dead buffers' bytes never
/// pile up past twice the step.
pub fn external_memory_pressure_triggers_collections<C: Collector>(collector: C) {
    const STEP: u64 = 1 << 20;
    let config = HeapConfig {
        external_limit_step: STEP,
        ..HeapConfig::for_testing()
    };
    let mut heap = Heap::new(config, collector).unwrap();
    let ty = heap.intern_type("ArrayBuffer").unwrap();
    for _ in 0..20 {
        heap.handle_scope(|heap, scope| {
            let buffer = heap.allocate(scope, ty, 0, 1 << 10).unwrap();
            heap.set_external_bytes(buffer, 256 << 10).unwrap();
        });
        // A large object always takes the allocation slow path, where the limits are checked.
        heap.handle_scope(|heap, scope| {
            heap.allocate(scope, ty, 0, 200_000).unwrap();
        });
    }
    let name = C::CONSTRAINTS.name;
    let reasons: Vec<GcReason> = heap.events().iter().map(|e| e.reason).collect();
    assert!(
        reasons.contains(&GcReason::ExternalMemoryPressure),
        "{name}: {reasons:?}"
    );
    assert!(
        heap.stats().external_bytes <= 2 * STEP,
        "{name}: {} external bytes",
        heap.stats().external_bytes
    );
}
