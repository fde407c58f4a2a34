//! The `gclab` command line: the commands (clap) and which module carries out each. Each
//! command's arguments live beside the code that runs it; this file only names the commands, so
//! that no command module needs to import it back.
//!
//! `gclab` without a subcommand is `gclab run`, so `gclab --workload churn` works too.

use std::io::Write;

use clap::{Parser, Subcommand};

use crate::compare::{self, CompareArgs, MeasureArgs};
use crate::error::Error;
use crate::report;
use crate::run_command::{self, RunArgs};
use crate::snapshot_commands::{self, DiffArgs, ImportArgs, InspectArgs, SnapshotArgs};
use crate::trace_commands::{self, ConvertArgs, GenArgs, ReplayArgs};

/// Runs workloads on gclab's garbage collectors and reports their pauses.
#[derive(Debug, Parser)]
#[command(name = "gclab", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Without a subcommand, the arguments of `run`.
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs workloads and prints a summary of their pauses (the default command).
    Run(RunArgs),
    /// Lists the compiled-in collectors and what each is.
    Collectors,
    /// Replays a trace on a collector: its pauses, memory, and live graph after a final full GC.
    Replay(ReplayArgs),
    /// Converts a trace between text (`.gct`, `.gct.gz`) and binary (`.gctb`), checking it.
    Convert(ConvertArgs),
    /// Writes the trace of a workload generator (deterministic for its seed).
    #[command(after_help = trace_commands::generators_help())]
    Gen(GenArgs),
    /// Replays traces on every collector, each run in a fresh process, and compares their
    /// pauses, MMU, time and memory (a table, results.json, results.csv and report.html).
    Compare(CompareArgs),
    /// Replays a trace once and prints its measurement as JSON (what `compare` runs per run).
    #[command(hide = true)]
    Measure(MeasureArgs),
    /// Replays a trace to a line (or its end) and writes the heap as a V8 `.heapsnapshot`.
    Snapshot(SnapshotArgs),
    /// Summarises a `.heapsnapshot` (gclab's, Node.js's or Chrome's): per class count, shallow
    /// and retained size, and the largest objects with a retaining path each.
    Inspect(InspectArgs),
    /// Compares two snapshots by node id, as memwatch's `HeapDiff`.
    Diff(DiffArgs),
    /// Turns `.heapsnapshot` files of one program, in order, into one trace rebuilding them.
    Import(ImportArgs),
}

/// A usage error clap found (an unknown option, a bad value), said the way gclab says its own
/// (`gclab: …`), with clap's hints (the possible values, where to find help) kept.
pub fn usage_error(error: &clap::Error) -> String {
    let text = error.render().to_string();
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    format!("gclab: {}", text.trim_end())
}

/// Runs the command `cli` asks for, writing its report to `out`.
pub fn execute(cli: Cli, out: &mut impl Write) -> Result<(), Error> {
    match cli.command {
        Some(Command::Collectors) => Ok(report::write_collectors(out)?),
        Some(Command::Run(args)) => run_command::run(&args, out),
        Some(Command::Replay(args)) => trace_commands::replay(&args, out),
        Some(Command::Convert(args)) => trace_commands::convert(&args, out),
        Some(Command::Gen(args)) => trace_commands::generate(args, out),
        Some(Command::Compare(args)) => compare::compare(&args, out),
        Some(Command::Measure(args)) => compare::measure(&args, out),
        Some(Command::Snapshot(args)) => snapshot_commands::snapshot(&args, out),
        Some(Command::Inspect(args)) => snapshot_commands::inspect(&args, out),
        Some(Command::Diff(args)) => snapshot_commands::diff(&args, out),
        Some(Command::Import(args)) => snapshot_commands::import(&args, out),
        None => run_command::run(&cli.run, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run_command::{DEFAULT_SCALE, WorkloadSelection};
    use crate::workloads::Workload;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn no_subcommand_means_run() {
        let cli = Cli::try_parse_from(["gclab", "--workload", "churn", "-s", "2"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.run.workload, WorkloadSelection::One(Workload::Churn));
        assert_eq!(cli.run.scale, 2);
        let cli = Cli::try_parse_from(["gclab", "run"]).unwrap();
        let Some(Command::Run(args)) = cli.command else {
            panic!("`run` did not parse as the run command");
        };
        assert_eq!(
            (args.workload, args.scale),
            (WorkloadSelection::All, DEFAULT_SCALE)
        );
    }

    #[test]
    fn bad_workloads_and_scales_are_usage_errors() {
        for args in [["gclab", "-w", "nosuch"], ["gclab", "-s", "0"]] {
            let error = Cli::try_parse_from(args).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{args:?}");
        }
    }
}
