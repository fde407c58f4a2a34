//! Random mutator programs on mark-sweep, checked against the reference model after every
//! collection (gc-core's testkit), with the verifier after every GC.

use gc_core::testkit::{
    Op, OutOfMemoryPolicy, check_program, check_program_with, program_strategy, small_heap,
};
use gc_core::{HeapConfig, PAGE_SIZE};
use gc_marksweep::MarkSweep;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn mark_sweep_keeps_exactly_the_model_graph(program in program_strategy(1..400)) {
        check_program(small_heap(), MarkSweep::new(), &program).map_err(TestCaseError::fail)?;
    }

    /// Marking on one thread and on two (parallel from the first byte), named explicitly: the
    /// same model graph, and the same digest.
    #[test]
    fn parallel_marking_keeps_exactly_the_model_graph(program in program_strategy(1..300)) {
        let program: Vec<Op> = program.into_iter().filter(|op| !matches!(op, Op::Upgrade { .. })).collect();
        let on = |gc_threads| {
            let config = HeapConfig { gc_threads, ..small_heap() };
            check_program(config, MarkSweep::with_parallel_marking_after(0), &program)
        };
        let one = on(1).map_err(TestCaseError::fail)?;
        let two = on(2).map_err(TestCaseError::fail)?;
        prop_assert_eq!(one, two);
    }

    /// Sweeping on one thread and on two (parallel from the first page), named explicitly: the
    /// same model graph, and the same digest.
    #[test]
    fn parallel_sweeping_keeps_exactly_the_model_graph(program in program_strategy(1..300)) {
        let program: Vec<Op> = program.into_iter().filter(|op| !matches!(op, Op::Upgrade { .. })).collect();
        let on = |gc_threads| {
            let config = HeapConfig { gc_threads, ..small_heap() };
            check_program(config, MarkSweep::new().with_parallel_sweeping_from(0), &program)
        };
        let one = on(1).map_err(TestCaseError::fail)?;
        let two = on(2).map_err(TestCaseError::fail)?;
        prop_assert_eq!(one, two);
    }

    /// Upgrading a weak handle is the one operation whose result depends on timing (the object
    /// may or may not have been collected yet), so these programs leave it out.
    #[test]
    fn digest_does_not_depend_on_when_collections_run(program in program_strategy(1..200)) {
        let program: Vec<Op> = program.into_iter().filter(|op| !matches!(op, Op::Upgrade { .. })).collect();
        let frequent = check_program(small_heap(), MarkSweep::new(), &program).map_err(TestCaseError::fail)?;
        let rare = check_program(HeapConfig::for_testing(), MarkSweep::new(), &program)
            .map_err(TestCaseError::fail)?;
        prop_assert_eq!(frequent, rare);
    }

    /// Random heap settings, down to a heap of a few pages that the programs run into: every
    /// `OutOfMemory` must be legitimate and leave the heap exactly as the model.
    #[test]
    fn mark_sweep_is_right_under_any_settings_and_at_the_heap_limit(
        program in program_strategy(1..300),
        pages in 3usize..12,
        initial_limit in 16usize * 1024..4 << 20,
        step in 8usize * 1024..1 << 20,
        factor in 1.1f64..4.0,
        pool in 0usize..4,
    ) {
        let config = HeapConfig {
            max_heap_bytes: pages * PAGE_SIZE,
            initial_allocation_limit: initial_limit,
            min_allocation_limit_step: step,
            max_growing_factor: factor,
            page_pool_pages: pool,
            ..HeapConfig::for_testing()
        };
        check_program_with(config, MarkSweep::new(), &program, OutOfMemoryPolicy::Tolerate)
            .map_err(TestCaseError::fail)?;
    }
}
