//! Running the `gclab` binary, generating traces and replaying them, from integration tests.
#![allow(dead_code)] // Each test crate uses its own part of this.

use std::process::{Command, Output};

use bench_harness::generators::Generator;
use bench_harness::replay::{ReplayOptions, ReplayReport, replay};
use gc_core::{Collector, Heap, HeapConfig};
use gc_trace::{MemorySource, OwnedRecord};
use gclab::collectors::{self, CollectorChoice, HeapVisitor};

/// The records of `generator`'s trace with `params` (`--name value` words).
pub fn generate(generator: Generator, params: &[&str]) -> Vec<OwnedRecord> {
    let args: Vec<String> = params.iter().map(|p| p.to_string()).collect();
    let mut records = Vec::new();
    generator
        .generate(&args, &mut records)
        .unwrap_or_else(|error| panic!("{}: {error}", generator.name()));
    records
}

/// Runs `gclab` with `args` and returns its output.
pub fn gclab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gclab"))
        .args(args)
        .output()
        .expect("the gclab binary runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Replays records on one collector and reports.
pub struct ReplayOn<'r> {
    pub records: &'r [OwnedRecord],
}

impl HeapVisitor for ReplayOn<'_> {
    type Output = ReplayReport;

    fn visit<C: Collector>(self, mut heap: Heap<C>) -> ReplayReport {
        let mut source = MemorySource::new("memory", self.records);
        replay(&mut heap, &mut source, ReplayOptions::default())
            .unwrap_or_else(|error| panic!("{}: {error}", C::CONSTRAINTS.name))
    }
}

/// `records` replayed on `choice` with `config`.
pub fn replay_on(
    choice: CollectorChoice,
    records: &[OwnedRecord],
    config: HeapConfig,
) -> ReplayReport {
    collectors::run_with(choice, config, ReplayOn { records }).expect("a valid configuration")
}

/// `output` is the usage error `--gc-threads VALUE` must give: exit code 2, nothing on standard
/// output, and the message naming the range.
pub fn assert_bad_gc_threads(output: &Output, value: &str) {
    assert_eq!(output.status.code(), Some(2), "{value}");
    assert!(output.stdout.is_empty(), "{value}: {}", stdout(output));
    let message = stderr(output);
    let expected = format!(
        "invalid value '{value}' for '--gc-threads <N>': `{value}` is not a thread count from 1 \
         to 64"
    );
    assert!(message.contains(&expected), "{value}: {message}");
}
