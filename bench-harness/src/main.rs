//! `gclab`: runs workloads on gclab's collectors and reports their pauses.
//!
//! Exit codes: 0 on success, 1 for a failure, 2 for bad arguments (an unknown collector
//! included), 3 when a workload reached the heap limit.

use std::process::ExitCode;

use bench_harness::cli::{self, Cli};
use bench_harness::error::Error;
use clap::Parser;

fn main() -> ExitCode {
    // Usage errors are printed by clap, which exits with code 2.
    let cli = Cli::parse();
    match cli::execute(cli, &mut std::io::stdout()) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`gclab | head`): nothing is left to tell anyone.
        Err(Error::Output(error)) if error.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("gclab: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}
