//! `gclab`: runs workloads on gclab's collectors and reports their pauses.
//!
//! Exit codes: 0 on success, 1 for a failure, 2 for bad arguments (an unknown collector
//! included), 3 when a workload reached the heap limit.

use std::process::ExitCode;

use bench_harness::cli::{self, Cli};
use bench_harness::error::Error;
use clap::Parser;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // `--help` and `--version`, which clap prints on standard output.
        Err(error) if !error.use_stderr() => error.exit(),
        Err(error) => {
            eprintln!("{}", cli::usage_error(&error));
            return ExitCode::from(2);
        }
    };
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
