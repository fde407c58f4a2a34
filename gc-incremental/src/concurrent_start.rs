//! When concurrent marking starts: late enough that the marker thread finishes near the
//! allocation limit, as incremental marking's paced steps do (V8 starts concurrent marking when
//! the estimated marking time at the current allocation rate would use up what is left before
//! the limit).
//!
//! Incremental marking starts at [`START_FRACTION`] of the headroom because its steps spread the
//! work over the rest of it. A marker thread marks much faster than the steps' pace, so a cycle
//! started there ended soon after, with most of the headroom unused: the next cycle came sooner,
//! and gen-concurrent ran about 1.7 times gen-incremental's cycles on binary-trees. Here the
//! start is where the old generation's expected growth during marking, `SAFETY_MARGIN` times
//! (estimated live bytes / the marking speed) × (the old generation's growth rate), fits in what
//! is left of the headroom.
//!
//! The marking speed is the cycle's as the mutator sees it: bytes both markers scanned per
//! millisecond of main-thread work from marking's start to its finalization. The marker
//! thread's own CPU time would leave out what makes a cycle last longer than its marking: the
//! thread waiting for the grey objects the main thread publishes on its slow path, and for the
//! step that finds marking done; a start from it overshot the limit, and what was allocated
//! meanwhile survived, raising the next limit and committed memory. The growth rate is the old
//! generation's bytes per millisecond of main-thread work between cycle ends. Both are work,
//! not waiting (the clock heap growing uses, `gc_core::thread_ticks`), averaged over the last
//! few cycles (`gc_core::bytes_and_duration`). A marker that falls behind the estimate is
//! joined by main-thread steps (the schedule's pace floor, `Incremental::marker_keeps_up`), so a
//! late start costs steps, never correctness.
//!
//! Invariant: without a measurement of both rates (the first cycles, a marker that never ran),
//! the start is incremental marking's; with them it is never earlier than the old generation's
//! survivors and never later than [`LATEST_START_FRACTION`] of the headroom.

use std::time::Duration;

use gc_core::bytes_and_duration::BytesAndDurationBuffer;

use crate::marking_schedule::{START_FRACTION, should_start};

/// Times the estimated growth during marking kept free: the rates are averages, and a cycle's
/// marking may meet a burst of promotion or a slower marker.
pub const SAFETY_MARGIN: f64 = 2.0;
/// The latest start, as a share of the headroom: old-generation growth comes in steps (a
/// scavenge promotes megabytes at once), and the start is decided only every step interval.
pub const LATEST_START_FRACTION: f64 = 0.9;

/// The main thread's reading at the end of a cycle.
#[derive(Copy, Clone, Debug)]
struct CycleEnd {
    /// Old-generation bytes the cycle left.
    survived: usize,
    /// Main-thread work reading (`GcTracer::work_now`).
    work: Duration,
}

/// Measured rates and the start they give.
#[derive(Clone, Debug, Default)]
pub struct ConcurrentStart {
    /// Bytes both markers scanned over the main thread's work while marking, per cycle.
    marking: BytesAndDurationBuffer,
    /// Old-generation growth over main-thread work, per interval between cycle ends.
    growth: BytesAndDurationBuffer,
    last_end: Option<CycleEnd>,
    /// The main thread's work reading when this cycle's marking started.
    marking_started: Option<Duration>,
}

impl ConcurrentStart {
    /// Takes in the start of marking, with the main thread's work reading at `work`.
    pub fn marking_started(&mut self, work: Duration) {
        self.marking_started = Some(work);
    }

    /// Takes in a finished marking: the two markers scanned `scanned` bytes, and the old
    /// generation held `old_bytes` when it finished, with the main thread's work reading at
    /// `work`.
    pub fn marking_done(&mut self, scanned: usize, old_bytes: usize, work: Duration) {
        if let Some(started) = self.marking_started.take() {
            let took = work.saturating_sub(started);
            if scanned > 0 && !took.is_zero() {
                self.marking.push(scanned, took);
            }
        }
        if let Some(end) = self.last_end {
            let grown = old_bytes.saturating_sub(end.survived);
            let took = work.saturating_sub(end.work);
            if !took.is_zero() {
                self.growth.push(grown, took);
            }
        }
    }

    /// Takes in the end of a cycle (marking and its pause, or a stop-the-world collection) that
    /// left `survived` old-generation bytes, with the main thread's work reading at `work`.
    pub fn cycle_ended(&mut self, survived: usize, work: Duration) {
        self.last_end = Some(CycleEnd { survived, work });
    }

    /// Whether marking should start with `old_bytes` in the old generation, the allocation limit
    /// `limit` and `survived` bytes after the last cycle.
    pub fn should_start(&self, old_bytes: usize, limit: usize, survived: usize) -> bool {
        let survived = survived.min(limit);
        let Some(needed) = self.headroom_needed(survived) else {
            return should_start(old_bytes, limit, survived);
        };
        let headroom = (limit - survived) as f64;
        let latest = survived + (headroom * LATEST_START_FRACTION) as usize;
        let start = limit.saturating_sub(needed).clamp(survived, latest);
        old_bytes >= start
    }

    /// Bytes the old generation is expected to grow by while the marker marks `live` bytes (the
    /// last cycle's survivors: what marking scans, but for the objects promoted since, which the
    /// margin covers), with the margin; `None` until both rates are measured.
    fn headroom_needed(&self, live: usize) -> Option<usize> {
        let marking = self.marking.bytes_per_ms();
        let growth = self.growth.bytes_per_ms();
        if marking <= 0.0 || growth <= 0.0 {
            return None;
        }
        let marking_ms = live as f64 / marking;
        Some((SAFETY_MARGIN * marking_ms * growth) as usize)
    }

    /// The share of the headroom at which marking starts, for reports and tests: between 0 and
    /// [`LATEST_START_FRACTION`], or [`START_FRACTION`] before both rates are measured.
    pub fn start_fraction(&self, limit: usize, survived: usize) -> f64 {
        let survived = survived.min(limit);
        let headroom = (limit - survived).max(1) as f64;
        match self.headroom_needed(survived) {
            None => START_FRACTION,
            Some(needed) => (1.0 - needed as f64 / headroom).clamp(0.0, LATEST_START_FRACTION),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);
    const MB: usize = 1 << 20;

    /// A start that saw `cycles` cycles each with marking scanning `marking_per_ms` bytes a
    /// millisecond and the old generation growing by `growth_per_ms`, both per millisecond of
    /// mutator work.
    fn measured(cycles: usize, marking_per_ms: usize, growth_per_ms: usize) -> ConcurrentStart {
        let mut start = ConcurrentStart::default();
        let mut work = Duration::ZERO;
        let survived = 10 * MB;
        start.cycle_ended(survived, work);
        for _ in 0..cycles {
            start.marking_started(work + 90 * MS);
            work += 100 * MS;
            start.marking_done(10 * marking_per_ms, survived + 100 * growth_per_ms, work);
            start.cycle_ended(survived, work);
        }
        start
    }

    #[test]
    fn without_measurements_marking_starts_where_incremental_marking_does() {
        let start = measured(0, 0, 0);
        assert!(!start.should_start(59, 100, 0));
        assert!(start.should_start(60, 100, 0));
        assert_eq!(start.start_fraction(100, 0), START_FRACTION);
    }

    #[test]
    fn a_fast_marker_starts_late_and_a_slow_one_early() {
        let (limit, survived) = (30 * MB, 10 * MB);
        // 1 MiB marked a millisecond, 10 KiB grown: 10 MiB take 10 ms, 100 KiB of growth, twice
        // that kept free.
        let fast = measured(3, MB, 10 << 10);
        assert_eq!(fast.start_fraction(limit, survived), LATEST_START_FRACTION);
        assert!(!fast.should_start(27 * MB, limit, survived));
        assert!(fast.should_start(28 * MB, limit, survived));
        // 100 KiB marked a millisecond, 100 KiB grown: 10 MiB of marking take 100 ms, 10 MiB of
        // growth, 20 MiB kept free: marking starts at once.
        let slow = measured(3, 100 << 10, 100 << 10);
        assert!(slow.should_start(10 * MB, limit, survived));
        // In between: 1 MiB marked, 256 KiB grown a millisecond: 2.5 MiB of growth, 5 MiB kept.
        let between = measured(3, MB, 256 << 10);
        assert!(!between.should_start(24 * MB, limit, survived));
        assert!(between.should_start(25 * MB, limit, survived));
    }

    #[test]
    fn marking_that_takes_longer_for_the_same_bytes_starts_earlier() {
        let at = |start: &ConcurrentStart| start.start_fraction(30 * MB, 10 * MB);
        let usual = measured(5, MB, 256 << 10);
        let mut slower = measured(5, MB, 256 << 10);
        for _ in 0..5 {
            slower.marking_started(Duration::ZERO);
            slower.marking_done(10 * MB, 0, 20 * MS);
        }
        assert!(at(&slower) < at(&usual), "{} {}", at(&slower), at(&usual));
    }
}
