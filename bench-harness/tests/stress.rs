//! Stress mode on every compiled-in collector: random mutator programs checked against gc-core's
//! reference model, and every generator's trace, with a collection forced every few allocations
//! and the verifier after each. This is the suite CI runs as its stress run; a collector added
//! to `CollectorChoice::COMPILED_IN` is covered by it with no change here.
//!
//! Under stress a generator's trace must end with exactly the live graph it ends with when
//! collections are rare (which `replay_model.rs` checks against the model), and each program
//! with exactly the model's graph, on every collector alike.
#![cfg(feature = "marksweep")]

mod common;

use std::num::NonZeroU32;

use bench_harness::generators::Generator;
use bench_harness::replay::ReplayReport;
use gc_core::testkit::{Op, check_program, program_strategy, small_heap};
use gc_core::{Collector, Digest, GcReason, Heap, HeapConfig};
use gc_trace::OwnedRecord;
use gclab::collectors::{self, CollectorChoice, CollectorVisitor, HeapVisitor};
use proptest::prelude::*;

fn stressed(config: HeapConfig, interval: u32) -> HeapConfig {
    HeapConfig {
        stress_interval: NonZeroU32::new(interval),
        ..config
    }
}

/// A program checked against the model on one collector.
struct CheckProgram<'p> {
    config: HeapConfig,
    program: &'p [Op],
}

impl CollectorVisitor for CheckProgram<'_> {
    type Output = Result<Digest, String>;

    fn visit<C: Collector>(self, collector: C) -> Self::Output {
        check_program(self.config, collector, self.program)
            .map_err(|error| format!("{}: {error}", C::CONSTRAINTS.name))
    }
}

fn check_on_every_collector(program: &[Op], interval: u32) -> Result<(), TestCaseError> {
    let mut digests = Vec::new();
    for &choice in CollectorChoice::COMPILED_IN {
        let config = stressed(small_heap(), interval);
        let digest = choice
            .visit(CheckProgram { config, program })
            .map_err(|e| TestCaseError::fail(e.to_string()))?
            .map_err(TestCaseError::fail)?;
        digests.push(digest);
    }
    // Upgrading a weak handle depends on whether its object was collected yet, which differs
    // between collectors (a young collection keeps unreachable old objects), so only programs
    // without it must end alike.
    if !program.iter().any(|op| matches!(op, Op::Upgrade { .. })) {
        prop_assert!(digests.windows(2).all(|pair| pair[0] == pair[1]));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Every collector keeps exactly the model's graph with a collection every 1 to 8
    /// allocations.
    #[test]
    fn programs_keep_the_model_graph_under_stress(
        program in program_strategy(1..200),
        interval in 1u32..8,
    ) {
        check_on_every_collector(&program, interval)?;
    }
}

/// Small parameters: a few hundred to a few thousand objects, each collected hundreds of times.
fn stress_params(generator: Generator) -> &'static [&'static str] {
    match generator {
        Generator::GcBench => &[
            "--stretch-depth",
            "8",
            "--long-lived-depth",
            "6",
            "--array-size",
            "500",
            "--min-depth",
            "4",
            "--max-depth",
            "6",
        ],
        Generator::BinaryTrees => &["--depth", "6"],
        Generator::Splay => &[
            "--nodes",
            "100",
            "--modifications",
            "20",
            "--steps",
            "10",
            "--payload-depth",
            "2",
        ],
        Generator::Leaky => &["--ticks", "20", "--bytes", "4096", "--interval", "0"],
        Generator::Listeners => &["--connections", "200", "--open", "20", "--buffer", "128"],
        Generator::Server => &["--requests", "1000", "--sessions", "30", "--users", "200"],
        Generator::Random => &["--events", "3000", "--max-live", "200"],
        Generator::Fragment => &["--objects", "1000", "--rounds", "3", "--churn", "500"],
    }
}

fn generate(generator: Generator) -> Vec<OwnedRecord> {
    common::generate(generator, stress_params(generator))
}

/// Each generator's trace under stress ends with the live graph it ends with unstressed, on
/// every collector, and the forced collections really ran (reason `stress`, one per interval).
#[test]
fn generator_traces_keep_their_live_graph_under_stress() {
    const INTERVAL: u32 = 5;
    for generator in Generator::ALL {
        let records = generate(generator);
        for &choice in CollectorChoice::COMPILED_IN {
            let name = format!("{} on {choice}", generator.name());
            let calm = common::replay_on(choice, &records, HeapConfig::for_testing());
            let stressed_config = stressed(HeapConfig::for_testing(), INTERVAL);
            let (log, listener_log) = stress_log();
            let stress = collectors::run_with(
                choice,
                stressed_config,
                ReplayCounting {
                    records: &records,
                    log: listener_log,
                },
            )
            .expect("a valid configuration");
            assert_eq!(stress.live, calm.live, "{name}");
            let forced = log.get();
            assert_eq!(
                forced,
                stress.allocated_objects / u64::from(INTERVAL),
                "{name}: forced collections"
            );
        }
    }
}

type StressCount = std::rc::Rc<std::cell::Cell<u64>>;

fn stress_log() -> (StressCount, StressCount) {
    let log = StressCount::default();
    (log.clone(), log)
}

/// Replays records and counts the collections stress mode forced.
struct ReplayCounting<'r> {
    records: &'r [OwnedRecord],
    log: StressCount,
}

impl HeapVisitor for ReplayCounting<'_> {
    type Output = ReplayReport;

    fn visit<C: Collector>(self, mut heap: Heap<C>) -> ReplayReport {
        let log = self.log;
        heap.on_gc_event(Box::new(move |event| {
            if event.reason == GcReason::Stress {
                log.set(log.get() + 1);
            }
        }));
        common::ReplayOn {
            records: self.records,
        }
        .visit(heap)
    }
}

/// A collection at every allocation: the hardest setting, on a short trace.
#[test]
fn a_collection_at_every_allocation_keeps_the_graph() {
    let records = generate(Generator::Splay);
    for &choice in CollectorChoice::COMPILED_IN {
        let calm = common::replay_on(choice, &records, HeapConfig::for_testing());
        let stress = common::replay_on(choice, &records, stressed(HeapConfig::for_testing(), 1));
        assert_eq!(stress.live, calm.live, "splay on {choice}");
        assert!(
            stress.pauses.count as u64 >= stress.allocated_objects,
            "{choice}"
        );
    }
}

/// `gclab replay --stress N` forces the collections (each printed with its reason) and refuses
/// zero as a usage error.
#[test]
fn the_command_line_takes_a_stress_interval() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let trace = folder.path().join("random.gct");
    let trace = trace.to_str().expect("a UTF-8 temporary path");
    let generated = common::gclab(&["gen", "random", "--events", "400", "-o", trace]);
    assert!(generated.status.success(), "{}", common::stderr(&generated));
    let calm = common::gclab(&["replay", "--no-progress", "--trace-gc", trace]);
    let stressed = common::gclab(&[
        "replay",
        "--no-progress",
        "--trace-gc",
        "--stress",
        "3",
        trace,
    ]);
    assert!(stressed.status.success(), "{}", common::stderr(&stressed));
    let forced = |output: &std::process::Output| {
        common::stdout(output)
            .lines()
            .filter(|line| line.contains(") stress;"))
            .count()
    };
    assert_eq!(forced(&calm), 0);
    assert!(forced(&stressed) > 10, "{}", common::stdout(&stressed));
    let live = |output: &std::process::Output| {
        common::stdout(output)
            .lines()
            .find(|line| line.contains("live after a full GC"))
            .map(str::to_owned)
    };
    assert_eq!(live(&stressed), live(&calm));
    assert!(live(&calm).is_some());

    let zero = common::gclab(&["replay", "--stress", "0", trace]);
    assert_eq!(zero.status.code(), Some(2));
    assert!(
        common::stderr(&zero).contains("--stress"),
        "{}",
        common::stderr(&zero)
    );
}
