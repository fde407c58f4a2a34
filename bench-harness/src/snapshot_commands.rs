//! The heap-snapshot commands of `gclab`: `snapshot`, `inspect`, `diff` and `import`, with their
//! arguments.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use gc_core::{Collector, Heap, HeapConfig, ObjectKey};
use gclab::collectors::{self, CollectorChoice, HeapVisitor};
use hashbrown::HashMap;

use crate::error::Error;
use crate::replay::{StopAt, replay_until};
use crate::trace_commands::create_output;
use crate::units::{binary_size, count};
use gc_heapsnapshot::analysis::{Analysis, Inspection, Like, inspect as inspect_snapshot};
use gc_heapsnapshot::diff::{HeapDiff, Overlap, diff as diff_snapshots};
use gc_heapsnapshot::import::{ImportError, Importer};
use gc_heapsnapshot::reader::read_snapshot;
use gc_heapsnapshot::writer::{SnapshotCounts, WeakEdges, WriteError, write_heap_snapshot};
use gc_heapsnapshot::{HeapSnapshot, SnapshotError};
use gc_trace::open::{self, SourceVisitor};
use gc_trace::{TraceError, TraceSource};

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
    /// Prints every node as `id<TAB>self_size<TAB>retained_size`, then `# nodes=N total=BYTES`,
    /// to compare node by node with another tool.
    #[arg(long, conflicts_with = "json")]
    pub nodes: bool,
    /// Whose numbers to show: `devtools` (Chrome DevTools' Memory panel: its class names, its
    /// shallow sizes with backing stores in their owner's, retained sizes from the globals) or
    /// `memlab` (memlab's: every node's own size, dominators from every root).
    #[arg(long, value_name = "READER", value_enum, default_value_t = LikeArg::Devtools)]
    pub like: LikeArg,
}

/// The readers `inspect --like` reproduces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LikeArg {
    Devtools,
    Memlab,
}

impl From<LikeArg> for Like {
    fn from(like: LikeArg) -> Like {
        match like {
            LikeArg::Devtools => Like::DevTools,
            LikeArg::Memlab => Like::Memlab,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct DiffArgs {
    /// The snapshot taken first: nodes only in it were freed (`-`).
    #[arg(value_name = "BEFORE")]
    pub before: PathBuf,
    /// The snapshot taken later: nodes only in it were allocated (`+`); the change is AFTER
    /// minus BEFORE.
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

/// `gclab snapshot`: replays the trace to the stop, then writes the live graph.
pub fn snapshot(args: &SnapshotArgs, out: &mut impl Write) -> Result<(), Error> {
    let choice = CollectorChoice::parse(&args.collector)?;
    let stop = args.at.map_or(StopAt::End, StopAt::Line);
    let output = args.output.display().to_string();
    // Creating the output truncates it: it must not be the trace.
    if let (Ok(trace), Ok(existing)) = (args.trace.canonicalize(), args.output.canonicalize()) {
        if trace == existing {
            return Err(Error::SameFile(output));
        }
    }
    let to_stdout = args.output.as_os_str() == "-";
    let sink: Box<dyn Write> = if to_stdout {
        Box::new(BufWriter::new(io::stdout()))
    } else {
        let file = File::create(&args.output).map_err(|source| Error::WriteSnapshot {
            path: output.clone(),
            source: WriteError::Io(source),
        })?;
        Box::new(BufWriter::new(file))
    };
    let run = SnapshotRun {
        trace: &args.trace,
        stop,
        out: sink,
    };
    let result = collectors::run_with(choice, HeapConfig::default(), run)
        .map_err(Error::from)
        .and_then(|r| r);
    let counts = match result {
        Ok(counts) => counts,
        Err(error) => {
            // No half-written snapshot is left behind.
            if !to_stdout {
                let _ = std::fs::remove_file(&args.output);
            }
            return Err(error);
        }
    };
    if to_stdout {
        return Ok(());
    }
    writeln!(
        out,
        "{}: wrote {output} ({} nodes, {} edges)",
        args.trace.display(),
        counts.nodes,
        counts.edges
    )?;
    Ok(())
}

struct SnapshotRun<'a> {
    trace: &'a Path,
    stop: StopAt,
    out: Box<dyn Write>,
}

impl HeapVisitor for SnapshotRun<'_> {
    type Output = Result<SnapshotCounts, Error>;

    fn visit<C: Collector>(self, mut heap: Heap<C>) -> Self::Output {
        let trace = self.trace.display().to_string();
        let on_heap = SnapshotOnHeap {
            heap: &mut heap,
            stop: self.stop,
            out: self.out,
        };
        match open::with_source(self.trace, on_heap)?? {
            Ok(written) => written.map_err(|source| Error::WriteSnapshot {
                path: trace,
                source,
            }),
            Err(last) => Err(Error::TraceEndsBefore {
                trace,
                line: match self.stop {
                    StopAt::Line(line) => line,
                    StopAt::End => last,
                },
                last,
            }),
        }
    }
}

struct SnapshotOnHeap<'h, C: Collector> {
    heap: &'h mut Heap<C>,
    stop: StopAt,
    out: Box<dyn Write>,
}

impl<C: Collector> SourceVisitor for SnapshotOnHeap<'_, C> {
    type Output = Result<Result<Result<SnapshotCounts, WriteError>, u64>, TraceError>;

    fn visit<S: TraceSource>(mut self, source: &mut S) -> Self::Output {
        let out = &mut *self.out;
        replay_until(self.heap, source, self.stop, |heap, names| {
            write_trace_snapshot(heap, names, out)
        })
    }
}

/// A trace's heap as a snapshot: node ids from the trace ids. The replay's own weak handles
/// (its id table) are not the program's, so they are left out.
fn write_trace_snapshot<C: Collector>(
    heap: &Heap<C>,
    names: &HashMap<ObjectKey, u64>,
    out: &mut dyn Write,
) -> Result<SnapshotCounts, WriteError> {
    write_heap_snapshot(heap, &|key| names.get(&key).copied(), WeakEdges::Omit, out)
}

/// `gclab inspect`: the Summary of a snapshot, as DevTools or memlab shows it.
pub fn inspect(args: &InspectArgs, out: &mut impl Write) -> Result<(), Error> {
    let snapshot = open_snapshot(&args.file)?;
    let analysis = Analysis::of(&snapshot, args.like.into());
    if args.nodes {
        return Ok(write_nodes(out, &snapshot, &analysis)?);
    }
    let file = args.file.display().to_string();
    let inspection = inspect_snapshot(&file, &snapshot, &analysis, args.top);
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &inspection).map_err(io::Error::from)?;
        writeln!(out)?;
    } else {
        write_inspection(out, &inspection, args.top)?;
    }
    Ok(())
}

fn write_nodes(
    out: &mut impl Write,
    snapshot: &HeapSnapshot,
    analysis: &Analysis,
) -> io::Result<()> {
    let mut total = 0;
    for node in 0..snapshot.node_count() {
        let self_size = analysis.self_sizes[node];
        total += self_size;
        writeln!(
            out,
            "{}\t{self_size}\t{}",
            snapshot.node_id(node),
            analysis.retained(node)
        )?;
    }
    writeln!(out, "# nodes={} total={total}", snapshot.node_count())
}

fn write_inspection(out: &mut impl Write, inspection: &Inspection, top: usize) -> io::Result<()> {
    writeln!(
        out,
        "{}: {} nodes, {} edges, {} in all, {} nodes unreachable from the root",
        inspection.file,
        inspection.nodes,
        inspection.edges,
        binary_size(inspection.total_size as i64),
        inspection.unreachable_nodes
    )?;
    writeln!(
        out,
        "\n{:>10} {:>14} {:>14}  class",
        "count", "shallow", "retained"
    )?;
    for class in inspection.classes.iter().take(top.max(20)) {
        writeln!(
            out,
            "{:>10} {:>14} {:>14}  {}",
            class.count, class.shallow_size, class.retained_size, class.name
        )?;
    }
    if inspection.classes.len() > top.max(20) {
        writeln!(
            out,
            "{:>10}  (and {} classes more; --json lists all)",
            "...",
            inspection.classes.len() - top.max(20)
        )?;
    }
    writeln!(out, "\nlargest objects by retained size:")?;
    for object in &inspection.largest {
        writeln!(
            out,
            "  @{} {}: retained {}, self {}, distance {}",
            object.id,
            object.name,
            object.retained_size,
            object.self_size,
            object.distance.map_or("-".into(), |d| d.to_string())
        )?;
        let path = match &object.path {
            Some(steps) => steps
                .iter()
                .map(|s| format!("{} {}@{}", s.edge, s.name, s.id))
                .collect::<Vec<_>>()
                .join(" -> "),
            None => "(no retaining path from the root)".into(),
        };
        writeln!(out, "      (root) -> {path}")?;
    }
    Ok(())
}

/// `gclab diff`: memwatch's `HeapDiff` of two snapshots.
pub fn diff(args: &DiffArgs, out: &mut impl Write) -> Result<(), Error> {
    let before = open_snapshot(&args.before)?;
    let after = open_snapshot(&args.after)?;
    warn_if_unrelated(args, Overlap::of(&before, &after));
    let heap_diff = diff_snapshots(&before, &after);
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &heap_diff).map_err(io::Error::from)?;
        writeln!(out)?;
    } else {
        write_diff(out, &heap_diff)?;
    }
    Ok(())
}

/// A diff matches nodes by id: snapshots of different programs share ids by chance only, and
/// their diff would show nothing real. Warned on standard error; the diff is still printed.
fn warn_if_unrelated(args: &DiffArgs, overlap: Overlap) {
    if overlap.looks_unrelated() {
        eprintln!(
            "gclab: warning: {} and {} look like snapshots of different programs: only {} of \
             the smaller one's {} nodes are in both (same id and class); a diff matches nodes \
             by id, so it means something only between snapshots of one process",
            args.before.display(),
            args.after.display(),
            overlap.kept,
            overlap.smaller
        );
    }
}

/// Reads a snapshot; a gclab trace given instead is named as one, with the commands that take it.
fn open_snapshot(path: &Path) -> Result<HeapSnapshot, Error> {
    read_snapshot(path).map_err(|error| match TraceKind::sniff(path) {
        Some(kind) => SnapshotError::new(&path.display().to_string(), kind.explain(path)).into(),
        None => error.into(),
    })
}

/// What a file that is not a snapshot starts like.
enum TraceKind {
    Text,
    Binary,
    Gzip,
}

impl TraceKind {
    fn sniff(path: &Path) -> Option<TraceKind> {
        let mut start = [0u8; 64];
        let read = File::open(path).and_then(|mut f| f.read(&mut start)).ok()?;
        let start = &start[..read];
        if gc_trace::binary_reader::is_binary(start) {
            Some(TraceKind::Binary)
        } else if start.starts_with(&[0x1f, 0x8b]) {
            Some(TraceKind::Gzip)
        } else if start.trim_ascii_start().starts_with(b"gctrace") {
            Some(TraceKind::Text)
        } else {
            None
        }
    }

    fn explain(&self, path: &Path) -> String {
        let path = path.display();
        let runs = format!(
            "`gclab replay {path}` runs it, `gclab snapshot {path} --end -o FILE.heapsnapshot` \
             writes its heap as a snapshot"
        );
        match self {
            TraceKind::Text => format!("this is a gclab trace, not a heap snapshot: {runs}"),
            TraceKind::Binary => {
                format!("this is a binary gclab trace, not a heap snapshot: {runs}")
            }
            TraceKind::Gzip => format!(
                "this is gzip-compressed, not a heap snapshot: if it is a trace (`.gct.gz`), \
                 {runs}; a compressed snapshot must be unzipped first"
            ),
        }
    }
}

fn write_diff(out: &mut impl Write, diff: &HeapDiff) -> io::Result<()> {
    writeln!(
        out,
        "before: {}, {}",
        count(diff.before.nodes, "node"),
        binary_size(diff.before.size_bytes as i64)
    )?;
    writeln!(
        out,
        "after:  {}, {}",
        count(diff.after.nodes, "node"),
        binary_size(diff.after.size_bytes as i64)
    )?;
    let change = &diff.change;
    writeln!(
        out,
        "change: {} ({} freed, {} allocated)",
        binary_size(change.size_bytes),
        count(change.freed_nodes, "node"),
        change.allocated_nodes
    )?;
    writeln!(out, "\n{:>8} {:>8} {:>14}  what", "+", "-", "size")?;
    for detail in &change.details {
        writeln!(
            out,
            "{:>8} {:>8} {:>14}  {}",
            detail.allocated,
            detail.freed,
            binary_size(detail.size_bytes),
            detail.what
        )?;
    }
    Ok(())
}

/// `gclab import`: snapshots of one program, in order, as one trace.
pub fn import(args: &ImportArgs, out: &mut impl Write) -> Result<(), Error> {
    let output = args.output.display().to_string();
    let mut sink = create_output(&args.output)?;
    let result = import_into(&args.snapshots, &mut *sink, &output);
    drop(sink);
    let summary = match result {
        Ok(summary) => summary,
        Err(error) => {
            if args.output.as_os_str() != "-" {
                let _ = std::fs::remove_file(&args.output);
            }
            return Err(error);
        }
    };
    if args.output.as_os_str() != "-" {
        let phases: Vec<String> = summary
            .objects_per_phase
            .iter()
            .map(u64::to_string)
            .collect();
        writeln!(
            out,
            "{output}: {} records; objects per phase: {}",
            summary.records,
            phases.join(", ")
        )?;
    }
    Ok(())
}

fn import_into(
    snapshots: &[PathBuf],
    sink: &mut dyn gc_trace::TraceSink,
    output: &str,
) -> Result<gc_heapsnapshot::import::ImportSummary, Error> {
    let write_error = |source| Error::WriteTrace {
        path: output.to_owned(),
        source,
    };
    let names: Vec<String> = snapshots.iter().map(|p| p.display().to_string()).collect();
    let mut importer =
        Importer::new(sink, &format!("import {}", names.join(" "))).map_err(write_error)?;
    for path in snapshots {
        // One snapshot in memory at a time.
        let snapshot = open_snapshot(path)?;
        importer.add(&snapshot).map_err(|error| match error {
            ImportError::Io(source) => write_error(source),
            other => SnapshotError::new(&path.display().to_string(), other.to_string()).into(),
        })?;
    }
    importer.finish().map_err(write_error)
}
