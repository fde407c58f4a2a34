//! Runs one workload on one heap of the chosen collector and gathers what the report shows.
//!
//! A run: build the heap; optionally print every pause as V8's `--trace-gc` does; run the
//! workload and time it; summarise the pauses the workload caused; then one more full
//! collection (neither counted in the summary nor printed as a pause line) so that the live graph and its digest are taken from
//! a collected heap, which is then verified once (the heap itself verifies after every
//! collection when configured with `VerifyHeap::AfterEachGc`).

use std::io::{self, Write};
use std::time::{Duration, Instant};

use gc_core::{
    CollectionKind, Collector, GcReason, Heap, HeapConfig, LiveGraph, VerifyError, VerifyHeap,
    trace_gc_line, trace_gc_nvp_line,
};
use gclab::collectors::{self, CollectorChoice, HeapVisitor};

use crate::error::Error;
use crate::pauses::PauseSummary;
use crate::workloads::Workload;

/// Whether pauses are printed as they happen.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TraceGc {
    Off,
    /// One V8-style `--trace-gc` line per pause on standard output.
    Stdout,
    /// One line of name=value pairs per pause (V8's `--trace-gc-nvp`), phase times included.
    NameValue,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RunOptions {
    pub scale: u32,
    pub trace_gc: TraceGc,
    /// Names the heap in trace lines (V8 prints the isolate's address there).
    pub heap_id: usize,
}

/// What one run of one workload did.
#[derive(Clone, Debug, PartialEq)]
pub struct RunReport {
    pub collector: &'static str,
    pub workload: &'static str,
    pub scale: u32,
    /// The threads the heap's collections could use (`HeapConfig::gc_threads`).
    pub gc_threads: usize,
    /// The pauses during the workload (the harness's final collection excluded).
    pub pauses: PauseSummary,
    pub allocated_objects: u64,
    pub allocated_bytes: u64,
    pub peak_committed_bytes: usize,
    /// The live graph after the final full collection.
    pub live: LiveGraph,
    /// Wall-clock time of the workload, pauses included.
    pub wall: Duration,
}

/// Runs `workload` on a new heap of the chosen collector.
pub fn run_workload(
    choice: CollectorChoice,
    config: HeapConfig,
    workload: Workload,
    options: RunOptions,
) -> Result<RunReport, Error> {
    // The summary reads every pause from the heap's event list.
    let config = HeapConfig {
        event_history: usize::MAX,
        ..config
    };
    collectors::run_with(choice, config, WorkloadRun { workload, options })?
}

struct WorkloadRun {
    workload: Workload,
    options: RunOptions,
}

impl HeapVisitor for WorkloadRun {
    type Output = Result<RunReport, Error>;

    fn visit<C: Collector>(self, mut heap: Heap<C>) -> Self::Output {
        let (workload, options) = (self.workload.name(), self.options);
        if options.trace_gc != TraceGc::Off {
            print_pauses(&mut heap, options.trace_gc, options.heap_id, false);
        }
        let started = Instant::now();
        let _kept = self
            .workload
            .run(&mut heap, options.scale)
            .map_err(|source| Error::Workload { workload, source })?;
        let wall = started.elapsed();
        let stats = heap.stats();
        let pauses = PauseSummary::of_events(heap.events());
        let live =
            collect_and_verify(&mut heap).map_err(|source| Error::Verify { workload, source })?;
        Ok(RunReport {
            collector: C::CONSTRAINTS.name,
            workload,
            scale: options.scale,
            gc_threads: heap.config().gc_threads,
            pauses,
            allocated_objects: stats.allocated_objects,
            allocated_bytes: stats.allocated_bytes,
            peak_committed_bytes: stats.peak_committed_bytes,
            live,
            wall,
        })
    }
}

/// The harness's final full collection, a verification of its result unless the heap verified
/// it already, and the live graph.
fn collect_and_verify<C: Collector>(heap: &mut Heap<C>) -> Result<LiveGraph, VerifyError> {
    final_collection(heap);
    if heap.config().verify == VerifyHeap::OnRequest {
        heap.verify()?;
    }
    Ok(heap.live_graph())
}

/// Prints a line for every pause of `heap`, in the `format` asked for, on standard output or
/// standard error.
pub(crate) fn print_pauses<C: Collector>(
    heap: &mut Heap<C>,
    format: TraceGc,
    heap_id: usize,
    to_stderr: bool,
) {
    let pid = std::process::id();
    // `mutator=` of a name=value line is the time since the previous pause ended (printed or
    // not).
    let mut previous_end = Duration::ZERO;
    heap.on_gc_event(Box::new(move |event| {
        let previous = std::mem::replace(&mut previous_end, event.end());
        if event.reason == GcReason::Measurement {
            return;
        }
        let line = match format {
            TraceGc::NameValue => trace_gc_nvp_line(event, previous),
            _ => trace_gc_line(event, pid, heap_id),
        };
        // A listener cannot fail; a closed standard output shows up when the report is written.
        let _ = match to_stderr {
            true => writeln!(io::stderr(), "{line}"),
            false => writeln!(io::stdout(), "{line}"),
        };
    }));
}

/// The harness's own full collection after a workload or trace, so that the live graph is taken
/// from a collected heap. It is not the program's pause: its reason is
/// [`GcReason::Measurement`], which no summary counts and no pause line shows (the summary's live
/// line says it once).
pub(crate) fn final_collection<C: Collector>(heap: &mut Heap<C>) {
    heap.collect_for(CollectionKind::Full, GcReason::Measurement);
}
