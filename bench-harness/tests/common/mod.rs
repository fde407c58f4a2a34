//! Running the `gclab` binary from integration tests.
#![allow(dead_code)] // Each test crate uses its own part of this.

use std::process::{Command, Output};

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
