//! The GC tracer: turns pauses into [`GcEvent`]s, keeps them, tells listeners, and keeps V8's
//! mutator-utilization figures and the speeds heap growing needs.
//!
//! A collector opens a pause with `HeapCore::begin_pause` and closes it with
//! `HeapCore::end_pause`; everything between the two is the pause.
//!
//! Pauses are reported in wall time (what the mutator waited). The speeds heap growing reads
//! are work, not waiting: main-thread CPU time ([`ThreadTicks`]) for the mutator, the
//! incremental steps and the pause, and a marker thread's CPU time for what it marked, so that
//! a loaded machine, which stretches every wall time but not each thread's alike, does not move
//! the allocation limit.

use std::time::{Duration, Instant};

use crate::bytes_and_duration::BytesAndDurationBuffer;
use crate::event::{GcEvent, MutatorUtilization};
use crate::thread_ticks::ThreadTicks;

/// A callback told of every event as it happens.
pub type GcListener = Box<dyn FnMut(&GcEvent)>;

/// V8's `GCTracer::RecordMutatorUtilization`: running averages of full-GC and mutator time
/// between consecutive full GCs, and the utilization of the last interval.
#[derive(Debug, Default)]
struct UtilizationTracker {
    previous_end_ms: Option<f64>,
    average_gc_ms: f64,
    average_mutator_ms: f64,
    current: Option<f64>,
}

impl UtilizationTracker {
    fn record(&mut self, end_ms: f64, gc_ms: f64) {
        let Some(previous) = self.previous_end_ms.replace(end_ms) else {
            return;
        };
        let total = end_ms - previous;
        let mutator = total - gc_ms;
        if self.average_gc_ms == 0.0 && self.average_mutator_ms == 0.0 {
            self.average_gc_ms = gc_ms;
            self.average_mutator_ms = mutator;
        } else {
            self.average_gc_ms = (self.average_gc_ms + gc_ms) / 2.0;
            self.average_mutator_ms = (self.average_mutator_ms + mutator) / 2.0;
        }
        self.current = Some(if total > 0.0 { mutator / total } else { 0.0 });
    }

    fn figures(&self) -> MutatorUtilization {
        let total = self.average_gc_ms + self.average_mutator_ms;
        let average = if total == 0.0 {
            1.0
        } else {
            self.average_mutator_ms / total
        };
        MutatorUtilization {
            average,
            current: self.current.unwrap_or(1.0),
        }
    }
}

/// Allocation and marking speeds over the last few full collections, for heap growing.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct Speeds {
    /// Bytes of live objects a full GC processed per millisecond of GC work (on any thread).
    pub gc_bytes_per_ms: f64,
    /// Bytes the mutator allocated per millisecond of main-thread work between full GCs.
    pub mutator_bytes_per_ms: f64,
}

/// What a finished full collection's marking cycle cost, for [`GcTracer::full_gc_done`].
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct CycleCost {
    /// The main thread's work reading ([`GcTracer::work_now`]) when the pause began.
    pub pause_started: Duration,
    /// Main-thread work in the pause.
    pub pause_work: Duration,
    /// CPU time a marker thread marked in the cycle, beside the mutator.
    pub concurrent_marking: Duration,
    /// Bytes of objects left after the collection.
    pub live_bytes: usize,
    /// Bytes the mutator allocated since the previous full collection.
    pub allocated_bytes: usize,
}

/// Invariant: `events` holds the most recent pauses, at least `history` of them when there were
/// that many, and at most twice that; `gc_count` and `pause_time` cover every pause.
pub struct GcTracer {
    origin: Instant,
    events: Vec<GcEvent>,
    history: usize,
    gc_count: u64,
    listeners: Vec<GcListener>,
    utilization: UtilizationTracker,
    pause_time: Duration,
    /// The main thread's clock of work.
    ticks: ThreadTicks,
    /// Its reading at the end of the last full collection (or at the tracer's making).
    last_full_gc_end_work: Duration,
    /// Main-thread work in incremental marking steps since the last full collection: part of
    /// the marking work the finalization pause completes.
    marking_step_work: Duration,
    /// Recent cycles' live bytes and GC work.
    mark_compacts: BytesAndDurationBuffer,
    /// Recent intervals' allocated bytes and mutator work.
    allocations: BytesAndDurationBuffer,
}

impl Default for GcTracer {
    /// A tracer that keeps every event.
    fn default() -> Self {
        GcTracer::new(usize::MAX)
    }
}

impl GcTracer {
    /// A tracer that keeps at least the last `history` events (so that a long-running heap's
    /// memory does not grow with its number of pauses).
    pub fn new(history: usize) -> Self {
        let ticks = ThreadTicks::new();
        GcTracer {
            origin: Instant::now(),
            events: Vec::new(),
            history: history.max(1),
            gc_count: 0,
            listeners: Vec::new(),
            utilization: UtilizationTracker::default(),
            pause_time: Duration::ZERO,
            last_full_gc_end_work: ticks.now(),
            ticks,
            marking_step_work: Duration::ZERO,
            mark_compacts: BytesAndDurationBuffer::default(),
            allocations: BytesAndDurationBuffer::default(),
        }
    }

    /// Time since the heap was created.
    pub fn now(&self) -> Duration {
        self.origin.elapsed()
    }

    pub fn origin(&self) -> Instant {
        self.origin
    }

    /// The most recent pauses, oldest first (all of them unless the history bound dropped some).
    pub fn events(&self) -> &[GcEvent] {
        &self.events
    }

    /// Number of pauses so far.
    pub fn gc_count(&self) -> u64 {
        self.gc_count
    }

    /// Sum of all pauses.
    pub fn total_pause(&self) -> Duration {
        self.pause_time
    }

    pub fn add_listener(&mut self, listener: GcListener) {
        self.listeners.push(listener);
    }

    /// The mutator-utilization figures now.
    pub fn mutator_utilization(&self) -> MutatorUtilization {
        self.utilization.figures()
    }

    /// The main thread's work reading now (its CPU time where the platform can tell): pauses
    /// take one when they begin and one when they end.
    pub fn work_now(&self) -> Duration {
        self.ticks.now()
    }

    /// Counts an incremental marking step's main-thread work toward its cycle.
    pub fn marking_step_done(&mut self, work: Duration) {
        self.marking_step_work += work;
    }

    /// Samples a finished full collection's cycle and returns the speeds heap growing takes,
    /// averaged over the last few cycles (see [`crate::bytes_and_duration`]).
    ///
    /// The GC's work is the whole marking cycle's (V8's combined mark-compact speed): the
    /// incremental steps since the previous full collection, the pause, and a marker thread's
    /// CPU time. Leaving out the steps made the finalization pause, which finishes their work,
    /// look fast; leaving out the marker made a concurrent cycle look almost free. Either way
    /// heap growing took its smallest factor and cycles ran back to back (gen-concurrent ran
    /// 4 to 7 times as many as gen-incremental). The mutator's time is the main thread's work
    /// since the previous full collection, short pauses included, as before.
    ///
    /// Every figure is a thread's CPU time: a marker that shares its core with another program
    /// marks no slower per CPU millisecond, while its wall time (and the mutator's) stretch by
    /// however much the machine is loaded. Counting wall time made the limit, and committed
    /// memory, follow the load (bench-harness's soak test).
    pub fn full_gc_done(&mut self, cycle: CycleCost) -> Speeds {
        let mutator_work = cycle
            .pause_started
            .saturating_sub(self.last_full_gc_end_work);
        let gc_work = cycle.pause_work + self.marking_step_work + cycle.concurrent_marking;
        self.allocations.push(cycle.allocated_bytes, mutator_work);
        self.mark_compacts.push(cycle.live_bytes, gc_work);
        self.last_full_gc_end_work = cycle.pause_started + cycle.pause_work;
        self.marking_step_work = Duration::ZERO;
        Speeds {
            gc_bytes_per_ms: self.mark_compacts.bytes_per_ms(),
            mutator_bytes_per_ms: self.allocations.bytes_per_ms(),
        }
    }

    /// Records a finished pause (its `sequence` and utilization are filled in here) and tells the
    /// listeners.
    pub fn record(&mut self, mut event: GcEvent) -> &GcEvent {
        event.sequence = self.gc_count;
        self.gc_count += 1;
        if event.kind.is_full() {
            let end_ms = event.end().as_secs_f64() * 1e3;
            self.utilization
                .record(end_ms, event.duration.as_secs_f64() * 1e3);
        }
        event.mutator_utilization = self.utilization.figures();
        self.pause_time += event.duration;
        for listener in &mut self.listeners {
            listener(&event);
        }
        if self.events.len() >= self.history.saturating_mul(2) {
            self.events.drain(..self.events.len() - self.history);
        }
        self.events.push(event);
        self.events.last().expect("just pushed")
    }
}

const MB: f64 = 1024.0 * 1024.0;

/// Formats `event` as V8's `--trace-gc` line, e.g.
/// `[4242:0x1]     1235 ms: Mark-Sweep 14.6 (50.1) -> 5.4 (43.5) MB, 6.70 / 0.00 ms  (average mu = 0.921, current mu = 0.922) allocation limit reached; freed 9.2 MB`.
///
/// `pid` is printed first, as V8 prints its process id; `heap_id` is printed in hex where V8
/// prints its isolate's address, so that the lines of several heaps in one process (a worker
/// each, say) can be told apart: give each heap its own number (`0x1` above).
pub fn trace_gc_line(event: &GcEvent, pid: u32, heap_id: usize) -> String {
    let mu = event.mutator_utilization;
    let outcome = &event.outcome;
    let mut details = format!("freed {:.1} MB", outcome.freed_bytes as f64 / MB);
    if outcome.promoted_bytes > 0 {
        details += &format!(", promoted {:.1} MB", outcome.promoted_bytes as f64 / MB);
    }
    if outcome.moved_bytes > 0 {
        let pages = match outcome.evacuated_pages {
            1 => "page",
            _ => "pages",
        };
        details += &format!(
            ", moved {:.1} MB from {} {pages}",
            outcome.moved_bytes as f64 / MB,
            outcome.evacuated_pages
        );
    }
    if outcome.external_freed_bytes > 0 {
        details += &format!(
            ", external {:.1} MB",
            outcome.external_freed_bytes as f64 / MB
        );
    }
    format!(
        "[{pid}:{heap_id:#x}] {:8.0} ms: {} {:.1} ({:.1}) -> {:.1} ({:.1}) MB, {:.2} / {:.2} ms  (average mu = {:.3}, current mu = {:.3}) {}; {}",
        event.start.as_secs_f64() * 1e3,
        event.kind.trace_name(),
        event.used_before as f64 / MB,
        event.committed_before as f64 / MB,
        event.used_after as f64 / MB,
        event.committed_after as f64 / MB,
        event.duration.as_secs_f64() * 1e3,
        outcome.external_time.as_secs_f64() * 1e3,
        mu.average,
        mu.current,
        event.reason,
        details,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{GcKind, GcPhase, example_event};

    fn event(kind: GcKind, start_ms: u64, duration_ms: u64) -> GcEvent {
        let mark = vec![(GcPhase::Mark, Duration::from_micros(7500))];
        example_event(
            kind,
            Duration::from_millis(start_ms),
            Duration::from_millis(duration_ms),
            mark,
        )
    }

    #[test]
    fn utilization_follows_v8_averaging() {
        let mut tracer = GcTracer::default();
        // First full GC only sets the reference point.
        assert_eq!(
            tracer
                .record(event(GcKind::MarkSweep, 90, 10))
                .mutator_utilization
                .current,
            1.0
        );
        // 100 ms later: 90 ms mutator, 10 ms GC.
        let mu = tracer
            .record(event(GcKind::MarkSweep, 190, 10))
            .mutator_utilization;
        assert!((mu.current - 0.9).abs() < 1e-9 && (mu.average - 0.9).abs() < 1e-9);
        // Next interval 200 ms with 50 ms GC: current 0.75; averages (10+50)/2 and (90+150)/2.
        let mu = tracer
            .record(event(GcKind::MarkSweep, 350, 50))
            .mutator_utilization;
        assert!((mu.current - 0.75).abs() < 1e-9);
        assert!((mu.average - 120.0 / 150.0).abs() < 1e-9);
        // A young pause does not change the figures.
        let young = tracer
            .record(event(GcKind::Scavenge, 400, 1))
            .mutator_utilization;
        assert_eq!(young, mu);
        assert_eq!(tracer.gc_count(), 4);
        assert_eq!(tracer.total_pause(), Duration::from_millis(71));
    }

    fn cycle(started_ms: u64, pause_ms: u64, marker_ms: u64, live: usize) -> CycleCost {
        let ms = Duration::from_millis;
        CycleCost {
            pause_started: ms(started_ms),
            pause_work: ms(pause_ms),
            concurrent_marking: ms(marker_ms),
            live_bytes: live,
            allocated_bytes: 1000,
        }
    }

    /// A cycle's GC work is its marking steps, its pause and its marker thread's time; the next
    /// cycle's steps start from zero.
    #[test]
    fn gc_work_counts_the_cycles_steps_and_marker() {
        let mut tracer = GcTracer {
            last_full_gc_end_work: Duration::ZERO,
            ..GcTracer::default()
        };
        tracer.marking_step_done(Duration::from_millis(3));
        tracer.marking_step_done(Duration::from_millis(3));
        let speeds = tracer.full_gc_done(cycle(40, 2, 12, 20_000));
        assert_eq!(speeds.gc_bytes_per_ms, 20_000.0 / 20.0);
        assert_eq!(speeds.mutator_bytes_per_ms, 1000.0 / 40.0);
        // Mutator work runs from the end of that pause (42 ms); no steps this time.
        let speeds = tracer.full_gc_done(cycle(92, 2, 0, 20_000));
        assert_eq!(speeds.gc_bytes_per_ms, 40_000.0 / 22.0);
        assert_eq!(speeds.mutator_bytes_per_ms, 2000.0 / 90.0);
    }

    /// One odd cycle moves the speed only by its share of the recent ones.
    #[test]
    fn speeds_are_averaged_over_recent_cycles() {
        let mut tracer = GcTracer {
            last_full_gc_end_work: Duration::ZERO,
            ..GcTracer::default()
        };
        let mut started = 0;
        for _ in 0..10 {
            started += 100;
            tracer.full_gc_done(cycle(started, 10, 0, 10_000));
        }
        let odd = tracer.full_gc_done(cycle(started + 100, 1, 0, 10_000));
        assert!(
            odd.gc_bytes_per_ms > 1000.0 && odd.gc_bytes_per_ms < 2000.0,
            "{odd:?}"
        );
    }

    #[test]
    fn trace_gc_line_has_v8_shape() {
        let line = trace_gc_line(&event(GcKind::MarkSweep, 1225, 10), 7, 1);
        assert_eq!(
            line,
            "[7:0x1]     1225 ms: Mark-Sweep 15.0 (50.0) -> 5.5 (43.5) MB, 10.00 / 0.00 ms  \
             (average mu = 1.000, current mu = 1.000) allocation limit reached; freed 10.0 MB"
        );
    }

    #[test]
    fn moved_pages_are_counted_in_words() {
        let mut compaction = event(GcKind::MarkCompact, 1225, 10);
        compaction.outcome.moved_bytes = 1 << 20;
        for (pages, words) in [(1, "from 1 page"), (3, "from 3 pages")] {
            compaction.outcome.evacuated_pages = pages;
            let line = trace_gc_line(&compaction, 7, 1);
            assert!(
                line.ends_with(&format!("freed 10.0 MB, moved 1.0 MB {words}")),
                "{line}"
            );
        }
    }

    #[test]
    fn a_bounded_history_keeps_the_latest_events_and_counts_all() {
        let mut tracer = GcTracer::new(3);
        for start in 0..10 {
            tracer.record(event(GcKind::Scavenge, start, 1));
        }
        let kept: Vec<u64> = tracer.events().iter().map(|e| e.sequence).collect();
        assert!(kept.len() >= 3 && kept.len() <= 6, "{kept:?}");
        assert_eq!(kept.last(), Some(&9));
        assert!(kept.windows(2).all(|w| w[1] == w[0] + 1));
        assert_eq!(tracer.gc_count(), 10);
        assert_eq!(tracer.total_pause(), Duration::from_millis(10));
    }

    #[test]
    fn listeners_see_every_event() {
        use std::cell::RefCell;
        use std::rc::Rc;
        let seen = Rc::new(RefCell::new(Vec::new()));
        let mut tracer = GcTracer::default();
        let sink = seen.clone();
        tracer.add_listener(Box::new(move |e| sink.borrow_mut().push(e.sequence)));
        tracer.record(event(GcKind::MarkSweep, 1, 1));
        tracer.record(event(GcKind::MarkSweep, 5, 1));
        assert_eq!(*seen.borrow(), vec![0, 1]);
    }
}
