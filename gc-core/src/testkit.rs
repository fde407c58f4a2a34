//! Test support shared by every collector's tests (feature `testkit`): a collector that never
//! collects (MMTk's NoGC plan), the reference model, random mutator programs checked against it,
//! and the external-memory scenarios every collector must pass.

mod external_memory;
mod model;
mod program;

pub use external_memory::{
    external_memory_is_released_with_its_owner, external_memory_pressure_triggers_collections,
};
pub use model::{Model, ModelObject, ModelValue};
pub use program::{
    Op, OpValue, OutOfMemoryPolicy, ProgramOutcome, STRESS_ENV, check_program, check_program_with,
    op_strategy, program_strategy,
};

use crate::address::Address;
use crate::collector::{CollectionKind, Collector, CollectorConstraints};
use crate::error::OutOfMemory;
use crate::event::GcReason;
use crate::heap_core::HeapCore;

/// A heap for tests whose old generation collects every few dozen kilobytes, so implicit
/// collections interleave with a program's own, with the verifier after every collection.
pub fn small_heap() -> crate::HeapConfig {
    crate::HeapConfig {
        initial_allocation_limit: 64 * 1024,
        min_allocation_limit_step: 64 * 1024,
        max_growing_factor: 1.5,
        page_pool_pages: 1,
        ..crate::HeapConfig::for_testing()
    }
}

/// Allocates until the heap limit and never frees: the baseline for allocation costs, and the
/// collector for tests of the core alone.
#[derive(Debug, Default)]
pub struct NoGc;

// SAFETY: NoGc frees nothing and allocates through the core's spaces, which keep P1 to P5.
unsafe impl Collector for NoGc {
    const CONSTRAINTS: CollectorConstraints = CollectorConstraints::simple("nogc");

    fn allocate_slow(&mut self, core: &mut HeapCore, size: usize) -> Result<Address, OutOfMemory> {
        core.allocate_in_old_generation(size)
            .ok_or_else(|| core.out_of_memory(size))
    }

    fn collect(&mut self, _core: &mut HeapCore, _kind: CollectionKind, _reason: GcReason) {}
}
