//! Pause-time statistics: count, total, percentiles, maximum.
//!
//! This is gclab's one definition of a pause percentile: the nearest rank over the exact
//! durations ([`nearest_rank`]), taken from [`SortedPauses`]. `gclab run`, `gclab replay` and
//! `gclab compare` all take theirs from here, so the same pauses give the same p50, p99 and max
//! in each. Exact ranks cost a sort of the durations, which is nothing next to the run that made
//! them; a histogram's bucketing would make figures differ between commands for no gain.

use std::time::Duration;

use gc_core::GcEvent;

// The percentiles gclab reports, in thousandths (the unit of `nearest_rank`).
pub const P50: u32 = 500;
pub const P90: u32 = 900;
pub const P99: u32 = 990;
pub const P99_9: u32 = 999;

/// A run's pause durations, ascending: what every percentile is read from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SortedPauses(Vec<Duration>);

impl SortedPauses {
    pub fn new(mut durations: Vec<Duration>) -> Self {
        durations.sort_unstable();
        SortedPauses(durations)
    }

    pub fn count(&self) -> usize {
        self.0.len()
    }

    pub fn total(&self) -> Duration {
        self.0.iter().sum()
    }

    /// The pause at `per_mille` thousandths by nearest rank (`None` without pauses).
    pub fn quantile(&self, per_mille: u32) -> Option<Duration> {
        nearest_rank(&self.0, per_mille)
    }

    pub fn max(&self) -> Option<Duration> {
        self.0.last().copied()
    }
}

/// The pauses of a run, summarised.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PauseSummary {
    pub count: usize,
    pub total: Duration,
    /// `None` when there was no pause.
    pub p50: Option<Duration>,
    pub p99: Option<Duration>,
    pub max: Option<Duration>,
}

impl PauseSummary {
    pub fn of_events(events: &[GcEvent]) -> Self {
        let durations: Vec<Duration> = events.iter().map(|e| e.duration).collect();
        Self::of_durations(durations)
    }

    pub fn of_durations(durations: Vec<Duration>) -> Self {
        Self::of(&SortedPauses::new(durations))
    }

    pub fn of(pauses: &SortedPauses) -> Self {
        PauseSummary {
            count: pauses.count(),
            total: pauses.total(),
            p50: pauses.quantile(P50),
            p99: pauses.quantile(P99),
            max: pauses.max(),
        }
    }
}

/// A pause in milliseconds, as every report writes one (one conversion, so that a figure printed
/// by two commands is the same number).
pub fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

/// The quantile at `per_mille` thousandths of `sorted` (ascending) by the nearest-rank method:
/// the smallest value such that at least that share of the values are at most it. `None` for no
/// values. Thousandths, in whole numbers, so that p99.9 is exact and no rank is off by one for
/// a floating-point rounding.
pub fn nearest_rank<T: Copy>(sorted: &[T], per_mille: u32) -> Option<T> {
    debug_assert!(per_mille <= 1000, "a quantile is at most 1000 thousandths");
    let rank = (per_mille as usize * sorted.len()).div_ceil(1000).max(1);
    sorted.get(rank - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_follows_the_definition() {
        let values = [15, 20, 35, 40, 50];
        assert_eq!(nearest_rank(&values, 50), Some(15));
        assert_eq!(nearest_rank(&values, 300), Some(20));
        assert_eq!(nearest_rank(&values, 400), Some(20));
        assert_eq!(nearest_rank(&values, 500), Some(35));
        assert_eq!(nearest_rank(&values, 1000), Some(50));
        assert_eq!(nearest_rank(&values, 0), Some(15));
        assert_eq!(nearest_rank::<u32>(&[], 500), None);
    }

    #[test]
    fn high_percentiles_of_a_hundred_and_a_thousand() {
        let values: Vec<u32> = (1..=100).collect();
        assert_eq!(nearest_rank(&values, P99), Some(99));
        assert_eq!(nearest_rank(&values, P50), Some(50));
        // p99.9 of a hundred values is the largest.
        assert_eq!(nearest_rank(&values, P99_9), Some(100));
        let values: Vec<u32> = (1..=1000).collect();
        assert_eq!(nearest_rank(&values, P99), Some(990));
        assert_eq!(nearest_rank(&values, P99_9), Some(999));
    }

    #[test]
    fn summary_sorts_and_sums() {
        let ms = Duration::from_millis;
        let summary = PauseSummary::of_durations(vec![ms(3), ms(1), ms(2)]);
        assert_eq!(summary.count, 3);
        assert_eq!(summary.total, ms(6));
        assert_eq!(
            (summary.p50, summary.p99, summary.max),
            (Some(ms(2)), Some(ms(3)), Some(ms(3)))
        );
        assert_eq!(PauseSummary::of_durations(Vec::new()).max, None);
    }
}
