//! The text `gclab` prints: a summary of each run, and the list of collectors.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::Duration;

use serde::Serialize;

use gc_core::{BarrierKind, CollectorConstraints};
use gclab::collectors::{self, KnownCollector};

use crate::leak_report;
use crate::memory_watch::MemoryWatchSummary;
use crate::pauses::{PauseSummary, millis};
use crate::replay::{Leak, ReplayReport};
use crate::runner::RunReport;
use crate::units;

/// Writes the summary of one run, e.g.
///
/// ```text
/// marksweep / churn (scale 16, gc threads 2)
///   pauses: 41, total 310.22 ms, p50 6.10 ms, p99 21.92 ms, max 21.92 ms
///   allocated: 1048577 objects, 848.3 MiB; peak committed 140.5 MiB
///   live after a full GC (gclab's own, not among the pauses): 98311 objects, 61.2 MiB; digest 5f0c…
///   wall: 2.31 s
/// ```
pub fn write_summary(out: &mut impl Write, report: &RunReport) -> io::Result<()> {
    writeln!(
        out,
        "{} / {} (scale {}, gc threads {})",
        report.collector, report.workload, report.scale, report.gc_threads
    )?;
    writeln!(out, "  pauses: {}", pause_line(&report.pauses))?;
    writeln!(
        out,
        "  allocated: {}, {}; peak committed {}",
        units::count(report.allocated_objects, "object"),
        units::mib(report.allocated_bytes),
        units::mib(report.peak_committed_bytes as u64),
    )?;
    writeln!(
        out,
        "  {FINAL_COLLECTION}: {}, {}; digest {}",
        units::count(report.live.objects, "object"),
        units::mib(report.live.object_bytes),
        report.live.digest,
    )?;
    writeln!(out, "  wall: {:.2} s", report.wall.as_secs_f64())
}

/// The one place a summary mentions the harness's final full collection, which no pause count,
/// statistic or pause line includes.
const FINAL_COLLECTION: &str = "live after a full GC (gclab's own, not among the pauses)";

fn pause_line(pauses: &PauseSummary) -> String {
    let (Some(p50), Some(p99), Some(max)) = (pauses.p50, pauses.p99, pauses.max) else {
        return "none".to_owned();
    };
    format!(
        "{}, total {} ms, p50 {} ms, p99 {} ms, max {} ms",
        pauses.count,
        ms(pauses.total),
        ms(p50),
        ms(p99),
        ms(max),
    )
}

/// Milliseconds with two decimals.
fn ms(duration: Duration) -> String {
    format!("{:.2}", millis(duration))
}

/// Lists the compiled-in collectors with their constraints, then the known ones this build
/// lacks with the features that would add them.
pub fn write_collectors(out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "compiled in (best first; `auto` picks the first):")?;
    let compiled_in = collectors::compiled_in_constraints();
    if compiled_in.is_empty() {
        writeln!(out, "  none")?;
    }
    for constraints in compiled_in {
        write_constraints(out, &constraints)?;
    }
    let missing: Vec<&KnownCollector> = collectors::not_compiled_in().collect();
    if !missing.is_empty() {
        writeln!(out, "not compiled in:")?;
    }
    for known in missing {
        let features = collectors::cargo_features(known.features);
        writeln!(out, "  {:<16} {features}", known.name)?;
    }
    Ok(())
}

fn write_constraints(out: &mut impl Write, c: &CollectorConstraints) -> io::Result<()> {
    writeln!(
        out,
        "  {:<16} moves objects: {}, generational: {}, incremental: {}, concurrent: {}, \
         barrier: {}",
        c.name,
        yes_no(c.moves_objects),
        yes_no(c.generational),
        yes_no(c.incremental),
        yes_no(c.concurrent),
        barrier_name(c.barrier),
    )
}

/// The write barrier in the words of the rest of the line.
fn barrier_name(barrier: BarrierKind) -> &'static str {
    match barrier {
        BarrierKind::None => "none",
        BarrierKind::Generational => "generational",
        BarrierKind::Marking => "marking",
        BarrierKind::GenerationalAndMarking => "generational + marking",
    }
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

/// The summary of a replay, as `gclab replay --json` prints it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReplaySummary {
    pub collector: &'static str,
    /// The threads the heap's collections could use (`--gc-threads`).
    pub gc_threads: usize,
    pub trace: String,
    pub events: u64,
    pub allocated_objects: u64,
    pub allocated_bytes: u64,
    pub live_objects: u64,
    pub live_slots: u64,
    /// Sum of `BYTES` of the live objects.
    pub live_payload_bytes: u64,
    /// Live bytes in objects, headers and slots included.
    pub live_object_bytes: u64,
    pub live_external_bytes: u64,
    pub digest: String,
    pub gc_count: usize,
    pub gc_by_kind: BTreeMap<&'static str, u64>,
    pub pause_ms: PauseMs,
    pub replay_seconds: f64,
    /// Spent on the trace's `t` records (included in `replay_seconds`).
    pub think_seconds: f64,
    /// Asked for by `t` records but skipped (`--no-think`, or past `--max-think`).
    pub think_skipped_seconds: f64,
    /// Events per second of mutator time (the pauses subtracted).
    pub mutator_events_per_second: f64,
    pub peak_committed_bytes: usize,
    pub final_committed_bytes: usize,
    /// Free pages kept mapped for reuse after the final collection.
    pub final_pooled_bytes: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leaks: Option<Vec<Leak>>,
    /// With `--watch-leaks`: memwatch's events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_watch: Option<MemoryWatchSummary>,
}

/// Pause times in milliseconds (0 when there was no pause).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PauseMs {
    pub total: f64,
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
}

impl ReplaySummary {
    pub fn new(trace: &str, report: &ReplayReport) -> Self {
        let ms = |d: Option<Duration>| d.map_or(0.0, millis);
        ReplaySummary {
            collector: report.collector,
            gc_threads: report.gc_threads,
            trace: trace.to_owned(),
            events: report.events,
            allocated_objects: report.allocated_objects,
            allocated_bytes: report.allocated_bytes,
            live_objects: report.live.objects,
            live_slots: report.live.slots,
            live_payload_bytes: report.live.payload_bytes,
            live_object_bytes: report.live.object_bytes,
            live_external_bytes: report.live.external_bytes,
            digest: report.live.digest.to_string(),
            gc_count: report.pauses.count,
            gc_by_kind: report.gc_by_kind.iter().copied().collect(),
            pause_ms: PauseMs {
                total: ms(Some(report.pauses.total)),
                p50: ms(report.pauses.p50),
                p99: ms(report.pauses.p99),
                max: ms(report.pauses.max),
            },
            replay_seconds: report.replay_time.as_secs_f64(),
            think_seconds: report.think.spun.as_secs_f64(),
            think_skipped_seconds: report.think.skipped.as_secs_f64(),
            mutator_events_per_second: report.mutator_events_per_second(),
            peak_committed_bytes: report.peak_committed_bytes,
            final_committed_bytes: report.final_committed_bytes,
            final_pooled_bytes: report.final_pooled_bytes,
            leaks: report.leaks.clone(),
            memory_watch: None,
        }
    }
}

/// Writes a replay's summary as text.
pub fn write_replay_summary(out: &mut impl Write, s: &ReplaySummary) -> io::Result<()> {
    writeln!(out, "{} / {}", s.collector, s.trace)?;
    let kinds: Vec<String> = s
        .gc_by_kind
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    if kinds.is_empty() {
        writeln!(out, "  pauses: none")?;
    } else {
        writeln!(
            out,
            "  pauses: {} ({}), total {:.2} ms, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            s.gc_count,
            kinds.join(", "),
            s.pause_ms.total,
            s.pause_ms.p50,
            s.pause_ms.p99,
            s.pause_ms.max,
        )?;
    }
    writeln!(
        out,
        "  events: {} in {:.2} s ({:.1} M/s of mutator time); allocated {}, {}",
        s.events,
        s.replay_seconds,
        s.mutator_events_per_second / 1e6,
        units::count(s.allocated_objects, "object"),
        units::mib(s.allocated_bytes),
    )?;
    write_think(out, s)?;
    writeln!(
        out,
        "  committed: peak {}, final {} (and {} of free pages kept for reuse)",
        units::mib(s.peak_committed_bytes as u64),
        units::mib(s.final_committed_bytes as u64),
        units::mib(s.final_pooled_bytes as u64),
    )?;
    writeln!(
        out,
        "  {FINAL_COLLECTION}: {}, {}, {} payload bytes; digest {}",
        units::count(s.live_objects, "object"),
        units::count(s.live_slots, "slot"),
        s.live_payload_bytes,
        s.digest,
    )?;
    if let Some(leaks) = &s.leaks {
        leak_report::write_leaks(out, leaks)?;
    }
    if let Some(watch) = &s.memory_watch {
        write_memory_watch(out, watch)?;
    }
    Ok(())
}

/// The think-time line, only for a trace with `t` records.
fn write_think(out: &mut impl Write, s: &ReplaySummary) -> io::Result<()> {
    if s.think_seconds == 0.0 && s.think_skipped_seconds == 0.0 {
        return Ok(());
    }
    write!(out, "  think: {:.2} s spent", s.think_seconds)?;
    if s.think_skipped_seconds > 0.0 {
        write!(out, ", {:.2} s skipped", s.think_skipped_seconds)?;
    }
    writeln!(out)
}

fn write_memory_watch(out: &mut impl Write, watch: &MemoryWatchSummary) -> io::Result<()> {
    let events = units::count(watch.leaks.len() as u64, "leak event");
    write!(out, "  memwatch: {events}")?;
    if let Some(stats) = &watch.last_stats {
        write!(
            out,
            "; after the last full GC: base {}, estimated {}, trend {:+.1}%",
            units::mib(stats.current_base),
            units::mib(stats.estimated_base),
            stats.usage_trend
        )?;
    }
    writeln!(out)
}
