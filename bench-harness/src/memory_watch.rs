//! `gclab replay --watch-leaks`: memwatch's `stats` and `leak` events of a replay, printed as they
//! happen and kept for the JSON summary.
//!
//! The events come from gc-core's [`LeakDetector`](gc_core::LeakDetector) through
//! [`Heap::on_memory_watch`]; this module only gives them memwatch's field names and prints them.

use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;

use gc_core::{Collector, Heap, LeakReport, MemoryWatchEvent, UsageStats};
use serde::Serialize;

/// memwatch's `stats` record, field for field (sizes in bytes).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatsRecord {
    pub num_full_gc: u64,
    pub num_inc_gc: u64,
    pub heap_compactions: u64,
    pub usage_trend: f64,
    pub estimated_base: u64,
    pub current_base: u64,
    pub min: u64,
    pub max: u64,
    /// When the full collection ended, in milliseconds from the heap's creation.
    pub at_ms: f64,
}

impl From<&UsageStats> for StatsRecord {
    fn from(s: &UsageStats) -> Self {
        StatsRecord {
            num_full_gc: s.num_full_gc,
            num_inc_gc: s.num_inc_gc,
            heap_compactions: s.heap_compactions,
            usage_trend: s.usage_trend,
            estimated_base: s.estimated_base,
            current_base: s.current_base,
            min: s.min,
            max: s.max,
            at_ms: s.at.as_secs_f64() * 1e3,
        }
    }
}

/// memwatch's `leak` event: `start`, `end`, `growth` and `reason`, with the bases and the rate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LeakRecord {
    /// Milliseconds from the heap's creation.
    pub start_ms: f64,
    pub end_ms: f64,
    /// Bytes the heap after full collections grew over the run.
    pub growth: u64,
    pub base_before: u64,
    pub base_after: u64,
    pub bytes_per_hour: f64,
    /// Full collections in the run, and the numbers (from 1) of its first and last.
    pub collections: u32,
    pub start_gc: u64,
    pub end_gc: u64,
    pub reason: String,
}

impl From<&LeakReport> for LeakRecord {
    fn from(leak: &LeakReport) -> Self {
        LeakRecord {
            start_ms: leak.start.as_secs_f64() * 1e3,
            end_ms: leak.end.as_secs_f64() * 1e3,
            growth: leak.growth_bytes(),
            base_before: leak.base_before,
            base_after: leak.base_after,
            bytes_per_hour: leak.bytes_per_hour(),
            collections: leak.collections,
            start_gc: leak.start_gc,
            end_gc: leak.end_gc,
            reason: leak.reason(),
        }
    }
}

/// What a watched replay heard, for `--json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MemoryWatchSummary {
    /// Stats records heard (one per full collection, the final one included).
    pub stats_records: u64,
    pub last_stats: Option<StatsRecord>,
    pub leaks: Vec<LeakRecord>,
}

/// Where the event lines go.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum WatchOutput {
    Stdout,
    Stderr,
}

/// Watches `heap`: each event is printed as `stats: {json}` or `leak: {json}` and kept in the
/// returned summary (shared, as the heap's listener fills it while the replay runs).
pub fn watch<C: Collector>(
    heap: &mut Heap<C>,
    output: WatchOutput,
) -> Rc<RefCell<MemoryWatchSummary>> {
    let summary = Rc::new(RefCell::new(MemoryWatchSummary::default()));
    let heard = Rc::clone(&summary);
    heap.on_memory_watch(Box::new(move |event| {
        let line = heard.borrow_mut().record(event);
        // A closed pipe must not stop the replay; the summary still has every event.
        let _ = match output {
            WatchOutput::Stdout => writeln!(io::stdout(), "{line}"),
            WatchOutput::Stderr => writeln!(io::stderr(), "{line}"),
        };
    }));
    summary
}

impl MemoryWatchSummary {
    /// Keeps `event` and returns its line.
    fn record(&mut self, event: &MemoryWatchEvent) -> String {
        match event {
            MemoryWatchEvent::Stats(stats) => {
                let record = StatsRecord::from(stats);
                let line = event_line("stats", &record);
                self.stats_records += 1;
                self.last_stats = Some(record);
                line
            }
            MemoryWatchEvent::Leak(leak) => {
                let record = LeakRecord::from(leak);
                let line = event_line("leak", &record);
                self.leaks.push(record);
                line
            }
        }
    }
}

fn event_line(name: &str, record: &impl Serialize) -> String {
    match serde_json::to_string(record) {
        Ok(json) => format!("{name}: {json}"),
        // Not reached: the records hold only numbers and strings.
        Err(error) => format!("{name}: (unprintable: {error})"),
    }
}
