//! `gclab run`, the default command: the built-in workloads through the mutator API, each on a
//! new heap, with a summary of each; its arguments are here beside it.

use std::io::Write;

use clap::Args;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use gc_core::{HeapConfig, VerifyHeap};
use gclab::collectors::CollectorChoice;

use crate::byte_size::parse_bytes;
use crate::error::Error;
use crate::gc_threads::GcThreadsArgs;
use crate::report;
use crate::runner::{RunOptions, TraceGc, run_workload};
use crate::workloads::Workload;

/// The scale `gclab run` uses unless told otherwise: all workloads take a few seconds in a
/// release build.
pub const DEFAULT_SCALE: u32 = 32;

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
    #[command(flatten)]
    pub threads: GcThreadsArgs,
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
        self.threads.apply(&mut config);
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
