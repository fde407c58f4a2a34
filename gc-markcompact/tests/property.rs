//! Random mutator programs on mark-compact with compaction forced on every collection, checked
//! against the reference model after every collection (gc-core's testkit), with the heap
//! verifier after every GC: `markcompact` with every page evacuated, with full compaction, with
//! the default policy, at the heap limit, and `gen-markcompact`; both with marking on one and on
//! two GC threads.

use gc_core::testkit::{
    Op, OutOfMemoryPolicy, check_program, check_program_with, op_strategy, program_strategy,
    small_heap,
};
use gc_core::{CollectionKind, HeapConfig, PAGE_SIZE};
use gc_markcompact::{CompactionPolicy, MarkCompact};
use gc_marksweep::MarkSweep;
use gc_scavenge::{Generational, SlotSetRememberedSet, YoungGenerationConfig};
use proptest::prelude::*;

fn policies() -> [CompactionPolicy; 3] {
    [
        CompactionPolicy::stress_every_page(),
        CompactionPolicy::stress_full_compaction(),
        CompactionPolicy::default(),
    ]
}

fn gen_markcompact(policy: CompactionPolicy) -> Generational<MarkCompact> {
    gen_markcompact_with(MarkCompact::with_policy(policy))
}

fn gen_markcompact_with(old: MarkCompact) -> Generational<MarkCompact> {
    let young = YoungGenerationConfig {
        initial_semispace_bytes: PAGE_SIZE,
        max_semispace_bytes: 4 * PAGE_SIZE,
        survivals_before_promotion: 1,
        ..YoungGenerationConfig::default()
    };
    Generational::with(old, SlotSetRememberedSet::default(), young)
}

/// `small_heap` with `gc_threads` GC threads.
fn on_threads(gc_threads: usize) -> HeapConfig {
    HeapConfig {
        gc_threads,
        ..small_heap()
    }
}

/// Mark-compact whose marking is parallel from the roots on (when there are several threads).
fn parallel_markcompact(policy: CompactionPolicy) -> MarkCompact {
    MarkCompact::with_policy(policy).with_parallel_marking_after(0)
}

/// Programs with extra young collections, for the generational plan.
fn generational_program(len: std::ops::Range<usize>) -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        12 => op_strategy(),
        1 => Just(Op::Collect { kind: CollectionKind::Young }),
    ];
    proptest::collection::vec(op, len)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Every policy keeps exactly the model's graph, and ends with mark-sweep's digest.
    #[test]
    #[cfg_attr(miri, ignore = "proptest needs file-system access Miri isolates")]
    fn compaction_keeps_exactly_the_model_graph(program in program_strategy(1..400)) {
        let program: Vec<Op> = program.into_iter().filter(|op| !matches!(op, Op::Upgrade { .. })).collect();
        let expected = check_program(small_heap(), MarkSweep::new(), &program).map_err(TestCaseError::fail)?;
        for policy in policies() {
            let digest = check_program(small_heap(), MarkCompact::with_policy(policy), &program)
                .map_err(|e| TestCaseError::fail(format!("{:?}: {e}", policy.stress)))?;
            prop_assert_eq!(digest, expected);
        }
    }

    /// Heaps of a few pages that the programs run into: evacuation must abort where memory runs
    /// out and still leave exactly the model's graph, and every `OutOfMemory` be legitimate.
    #[test]
    #[cfg_attr(miri, ignore = "proptest needs file-system access Miri isolates")]
    fn compaction_is_right_at_the_heap_limit(
        program in program_strategy(1..300),
        pages in 3usize..12,
        initial_limit in 16usize * 1024..4 << 20,
        full in any::<bool>(),
    ) {
        let config = HeapConfig {
            max_heap_bytes: pages * PAGE_SIZE,
            initial_allocation_limit: initial_limit,
            min_allocation_limit_step: 64 * 1024,
            page_pool_pages: 0,
            ..HeapConfig::for_testing()
        };
        let policy = if full {
            CompactionPolicy::stress_full_compaction()
        } else {
            CompactionPolicy::stress_every_page()
        };
        check_program_with(config, MarkCompact::with_policy(policy), &program, OutOfMemoryPolicy::Tolerate)
            .map_err(TestCaseError::fail)?;
    }

    /// `gen-markcompact`: the scavenger over mark-compact, compaction forced.
    #[test]
    #[cfg_attr(miri, ignore = "proptest needs file-system access Miri isolates")]
    fn gen_markcompact_keeps_exactly_the_model_graph(program in generational_program(1..400)) {
        for policy in policies() {
            check_program(small_heap(), gen_markcompact(policy), &program)
                .map_err(|e| TestCaseError::fail(format!("{:?}: {e}", policy.stress)))?;
        }
    }

    /// `markcompact` marking on one thread and on two (parallel from the first object), named
    /// explicitly: the model's graph, and the same digest, under every policy.
    #[test]
    #[cfg_attr(miri, ignore = "proptest needs file-system access Miri isolates")]
    fn markcompact_parallel_marking_keeps_exactly_the_model_graph(program in program_strategy(1..300)) {
        let program: Vec<Op> = program.into_iter().filter(|op| !matches!(op, Op::Upgrade { .. })).collect();
        for policy in policies() {
            let on = |threads| check_program(on_threads(threads), parallel_markcompact(policy), &program)
                .map_err(|e| TestCaseError::fail(format!("{:?}, {threads} threads: {e}", policy.stress)));
            prop_assert_eq!(on(1)?, on(2)?);
        }
    }

    /// `gen-markcompact` marking on one thread and on two, as above (full compaction's marking
    /// is the same; the test above covers it).
    #[test]
    #[cfg_attr(miri, ignore = "proptest needs file-system access Miri isolates")]
    fn gen_markcompact_parallel_marking_keeps_exactly_the_model_graph(program in generational_program(1..300)) {
        let program: Vec<Op> = program.into_iter().filter(|op| !matches!(op, Op::Upgrade { .. })).collect();
        for policy in [CompactionPolicy::stress_every_page(), CompactionPolicy::default()] {
            let on = |threads| {
                let collector = gen_markcompact_with(parallel_markcompact(policy));
                check_program(on_threads(threads), collector, &program)
                    .map_err(|e| TestCaseError::fail(format!("{:?}, {threads} threads: {e}", policy.stress)))
            };
            prop_assert_eq!(on(1)?, on(2)?);
        }
    }
}
