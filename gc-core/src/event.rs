//! GC events: one record per pause, the only thing statistics, logs, leak detection and the
//! harness read about a collection.

use std::fmt;
use std::time::Duration;

/// What kind of pause an event records.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
#[non_exhaustive]
pub enum GcKind {
    /// A young-generation copy.
    Scavenge,
    /// A stop-the-world mark-sweep of the whole heap.
    MarkSweep,
    /// A full collection that also compacted old space.
    MarkCompact,
    /// One step of incremental marking.
    MarkingStep,
    /// The pause that finishes incremental marking.
    MarkingFinalize,
    /// Sweeping done on the allocation slow path.
    LazySweep,
}

impl GcKind {
    /// The name V8's `--trace-gc` uses for such a pause (or the nearest one).
    pub fn trace_name(self) -> &'static str {
        match self {
            GcKind::Scavenge => "Scavenge",
            GcKind::MarkSweep => "Mark-Sweep",
            GcKind::MarkCompact => "Mark-Compact",
            GcKind::MarkingStep => "Incremental marking step",
            GcKind::MarkingFinalize => "Mark-Compact (finalize incremental)",
            GcKind::LazySweep => "Lazy sweeping",
        }
    }

    /// A stable lower-case name for reports and JSON keys (`scavenge`, `mark-sweep`, ...).
    pub fn key(self) -> &'static str {
        match self {
            GcKind::Scavenge => "scavenge",
            GcKind::MarkSweep => "mark-sweep",
            GcKind::MarkCompact => "mark-compact",
            GcKind::MarkingStep => "marking-step",
            GcKind::MarkingFinalize => "marking-finalize",
            GcKind::LazySweep => "lazy-sweep",
        }
    }

    /// The `gc=` code of a `--trace-gc-nvp` line: V8's short code where V8 logs such a pause
    /// (`s`; `ms` and `mc`, V8's codes for its full collection in older and current V8), initials
    /// for the pauses V8 does not log on their own.
    pub fn nvp_code(self) -> &'static str {
        match self {
            GcKind::Scavenge => "s",
            GcKind::MarkSweep => "ms",
            GcKind::MarkCompact => "mc",
            GcKind::MarkingStep => "ims",
            GcKind::MarkingFinalize => "imf",
            GcKind::LazySweep => "ls",
        }
    }

    /// Whether the pause is a complete full collection (these drive heap growing and the
    /// mutator-utilization figures).
    pub fn is_full(self) -> bool {
        matches!(
            self,
            GcKind::MarkSweep | GcKind::MarkCompact | GcKind::MarkingFinalize
        )
    }
}

impl fmt::Display for GcKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.trace_name())
    }
}

/// Why a collection ran.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum GcReason {
    /// The heap grew past its current allocation limit (soft limit, set by heap growing).
    AllocationLimit,
    /// An allocation found no room under the hard heap limit.
    AllocationFailure,
    /// External memory grew past its limit.
    ExternalMemoryPressure,
    /// The program asked for it.
    Explicit,
    /// Incremental work paced by allocation.
    AllocationPacing,
    /// Stress mode forced it.
    Stress,
    /// The program asked for the smallest heap (V8's `LowMemoryNotification`): a collector that
    /// can compact compacts all of old space.
    LowMemoryNotification,
    /// A tool's own collection to measure the live heap (V8's `kTesting`): gclab's full
    /// collection after a replay, before it takes the live graph. It is not the program's pause,
    /// so tools that report pauses leave it out.
    Measurement,
}

impl GcReason {
    /// A stable snake_case name, one word, for machine-read output (`--trace-gc-nvp`).
    pub fn key(self) -> &'static str {
        match self {
            GcReason::AllocationLimit => "allocation_limit",
            GcReason::AllocationFailure => "allocation_failure",
            GcReason::ExternalMemoryPressure => "external_memory_pressure",
            GcReason::Explicit => "explicit",
            GcReason::AllocationPacing => "allocation_pacing",
            GcReason::Stress => "stress",
            GcReason::LowMemoryNotification => "low_memory_notification",
            GcReason::Measurement => "measurement",
        }
    }

    /// The reason in words, as V8's `--trace-gc` prints it.
    pub fn description(self) -> &'static str {
        match self {
            GcReason::AllocationLimit => "allocation limit reached",
            GcReason::AllocationFailure => "allocation failure",
            GcReason::ExternalMemoryPressure => "external memory pressure",
            GcReason::Explicit => "explicit collection",
            GcReason::AllocationPacing => "allocation pacing",
            GcReason::Stress => "stress",
            GcReason::LowMemoryNotification => "low memory notification",
            GcReason::Measurement => "measurement",
        }
    }
}

impl fmt::Display for GcReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

/// V8's mutator-utilization figures as of an event (see `gc_tracer`).
#[derive(Copy, Clone, PartialEq, Debug)]
pub struct MutatorUtilization {
    pub average: f64,
    pub current: f64,
}

/// One pause.
#[derive(Clone, PartialEq, Debug)]
pub struct GcEvent {
    /// 0 for the heap's first pause, then counting up.
    pub sequence: u64,
    pub kind: GcKind,
    pub reason: GcReason,
    /// When the pause began, from the heap's creation.
    pub start: Duration,
    pub duration: Duration,
    /// Bytes in objects before and after.
    pub used_before: usize,
    pub used_after: usize,
    /// Bytes of pages owned by spaces before and after.
    pub committed_before: usize,
    pub committed_after: usize,
    /// What the collector did in the pause.
    pub outcome: PauseOutcome,
    pub mutator_utilization: MutatorUtilization,
}

/// A phase of a pause, for the per-phase times of [`PauseOutcome::phases`] (V8's GC tracer
/// scopes).
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum GcPhase {
    /// Tracing from the roots.
    Mark,
    /// Clearing weak handles and releasing external memory of the dead.
    Weak,
    /// Turning dead objects into free space.
    Sweep,
    /// Copying live objects elsewhere.
    Evacuate,
    /// Updating references to moved objects.
    UpdateReferences,
    /// Waiting for a collector's background threads (a concurrent marker or sweeper) to stop
    /// touching the heap before the pause may move, free or read what they work on (V8's
    /// `time_to_safepoint` scope). A loaded machine that took a thread's core makes it long.
    TimeToSafepoint,
}

impl GcPhase {
    /// The key of the phase's time on a `--trace-gc-nvp` line: V8's scope name (`clear` is V8's
    /// phase that clears dead weak references; a dotted key is a part of its prefix's phase).
    pub fn nvp_key(self) -> &'static str {
        match self {
            GcPhase::Mark => "mark",
            GcPhase::Weak => "clear",
            GcPhase::Sweep => "sweep",
            GcPhase::Evacuate => "evacuate",
            GcPhase::UpdateReferences => "evacuate.update_pointers",
            GcPhase::TimeToSafepoint => "time_to_safepoint",
        }
    }
}

/// What a collector did in a pause; it hands this to `HeapCore::end_pause`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PauseOutcome {
    /// Bytes of objects reclaimed.
    pub freed_bytes: usize,
    /// Bytes of young objects moved to old space.
    pub promoted_bytes: usize,
    /// Bytes of objects moved (copied or compacted), promotion included.
    pub moved_bytes: usize,
    /// Pages whose objects were evacuated.
    pub evacuated_pages: usize,
    /// Bytes of external memory released.
    pub external_freed_bytes: u64,
    /// Part of the pause spent releasing external memory (V8's "external" time).
    pub external_time: Duration,
    /// Time a collector's threads spent marking while the mutator ran (their CPU time where the
    /// platform can tell), for the marking cycle this pause finishes. Not part of the pause:
    /// mutator utilization counts only what stops the mutator.
    pub concurrent_marking: Duration,
    /// Time a collector's sweeper thread spent sweeping while the mutator ran (its CPU time where
    /// the platform can tell), reported on the pause that ends the sweep. Not part of the pause,
    /// as `concurrent_marking`.
    pub concurrent_sweeping: Duration,
    /// Time spent in each phase, in the order they ran.
    pub phases: Vec<(GcPhase, Duration)>,
    /// Bytes of reachable objects after the pause, where the collector knows it and it is less
    /// than `used_after` because garbage stays in place (new space after an incremental
    /// finalization, until the next scavenge). `None`: `used_after` is all live.
    pub live_bytes: Option<usize>,
    /// A full collection's count of the bytes promoted since the previous one that it found dead
    /// (see `crate::promoted_survival`); `None` for other pauses and heaps that promote nothing.
    pub promoted_dead_bytes: Option<usize>,
}

impl GcEvent {
    /// Bytes of reachable objects after the pause, as far as the collector knows.
    pub fn live_after(&self) -> usize {
        self.outcome.live_bytes.unwrap_or(self.used_after)
    }
}

impl PauseOutcome {
    /// Adds what an earlier part of the same pause did (its phases first).
    pub fn take_in(&mut self, earlier: PauseOutcome) {
        self.freed_bytes += earlier.freed_bytes;
        self.promoted_bytes += earlier.promoted_bytes;
        self.moved_bytes += earlier.moved_bytes;
        self.evacuated_pages += earlier.evacuated_pages;
        self.external_freed_bytes += earlier.external_freed_bytes;
        self.external_time += earlier.external_time;
        self.concurrent_marking += earlier.concurrent_marking;
        self.concurrent_sweeping += earlier.concurrent_sweeping;
        let mut phases = earlier.phases;
        phases.append(&mut self.phases);
        self.phases = phases;
    }

    /// Runs `work` as `phase` of the pause, recording its time.
    pub fn timed<R>(&mut self, phase: GcPhase, work: impl FnOnce() -> R) -> R {
        let started = std::time::Instant::now();
        let result = work();
        self.phases.push((phase, started.elapsed()));
        result
    }
}

impl GcEvent {
    pub fn end(&self) -> Duration {
        self.start + self.duration
    }
}

/// A full collection's event for the formatters' and the tracer's unit tests: 15 MiB before,
/// 5.5 MiB after, 10 MiB freed, with `phases`.
#[cfg(test)]
pub(crate) fn example_event(
    kind: GcKind,
    start: Duration,
    duration: Duration,
    phases: Vec<(GcPhase, Duration)>,
) -> GcEvent {
    GcEvent {
        sequence: 0,
        kind,
        reason: GcReason::AllocationLimit,
        start,
        duration,
        used_before: 15 * 1024 * 1024,
        used_after: 5 * 1024 * 1024 + 512 * 1024,
        committed_before: 50 * 1024 * 1024,
        committed_after: 43 * 1024 * 1024 + 512 * 1024,
        outcome: PauseOutcome {
            freed_bytes: 10 * 1024 * 1024,
            phases,
            ..PauseOutcome::default()
        },
        mutator_utilization: MutatorUtilization {
            average: 1.0,
            current: 1.0,
        },
    }
}
