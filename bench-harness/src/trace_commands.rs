//! The trace commands of `gclab`: `replay`, `convert` and `gen`, with their arguments.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Instant;

use clap::Args;
use gc_core::{Collector, Heap, HeapConfig, VerifyHeap};
use gclab::collectors::{self, CollectorChoice, HeapVisitor};

use crate::byte_size::parse_bytes;
use crate::error::Error;
use crate::gc_threads::GcThreadsArgs;
use crate::generators::Generator;
use crate::lazy_sink::LazySink;
use crate::memory_watch::{self, MemoryWatchSummary, WatchOutput};
use crate::replay::{self as replaying, ReplayOptions, ReplayReport};
use crate::report::{self, ReplaySummary};
use crate::runner::{TraceGc, print_pauses};
use crate::think_args::ThinkArgs;
use gc_trace::checker::TraceChecker;
use gc_trace::open::{self, SourceVisitor};
use gc_trace::{TraceError, TraceSink, TraceSource};

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
    #[command(flatten)]
    pub think: ThinkArgs,
    #[command(flatten)]
    pub threads: GcThreadsArgs,
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
    /// The generator (the generators and their parameters are listed below).
    #[arg(value_name = "NAME")]
    pub generator: String,
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

/// `gclab replay`: the trace on a new heap of the chosen collector, then its summary.
pub fn replay(args: &ReplayArgs, out: &mut impl Write) -> Result<(), Error> {
    let choice = CollectorChoice::parse(&args.collector)?;
    let mut config = HeapConfig::default();
    if let Some(limit) = args.heap_limit {
        config.max_heap_bytes = limit;
    }
    config.stress_interval = args.stress;
    if args.verify {
        config.verify = VerifyHeap::AfterEachGc;
    }
    args.threads.apply(&mut config);
    let run = ReplayRun {
        path: &args.trace,
        options: ReplayOptions {
            check_deaths: args.check_deaths,
            progress: !args.no_progress,
            think: args.think.policy(),
        },
        trace_gc: match (args.trace_gc, args.trace_gc_nvp) {
            (true, _) => TraceGc::Stdout,
            (false, true) => TraceGc::NameValue,
            (false, false) => TraceGc::Off,
        },
        // One JSON object on standard output: the pause lines go to standard error.
        trace_to_stderr: args.json,
        watch_leaks: args.watch_leaks.then_some(if args.json {
            WatchOutput::Stderr
        } else {
            WatchOutput::Stdout
        }),
    };
    let (report, watched) = collectors::run_with(choice, config, run)??;
    let mut summary = ReplaySummary::new(&args.trace.display().to_string(), &report);
    summary.memory_watch = watched.map(|watched| watched.take());
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &summary).map_err(io::Error::from)?;
        writeln!(out)?;
    } else {
        report::write_replay_summary(out, &summary)?;
    }
    Ok(())
}

struct ReplayRun<'a> {
    path: &'a Path,
    options: ReplayOptions,
    trace_gc: TraceGc,
    trace_to_stderr: bool,
    watch_leaks: Option<WatchOutput>,
}

/// A replay's report, and what `--watch-leaks` heard.
type Watched = (ReplayReport, Option<Rc<RefCell<MemoryWatchSummary>>>);

impl HeapVisitor for ReplayRun<'_> {
    type Output = Result<Watched, Error>;

    fn visit<C: Collector>(self, mut heap: Heap<C>) -> Self::Output {
        if self.trace_gc != TraceGc::Off {
            print_pauses(&mut heap, self.trace_gc, 1, self.trace_to_stderr);
        }
        let watched = self
            .watch_leaks
            .map(|output| memory_watch::watch(&mut heap, output));
        let on_heap = ReplayOnHeap {
            heap: &mut heap,
            options: self.options,
        };
        let report = open::with_source(self.path, on_heap)??;
        Ok((report, watched))
    }
}

struct ReplayOnHeap<'h, C: Collector> {
    heap: &'h mut Heap<C>,
    options: ReplayOptions,
}

impl<C: Collector> SourceVisitor for ReplayOnHeap<'_, C> {
    type Output = Result<ReplayReport, TraceError>;

    fn visit<S: TraceSource>(self, source: &mut S) -> Self::Output {
        replaying::replay(self.heap, source, self.options)
    }
}

/// `gclab convert`: reads any format, checks every record, writes the format the output's name
/// asks for.
pub fn convert(args: &ConvertArgs, out: &mut impl Write) -> Result<(), Error> {
    let output = args.output.display().to_string();
    // Creating the output truncates it: it must not be the input.
    if let (Ok(input), Ok(existing)) = (args.input.canonicalize(), args.output.canonicalize()) {
        if input == existing {
            return Err(Error::SameFile(output));
        }
    }
    let mut sink = create_output(&args.output)?;
    let started = Instant::now();
    let copied = open::with_source(&args.input, Copy { sink: &mut *sink })
        .map_err(Error::from)
        .and_then(|copied| copied)
        .and_then(|copied| {
            sink.finish().map_err(|source| Error::WriteTrace {
                path: output.clone(),
                source,
            })?;
            Ok(copied)
        });
    let copied = match copied {
        Ok(copied) => copied,
        Err(error) => {
            // A refused input leaves no half-written trace behind (it would read as one cut
            // short, or as a shorter valid one).
            drop(sink);
            if args.output.as_os_str() != "-" {
                let _ = std::fs::remove_file(&args.output);
            }
            return Err(error);
        }
    };
    if args.output.as_os_str() != "-" {
        writeln!(
            out,
            "{} -> {output}: {} records, {} ids never declared dead, {:.2} s",
            args.input.display(),
            copied.records,
            copied.live_ids,
            started.elapsed().as_secs_f64()
        )?;
    }
    Ok(())
}

/// What a conversion copied.
struct Copied {
    records: u64,
    live_ids: usize,
}

/// Copies every record from a source to a sink, checking them on the way.
struct Copy<'s> {
    sink: &'s mut dyn TraceSink,
}

impl SourceVisitor for Copy<'_> {
    type Output = Result<Copied, Error>;

    fn visit<S: TraceSource>(self, source: &mut S) -> Self::Output {
        let mut checker = TraceChecker::new();
        let mut records = 0;
        while let Some(record) = source.next_record()? {
            records += 1;
            if let Err(problem) = checker.check(&record) {
                return Err(source.error_at_last(problem).into());
            }
            if let Err(error) = self.sink.write_record(&record) {
                return Err(Error::Output(error));
            }
        }
        Ok(Copied {
            records,
            live_ids: checker.live_ids(),
        })
    }
}

/// The trace file `path` names, created in the format its name asks for (`-`: standard output).
pub(crate) fn create_output(path: &Path) -> Result<Box<dyn TraceSink>, Error> {
    let name = || path.display().to_string();
    open::create_sink(path)
        .ok_or_else(|| Error::UnknownTraceFormat(name()))?
        .map_err(|source| Error::WriteTrace {
            path: name(),
            source,
        })
}

/// `gclab gen`: the generator's trace into the output file, which is created only when the
/// generator took its parameters (a bad one writes nothing, not even the header).
pub fn generate(mut args: GenArgs, out: &mut impl Write) -> Result<(), Error> {
    take_output_option(&mut args.params, &mut args.output);
    let generator = Generator::from_name(&args.generator).ok_or_else(|| {
        let names = Generator::ALL.map(Generator::name);
        Error::UnknownGenerator {
            name: args.generator.clone(),
            available: names.join(", "),
        }
    })?;
    let output = args.output.display().to_string();
    let mut sink = LazySink::new(args.output.clone())?;
    // The generator finishes the sink itself.
    if let Err(source) = generator.generate(&args.params, &mut sink) {
        // No half-written trace is left behind.
        if sink.is_created() && args.output.as_os_str() != "-" {
            drop(sink);
            let _ = std::fs::remove_file(&args.output);
        }
        return Err(Error::Generator {
            generator: generator.name(),
            source,
        });
    }
    if args.output.as_os_str() != "-" {
        writeln!(out, "{}: wrote {output}", generator.name())?;
    }
    Ok(())
}

/// `-o FILE` given after the generator's parameters arrives among them (they take every word
/// after the name): take it out.
fn take_output_option(params: &mut Vec<String>, output: &mut PathBuf) {
    let mut index = 0;
    while index < params.len() {
        let word = params[index].as_str();
        if let Some(value) = word
            .strip_prefix("--output=")
            .or_else(|| word.strip_prefix("-o="))
        {
            *output = PathBuf::from(value);
            params.remove(index);
        } else if (word == "-o" || word == "--output") && index + 1 < params.len() {
            *output = PathBuf::from(params.remove(index + 1));
            params.remove(index);
        } else {
            index += 1;
        }
    }
}

/// The text after `gclab gen --help`: each generator's parameters with their defaults.
pub fn generators_help() -> String {
    let mut help = String::from("Generators and their parameters:\n");
    for generator in Generator::ALL {
        let _ = writeln!(help, "  {}: {}", generator.name(), generator.description());
        for param in generator.params() {
            let _ = writeln!(
                help,
                "      --{} <{}>  {}",
                param.name, param.default, param.help
            );
        }
    }
    help.push_str(
        "\nFormats by the output's name: .gct (text), .gct.gz, .gctb (binary), - (stdout)",
    );
    help
}
