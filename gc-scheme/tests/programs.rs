//! The R7RS benchmark programs of `../shared/scheme-benchmarks/` (a sibling of the workspace,
//! opt-in: skipped with a message when absent), run unmodified on every compiled-in collector
//! with small inputs of our own (`tests/inputs/NAME.input`, expected results from Guile 3), and
//! a subset under stress mode. Each run must print `Elapsed time`, no `ERROR:`, exit cleanly,
//! and leave a heap that verifies with no root left.

mod common;

use std::num::NonZeroU32;

use common::{assemble, input, suite};
use gc_scheme::run_text;
use gclab::{CollectorChoice, HeapConfig, VerifyHeap};

const PROGRAMS: &[&str] = &[
    "ack",
    "array1",
    "browse",
    "cpstak",
    "deriv",
    "destruc",
    "diviter",
    "divrec",
    "earley",
    "fib",
    "gcbench",
    "lattice",
    "mperm",
    "nboyer",
    "nqueens",
    "paraffins",
    "primes",
    "tak",
    "triangl",
];

/// The programs small enough to run with a collection every few allocations.
const STRESSED: &[&str] = &[
    "ack",
    "cpstak",
    "deriv",
    "destruc",
    "diviter",
    "earley",
    "fib",
    "mperm",
    "nqueens",
    "paraffins",
    "primes",
    "tak",
];

fn check(name: &str, source: &str, input: &str, choice: CollectorChoice, config: HeapConfig) {
    let (output, outcome) = run_text(choice, config, source, input)
        .unwrap_or_else(|e| panic!("{name} on {choice:?}: {e}"));
    let context = format!("{name} on {}: {outcome:?}\n{output}", outcome.collector);
    assert_eq!(outcome.error, None, "{context}");
    assert_eq!(outcome.exit_code, 0, "{context}");
    assert!(!output.contains("ERROR:"), "{context}");
    assert!(output.contains("Elapsed time"), "{context}");
    assert_eq!(outcome.leaked_roots, 0, "{context}");
    assert_eq!(outcome.verify_error, None, "{context}");
}

#[test]
fn every_program_on_every_collector() {
    let Some(suite) = suite() else { return };
    let config = HeapConfig {
        verify: VerifyHeap::OnRequest,
        ..HeapConfig::default()
    };
    for name in PROGRAMS {
        let (source, input) = (assemble(&suite, name), input(name));
        for &choice in CollectorChoice::COMPILED_IN {
            check(name, &source, &input, choice, config.clone());
        }
    }
}

#[test]
fn programs_under_stress_mode() {
    let Some(suite) = suite() else { return };
    let config = HeapConfig {
        stress_interval: NonZeroU32::new(13),
        ..HeapConfig::default()
    };
    for (k, name) in STRESSED.iter().enumerate() {
        let (source, input) = (assemble(&suite, name), input(name));
        // Each program on one collector, the collectors taken in turn.
        let collectors = CollectorChoice::COMPILED_IN;
        let choice = collectors[k % collectors.len()];
        check(name, &source, &input, choice, config.clone());
    }
}
