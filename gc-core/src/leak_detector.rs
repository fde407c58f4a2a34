//! Leak detection and heap-usage statistics after full collections, as node-memwatch does.
//!
//! The detector reads only [`GcEvent`]s (design.md: nothing reaches into a collector). After each
//! full collection it updates memwatch's figures and produces a [`UsageStats`] record; when the
//! heap after full collections has grown [`LEAK_GROWTH_RUN`] times in a row it produces a
//! [`LeakReport`] first, and starts counting again.
//!
//! The estimates follow memwatch: `estimated_base` is a moving average of the heap after full
//! collections over about [`RECENT_PERIOD`] of them, a slower one over [`ANCIENT_PERIOD`] gives
//! the `usage_trend` (percent the recent base lies above the ancient one), and during the first
//! [`RECENT_PERIOD`] collections both averages are damped so that start-up swings weigh less.
//! Two differences, both deliberate:
//! - memwatch computes the damping exponent's base with an integer division that makes it zero
//!   (so its averages simply take the last value at first); here it is the real ratio.
//! - memwatch measures a leak's growth from the first collection that grew, which leaves the
//!   first of the five steps out; here it is measured from the collection before it, so the
//!   report covers all of them. `heap_compactions` counts the full collections that compacted
//!   (memwatch, on V8, counts every full collection).
//! - memwatch calls any five growths a leak, however small; a heap whose live size only wobbles
//!   (a cache whose entries vary in size) then raises false alarms. Here a run of growths is a
//!   leak once it is at least five long *and* has grown by [`DEFAULT_MIN_GROWTH`] of its starting
//!   size; a shorter growth keeps the run going, so a slow leak is still reported, later.
//!   [`LeakDetector::with_min_growth`]`(0.0)` gives memwatch's rule.
//!
//! Invariant: the counts cover every event observed; `min` and `max` cover the full collections
//! after the first [`SETTLING_COLLECTIONS`] - 1, as memwatch lets start-up settle.
//!
//! With the feature `serde`, [`UsageStats`] and [`LeakReport`] serialize as memwatch's `stats`
//! and `leak` events: memwatch's field names, times in milliseconds, and a leak's growth, rate
//! and reason sentence written out. Their JSON is what `gclab replay --watch-leaks` prints, so
//! the field names and their order are part of its output.

use std::time::Duration;

use crate::event::{GcEvent, GcKind};

/// Consecutive growing full collections that make a leak.
pub const LEAK_GROWTH_RUN: u32 = 5;
/// Growth, as a fraction of the heap where a run began, below which a run is not yet a leak.
pub const DEFAULT_MIN_GROWTH: f64 = 0.01;
/// Full collections over which `estimated_base` averages.
pub const RECENT_PERIOD: f64 = 10.0;
/// Full collections over which the ancient base, the trend's reference, averages.
pub const ANCIENT_PERIOD: f64 = 120.0;
/// `min` and `max` start at this full collection.
pub const SETTLING_COLLECTIONS: u64 = 3;

/// memwatch's `stats` record, after a full collection. Sizes are bytes of objects.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct UsageStats {
    pub num_full_gc: u64,
    /// Other pauses that collected: scavenges and incremental marking steps.
    pub num_inc_gc: u64,
    /// Full collections that compacted old space.
    pub heap_compactions: u64,
    /// Percent by which the recent base lies above the ancient one (0 until there is one).
    pub usage_trend: f64,
    /// The moving average of the heap after recent full collections.
    pub estimated_base: u64,
    /// The heap after this full collection.
    pub current_base: u64,
    /// Smallest and largest `current_base` once start-up has settled (0 before).
    pub min: u64,
    pub max: u64,
    /// When the collection ended, from the heap's creation.
    #[cfg_attr(
        feature = "serde",
        serde(rename = "at_ms", serialize_with = "serialize_millis")
    )]
    pub at: Duration,
}

/// memwatch's `leak` event: the heap after full collections grew [`LEAK_GROWTH_RUN`] times in a
/// row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeakReport {
    /// The end of the full collection before the first growth, from the heap's creation.
    pub start: Duration,
    /// The end of the full collection that made the run complete.
    pub end: Duration,
    /// Heap after full collection at `start` and at `end`.
    pub base_before: u64,
    pub base_after: u64,
    /// Full collections in the run (at least [`LEAK_GROWTH_RUN`]).
    pub collections: u32,
    /// Numbers (from 1) of the full collections at `start` and at `end`.
    pub start_gc: u64,
    pub end_gc: u64,
}

impl LeakReport {
    pub fn growth_bytes(&self) -> u64 {
        self.base_after - self.base_before
    }

    pub fn elapsed(&self) -> Duration {
        self.end.saturating_sub(self.start)
    }

    /// Growth per hour at the run's rate (memwatch's unit); 0 for a run that took no time.
    pub fn bytes_per_hour(&self) -> f64 {
        let seconds = self.elapsed().as_secs_f64();
        if seconds > 0.0 {
            self.growth_bytes() as f64 * 3600.0 / seconds
        } else {
            0.0
        }
    }

    /// memwatch's `reason` sentence.
    pub fn reason(&self) -> String {
        format!(
            "heap growth over {} consecutive GCs ({:.3} s) - {:.0} bytes/hr",
            self.collections,
            self.elapsed().as_secs_f64(),
            self.bytes_per_hour()
        )
    }
}

// Not derived: memwatch's event carries the growth, rate and reason that `LeakReport` computes
// rather than stores, between its stored fields.
#[cfg(feature = "serde")]
impl serde::Serialize for LeakReport {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut event = serializer.serialize_struct("LeakReport", 10)?;
        event.serialize_field("start_ms", &millis(self.start))?;
        event.serialize_field("end_ms", &millis(self.end))?;
        event.serialize_field("growth", &self.growth_bytes())?;
        event.serialize_field("base_before", &self.base_before)?;
        event.serialize_field("base_after", &self.base_after)?;
        event.serialize_field("bytes_per_hour", &self.bytes_per_hour())?;
        event.serialize_field("collections", &self.collections)?;
        event.serialize_field("start_gc", &self.start_gc)?;
        event.serialize_field("end_gc", &self.end_gc)?;
        event.serialize_field("reason", &self.reason())?;
        event.end()
    }
}

/// memwatch's unit of time.
#[cfg(feature = "serde")]
fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

#[cfg(feature = "serde")]
fn serialize_millis<S: serde::Serializer>(
    duration: &Duration,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(millis(*duration))
}

/// What a watcher of the heap's memory hears (memwatch's events).
#[derive(Clone, Debug, PartialEq)]
pub enum MemoryWatchEvent {
    Stats(UsageStats),
    Leak(LeakReport),
}

/// A listener for [`MemoryWatchEvent`]s (see `Heap::on_memory_watch`).
pub type MemoryWatchListener = Box<dyn FnMut(&MemoryWatchEvent)>;

/// memwatch's state, fed one pause at a time.
#[derive(Clone, Debug)]
pub struct LeakDetector {
    min_growth: f64,
    full_gcs: u64,
    other_gcs: u64,
    compactions: u64,
    /// The heap after the last full collection, when that collection ended, and its number.
    last_base: Option<Base>,
    /// Where the current growth run began, and its length.
    run_start: Option<Base>,
    growth_run: u32,
    base_recent: f64,
    base_ancient: f64,
    min: u64,
    max: u64,
}

/// The heap after a full collection.
#[derive(Copy, Clone, Debug)]
struct Base {
    bytes: u64,
    at: Duration,
    gc: u64,
}

impl Default for LeakDetector {
    fn default() -> Self {
        LeakDetector::with_min_growth(DEFAULT_MIN_GROWTH)
    }
}

impl LeakDetector {
    pub fn new() -> Self {
        LeakDetector::default()
    }

    /// A detector for which a run of growths is a leak once it has grown by `fraction` of the
    /// heap where it began (0 for memwatch's rule: any five growths).
    pub fn with_min_growth(fraction: f64) -> Self {
        LeakDetector {
            min_growth: fraction.max(0.0),
            full_gcs: 0,
            other_gcs: 0,
            compactions: 0,
            last_base: None,
            run_start: None,
            growth_run: 0,
            base_recent: 0.0,
            base_ancient: 0.0,
            min: 0,
            max: 0,
        }
    }

    /// Takes one pause into account; after a full collection, calls `emit` with a leak report if
    /// one is due, then with the stats record.
    pub fn observe(&mut self, event: &GcEvent, emit: &mut dyn FnMut(&MemoryWatchEvent)) {
        if !event.kind.is_full() {
            if counts_as_incremental(event.kind) {
                self.other_gcs += 1;
            }
            return;
        }
        self.full_gcs += 1;
        if event.kind == GcKind::MarkCompact {
            self.compactions += 1;
        }
        let base = event.live_after() as u64;
        let at = event.end();
        let now = Base {
            bytes: base,
            at,
            gc: self.full_gcs,
        };
        if let Some(leak) = self.track_growth(now) {
            emit(&MemoryWatchEvent::Leak(leak));
        }
        self.last_base = Some(now);
        self.update_averages(base as f64);
        if self.full_gcs >= SETTLING_COLLECTIONS {
            self.min = if self.min == 0 {
                base
            } else {
                self.min.min(base)
            };
            self.max = self.max.max(base);
        }
        emit(&MemoryWatchEvent::Stats(self.stats(base, at)));
    }

    fn track_growth(&mut self, now: Base) -> Option<LeakReport> {
        let Some(last) = self.last_base.filter(|last| now.bytes > last.bytes) else {
            self.growth_run = 0;
            return None;
        };
        if self.growth_run == 0 {
            self.run_start = Some(last);
        }
        self.growth_run += 1;
        let start = self.run_start.unwrap_or(last);
        let grown = (now.bytes - start.bytes) as f64 >= self.min_growth * start.bytes as f64;
        if self.growth_run < LEAK_GROWTH_RUN || !grown {
            return None;
        }
        let collections = std::mem::take(&mut self.growth_run);
        Some(LeakReport {
            start: start.at,
            end: now.at,
            base_before: start.bytes,
            base_after: now.bytes,
            collections,
            start_gc: start.gc,
            end_gc: now.gc,
        })
    }

    fn update_averages(&mut self, base: f64) {
        let n = self.full_gcs as f64;
        if n < RECENT_PERIOD {
            let recent = (n / RECENT_PERIOD).powf(2.5) * n;
            self.base_recent = (self.base_recent * recent + base) / (recent + 1.0);
            let ancient = (n / RECENT_PERIOD).powf(2.4) * n;
            self.base_ancient = (self.base_ancient * ancient + base) / (ancient + 1.0);
        } else {
            self.base_recent = (self.base_recent * (RECENT_PERIOD - 1.0) + base) / RECENT_PERIOD;
            self.base_ancient =
                (self.base_ancient * (ANCIENT_PERIOD - 1.0) + base) / ANCIENT_PERIOD;
        }
    }

    fn stats(&self, base: u64, at: Duration) -> UsageStats {
        let usage_trend = if self.base_ancient > 0.0 {
            // One decimal, as memwatch rounds it.
            ((self.base_recent - self.base_ancient) / self.base_ancient * 1000.0).round() / 10.0
        } else {
            0.0
        };
        UsageStats {
            num_full_gc: self.full_gcs,
            num_inc_gc: self.other_gcs,
            heap_compactions: self.compactions,
            usage_trend,
            estimated_base: self.base_recent.round() as u64,
            current_base: base,
            min: self.min,
            max: self.max,
            at,
        }
    }
}

/// Pauses memwatch counts as incremental collections (V8's scavenges and marking steps); lazy
/// sweeping collects nothing new.
fn counts_as_incremental(kind: GcKind) -> bool {
    match kind {
        GcKind::Scavenge | GcKind::MarkingStep => true,
        GcKind::LazySweep | GcKind::MarkSweep | GcKind::MarkCompact | GcKind::MarkingFinalize => {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{GcReason, MutatorUtilization, PauseOutcome};

    const MS: Duration = Duration::from_millis(1);

    fn event(kind: GcKind, used_after: usize, end_ms: u64) -> GcEvent {
        GcEvent {
            sequence: 0,
            kind,
            reason: GcReason::Explicit,
            start: MS * (end_ms as u32 - 1),
            duration: MS,
            used_before: used_after,
            used_after,
            committed_before: 0,
            committed_after: 0,
            outcome: PauseOutcome::default(),
            mutator_utilization: MutatorUtilization {
                average: 1.0,
                current: 1.0,
            },
        }
    }

    /// Feeds full mark-sweeps with these heaps after them, one per 10 ms.
    fn run(bases: &[usize]) -> Vec<MemoryWatchEvent> {
        let mut detector = LeakDetector::new();
        let mut heard = Vec::new();
        for (i, &base) in bases.iter().enumerate() {
            let event = event(GcKind::MarkSweep, base, 10 * (i as u64 + 1));
            detector.observe(&event, &mut |e| heard.push(e.clone()));
        }
        heard
    }

    fn leaks(events: &[MemoryWatchEvent]) -> Vec<LeakReport> {
        let leak = |e: &MemoryWatchEvent| match e {
            MemoryWatchEvent::Leak(leak) => Some(leak.clone()),
            MemoryWatchEvent::Stats(_) => None,
        };
        events.iter().filter_map(leak).collect()
    }

    fn last_stats(events: &[MemoryWatchEvent]) -> UsageStats {
        let stats = |e: &MemoryWatchEvent| match e {
            MemoryWatchEvent::Stats(stats) => Some(stats.clone()),
            MemoryWatchEvent::Leak(_) => None,
        };
        events.iter().rev().find_map(stats).expect("a stats record")
    }

    #[test]
    fn five_growths_in_a_row_are_a_leak_measured_from_the_collection_before() {
        let heard = run(&[100, 200, 300, 400, 500, 600]);
        let leaks = leaks(&heard);
        assert_eq!(
            leaks,
            vec![LeakReport {
                start: MS * 10,
                end: MS * 60,
                base_before: 100,
                base_after: 600,
                collections: 5,
                start_gc: 1,
                end_gc: 6,
            }]
        );
        assert_eq!(leaks[0].growth_bytes(), 500);
        // 500 bytes in 50 ms: 36 000 000 bytes an hour.
        assert_eq!(leaks[0].bytes_per_hour().round(), 36_000_000.0);
        assert_eq!(
            leaks[0].reason(),
            "heap growth over 5 consecutive GCs (0.050 s) - 36000000 bytes/hr"
        );
        // The leak comes right before the stats record of the collection that completed it.
        assert!(matches!(heard[heard.len() - 2], MemoryWatchEvent::Leak(_)));
        assert_eq!(heard.len(), 7);
    }

    #[test]
    fn four_growths_then_a_drop_are_not_a_leak_and_restart_the_count() {
        let heard = run(&[100, 200, 300, 400, 500, 450, 460, 470, 480, 490]);
        assert!(leaks(&heard).is_empty());
        let heard = run(&[100, 200, 300, 400, 500, 450, 460, 470, 480, 490, 495]);
        let leaks = leaks(&heard);
        assert_eq!(leaks.len(), 1);
        assert_eq!((leaks[0].base_before, leaks[0].base_after), (450, 495));
        assert_eq!((leaks[0].start, leaks[0].end), (MS * 60, MS * 110));
    }

    #[test]
    fn an_equal_heap_breaks_a_run_and_a_second_run_needs_five_more() {
        assert!(leaks(&run(&[1, 2, 3, 4, 5, 5, 6, 7, 8, 9])).is_empty());
        let ten_growths: Vec<usize> = (1..=11).collect();
        let found = leaks(&run(&ten_growths));
        assert_eq!(found.len(), 2);
        assert_eq!((found[1].base_before, found[1].base_after), (6, 11));
    }

    #[test]
    fn a_wobble_is_not_a_leak_but_a_slow_steady_leak_is_found_later() {
        // Five growths of 0.1% each: 0.5% in all, under the 1% a leak needs.
        let wobble = [1000, 1001, 1002, 1003, 1004, 1005, 1000];
        assert!(leaks(&run(&wobble)).is_empty());
        // memwatch's own rule calls it a leak.
        let mut memwatch = LeakDetector::with_min_growth(0.0);
        let mut heard = Vec::new();
        for (i, &base) in wobble.iter().enumerate() {
            let event = event(GcKind::MarkSweep, base, 10 * (i as u64 + 1));
            memwatch.observe(&event, &mut |e| heard.push(e.clone()));
        }
        assert_eq!(leaks(&heard).len(), 1);
        // The same growth kept up reaches 1% at the tenth step, and is reported then.
        let slow: Vec<usize> = (1000..=1012).collect();
        let found = leaks(&run(&slow));
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].base_before, found[0].base_after), (1000, 1010));
        assert_eq!(found[0].collections, 10);
        assert_eq!((found[0].start_gc, found[0].end_gc), (1, 11));
    }

    #[test]
    fn stats_count_pauses_by_kind_and_settle_min_and_max() {
        let mut detector = LeakDetector::new();
        let mut heard = Vec::new();
        let pauses = [
            event(GcKind::Scavenge, 50, 1),
            event(GcKind::MarkingStep, 50, 2),
            event(GcKind::LazySweep, 50, 3),
            event(GcKind::MarkSweep, 900, 4),
            event(GcKind::MarkCompact, 100, 5),
            event(GcKind::MarkingFinalize, 300, 6),
            event(GcKind::Scavenge, 300, 7),
            event(GcKind::MarkSweep, 200, 8),
        ];
        for pause in &pauses {
            detector.observe(pause, &mut |e| heard.push(e.clone()));
        }
        let stats = last_stats(&heard);
        assert_eq!(stats.num_full_gc, 4);
        assert_eq!(stats.num_inc_gc, 3);
        assert_eq!(stats.heap_compactions, 1);
        assert_eq!(stats.current_base, 200);
        // The first two full collections (900, 100) are start-up: left out of min and max.
        assert_eq!((stats.min, stats.max), (200, 300));
        assert_eq!(stats.at, MS * 8);
        assert_eq!(heard.len(), 4, "one stats record per full collection");
    }

    #[test]
    fn averages_follow_memwatch_after_the_start_up_period() {
        // Ten collections at 1000 bytes, then the heap doubles.
        let mut bases = vec![1000; 10];
        let stats = last_stats(&run(&bases));
        assert_eq!(stats.estimated_base, 1000);
        assert_eq!(stats.usage_trend, 0.0);
        bases.push(2000);
        let stats = last_stats(&run(&bases));
        // recent: (1000 * 9 + 2000) / 10; ancient: (1000 * 119 + 2000) / 120.
        assert_eq!(stats.estimated_base, 1100);
        let ancient = (1000.0 * 119.0 + 2000.0) / 120.0;
        let trend = ((1100.0 - ancient) / ancient * 1000.0_f64).round() / 10.0;
        assert_eq!(stats.usage_trend, trend);
        assert_eq!(stats.usage_trend, 9.1);
    }

    #[test]
    fn the_first_average_damps_start_up() {
        // n = 1: weight (1/10)^2.5 on the previous (zero) average.
        let stats = last_stats(&run(&[1000]));
        let weight = 0.1_f64.powf(2.5);
        assert_eq!(
            stats.estimated_base,
            (1000.0 / (weight + 1.0)).round() as u64
        );
        assert_eq!(stats.estimated_base, 997);
    }
}
