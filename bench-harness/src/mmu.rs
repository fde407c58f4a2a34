//! Minimum mutator utilization (Cheng and Blelloch): for a window length `w`, the smallest share
//! of any `w`-long stretch of the run that the mutator had, the pauses being what it did not have.
//!
//! Computed exactly from the pause intervals, not by sampling windows: the pause time inside the
//! window `[t, t + w]` is piecewise linear in `t`, with corners only where a window edge meets a
//! pause edge, so its maximum is at one of the `t` that put the window's start or end on a pause's
//! start or end (or at either end of the run). Each candidate is evaluated in `O(log n)` with
//! prefix sums, so a curve of `k` windows over `n` pauses costs `O(k n log n)`.
//!
//! Invariant of [`Timeline`]: pauses are sorted, do not overlap, and lie within `[0, total]`
//! (the constructor clips and merges what a clock could have made otherwise).

use std::time::Duration;

/// One pause, in nanoseconds from the start of the run.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Interval {
    pub start: u64,
    pub end: u64,
}

/// The pauses of one run and its length, ready for MMU queries.
#[derive(Clone, Debug)]
pub struct Timeline {
    pauses: Vec<Interval>,
    /// `paused_before[i]`: pause time before `pauses[i]` starts.
    paused_before: Vec<u64>,
    total: u64,
}

impl Timeline {
    /// `pauses` as (start from the beginning of the run, duration), in any order; the run lasted
    /// `total`. Parts of pauses outside the run are dropped and overlapping pauses merged.
    pub fn new(pauses: impl IntoIterator<Item = (Duration, Duration)>, total: Duration) -> Self {
        let total = nanos(total);
        let mut intervals: Vec<Interval> = pauses
            .into_iter()
            .map(|(start, length)| {
                let start = nanos(start).min(total);
                let end = start.saturating_add(nanos(length)).min(total);
                Interval { start, end }
            })
            .filter(|interval| interval.end > interval.start)
            .collect();
        intervals.sort_unstable_by_key(|interval| interval.start);
        let mut merged: Vec<Interval> = Vec::with_capacity(intervals.len());
        for interval in intervals {
            match merged.last_mut() {
                Some(last) if interval.start <= last.end => last.end = last.end.max(interval.end),
                _ => merged.push(interval),
            }
        }
        let mut paused_before = Vec::with_capacity(merged.len());
        let mut sum = 0;
        for interval in &merged {
            paused_before.push(sum);
            sum += interval.end - interval.start;
        }
        Timeline {
            pauses: merged,
            paused_before,
            total,
        }
    }

    /// The run's length in nanoseconds.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Pause time within `[0, x]`.
    fn paused_until(&self, x: u64) -> u64 {
        // The last pause starting at or before `x`.
        let after = self.pauses.partition_point(|p| p.start <= x);
        let Some(index) = after.checked_sub(1) else {
            return 0;
        };
        let pause = self.pauses[index];
        self.paused_before[index] + x.min(pause.end) - pause.start
    }

    /// Pause time within `[start, start + window]`.
    fn paused_within(&self, start: u64, window: u64) -> u64 {
        self.paused_until(start + window) - self.paused_until(start)
    }

    /// The minimum mutator utilization over windows of `window`, from 0 (some window was all
    /// pause) to 1 (no window held any pause). `None` when the window is empty or longer than
    /// the run: no window of that length fits in it.
    pub fn mmu(&self, window: Duration) -> Option<f64> {
        let window = nanos(window);
        if window == 0 || window > self.total {
            return None;
        }
        let last_start = self.total - window;
        let clamp = |t: u64| t.min(last_start);
        let mut worst = 0;
        let edges = self.pauses.iter().flat_map(|p| [p.start, p.end]);
        for edge in edges {
            // The window starting at the edge, and the one ending at it.
            for start in [clamp(edge), clamp(edge.saturating_sub(window))] {
                worst = worst.max(self.paused_within(start, window));
            }
        }
        worst = worst.max(self.paused_within(last_start, window));
        Some(1.0 - worst as f64 / window as f64)
    }
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// 100 ms with pauses at 10-20, 30-35 and 50-80 ms (45 ms of pause).
    fn three_pauses() -> Timeline {
        Timeline::new(
            [(ms(30), ms(5)), (ms(10), ms(10)), (ms(50), ms(30))],
            ms(100),
        )
    }

    fn assert_close(got: Option<f64>, want: f64) {
        let got = got.expect("the window fits in the run");
        assert!((got - want).abs() < 1e-12, "got {got}, want {want}");
    }

    #[test]
    fn mmu_of_a_known_sequence_is_what_hand_computation_gives() {
        let timeline = three_pauses();
        // Any window up to 30 ms fits inside the 50-80 ms pause.
        for window in [1, 10, 25, 30] {
            assert_close(timeline.mmu(ms(window)), 0.0);
        }
        // 35 ms: [45, 80] or [50, 85] hold 30 ms of pause.
        assert_close(timeline.mmu(ms(35)), 5.0 / 35.0);
        // 40 ms: [40, 80] holds 30 ms.
        assert_close(timeline.mmu(ms(40)), 10.0 / 40.0);
        // 50 ms: [30, 80] holds 5 + 30 ms.
        assert_close(timeline.mmu(ms(50)), 15.0 / 50.0);
        // 70 ms: [10, 80] holds every pause.
        assert_close(timeline.mmu(ms(70)), 25.0 / 70.0);
        // The whole run: 55 ms of 100 were the mutator's.
        assert_close(timeline.mmu(ms(100)), 0.55);
    }

    #[test]
    fn windows_that_do_not_fit_have_no_mmu() {
        let timeline = three_pauses();
        assert_eq!(timeline.mmu(ms(101)), None);
        assert_eq!(timeline.mmu(Duration::ZERO), None);
    }

    #[test]
    fn a_run_without_pauses_has_full_utilization() {
        let timeline = Timeline::new([], ms(10));
        assert_close(timeline.mmu(ms(1)), 1.0);
        assert_close(timeline.mmu(ms(10)), 1.0);
    }

    #[test]
    fn overlapping_and_overhanging_pauses_are_merged_and_clipped() {
        // 2-6 and 4-8 merge into 2-8; 9-15 is clipped to 9-10.
        let timeline = Timeline::new([(ms(4), ms(4)), (ms(2), ms(4)), (ms(9), ms(6))], ms(10));
        assert_close(timeline.mmu(ms(10)), 0.3);
        assert_close(timeline.mmu(ms(6)), 0.0);
        // [2, 10] holds 6 + 1 ms of pause.
        assert_close(timeline.mmu(ms(8)), 1.0 / 8.0);
    }

    /// Against a brute force over windows starting at every microsecond.
    #[test]
    fn mmu_matches_a_brute_force_scan() {
        let us = Duration::from_micros;
        let pauses = [
            (us(100), us(40)),
            (us(180), us(5)),
            (us(300), us(120)),
            (us(700), us(1)),
        ];
        let timeline = Timeline::new(pauses, us(1000));
        for window in [10, 50, 90, 200, 333, 1000] {
            let mut worst = 0u64;
            for start in 0..=(1000 - window) {
                let paused: u64 = pauses
                    .iter()
                    .map(|(s, d)| {
                        let (s, e) = (s.as_micros() as u64, (*s + *d).as_micros() as u64);
                        e.min(start + window).saturating_sub(s.max(start))
                    })
                    .sum();
                worst = worst.max(paused);
            }
            assert_close(timeline.mmu(us(window)), 1.0 - worst as f64 / window as f64);
        }
    }
}
