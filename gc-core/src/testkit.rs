//! Test support shared by every collector's tests (feature `testkit`): a collector that never
//! collects (MMTk's NoGC plan), the reference model, and random mutator programs checked against
//! it.

mod model;
mod program;

pub use model::{Model, ModelObject, ModelValue};
pub use program::{
    Op, OpValue, OutOfMemoryPolicy, ProgramOutcome, check_program, check_program_with, op_strategy,
    program_strategy,
};

use crate::address::Address;
use crate::collector::{CollectionKind, Collector, CollectorConstraints};
use crate::error::OutOfMemory;
use crate::event::GcReason;
use crate::heap_core::HeapCore;

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
