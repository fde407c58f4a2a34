//! gc-core's random mutator programs on `incremental` and `gen-incremental` (and `concurrent`
//! and `gen-concurrent`, whose marker thread marks between the programs' operations), checked
//! against the
//! reference model after every collection the program asks for (stop-the-world ones) while
//! marking and lazy sweeping run from the allocation slow path in between, down to heaps of a
//! few pages where every `OutOfMemory` must be legitimate; and both with the finalization
//! pause's drain (and the stop-the-world fallback's marking) on one and on two GC threads.

use gc_core::testkit::{
    Op, OutOfMemoryPolicy, check_program, check_program_with, program_strategy, small_heap,
};
use gc_core::{HeapConfig, PAGE_SIZE};
use gc_incremental::{Concurrent, Incremental, IncrementalConfig};
use gc_scavenge::Generational;
use proptest::prelude::*;

/// Steps every few kilobytes, so that the programs' allocations drive whole cycles.
fn frequent_steps() -> IncrementalConfig {
    IncrementalConfig {
        step_interval: 2 * 1024,
        min_step_bytes: 512,
        ..IncrementalConfig::default()
    }
}

/// `small_heap` with `gc_threads` GC threads.
fn on_threads(gc_threads: usize) -> HeapConfig {
    HeapConfig {
        gc_threads,
        ..small_heap()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn incremental_keeps_exactly_the_model_graph(program in program_strategy(1..400)) {
        check_program(small_heap(), Incremental::with_config(frequent_steps()), &program)
            .map_err(TestCaseError::fail)?;
    }

    #[test]
    fn gen_incremental_keeps_exactly_the_model_graph(program in program_strategy(1..400)) {
        let collector = Generational::new(Incremental::with_config(frequent_steps()));
        check_program(small_heap(), collector, &program).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn concurrent_keeps_exactly_the_model_graph(program in program_strategy(1..400)) {
        check_program(small_heap(), Concurrent::with_config(frequent_steps()), &program)
            .map_err(TestCaseError::fail)?;
    }

    #[test]
    fn gen_concurrent_keeps_exactly_the_model_graph(program in program_strategy(1..400)) {
        let collector = Generational::new(Concurrent::with_config(frequent_steps()));
        check_program(small_heap(), collector, &program).map_err(TestCaseError::fail)?;
    }

    /// Finalization drains on one thread and on two (parallel from the first grey object),
    /// named explicitly: the model's graph and the same digest. Upgrading a weak handle depends
    /// on when collections run, so these programs leave it out.
    #[test]
    fn incremental_parallel_finalization_keeps_exactly_the_model_graph(program in program_strategy(1..300)) {
        let program: Vec<Op> = program.into_iter().filter(|op| !matches!(op, Op::Upgrade { .. })).collect();
        let on = |threads| {
            let collector = Incremental::with_config(frequent_steps()).with_parallel_marking_after(0);
            check_program(on_threads(threads), collector, &program).map_err(TestCaseError::fail)
        };
        prop_assert_eq!(on(1)?, on(2)?);
    }

    #[test]
    fn gen_incremental_parallel_finalization_keeps_exactly_the_model_graph(program in program_strategy(1..300)) {
        let program: Vec<Op> = program.into_iter().filter(|op| !matches!(op, Op::Upgrade { .. })).collect();
        let on = |threads| {
            let old = Incremental::with_config(frequent_steps()).with_parallel_marking_after(0);
            check_program(on_threads(threads), Generational::new(old), &program).map_err(TestCaseError::fail)
        };
        prop_assert_eq!(on(1)?, on(2)?);
    }

    #[test]
    fn all_are_right_at_the_heap_limit(
        program in program_strategy(1..300),
        pages in 3usize..12,
        initial_limit in 16usize * 1024..4 << 20,
        generational in any::<bool>(),
        concurrent in any::<bool>(),
    ) {
        let config = HeapConfig {
            max_heap_bytes: pages * PAGE_SIZE,
            initial_allocation_limit: initial_limit,
            min_allocation_limit_step: 64 * 1024,
            ..HeapConfig::for_testing()
        };
        let outcome = if concurrent {
            let old = Concurrent::with_config(frequent_steps());
            if generational {
                check_program_with(config, Generational::new(old), &program, OutOfMemoryPolicy::Tolerate)
            } else {
                check_program_with(config, old, &program, OutOfMemoryPolicy::Tolerate)
            }
        } else if generational {
            let old = Incremental::with_config(frequent_steps());
            check_program_with(config, Generational::new(old), &program, OutOfMemoryPolicy::Tolerate)
        } else {
            let old = Incremental::with_config(frequent_steps());
            check_program_with(config, old, &program, OutOfMemoryPolicy::Tolerate)
        };
        outcome.map_err(TestCaseError::fail)?;
    }
}
