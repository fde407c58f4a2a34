//! Random generational mutator programs on `gen-marksweep`, with each remembered set, checked
//! against the reference model after every collection (gc-core's testkit), with the heap
//! verifier (and so the remembered-set check) after every GC.
//!
//! The programs lean towards young collections, so objects get promoted, old objects come to
//! point at new ones, and weak handles and external memory on young objects meet scavenges.

use gc_core::collector_api::RememberedSet;
use gc_core::testkit::{
    Op, OutOfMemoryPolicy, check_program, check_program_with, op_strategy, program_strategy,
    small_heap,
};
use gc_core::{CollectionKind, HeapConfig, PAGE_SIZE};
use gc_marksweep::MarkSweep;
use gc_scavenge::{Generational, SlotSetRememberedSet, StoreBuffer, YoungGenerationConfig};
use proptest::prelude::*;

/// One-page semispaces, so that programs fill new space and scavenge on their own too.
fn young(survivals_before_promotion: u8) -> YoungGenerationConfig {
    YoungGenerationConfig {
        initial_semispace_bytes: PAGE_SIZE,
        max_semispace_bytes: 4 * PAGE_SIZE,
        survivals_before_promotion,
        ..YoungGenerationConfig::default()
    }
}

fn plan<R: RememberedSet>(remembered: R, survivals: u8) -> Generational<MarkSweep, R> {
    Generational::with(MarkSweep::new(), remembered, young(survivals))
}

/// Programs with extra young collections.
fn generational_program(len: std::ops::Range<usize>) -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        12 => op_strategy(),
        1 => Just(Op::Collect { kind: CollectionKind::Young }),
    ];
    proptest::collection::vec(op, len)
}

fn check_both(program: &[Op], config: HeapConfig, survivals: u8) -> Result<(), TestCaseError> {
    let slot_set = check_program(
        config.clone(),
        plan(SlotSetRememberedSet::default(), survivals),
        program,
    )
    .map_err(|e| TestCaseError::fail(format!("slot set: {e}")))?;
    let store_buffer = check_program(config, plan(StoreBuffer::default(), survivals), program)
        .map_err(|e| TestCaseError::fail(format!("store buffer: {e}")))?;
    prop_assert_eq!(slot_set, store_buffer);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn gen_marksweep_keeps_exactly_the_model_graph(program in generational_program(1..400)) {
        check_both(&program, small_heap(), 1)?;
    }

    #[test]
    fn any_promotion_age_keeps_the_model_graph(
        program in generational_program(1..300),
        survivals in 0u8..4,
    ) {
        check_both(&program, HeapConfig::for_testing(), survivals)?;
    }

    /// Full collections marking on one thread and on two (parallel from the first byte), named
    /// explicitly: the model graph, and equal digests.
    #[test]
    fn parallel_marking_keeps_exactly_the_model_graph(program in generational_program(1..300)) {
        let program: Vec<Op> = program.into_iter().filter(|op| !matches!(op, Op::Upgrade { .. })).collect();
        let on = |gc_threads| {
            let config = HeapConfig { gc_threads, ..small_heap() };
            let plan = Generational::with(
                MarkSweep::with_parallel_marking_after(0),
                SlotSetRememberedSet::default(),
                young(1),
            );
            check_program(config, plan, &program)
        };
        let one = on(1).map_err(TestCaseError::fail)?;
        let two = on(2).map_err(TestCaseError::fail)?;
        prop_assert_eq!(one, two);
    }

    /// Scavenges copying on one thread and on two (parallel whatever new space holds), named
    /// explicitly, with each remembered set and promotion age: the model graph after every
    /// collection, the verifier's remembered-set check, and equal digests.
    #[test]
    fn parallel_scavenging_keeps_exactly_the_model_graph(
        program in generational_program(1..300),
        survivals in 0u8..3,
    ) {
        let program: Vec<Op> = program.into_iter().filter(|op| !matches!(op, Op::Upgrade { .. })).collect();
        let young = YoungGenerationConfig {
            initial_semispace_bytes: 3 * PAGE_SIZE,
            max_semispace_bytes: 6 * PAGE_SIZE,
            bytes_per_scavenging_thread: 0,
            ..young(survivals)
        };
        let on = |gc_threads, store_buffer: bool| {
            let config = HeapConfig { gc_threads, ..small_heap() };
            if store_buffer {
                check_program(config, Generational::with(MarkSweep::new(), StoreBuffer::default(), young.clone()), &program)
            } else {
                check_program(config, Generational::with(MarkSweep::new(), SlotSetRememberedSet::default(), young.clone()), &program)
            }
        };
        let one = on(1, false).map_err(TestCaseError::fail)?;
        prop_assert_eq!(&one, &on(2, false).map_err(TestCaseError::fail)?);
        prop_assert_eq!(&one, &on(2, true).map_err(TestCaseError::fail)?);
    }

    /// The digest of the final graph is the same as mark-sweep's (timing-dependent upgrades left
    /// out).
    #[test]
    fn digest_equals_mark_sweeps(program in program_strategy(1..200)) {
        let program: Vec<Op> = program.into_iter().filter(|op| !matches!(op, Op::Upgrade { .. })).collect();
        let generational = check_program(small_heap(), plan(SlotSetRememberedSet::default(), 1), &program)
            .map_err(TestCaseError::fail)?;
        let marksweep = check_program(small_heap(), MarkSweep::new(), &program).map_err(TestCaseError::fail)?;
        prop_assert_eq!(generational, marksweep);
    }

    /// Small heaps that programs run into: every `OutOfMemory` must be legitimate, and promotion
    /// failing must end in a full collection, never in a broken heap.
    #[test]
    fn gen_marksweep_is_right_at_the_heap_limit(
        program in generational_program(1..300),
        pages in 3usize..24,
        initial_limit in 16usize * 1024..4 << 20,
        step in 8usize * 1024..1 << 20,
        survivals in 0u8..3,
    ) {
        let config = HeapConfig {
            max_heap_bytes: pages * PAGE_SIZE,
            initial_allocation_limit: initial_limit,
            min_allocation_limit_step: step,
            page_pool_pages: 1,
            ..HeapConfig::for_testing()
        };
        for result in [
            check_program_with(config.clone(), plan(SlotSetRememberedSet::default(), survivals), &program, OutOfMemoryPolicy::Tolerate),
            check_program_with(config, plan(StoreBuffer::default(), survivals), &program, OutOfMemoryPolicy::Tolerate),
        ] {
            result.map_err(TestCaseError::fail)?;
        }
    }
}
