//! Pause-time statistics over a run's GC events: count, total, nearest-rank percentiles, maximum.

use std::time::Duration;

use gc_core::GcEvent;

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

    pub fn of_durations(mut durations: Vec<Duration>) -> Self {
        durations.sort_unstable();
        PauseSummary {
            count: durations.len(),
            total: durations.iter().sum(),
            p50: nearest_rank(&durations, 50),
            p99: nearest_rank(&durations, 99),
            max: durations.last().copied(),
        }
    }
}

/// The `percent`-th percentile of `sorted` (ascending) by the nearest-rank method: the smallest
/// value such that at least `percent`% of the values are at most it. `None` for no values.
pub fn nearest_rank<T: Copy>(sorted: &[T], percent: u32) -> Option<T> {
    debug_assert!(percent <= 100, "a percentile is at most 100");
    let rank = (percent as usize * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_follows_the_definition() {
        let values = [15, 20, 35, 40, 50];
        assert_eq!(nearest_rank(&values, 5), Some(15));
        assert_eq!(nearest_rank(&values, 30), Some(20));
        assert_eq!(nearest_rank(&values, 40), Some(20));
        assert_eq!(nearest_rank(&values, 50), Some(35));
        assert_eq!(nearest_rank(&values, 100), Some(50));
        assert_eq!(nearest_rank(&values, 0), Some(15));
        assert_eq!(nearest_rank::<u32>(&[], 50), None);
    }

    #[test]
    fn p99_of_a_hundred_is_the_ninety_ninth() {
        let values: Vec<u32> = (1..=100).collect();
        assert_eq!(nearest_rank(&values, 99), Some(99));
        assert_eq!(nearest_rank(&values, 50), Some(50));
        let values: Vec<u32> = (1..=1000).collect();
        assert_eq!(nearest_rank(&values, 99), Some(990));
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
