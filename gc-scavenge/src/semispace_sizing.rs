//! How big the semispaces are: the young generation's configuration, and the policy that grows
//! them when many young objects survive and shrinks them when few do (V8 grows new space from
//! 1 MiB towards 16 MiB when survival is high).
//!
//! A larger semispace gives objects more time to die before a scavenge, so it helps exactly when
//! survival is high; when survival is low a smaller one keeps the cache footprint and the
//! committed memory down at no cost in copying. Shrinking waits for several low-survival
//! scavenges in a row so that the size does not oscillate.
//!
//! A scavenge copies the survivors, so its pause grows with the semispace when survival is high.
//! With a pause goal (a plan over an incremental old generation sets one), the semispaces are
//! capped so that a scavenge fits the goal, as G1 sizes its young generation from its pause-time
//! goal; they never go under `min_semispace_bytes`. Survival rate, copying cost per byte and the
//! pause's other work (weak handles, external memory) are each predicted from recent scavenges
//! so that the prediction errs high (`crate::prediction`): sized for their means, about half
//! the scavenges would overrun the goal.
//!
//! The copying cost is work, not waiting: the main thread's CPU time for the copy, the clock
//! heap growing uses (`gc_core::thread_ticks`). On a loaded machine a scavenge's wall time
//! stretches with the wait for a core; a cost taken from it would shrink the cap, and new space
//! would follow the machine's load rather than the program.

use std::time::Duration;

use gc_core::PAGE_SIZE;

use crate::prediction::Prediction;

const MB: usize = 1024 * 1024;

/// Settings of the young generation.
#[derive(Clone, Debug, PartialEq)]
pub struct YoungGenerationConfig {
    /// Size of each semispace at first (rounded to whole pages, at least one).
    pub initial_semispace_bytes: usize,
    /// The largest a semispace grows.
    pub max_semispace_bytes: usize,
    /// The smallest a pause goal caps a semispace at (V8's smallest semispace, 512 KiB): below
    /// the initial size when copying is slow, but not so small that scavenges come one after
    /// another.
    pub min_semispace_bytes: usize,
    /// How many scavenges an object survives in new space before the next one promotes it to old
    /// space (V8: 1, the age mark). 0 promotes every survivor at once.
    pub survivals_before_promotion: u8,
    /// A scavenge at which at least this share of the young bytes survived doubles the
    /// semispaces.
    pub grow_survival_rate: f64,
    /// Scavenges under this survival rate count towards shrinking...
    pub shrink_survival_rate: f64,
    /// ...and this many of them in a row halve the semispaces (never under the initial size).
    pub shrink_after_scavenges: u32,
    /// The pause a scavenge should fit in; `None` sizes for throughput alone.
    pub pause_goal: Option<Duration>,
    /// Bytes of new space per scavenging thread: a scavenge copies on up to `HeapConfig::
    /// gc_threads` threads, one per this many bytes in new space (waking a worker and sharing
    /// work cost more than a small scavenge saves). 0 copies on every GC thread whatever new
    /// space holds (tests).
    pub bytes_per_scavenging_thread: usize,
    /// A scavenge whose survivors fill at least this share of a semispace makes the next one
    /// promote every survivor (V8's fast promotion mode, with HotSpot's measure: its tenuring
    /// threshold drops to one when survivors fill more than `TargetSurvivorRatio`, 50%, of a
    /// survivor space). Survivors that fill half of new space leave the mutator half of it, and
    /// the next scavenge promotes them anyway: a program building a large structure would copy
    /// each object twice, once within new space and once into old space (paraffins at 87%
    /// survival: 54% of its time in gen-marksweep's collector, 40% with this rule where V8's 90%
    /// of the young bytes never turned it on). Over 1.0 turns it off.
    pub fast_promotion_fill: f64,
}

impl Default for YoungGenerationConfig {
    fn default() -> Self {
        YoungGenerationConfig {
            initial_semispace_bytes: MB,
            max_semispace_bytes: 16 * MB,
            min_semispace_bytes: MB / 2,
            survivals_before_promotion: 1,
            grow_survival_rate: 0.1,
            shrink_survival_rate: 0.02,
            shrink_after_scavenges: 3,
            pause_goal: None,
            bytes_per_scavenging_thread: 4 * MB,
            fast_promotion_fill: 0.5,
        }
    }
}

impl YoungGenerationConfig {
    /// Initial semispace size in pages.
    pub fn initial_pages(&self) -> usize {
        (self.initial_semispace_bytes / PAGE_SIZE).max(1)
    }

    /// The pause goal's smallest semispace size in pages (at most the initial size).
    pub fn min_pages(&self) -> usize {
        (self.min_semispace_bytes / PAGE_SIZE).clamp(1, self.initial_pages())
    }

    /// Largest semispace size in pages.
    pub fn max_pages(&self) -> usize {
        (self.max_semispace_bytes / PAGE_SIZE).max(self.initial_pages())
    }
}

/// The sizing policy's state.
#[derive(Clone, Debug)]
pub struct SemispaceSizing {
    config: YoungGenerationConfig,
    /// The semispace size wanted now, in pages.
    target_pages: usize,
    low_survival_streak: u32,
    /// Seconds of copying work per byte copied, of recent scavenges that copied any.
    copy_cost: Prediction,
    /// Recent scavenges' survival rates.
    survival: Prediction,
    /// Recent scavenges' work outside the copy, in seconds.
    other_work: Prediction,
    /// The last scavenge's survival was high: the next promotes every survivor.
    fast_promotion: bool,
    /// The last full collection found most of what was promoted before it dead: high survival
    /// is not long life in this program, so fast promotion waits for a full collection that
    /// says otherwise.
    fast_promotion_refuted: bool,
}

/// How long a scavenge's copying took, on the two clocks, and the rest of its pause's work: the
/// sizing reads only work.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct CopyTime {
    /// Wall time: what the mutator waited, the copy's share of the pause.
    pub wall: Duration,
    /// Main-thread CPU time (`GcTracer::work_now`): what the copy cost, whatever the load.
    pub work: Duration,
    /// Main-thread CPU time of the pause outside the copy: weak handles, external memory, the
    /// LAB. It grows with the young objects, not the survivors, and takes its share of the goal.
    pub other_work: Duration,
}

/// The share of promoted bytes found dead at a full collection over which promotion was too early
/// to go on promoting every survivor of high-survival scavenges.
pub const PREMATURE_PROMOTION_SHARE: f64 = 0.5;

/// The share of the pause goal the copy keeps whatever the other work takes.
const LEAST_COPY_SHARE: f64 = 0.5;

/// A scavenge at which everything survives fits this many pause goals. Survival predicted from
/// recent scavenges cannot foresee a program that turns from building garbage to building a
/// structure it keeps: binary-trees after a run of low-survival scavenges promoted a 3 MiB new
/// space whole, 4.7 ms against a 1 ms goal.
const WORST_CASE_GOALS: f64 = 2.0;

impl SemispaceSizing {
    pub fn new(config: YoungGenerationConfig) -> Self {
        SemispaceSizing {
            target_pages: config.initial_pages(),
            low_survival_streak: 0,
            copy_cost: Prediction::default(),
            survival: Prediction::default(),
            other_work: Prediction::default(),
            fast_promotion: false,
            fast_promotion_refuted: false,
            config,
        }
    }

    pub fn config(&self) -> &YoungGenerationConfig {
        &self.config
    }

    /// The semispace size wanted now, in pages.
    pub fn target_pages(&self) -> usize {
        self.target_pages
    }

    /// Takes in the last full collection's finding: `dead_share` of the bytes promoted before it
    /// died in old space (`HeapCore::promoted_survival`; the same finding may come again until
    /// the next full collection). Over [`PREMATURE_PROMOTION_SHARE`], fast promotion stops until
    /// a full collection finds less.
    pub fn take_promotion_feedback(&mut self, dead_share: Option<f64>) {
        if let Some(share) = dead_share {
            self.fast_promotion_refuted = share > PREMATURE_PROMOTION_SHARE;
            self.fast_promotion &= !self.fast_promotion_refuted;
        }
    }

    /// Whether the next scavenge promotes every survivor (see
    /// [`YoungGenerationConfig::fast_promotion_fill`]).
    pub fn fast_promotion(&self) -> bool {
        self.fast_promotion
    }

    /// Takes in a scavenge at which `survived` of `young` bytes survived (copied or promoted),
    /// copying them in `copy_time`; returns the new target size in pages.
    pub fn after_scavenge(&mut self, survived: usize, young: usize, copy_time: CopyTime) -> usize {
        let rate = if young == 0 {
            0.0
        } else {
            survived as f64 / young as f64
        };
        let filled = survived as f64 / (self.target_pages * PAGE_SIZE) as f64;
        self.fast_promotion =
            filled >= self.config.fast_promotion_fill && !self.fast_promotion_refuted;
        if survived > 0 && !copy_time.work.is_zero() {
            self.copy_cost
                .add(copy_time.work.as_secs_f64() / survived as f64);
        }
        self.other_work.add(copy_time.other_work.as_secs_f64());
        if young > 0 {
            self.survival.add(rate);
        }
        self.size_for_survival(rate);
        if let Some(cap) = self.pause_goal_cap(rate) {
            self.target_pages = self.target_pages.min(cap);
        }
        self.target_pages
    }

    /// The most pages whose scavenge fits the pause goal beside the predicted other work, at the
    /// predicted survival rate (at least the last scavenge's) and copying cost, and fits
    /// [`WORST_CASE_GOALS`] goals if all of it survives (at least `min_pages`); `None` without a
    /// goal, a cost or survivors.
    fn pause_goal_cap(&self, last_rate: f64) -> Option<usize> {
        let goal = self.config.pause_goal?.as_secs_f64();
        let cost = self.copy_cost.upper()?;
        let rate = self.survival.upper()?.max(last_rate).min(1.0);
        if rate <= 0.0 {
            return None;
        }
        let other = self.other_work.upper().unwrap_or(0.0);
        let copy_budget = (goal - other).max(goal * LEAST_COPY_SHARE);
        let bytes = (copy_budget / (cost * rate)).min(copy_budget * WORST_CASE_GOALS / cost);
        let pages = (bytes / PAGE_SIZE as f64) as usize;
        Some(pages.max(self.config.min_pages()))
    }

    /// V8's policy: double on high survival, halve after a streak of low survival.
    fn size_for_survival(&mut self, rate: f64) {
        if rate >= self.config.grow_survival_rate {
            self.low_survival_streak = 0;
            self.target_pages = (self.target_pages * 2).min(self.config.max_pages());
        } else if rate < self.config.shrink_survival_rate {
            self.low_survival_streak += 1;
            if self.low_survival_streak >= self.config.shrink_after_scavenges {
                self.low_survival_streak = 0;
                self.target_pages = (self.target_pages / 2).max(self.config.initial_pages());
            }
        } else {
            self.low_survival_streak = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: CopyTime = copy(Duration::from_millis(1));

    /// A copy on an idle machine: it waited for no core, so wall time is its work.
    const fn copy(work: Duration) -> CopyTime {
        CopyTime {
            wall: work,
            work,
            other_work: Duration::ZERO,
        }
    }

    #[test]
    fn grows_to_the_maximum_on_high_survival_and_shrinks_after_a_low_streak() {
        let mut sizing = SemispaceSizing::new(YoungGenerationConfig::default());
        assert_eq!(sizing.target_pages(), 4, "1 MiB of 256 KiB pages");
        let sizes: Vec<usize> = (0..6).map(|_| sizing.after_scavenge(30, 100, MS)).collect();
        assert_eq!(sizes, [8, 16, 32, 64, 64, 64]);
        assert_eq!(
            sizing.after_scavenge(5, 100, MS),
            64,
            "moderate survival keeps the size"
        );
        let sizes: Vec<usize> = (0..7).map(|_| sizing.after_scavenge(1, 100, MS)).collect();
        assert_eq!(sizes, [64, 64, 32, 32, 32, 16, 16]);
        sizing.after_scavenge(5, 100, MS);
        let sizes: Vec<usize> = (0..3).map(|_| sizing.after_scavenge(0, 0, MS)).collect();
        assert_eq!(
            sizes,
            [16, 16, 8],
            "a moderate scavenge restarts the streak"
        );
        for _ in 0..20 {
            sizing.after_scavenge(0, 100, MS);
        }
        assert_eq!(sizing.target_pages(), 4, "never under the initial size");
    }

    #[test]
    fn survivors_filling_half_of_new_space_turn_on_fast_promotion_until_they_do_not() {
        let mut sizing = SemispaceSizing::new(YoungGenerationConfig::default());
        let half = |sizing: &SemispaceSizing| sizing.target_pages() * PAGE_SIZE / 2;
        let survived = half(&sizing) - 8;
        sizing.after_scavenge(survived, survived, MS);
        assert!(
            !sizing.fast_promotion(),
            "all survived, but less than half of new space"
        );
        // 87% of a full new space (paraffins): over half of it.
        let young = 2 * half(&sizing);
        sizing.after_scavenge(young * 87 / 100, young, MS);
        assert!(sizing.fast_promotion());
        let young = 2 * half(&sizing);
        sizing.after_scavenge(young * 2 / 5, young, MS);
        assert!(!sizing.fast_promotion(), "40% of new space");
        let off = YoungGenerationConfig {
            fast_promotion_fill: 1.1,
            ..YoungGenerationConfig::default()
        };
        let mut sizing = SemispaceSizing::new(off);
        let young = 2 * half(&sizing);
        sizing.after_scavenge(young, young, MS);
        assert!(!sizing.fast_promotion());
    }

    #[test]
    fn a_full_collection_that_finds_most_promoted_bytes_dead_stops_fast_promotion() {
        let mut sizing = SemispaceSizing::new(YoungGenerationConfig::default());
        let young = sizing.target_pages() * PAGE_SIZE;
        sizing.after_scavenge(young, young, MS);
        assert!(sizing.fast_promotion());
        sizing.take_promotion_feedback(Some(0.7));
        assert!(!sizing.fast_promotion(), "refuted at once");
        let young = sizing.target_pages() * PAGE_SIZE;
        sizing.after_scavenge(young, young, MS);
        assert!(
            !sizing.fast_promotion(),
            "until a full collection says otherwise"
        );
        sizing.take_promotion_feedback(None);
        sizing.after_scavenge(young, young, MS);
        assert!(
            !sizing.fast_promotion(),
            "nothing promoted: no new evidence"
        );
        sizing.take_promotion_feedback(Some(0.1));
        let young = sizing.target_pages() * PAGE_SIZE;
        sizing.after_scavenge(young, young, MS);
        assert!(sizing.fast_promotion());
    }

    #[test]
    fn a_pause_goal_caps_the_semispaces_at_what_a_scavenge_copies_in_time() {
        let config = YoungGenerationConfig {
            pause_goal: Some(MS.work),
            ..YoungGenerationConfig::default()
        };
        let mut sizing = SemispaceSizing::new(config);
        // 4 MiB copied a second (4 KiB a millisecond) at 50% survival: a goal of 1 ms allows
        // 8 KiB, under the pause goal's smallest semispace (512 KiB), which is the floor.
        let sizes: Vec<usize> = (0..4)
            .map(|_| sizing.after_scavenge(2 * MB, 4 * MB, copy(Duration::from_millis(500))))
            .collect();
        assert_eq!(sizes, [2, 2, 2, 2]);
        // A fast copier (about 2 MiB a millisecond) at 50% survival: 4 MiB, 16 pages.
        let mut fast = SemispaceSizing::new(YoungGenerationConfig {
            pause_goal: Some(MS.work),
            ..YoungGenerationConfig::default()
        });
        let sizes: Vec<usize> = (0..6)
            .map(|_| fast.after_scavenge(MB, 2 * MB, copy(Duration::from_micros(488))))
            .collect();
        assert_eq!(sizes, [8, 16, 16, 16, 16, 16]);
        // Without a goal the same scavenges grow new space to its maximum.
        let mut free = SemispaceSizing::new(YoungGenerationConfig::default());
        let last = (0..6)
            .map(|_| free.after_scavenge(MB, 2 * MB, copy(Duration::from_micros(488))))
            .last();
        assert_eq!(last, Some(64));
    }

    #[test]
    fn the_pause_goal_cap_follows_the_copying_work_not_the_wall_time() {
        let goal = YoungGenerationConfig {
            pause_goal: Some(Duration::from_millis(1)),
            ..YoungGenerationConfig::default()
        };
        let sizes = |times: &[CopyTime]| {
            let mut sizing = SemispaceSizing::new(goal.clone());
            times
                .iter()
                .map(|&time| sizing.after_scavenge(MB, 2 * MB, time))
                .collect::<Vec<_>>()
        };
        let work = Duration::from_micros(488);
        let idle = sizes(&[copy(work); 6]);
        assert_eq!(idle, [8, 16, 16, 16, 16, 16]);
        // The same copies on a loaded machine: each waited for a core, so its wall time is ten
        // times its work, and the sizing decides as on the idle machine.
        let waited = CopyTime {
            wall: work * 10,
            ..copy(work)
        };
        assert_eq!(sizes(&[waited; 6]), idle, "the wait for a core is not work");
        // A copier that works ten times as long for the same bytes is capped at the floor,
        // whatever its wall time.
        let slow = CopyTime {
            work: work * 10,
            ..copy(work)
        };
        assert_eq!(sizes(&[slow; 6]), [2, 2, 2, 2, 2, 2]);
    }

    #[test]
    fn survival_that_swings_is_sized_for_its_high_rates_not_its_last() {
        let goal = YoungGenerationConfig {
            pause_goal: Some(Duration::from_millis(1)),
            ..YoungGenerationConfig::default()
        };
        // About 2 MiB copied per millisecond of work: the 1 ms goal copies about 1.9 MiB.
        let speed = |survived: usize| copy(Duration::from_nanos(survived as u64 / 2));
        let sized = |rates: &[f64]| {
            let mut sizing = SemispaceSizing::new(goal.clone());
            for i in 0..12 {
                let survived = (rates[i % rates.len()] * (4 * MB) as f64) as usize;
                sizing.after_scavenge(survived, 4 * MB, speed(survived));
            }
            sizing.target_pages()
        };
        // Steady 60% survival: 3.2 MiB, whose 60% is the 1.9 MiB.
        assert_eq!(sized(&[0.6]), 12);
        // The same mean, swinging between 40% and 80% (scavenges that find a large temporary
        // structure built to different points): sized for nearly full survival, not for the
        // mean nor the last rate.
        let swinging = sized(&[0.8, 0.4]);
        assert!((7..=8).contains(&swinging), "{swinging} pages");
    }

    #[test]
    fn everything_surviving_fits_twice_the_goal_whatever_the_prediction() {
        let goal = YoungGenerationConfig {
            pause_goal: Some(Duration::from_millis(1)),
            ..YoungGenerationConfig::default()
        };
        let mut sizing = SemispaceSizing::new(goal);
        // A steady 20% survives: the goal alone would allow 9.5 MiB, but a scavenge at which
        // all of it survived would take 5 ms. Twice the goal at full survival: 3.8 MiB.
        for _ in 0..12 {
            sizing.after_scavenge(
                16 * MB / 5,
                16 * MB,
                copy(Duration::from_nanos(8 * MB as u64 / 5)),
            );
        }
        assert_eq!(sizing.target_pages(), 15);
    }

    #[test]
    fn the_pause_s_other_work_takes_its_share_of_the_goal() {
        let goal = YoungGenerationConfig {
            pause_goal: Some(Duration::from_millis(1)),
            ..YoungGenerationConfig::default()
        };
        let sizes = |other: Duration| {
            let mut sizing = SemispaceSizing::new(goal.clone());
            let time = CopyTime {
                other_work: other,
                ..copy(Duration::from_micros(500))
            };
            (0..20)
                .map(|_| sizing.after_scavenge(MB, 2 * MB, time))
                .last()
        };
        // 2 MiB copied per millisecond at 50% survival: 4 MiB (16 pages) without other work,
        // 3 MiB when a quarter of the goal goes to weak handles, 2 MiB (the floor of half the
        // goal) when the other work takes it all.
        assert_eq!(sizes(Duration::ZERO), Some(16));
        assert_eq!(sizes(Duration::from_micros(250)), Some(12));
        assert_eq!(sizes(Duration::from_millis(2)), Some(8));
    }
}
