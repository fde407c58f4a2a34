//! The figures of one measured run, as `gclab compare` reports them: pause count, total and
//! percentiles (exact, by nearest rank: [`crate::pauses`]), minimum mutator utilization at fixed
//! windows and as a curve, total and mutator time, GC share, allocation rate, peak committed
//! memory and peak RSS, and heap use over time.
//!
//! Everything here is computed from what a run recorded — one [`PauseRecord`] per pause, every
//! pause (incremental steps included), the replay's report — so it can be checked on made-up
//! pause sequences. [`RunMetrics`] is also the message a measuring child process sends its
//! parent, hence `Deserialize`.

use std::collections::BTreeMap;
use std::time::Duration;

use gc_core::GcEvent;
use serde::{Deserialize, Serialize};

use crate::mmu::Timeline;
use crate::pauses::{P50, P90, P99, P99_9, SortedPauses, millis};
use crate::replay::ReplayReport;
use crate::units;

/// The windows of the MMU figures, in milliseconds.
pub const MMU_WINDOWS_MS: [u64; 7] = [1, 2, 5, 10, 20, 50, 100];

/// The quantiles of the pause distribution that the report plots, in thousandths.
const CDF_QUANTILES: [u32; 14] = [
    0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 950, 990, 999, 1000,
];

/// Windows of the MMU curve: 56 from 0.1 ms growing geometrically (×1.3) to about 3 minutes;
/// the ones longer than the run are left out.
const CURVE_WINDOWS: usize = 56;

/// At most this many heap samples are kept per run (pauses beyond it are thinned, peaks kept).
const MAX_HEAP_SAMPLES: usize = 600;

/// One pause as a run saw it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct PauseRecord {
    /// From the start of the run.
    pub start: Duration,
    pub duration: Duration,
    /// Bytes in objects before and after.
    pub used_before: usize,
    pub used_after: usize,
    /// Bytes of pages the spaces own before and after.
    pub committed_before: usize,
    pub committed_after: usize,
    /// Marking a collector's thread did while the mutator ran, for the cycle this pause ends:
    /// not part of the pause.
    pub concurrent_marking: Duration,
    /// Sweeping a collector's thread did while the mutator ran, for the sweep this pause ends:
    /// not part of the pause either.
    pub concurrent_sweeping: Duration,
}

/// A pause as the heap's event listener hears it, its start on the heap's clock.
impl From<&GcEvent> for PauseRecord {
    fn from(event: &GcEvent) -> Self {
        PauseRecord {
            start: event.start,
            duration: event.duration,
            used_before: event.used_before,
            used_after: event.used_after,
            committed_before: event.committed_before,
            committed_after: event.committed_after,
            concurrent_marking: event.outcome.concurrent_marking,
            concurrent_sweeping: event.outcome.concurrent_sweeping,
        }
    }
}

/// Pause count, total and percentiles, in milliseconds (`None` without pauses).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PauseFigures {
    pub count: u64,
    pub total_ms: f64,
    pub p50_ms: Option<f64>,
    pub p90_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub p99_9_ms: Option<f64>,
    pub max_ms: Option<f64>,
}

/// Minimum mutator utilization over windows of `window_ms`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MmuPoint {
    pub window_ms: f64,
    /// `None` when the run was shorter than the window.
    pub utilization: Option<f64>,
}

/// The pause time below which `quantile` of the pauses are.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CdfPoint {
    pub quantile: f64,
    pub pause_ms: f64,
}

/// Heap use at one moment of the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HeapSample {
    pub time_ms: f64,
    pub used_bytes: u64,
    pub committed_bytes: u64,
}

/// Everything measured on one run of one trace on one collector.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunMetrics {
    pub collector: String,
    /// The live-graph digest after the final full collection (equal on every collector).
    pub digest: String,
    pub live_objects: u64,
    pub live_object_bytes: u64,
    pub pauses: PauseFigures,
    pub gc_by_kind: BTreeMap<String, u64>,
    /// At [`MMU_WINDOWS_MS`].
    pub mmu: Vec<MmuPoint>,
    /// At many windows, for the report's curves.
    pub mmu_curve: Vec<MmuPoint>,
    pub pause_cdf: Vec<CdfPoint>,
    /// Wall time of the replay, pauses included.
    pub total_s: f64,
    /// `total_s` less the pauses.
    pub mutator_s: f64,
    /// The share of the run spent in pauses, 0 to 1.
    pub gc_share: f64,
    /// Marking done by a collector's own thread while the mutator ran (not among the pauses);
    /// 0 for collectors without one, absent from results written before it was recorded.
    #[serde(default)]
    pub concurrent_marking_s: f64,
    /// Sweeping done by a collector's own thread while the mutator ran, as
    /// `concurrent_marking_s`.
    #[serde(default)]
    pub concurrent_sweeping_s: f64,
    pub allocated_bytes: u64,
    /// Megabytes allocated per second of mutator time.
    pub allocation_mb_per_s: f64,
    pub peak_committed_bytes: u64,
    /// The process's peak resident set (`VmHWM`); honest only in a process that ran nothing
    /// else. `None` where the system does not say.
    pub peak_rss_bytes: Option<u64>,
    /// Before and after every pause (thinned to a few hundred samples, peaks kept).
    pub heap: Vec<HeapSample>,
}

impl PauseFigures {
    /// The figures of `pauses`.
    pub fn of(pauses: &SortedPauses) -> PauseFigures {
        let quantile = |per_mille| pauses.quantile(per_mille).map(millis);
        PauseFigures {
            count: pauses.count() as u64,
            total_ms: millis(pauses.total()),
            p50_ms: quantile(P50),
            p90_ms: quantile(P90),
            p99_ms: quantile(P99),
            p99_9_ms: quantile(P99_9),
            max_ms: pauses.max().map(millis),
        }
    }
}

/// What a run says of itself besides its pauses: gclab's replay report, or a peer runtime's
/// replayer's result.
#[derive(Clone, Debug, PartialEq)]
pub struct RunFacts {
    pub collector: String,
    /// gclab's live-graph digest; empty for a peer runtime, which counts live objects only.
    pub digest: String,
    pub live_objects: u64,
    pub live_object_bytes: u64,
    pub gc_by_kind: BTreeMap<String, u64>,
    /// Wall time of the replay, pauses included.
    pub replay_time: Duration,
    pub allocated_bytes: u64,
    pub peak_committed_bytes: u64,
}

impl From<&ReplayReport> for RunFacts {
    fn from(report: &ReplayReport) -> Self {
        RunFacts {
            collector: report.collector.to_owned(),
            digest: report.live.digest.to_string(),
            live_objects: report.live.objects,
            live_object_bytes: report.live.object_bytes,
            gc_by_kind: report
                .gc_by_kind
                .iter()
                .map(|(kind, n)| ((*kind).to_owned(), *n))
                .collect(),
            replay_time: report.replay_time,
            allocated_bytes: report.allocated_bytes,
            peak_committed_bytes: report.peak_committed_bytes as u64,
        }
    }
}

impl RunMetrics {
    /// The figures of a replay whose pauses were `pauses` (the final collection excluded) and
    /// that lasted `report.replay_time`; `at_end` is the heap's (used, committed) bytes when the
    /// trace ended, where known.
    pub fn new(
        report: &ReplayReport,
        pauses: &[PauseRecord],
        at_end: Option<(usize, usize)>,
        peak_rss: Option<u64>,
    ) -> Self {
        RunMetrics::of_run(RunFacts::from(report), pauses, at_end, peak_rss)
    }

    /// The figures of a run that says `facts` of itself and paused for `pauses`.
    pub fn of_run(
        facts: RunFacts,
        pauses: &[PauseRecord],
        at_end: Option<(usize, usize)>,
        peak_rss: Option<u64>,
    ) -> Self {
        let sorted = SortedPauses::new(pauses.iter().map(|p| p.duration).collect());
        let total = facts.replay_time;
        let paused = sorted.total();
        let mutator = total.saturating_sub(paused);
        let timeline = Timeline::new(pauses.iter().map(|p| (p.start, p.duration)), total);
        RunMetrics {
            collector: facts.collector,
            digest: facts.digest,
            live_objects: facts.live_objects,
            live_object_bytes: facts.live_object_bytes,
            pauses: PauseFigures::of(&sorted),
            gc_by_kind: facts.gc_by_kind,
            mmu: MMU_WINDOWS_MS
                .iter()
                .map(|&ms| mmu_point(&timeline, Duration::from_millis(ms)))
                .collect(),
            mmu_curve: curve_windows()
                .map(|window| mmu_point(&timeline, window))
                .filter(|point| point.utilization.is_some())
                .collect(),
            pause_cdf: cdf_points(&sorted),
            total_s: total.as_secs_f64(),
            mutator_s: mutator.as_secs_f64(),
            gc_share: ratio(paused.as_secs_f64(), total.as_secs_f64()),
            concurrent_marking_s: pauses
                .iter()
                .map(|p| p.concurrent_marking)
                .sum::<Duration>()
                .as_secs_f64(),
            concurrent_sweeping_s: pauses
                .iter()
                .map(|p| p.concurrent_sweeping)
                .sum::<Duration>()
                .as_secs_f64(),
            allocated_bytes: facts.allocated_bytes,
            allocation_mb_per_s: ratio(
                units::mebibytes(facts.allocated_bytes),
                mutator.as_secs_f64(),
            ),
            peak_committed_bytes: facts.peak_committed_bytes,
            peak_rss_bytes: peak_rss,
            heap: heap_samples(
                pauses,
                at_end.map(|(used, committed)| (total, used, committed)),
            ),
        }
    }

    /// The scalar figures, named as the table, the CSV and `--repeat`'s statistics name them.
    pub fn figures(&self) -> Vec<(&'static str, Option<f64>)> {
        let p = &self.pauses;
        let mut figures = vec![
            ("pauses", Some(p.count as f64)),
            ("pause_total_ms", Some(p.total_ms)),
            ("p50_ms", p.p50_ms),
            ("p90_ms", p.p90_ms),
            ("p99_ms", p.p99_ms),
            ("p99_9_ms", p.p99_9_ms),
            ("max_ms", p.max_ms),
        ];
        for (name, point) in MMU_FIGURES.iter().zip(&self.mmu) {
            figures.push((name, point.utilization));
        }
        figures.extend([
            ("total_s", Some(self.total_s)),
            ("mutator_s", Some(self.mutator_s)),
            ("gc_share", Some(self.gc_share)),
            ("allocation_mb_per_s", Some(self.allocation_mb_per_s)),
            (
                "peak_committed_mb",
                Some(units::mebibytes(self.peak_committed_bytes)),
            ),
            ("peak_rss_mb", self.peak_rss_bytes.map(units::mebibytes)),
            // Last: added when peer runtimes came, whose faithfulness it shows.
            ("live_objects", Some(self.live_objects as f64)),
            (
                "concurrent_marking_ms",
                Some(self.concurrent_marking_s * 1e3),
            ),
            (
                "concurrent_sweeping_ms",
                Some(self.concurrent_sweeping_s * 1e3),
            ),
        ]);
        figures
    }
}

/// The names of the MMU figures, one per window of [`MMU_WINDOWS_MS`].
const MMU_FIGURES: [&str; 7] = [
    "mmu_1ms",
    "mmu_2ms",
    "mmu_5ms",
    "mmu_10ms",
    "mmu_20ms",
    "mmu_50ms",
    "mmu_100ms",
];

/// The pause at each of [`CDF_QUANTILES`]; none without pauses.
fn cdf_points(pauses: &SortedPauses) -> Vec<CdfPoint> {
    CDF_QUANTILES
        .iter()
        .filter_map(|&per_mille| {
            Some(CdfPoint {
                quantile: f64::from(per_mille) / 1000.0,
                pause_ms: millis(pauses.quantile(per_mille)?),
            })
        })
        .collect()
}

fn mmu_point(timeline: &Timeline, window: Duration) -> MmuPoint {
    MmuPoint {
        window_ms: window.as_secs_f64() * 1e3,
        utilization: timeline.mmu(window),
    }
}

fn curve_windows() -> impl Iterator<Item = Duration> {
    (0..CURVE_WINDOWS as i32).map(|i| Duration::from_secs_f64(1e-4 * 1.3f64.powi(i)))
}

fn ratio(part: f64, whole: f64) -> f64 {
    if whole > 0.0 { part / whole } else { 0.0 }
}

/// Heap use before and after each pause, starting empty and ending with `end` (time, used,
/// committed); pauses are taken in groups when there are too many, keeping each group's highest
/// use before and lowest after.
fn heap_samples(pauses: &[PauseRecord], end: Option<(Duration, usize, usize)>) -> Vec<HeapSample> {
    let sample = |time: Duration, used: usize, committed: usize| HeapSample {
        time_ms: time.as_secs_f64() * 1e3,
        used_bytes: used as u64,
        committed_bytes: committed as u64,
    };
    let mut samples = vec![sample(Duration::ZERO, 0, 0)];
    let group = pauses.len().div_ceil(MAX_HEAP_SAMPLES / 2).max(1);
    for chunk in pauses.chunks(group) {
        let highest = chunk.iter().max_by_key(|p| p.used_before);
        let lowest = chunk.iter().min_by_key(|p| p.used_after);
        if let (Some(high), Some(low)) = (highest, lowest) {
            samples.push(sample(high.start, high.used_before, high.committed_before));
            samples.push(sample(
                low.start + low.duration,
                low.used_after,
                low.committed_after,
            ));
        }
    }
    samples.sort_by(|a, b| a.time_ms.total_cmp(&b.time_ms));
    if let Some((time, used, committed)) = end {
        samples.push(sample(time, used, committed));
    }
    samples
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    fn ns(n: u64) -> Duration {
        Duration::from_nanos(n)
    }

    fn figures(durations: Vec<Duration>) -> PauseFigures {
        PauseFigures::of(&SortedPauses::new(durations))
    }

    #[test]
    fn percentiles_of_a_known_sequence_are_exact() {
        // Pauses of 1.000001, 2.000001, ..., 1000.000001 µs, shuffled: the q-quantile is the
        // ceil(q * 1000)-th, to the nanosecond (a histogram would round the odd nanosecond off).
        let mut durations: Vec<Duration> = (1..=1000).map(|n| us(n) + ns(1)).collect();
        durations.reverse();
        durations.swap(3, 700);
        let figures = figures(durations);
        assert_eq!(figures.count, 1000);
        // 1 + 2 + ... + 1000 µs = 500 500 µs, and 1000 ns.
        assert_eq!(figures.total_ms, millis(us(500_501)));
        assert_eq!(figures.p50_ms, Some(millis(us(500) + ns(1))));
        assert_eq!(figures.p90_ms, Some(millis(us(900) + ns(1))));
        assert_eq!(figures.p99_ms, Some(millis(us(990) + ns(1))));
        assert_eq!(figures.p99_9_ms, Some(millis(us(999) + ns(1))));
        assert_eq!(figures.max_ms, Some(millis(us(1000) + ns(1))));
    }

    #[test]
    fn one_long_pause_dominates_only_the_maximum() {
        // 999 pauses of 100 µs and one of 250 ms: p99.9 is still 100 µs (the 999th of 1000),
        // the maximum is the long one.
        let mut durations = vec![us(100); 999];
        durations.push(Duration::from_millis(250));
        let figures = figures(durations);
        assert_eq!(figures.p50_ms, Some(0.1));
        assert_eq!(figures.p99_9_ms, Some(0.1));
        assert_eq!(figures.max_ms, Some(250.0));
    }

    #[test]
    fn the_distribution_plotted_is_the_same_nearest_rank() {
        let pauses: Vec<PauseRecord> = (1..=200).rev().map(|i| pause(i, i, 0, 0)).collect();
        let sorted = SortedPauses::new(pauses.iter().map(|p| p.duration).collect());
        let cdf = cdf_points(&sorted);
        assert_eq!(cdf.len(), CDF_QUANTILES.len());
        let at = |quantile: f64| {
            cdf.iter()
                .find(|p| p.quantile == quantile)
                .map(|p| p.pause_ms)
        };
        assert_eq!(at(0.0), Some(1.0));
        assert_eq!(at(0.5), Some(100.0));
        assert_eq!(at(0.99), Some(198.0));
        assert_eq!(at(0.999), Some(200.0));
        assert_eq!(at(1.0), Some(200.0));
        assert!(cdf_points(&SortedPauses::default()).is_empty());
    }

    #[test]
    fn no_pauses_have_no_percentiles() {
        let figures = figures(Vec::new());
        assert_eq!(figures.count, 0);
        assert_eq!(figures.total_ms, 0.0);
        assert_eq!((figures.p50_ms, figures.max_ms), (None, None));
    }

    fn pause(start_ms: u64, length_ms: u64, before: usize, after: usize) -> PauseRecord {
        PauseRecord {
            start: Duration::from_millis(start_ms),
            duration: Duration::from_millis(length_ms),
            used_before: before,
            used_after: after,
            committed_before: before * 2,
            committed_after: after * 2,
            concurrent_marking: Duration::ZERO,
            concurrent_sweeping: Duration::ZERO,
        }
    }

    #[test]
    fn heap_samples_keep_every_pause_when_few() {
        let end = Some((Duration::from_millis(30), 400, 800));
        let samples = heap_samples(&[pause(10, 2, 500, 100), pause(20, 1, 700, 300)], end);
        let points: Vec<(f64, u64)> = samples.iter().map(|s| (s.time_ms, s.used_bytes)).collect();
        assert_eq!(
            points,
            vec![
                (0.0, 0),
                (10.0, 500),
                (12.0, 100),
                (20.0, 700),
                (21.0, 300),
                (30.0, 400)
            ]
        );
        assert_eq!(samples[3].committed_bytes, 1400);
    }

    #[test]
    fn heap_samples_are_thinned_but_keep_the_peak() {
        let mut pauses: Vec<PauseRecord> = (0..10_000).map(|i| pause(i, 0, 1000, 10)).collect();
        pauses[7777].used_before = 999_999;
        let samples = heap_samples(&pauses, None);
        assert!(samples.len() <= MAX_HEAP_SAMPLES + 1, "{}", samples.len());
        assert_eq!(samples.iter().map(|s| s.used_bytes).max(), Some(999_999));
        assert!(samples.windows(2).all(|w| w[0].time_ms <= w[1].time_ms));
    }

    #[test]
    fn curve_windows_span_sub_millisecond_to_minutes() {
        let windows: Vec<Duration> = curve_windows().collect();
        assert_eq!(windows[0], Duration::from_micros(100));
        assert!(windows.windows(2).all(|w| w[0] < w[1]));
        assert!(*windows.last().unwrap() > Duration::from_secs(180));
    }
}
