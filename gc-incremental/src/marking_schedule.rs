//! When incremental marking starts and how much each step marks (V8's
//! `IncrementalMarkingSchedule` and its start limit).
//!
//! Marking starts once the old generation has used [`START_FRACTION`] of the headroom between
//! what survived the last cycle and the allocation limit, so that the rest of the headroom is
//! there for the mutator to allocate in while marking proceeds. Each step's goal is the larger of
//! two expected progresses, less what is already marked: by time, the estimated live bytes spread
//! over [`ESTIMATED_MARKING_TIME`]; by allocation, the estimated live bytes spread over the
//! headroom left when marking started, so marking ends before the limit. A step behind either
//! catches up (within its time budget); a step ahead still marks the minimum.
//!
//! Steps of at least a minimum every few bytes allocated also set a floor on progress, the
//! [`MarkingSchedule::incremental_pace`]: under concurrent marking the main thread keeps a
//! marker thread that falls below it company with steps.

use std::time::{Duration, Instant};

/// The share of the headroom above the last cycle's survivors used before marking starts.
pub const START_FRACTION: f64 = 0.6;
/// How long marking should take by the clock alone (V8: 500 ms).
pub const ESTIMATED_MARKING_TIME: Duration = Duration::from_millis(500);

/// Whether marking should start now, with `old_bytes` in the old generation, the allocation
/// limit `limit`, and `survived` bytes after the last cycle.
pub fn should_start(old_bytes: usize, limit: usize, survived: usize) -> bool {
    let survived = survived.min(limit);
    let start = survived + ((limit - survived) as f64 * START_FRACTION) as usize;
    old_bytes >= start
}

/// The schedule of one marking cycle.
#[derive(Clone, Debug)]
pub struct MarkingSchedule {
    started: Instant,
    /// Bytes marking expects to mark: the old generation's bytes when it started.
    estimated_live: usize,
    old_bytes_at_start: usize,
    /// Bytes the old generation may grow by before the limit.
    headroom: usize,
    /// The heap's allocation counter when marking started (young allocation included).
    allocated_at_start: u64,
}

impl MarkingSchedule {
    /// The schedule of a cycle starting with `old_bytes` in the old generation, the allocation
    /// limit `limit`, and the heap's allocation counter at `allocated`.
    pub fn new(old_bytes: usize, limit: usize, allocated: u64) -> Self {
        MarkingSchedule {
            started: Instant::now(),
            estimated_live: old_bytes,
            old_bytes_at_start: old_bytes,
            headroom: limit.saturating_sub(old_bytes).max(1),
            allocated_at_start: allocated,
        }
    }

    /// Bytes incremental marking on its own would have scanned at least, with the heap's
    /// allocation counter at `allocated`: `min_step` for every `step_interval` bytes allocated
    /// since marking started (each step's minimum).
    pub fn incremental_pace(&self, allocated: u64, step_interval: usize, min_step: usize) -> usize {
        let steps = allocated.saturating_sub(self.allocated_at_start) / step_interval.max(1) as u64;
        usize::try_from(steps)
            .unwrap_or(usize::MAX)
            .saturating_mul(min_step)
    }

    /// Bytes the next step should mark, at least `min_step`, given `marked` bytes so far and
    /// `old_bytes` in the old generation now.
    pub fn step_bytes(&self, marked: usize, old_bytes: usize, min_step: usize) -> usize {
        let by_time = scale(
            self.estimated_live,
            self.started.elapsed().as_secs_f64() / ESTIMATED_MARKING_TIME.as_secs_f64(),
        );
        let grown = old_bytes.saturating_sub(self.old_bytes_at_start);
        let by_allocation = scale(self.estimated_live, grown as f64 / self.headroom as f64);
        by_time
            .max(by_allocation)
            .saturating_sub(marked)
            .max(min_step)
    }
}

fn scale(bytes: usize, fraction: f64) -> usize {
    (bytes as f64 * fraction.min(4.0)) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marking_starts_part_way_between_survivors_and_limit() {
        assert!(!should_start(59, 100, 0));
        assert!(should_start(60, 100, 0));
        assert!(!should_start(75, 100, 50));
        assert!(should_start(80, 100, 50));
        assert!(
            should_start(10, 8, 20),
            "past the limit, marking starts at once"
        );
    }

    #[test]
    fn a_step_catches_up_with_allocation_and_never_marks_less_than_the_minimum() {
        let schedule = MarkingSchedule::new(1000, 2000, 0);
        // Half the headroom allocated: half of the estimated live bytes are due.
        assert_eq!(schedule.step_bytes(0, 1500, 10), 500);
        assert_eq!(schedule.step_bytes(400, 1500, 10), 100);
        // Ahead of schedule: the minimum step.
        assert_eq!(schedule.step_bytes(900, 1500, 10), 10);
    }

    #[test]
    fn the_incremental_pace_is_the_minimum_step_per_interval_allocated() {
        let schedule = MarkingSchedule::new(1000, 2000, 500);
        assert_eq!(schedule.incremental_pace(500, 64, 10), 0);
        assert_eq!(schedule.incremental_pace(563, 64, 10), 0);
        assert_eq!(schedule.incremental_pace(564, 64, 10), 10);
        assert_eq!(schedule.incremental_pace(500 + 64 * 7, 64, 10), 70);
    }
}
