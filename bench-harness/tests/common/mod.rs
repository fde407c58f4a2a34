//! Running the `gclab` binary, and generating traces, from integration tests.
#![allow(dead_code)] // Each test crate uses its own part of this.

use std::process::{Command, Output};

use bench_harness::generators::Generator;
use gc_trace::OwnedRecord;

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
