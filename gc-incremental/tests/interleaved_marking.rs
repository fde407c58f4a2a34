//! Property tests: the mutator stores, loads, drops roots and allocates between every marking
//! step, on `incremental` and `gen-incremental`, against the reference model (see `common`).
//! Both with the finalization pause's drain on one and on two GC threads. The same on
//! `concurrent` and `gen-concurrent`, whose marker thread marks while the mutator runs (each run
//! checks that it did mark). Then the same programs with the marking barrier removed, to show
//! that they catch its absence.

mod common;

use common::{
    MutatorOp, check_interleaved, check_interleaved_inspecting, check_interleaved_with, config,
    fine_steps, program_strategy, promoting_program_strategy,
};
use gc_core::HeapConfig;
use gc_incremental::{Concurrent, Incremental};
use gc_scavenge::Generational;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn incremental_keeps_the_reachable_and_frees_the_unreachable(program in program_strategy(1..300)) {
        check_interleaved(Incremental::with_config(fine_steps()), false, &program)
            .map_err(TestCaseError::fail)?;
    }

    #[test]
    fn gen_incremental_keeps_the_reachable_and_frees_the_unreachable(program in promoting_program_strategy(1..300)) {
        let collector = Generational::new(Incremental::with_config(fine_steps()));
        check_interleaved(collector, true, &program).map_err(TestCaseError::fail)?;
    }

    /// `incremental` with its finalization drain on one thread and on two (parallel from the
    /// first grey object), named explicitly: both right, with the same cycles and digest.
    #[test]
    fn incremental_parallel_finalization_keeps_the_reachable_and_frees_the_unreachable(program in program_strategy(1..300)) {
        let on = |threads| {
            let collector = Incremental::with_config(fine_steps()).with_parallel_marking_after(0);
            check_interleaved_with(on_threads(threads), collector, false, &program)
                .map_err(|e| TestCaseError::fail(format!("{threads} threads: {e}")))
        };
        prop_assert_eq!(on(1)?, on(2)?);
    }

    /// `gen-incremental` as above: young objects are traced in the parallel drain too.
    #[test]
    fn gen_incremental_parallel_finalization_keeps_the_reachable_and_frees_the_unreachable(program in promoting_program_strategy(1..300)) {
        let on = |threads| {
            let old = Incremental::with_config(fine_steps()).with_parallel_marking_after(0);
            check_interleaved_with(on_threads(threads), Generational::new(old), true, &program)
                .map_err(|e| TestCaseError::fail(format!("{threads} threads: {e}")))
        };
        prop_assert_eq!(on(1)?, on(2)?);
    }
}

/// Random programs (`cases` of them) on `concurrent`, or `gen-concurrent` when `generational`,
/// each checked against the model; returns the bytes the marker thread marked over all of them.
/// `barrier: false` removes the marking barrier and stops at the first failure, returned.
fn run_concurrent(generational: bool, cases: u32, barrier: bool) -> Result<usize, String> {
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: if barrier { 256 } else { 0 },
        ..Config::default()
    };
    let rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let strategy = if generational {
        promoting_program_strategy(1..300).boxed()
    } else {
        program_strategy(1..300).boxed()
    };
    let marked = std::cell::Cell::new(0);
    let result = runner.run(&strategy, |program| {
        let mut collector = Concurrent::with_config(fine_steps());
        if !barrier {
            // SAFETY: as in `failure_without_barrier`: the check stops at the first sign of
            // unsoundness, before the mutator reads freed memory.
            collector = unsafe { collector.without_marking_barrier() };
        }
        let mut bytes = 0;
        let outcome = check_concurrent(collector, generational, &program, &mut bytes);
        marked.set(marked.get() + bytes);
        outcome.map_err(TestCaseError::fail)
    });
    result.map(|()| marked.get()).map_err(|e| e.to_string())
}

/// One program on `collector` (under the scavenger when `generational`), adding what its marker
/// thread marked to `marked`.
fn check_concurrent(
    collector: Concurrent,
    generational: bool,
    program: &[MutatorOp],
    marked: &mut usize,
) -> Result<(), String> {
    if generational {
        let collector = Generational::new(collector);
        check_interleaved_inspecting(config(), collector, true, program, |c| {
            *marked += c.old().concurrently_marked_bytes();
        })
    } else {
        check_interleaved_inspecting(config(), collector, false, program, |c| {
            *marked += c.concurrently_marked_bytes();
        })
    }
    .map(|_| ())
}

#[test]
#[cfg_attr(miri, ignore = "proptest needs the file system")]
fn concurrent_keeps_the_reachable_and_frees_the_unreachable() {
    let marked = run_concurrent(false, 96, true).unwrap_or_else(|e| panic!("{e}"));
    assert!(marked > 0, "the marker thread never marked");
}

#[test]
#[cfg_attr(miri, ignore = "proptest needs the file system")]
fn gen_concurrent_keeps_the_reachable_and_frees_the_unreachable() {
    let marked = run_concurrent(true, 96, true).unwrap_or_else(|e| panic!("{e}"));
    assert!(marked > 0, "the marker thread never marked");
}

#[test]
#[cfg_attr(miri, ignore = "proptest needs the file system")]
fn without_the_barrier_concurrent_breaks_the_tricolour_invariant() {
    // Up to 4096 programs: it stops at the first that catches the missing barrier, and how
    // soon one does depends on when the marker thread gets a core (a loaded machine: later).
    let failure =
        run_concurrent(false, 4096, false).expect_err("no program caught the missing barrier");
    assert!(
        failure.contains("points at white object") || failure.contains("reclaimed"),
        "{failure}"
    );
}

#[test]
#[cfg_attr(miri, ignore = "proptest needs the file system")]
fn without_the_barrier_gen_concurrent_breaks_the_tricolour_invariant() {
    let failure =
        run_concurrent(true, 4096, false).expect_err("no program caught the missing barrier");
    assert!(
        failure.contains("points at white object") || failure.contains("reclaimed"),
        "{failure}"
    );
}

/// The interleaving tests' heap with `gc_threads` GC threads.
fn on_threads(gc_threads: usize) -> HeapConfig {
    HeapConfig {
        gc_threads,
        ..config()
    }
}

/// Runs the property on random programs with the barrier off; returns the first failure.
fn failure_without_barrier(generational: bool) -> Option<String> {
    let config = Config {
        // About one program in a hundred (fewer under gen-incremental) stores a white object
        // into a black one; the run stops at the first, so the bound costs nothing when it holds.
        cases: 1024,
        failure_persistence: None,
        max_shrink_iters: 0,
        ..Config::default()
    };
    let rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let strategy = if generational {
        promoting_program_strategy(50..300).boxed()
    } else {
        program_strategy(50..300).boxed()
    };
    let result = runner.run(&strategy, |program| {
        // SAFETY: the check stops at the first sign of unsoundness (a failed verification, which
        // runs after every operation and step and finds the first black-to-white edge, or a
        // reachable object reclaimed), before a slot or root can name freed memory (P2) and the
        // mutator reads it.
        let collector = unsafe { Incremental::with_config(fine_steps()).without_marking_barrier() };
        let outcome = if generational {
            check_interleaved(Generational::new(collector), true, &program)
        } else {
            check_interleaved(collector, false, &program)
        };
        outcome.map(|_| ()).map_err(TestCaseError::fail)
    });
    result.err().map(|e| e.to_string())
}

#[test]
#[cfg_attr(miri, ignore = "proptest needs the file system")]
fn without_the_barrier_incremental_breaks_the_tricolour_invariant() {
    let failure = failure_without_barrier(false).expect("no program caught the missing barrier");
    assert!(failure.contains("points at white object"), "{failure}");
}

#[test]
#[cfg_attr(miri, ignore = "proptest needs the file system")]
fn without_the_barrier_gen_incremental_breaks_the_tricolour_invariant() {
    let failure = failure_without_barrier(true).expect("no program caught the missing barrier");
    assert!(failure.contains("points at white object"), "{failure}");
}

/// The properties above mean something only if the programs do mark: most programs of a few
/// hundred operations start and finish several cycles.
#[test]
#[cfg_attr(miri, ignore = "proptest needs the file system")]
fn random_programs_run_many_marking_cycles() {
    use proptest::strategy::ValueTree;
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let mut cycles = 0;
    for _ in 0..16 {
        let program = program_strategy(250..300)
            .new_tree(&mut runner)
            .expect("a program")
            .current();
        cycles += check_interleaved(Incremental::with_config(fine_steps()), false, &program)
            .expect("the property holds");
    }
    assert!(cycles >= 32, "only {cycles} marking cycles in 16 programs");
}
