//! The `gclab` command line: its arguments (clap) and what each command does.
//!
//! `gclab` without a subcommand is `gclab run`, so `gclab --workload churn` works too.

use std::io::Write;
use std::path::PathBuf;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};
use gc_core::{HeapConfig, VerifyHeap};
use gclab::collectors::CollectorChoice;

use crate::compare;
use crate::error::Error;
use crate::generators::Generator;
use crate::report;
use crate::runner::{RunOptions, TraceGc, run_workload};
use crate::snapshot_commands;
use crate::trace_commands;
use crate::workloads::Workload;

/// The scale `gclab run` uses unless told otherwise: all workloads take a few seconds in a
/// release build.
pub const DEFAULT_SCALE: u32 = 32;

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
    #[command(after_help = crate::trace_commands::generators_help())]
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

#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// Trace files (any format), or built-in workloads: a generator's name, optionally with
    /// parameters (`binary-trees:depth=12`, `splay:nodes=4000,steps=20`). None: the built-in
    /// suite.
    #[arg(value_name = "TRACE|WORKLOAD")]
    pub inputs: Vec<String>,
    /// The collectors: `all` (every compiled-in one) or names separated by commas.
    #[arg(long, value_name = "LIST|all", default_value = "all")]
    pub collectors: String,
    /// Measured runs per trace and collector; the figures are then medians, with their spread.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
    /// Unmeasured runs per trace before the measured ones.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub warmup: u32,
    /// The folder for results.json, results.csv, report.html and the generated traces.
    #[arg(long, value_name = "DIR", default_value = "gclab-results")]
    pub out: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct MeasureArgs {
    /// The trace (any format).
    #[arg(value_name = "TRACE")]
    pub trace: PathBuf,
    /// The collector, as `gclab collectors` names it (or `auto`).
    #[arg(long, short, value_name = "NAME", default_value = "auto")]
    pub collector: String,
}

#[derive(Debug, Clone, Args)]
#[command(group = clap::ArgGroup::new("stop").required(true).args(["at", "end"]))]
pub struct SnapshotArgs {
    /// The trace (any format).
    #[arg(value_name = "TRACE")]
    pub trace: PathBuf,
    /// Snapshot after the record on this line (a record index for a binary trace).
    #[arg(long, value_name = "LINE")]
    pub at: Option<u64>,
    /// Snapshot after the last record.
    #[arg(long)]
    pub end: bool,
    /// The `.heapsnapshot` file to write (`-`: standard output).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// The collector to replay on (the snapshot is the same on every one).
    #[arg(long, short, value_name = "NAME", default_value = "auto")]
    pub collector: String,
}

#[derive(Debug, Clone, Args)]
pub struct InspectArgs {
    /// The `.heapsnapshot` file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// How many of the largest objects to list.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// Prints one JSON object (every class) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Prints every node as `id<TAB>self_size<TAB>retained_size`, then `# nodes=N total=BYTES`
    /// (the format of `../shared/realheaps/retained.js`, which prints memlab's).
    #[arg(long, conflicts_with = "json")]
    pub nodes: bool,
}

#[derive(Debug, Clone, Args)]
pub struct DiffArgs {
    #[arg(value_name = "BEFORE")]
    pub before: PathBuf,
    #[arg(value_name = "AFTER")]
    pub after: PathBuf,
    /// Prints memwatch's `HeapDiff` object as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// The snapshots, in the order they were taken.
    #[arg(value_name = "SNAPSHOT", required = true)]
    pub snapshots: Vec<PathBuf>,
    /// The trace to write (`.gct`, `.gct.gz`, `.gctb`, `-`).
    #[arg(short, long, value_name = "TRACE")]
    pub output: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// The trace: text (`.gct`), gzip-compressed text (`.gct.gz`) or binary (`.gctb`), recognised
    /// by its content; `-` reads text from standard input.
    #[arg(value_name = "TRACE")]
    pub trace: PathBuf,
    /// The collector: `auto` (the best one compiled in) or a name `gclab collectors` lists.
    #[arg(long, short, value_name = "NAME", default_value = "auto")]
    pub collector: String,
    /// The hard heap limit, in bytes (with K, M or G: times a power of 1024) [default: gc-core's].
    /// Reaching it ends the replay with exit code 3.
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes)]
    pub heap_limit: Option<usize>,
    /// Reports each object the trace declared dead (`d`) that is still reachable at the next full
    /// collection, with one path from a root to it (a leak).
    #[arg(long)]
    pub check_deaths: bool,
    /// Prints the summary as one JSON object on standard output (trace lines go to standard
    /// error).
    #[arg(long)]
    pub json: bool,
    /// Prints one V8-style `--trace-gc` line per pause.
    #[arg(long)]
    pub trace_gc: bool,
    /// Prints each pause as name=value pairs with its phase times (V8's `--trace-gc-nvp`).
    #[arg(long = "trace-gc-nvp", conflicts_with = "trace_gc")]
    pub trace_gc_nvp: bool,
    /// Verifies the heap after every collection (debug builds always do).
    #[arg(long)]
    pub verify: bool,
    /// Hides the progress bar (shown only when standard error is a terminal).
    #[arg(long)]
    pub no_progress: bool,
    /// Prints memwatch's `stats` record after each full collection and a `leak` event when the
    /// heap after full collections grew five times in a row (to standard error with `--json`,
    /// whose summary then lists the leaks).
    #[arg(long)]
    pub watch_leaks: bool,
    /// Stress mode (V8's `--gc-interval`): forces a collection every N allocations (young and
    /// full in turn), a marking step after every allocation while an incremental collector
    /// marks, and verifies the heap after every collection.
    #[arg(long, value_name = "N")]
    pub stress: Option<std::num::NonZeroU32>,
}

#[derive(Debug, Clone, Args)]
pub struct ConvertArgs {
    /// The trace to read (any format, recognised by its content; `-` is standard input).
    #[arg(value_name = "IN")]
    pub input: PathBuf,
    /// The trace to write, in the format its name says: `.gct` text, `.gct.gz` compressed text,
    /// `.gctb` binary; `-` writes text to standard output.
    #[arg(value_name = "OUT")]
    pub output: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct GenArgs {
    /// The generator (its parameters are listed below).
    #[arg(value_name = "NAME", value_parser = generator_parser())]
    pub generator: Generator,
    /// Where to write the trace; its name sets the format (`.gct`, `.gct.gz`, `.gctb`; `-` is
    /// text on standard output).
    #[arg(short, long, value_name = "FILE", default_value = "-")]
    pub output: PathBuf,
    /// The generator's parameters, as `--name value` or `--name=value`.
    #[arg(
        value_name = "--PARAM VALUE",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub params: Vec<String>,
}

fn generator_parser() -> impl TypedValueParser<Value = Generator> {
    let names = Generator::ALL.map(|g| PossibleValue::new(g.name()).help(g.description()));
    PossibleValuesParser::new(names)
        .map(|name| Generator::from_name(&name).unwrap_or(Generator::ALL[0]))
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// The collector: `auto` (the best one compiled in) or a name `gclab collectors` lists.
    #[arg(long, short, value_name = "NAME", default_value = "auto")]
    pub collector: String,
    /// The workload to run.
    #[arg(long, short, value_name = "NAME", default_value = "all", value_parser = workload_parser())]
    pub workload: WorkloadSelection,
    /// The size of each workload: its work and allocation grow about linearly with it.
    #[arg(long, short, value_name = "N", default_value_t = DEFAULT_SCALE,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub scale: u32,
    /// The hard heap limit, in bytes (with K, M or G: times a power of 1024) [default: gc-core's]
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes)]
    pub heap_limit: Option<usize>,
    /// Prints only the summaries; without it every pause is printed as V8's `--trace-gc` does.
    #[arg(long, short)]
    pub quiet: bool,
    /// Prints each pause as name=value pairs with its phase times (V8's `--trace-gc-nvp`).
    #[arg(long = "trace-gc-nvp", conflicts_with = "quiet")]
    pub name_value: bool,
    /// Verifies the heap after every collection (debug builds always do).
    #[arg(long)]
    pub verify: bool,
}

/// What `--workload` chose.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum WorkloadSelection {
    All,
    One(Workload),
}

impl WorkloadSelection {
    pub fn workloads(self) -> Vec<Workload> {
        match self {
            WorkloadSelection::All => Workload::ALL.to_vec(),
            WorkloadSelection::One(workload) => vec![workload],
        }
    }
}

fn workload_parser() -> impl TypedValueParser<Value = WorkloadSelection> {
    let one = Workload::ALL.map(|w| PossibleValue::new(w.name()).help(w.description()));
    let all = PossibleValue::new("all").help("every workload above, one after another");
    PossibleValuesParser::new(one.into_iter().chain([all])).map(|name| {
        Workload::from_name(&name).map_or(WorkloadSelection::All, WorkloadSelection::One)
    })
}

/// Parses a byte count: digits, then optionally `K`, `M` or `G` (powers of 1024; a trailing `B`
/// or `iB` is allowed).
pub fn parse_bytes(text: &str) -> Result<usize, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let shift = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        _ => return Err(format!("`{unit}` is not a unit; use K, M or G")),
    };
    let number: usize = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a number of bytes"))?;
    number
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// Runs the command `cli` asks for, writing its report to `out`.
pub fn execute(cli: Cli, out: &mut impl Write) -> Result<(), Error> {
    match cli.command {
        Some(Command::Collectors) => Ok(report::write_collectors(out)?),
        Some(Command::Run(args)) => run(&args, out),
        Some(Command::Replay(args)) => trace_commands::replay(&args, out),
        Some(Command::Convert(args)) => trace_commands::convert(&args, out),
        Some(Command::Gen(args)) => trace_commands::generate(args, out),
        Some(Command::Compare(args)) => compare::compare(&args, out),
        Some(Command::Measure(args)) => compare::measure(&args, out),
        Some(Command::Snapshot(args)) => snapshot_commands::snapshot(&args, out),
        Some(Command::Inspect(args)) => snapshot_commands::inspect(&args, out),
        Some(Command::Diff(args)) => snapshot_commands::diff(&args, out),
        Some(Command::Import(args)) => snapshot_commands::import(&args, out),
        None => run(&cli.run, out),
    }
}

/// `gclab run`: each chosen workload on a new heap, one summary each.
pub fn run(args: &RunArgs, out: &mut impl Write) -> Result<(), Error> {
    let choice = CollectorChoice::parse(&args.collector)?;
    let config = args.heap_config();
    for (index, workload) in args.workload.workloads().into_iter().enumerate() {
        let report = run_workload(choice, config.clone(), workload, args.options(index + 1))?;
        report::write_summary(out, &report)?;
        out.flush()?;
    }
    Ok(())
}

impl RunArgs {
    fn heap_config(&self) -> HeapConfig {
        let mut config = HeapConfig::default();
        if let Some(limit) = self.heap_limit {
            config.max_heap_bytes = limit;
        }
        if self.verify {
            config.verify = VerifyHeap::AfterEachGc;
        }
        config
    }

    fn options(&self, heap_id: usize) -> RunOptions {
        let trace_gc = match (self.quiet, self.name_value) {
            (true, _) => TraceGc::Off,
            (false, true) => TraceGc::NameValue,
            (false, false) => TraceGc::Stdout,
        };
        RunOptions {
            scale: self.scale,
            trace_gc,
            heap_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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

    #[test]
    fn byte_counts_take_binary_units() {
        assert_eq!(parse_bytes("1000000"), Ok(1_000_000));
        assert_eq!(parse_bytes("64K"), Ok(64 << 10));
        assert_eq!(parse_bytes("3mb"), Ok(3 << 20));
        assert_eq!(parse_bytes("2GiB"), Ok(2 << 30));
        assert!(parse_bytes("").is_err());
        assert!(parse_bytes("12X").is_err());
        assert!(parse_bytes("-5").is_err());
        assert!(parse_bytes("99999999999999999999G").is_err());
    }
}
