//! `gcscheme`: runs a Scheme program on gclab's heap.
//!
//! ```text
//! gcscheme [--collector NAME] [--trace-gc] [--record TRACE.gctb] FILE < input
//! ```
#![forbid(unsafe_code)]

use std::io::LineWriter;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use gc_scheme::{Input, Program};
use gclab::{CollectorChoice, HeapConfig};

/// Runs a Scheme program (R7RS-small subset) with every value in gclab's heap.
#[derive(Parser)]
#[command(name = "gcscheme", version)]
struct Args {
    /// The collector, as `gclab collectors` lists them (default: the best compiled in).
    #[arg(long, default_value = "auto")]
    collector: String,
    /// Print V8's --trace-gc line for each pause.
    #[arg(long)]
    trace_gc: bool,
    /// At the end, print the collector's share of the run to standard error.
    #[arg(long)]
    gc_stats: bool,
    /// Verify the heap after the program even when it succeeds (after an error it always is).
    #[arg(long)]
    verify: bool,
    /// Stress mode: a collection every N allocations, the heap verified after each.
    #[arg(long, value_name = "N")]
    stress: Option<NonZeroU32>,
    /// Record the program's heap activity (allocations, stores, roots, deaths, explicit
    /// collections) as a gclab binary trace in FILE, for `gclab replay` and `gclab compare`.
    /// The program's output is unchanged.
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    /// The heap's hard limit, in MB.
    #[arg(long, value_name = "MB")]
    max_heap_mb: Option<usize>,
    /// The program.
    file: PathBuf,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let file = args.file.display().to_string();
    let source = match std::fs::read_to_string(&args.file) {
        Ok(source) => source,
        Err(error) => {
            eprintln!("gcscheme: cannot read {file}: {error}");
            return ExitCode::from(2);
        }
    };
    let choice = match CollectorChoice::parse(&args.collector) {
        Ok(choice) => choice,
        Err(error) => {
            eprintln!("gcscheme: {error}");
            return ExitCode::from(2);
        }
    };
    let mut config = HeapConfig {
        stress_interval: args.stress,
        ..HeapConfig::default()
    };
    if let Some(mb) = args.max_heap_mb {
        config.max_heap_bytes = mb * 1024 * 1024;
    }
    let program = Program {
        file: file.clone(),
        source,
        input: Input::Stdin,
        output: Box::new(LineWriter::new(std::io::stdout())),
        trace_gc: args.trace_gc,
        verify_after: args.verify,
        record: args.record.clone(),
    };
    match gc_scheme::run(choice, config, program) {
        Ok(outcome) => {
            if let Some(error) = &outcome.error {
                eprintln!("gcscheme: {error}");
            }
            let recording_failed = match outcome.recording.as_ref().map(|r| &r.result) {
                Some(Err(error)) => {
                    eprintln!("gcscheme: recording: {error}");
                    true
                }
                _ => false,
            };
            if args.gc_stats {
                let (pause, elapsed) = (
                    outcome.gc_pause.as_secs_f64(),
                    outcome.elapsed.as_secs_f64(),
                );
                eprintln!(
                    "gcscheme: {}: {} collections, {:.1} ms of pauses in {:.3} s ({:.1}% in the collector)",
                    outcome.collector,
                    outcome.gc_count,
                    pause * 1e3,
                    elapsed,
                    100.0 * pause / elapsed.max(f64::MIN_POSITIVE),
                );
            }
            match (outcome.exit_code, recording_failed) {
                (0, true) => ExitCode::from(2),
                (code, _) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
            }
        }
        Err(error) => {
            eprintln!("gcscheme: {error}");
            ExitCode::from(2)
        }
    }
}
