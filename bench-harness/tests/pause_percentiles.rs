//! One set of pauses, three reports: `gclab run`'s summary (from the heap's event list),
//! `gclab replay`'s (from the replay's report) and `gclab compare`'s figures (from the pauses a
//! listener heard) give the same p50, p99 and max, each the exact nearest rank of the real pause
//! durations, on every compiled-in collector.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use bench_harness::generators::Generator;
use bench_harness::metrics::{PauseRecord, RunMetrics};
use bench_harness::pauses::{PauseSummary, millis};
use bench_harness::replay::{ReplayOptions, replay};
use bench_harness::report::ReplaySummary;
use gc_core::testkit::small_heap;
use gc_core::{Collector, GcEvent, Heap, HeapConfig, VerifyHeap};
use gc_trace::{MemorySource, OwnedRecord};
use gclab::collectors::{self, CollectorChoice, HeapVisitor};

mod common;
use common::generate;

/// What each command would report of one replay, and the durations it saw.
struct Reported {
    collector: &'static str,
    durations: Vec<Duration>,
    run: PauseSummary,
    replay: ReplaySummary,
    compare: RunMetrics,
}

struct ReportAllWays<'r> {
    records: &'r [OwnedRecord],
}

impl HeapVisitor for ReportAllWays<'_> {
    type Output = Reported;

    fn visit<C: Collector>(self, mut heap: Heap<C>) -> Reported {
        // As `gclab compare` measures: a listener hears every pause.
        let heard = Rc::new(RefCell::new(Vec::new()));
        let listener = Rc::clone(&heard);
        heap.on_gc_event(Box::new(move |event: &GcEvent| {
            listener.borrow_mut().push(PauseRecord::from(event))
        }));
        let mut source = MemorySource::new("memory", self.records);
        let options = ReplayOptions {
            progress: false,
            ..ReplayOptions::default()
        };
        let report = replay(&mut heap, &mut source, options)
            .unwrap_or_else(|error| panic!("{}: {error}", C::CONSTRAINTS.name));
        // The replay's final collection is not one of the trace's pauses in any report.
        let count = report.pauses.count;
        let heard: Vec<PauseRecord> = heard.borrow()[..count].to_vec();
        let events = &heap.events()[..count];
        Reported {
            collector: C::CONSTRAINTS.name,
            durations: events.iter().map(|e| e.duration).collect(),
            // As `gclab run` summarises a workload.
            run: PauseSummary::of_events(events),
            replay: ReplaySummary::new("memory", &report),
            compare: RunMetrics::new(&report, &heard, None, None),
        }
    }
}

/// The `percent`-th percentile of `durations` by nearest rank, computed here from scratch.
fn nearest_rank(durations: &[Duration], percent: usize) -> Duration {
    let mut sorted = durations.to_vec();
    sorted.sort();
    sorted[(percent * sorted.len()).div_ceil(100) - 1]
}

#[test]
fn run_replay_and_compare_report_the_same_p50_p99_and_max() {
    let records = generate(Generator::BinaryTrees, &["--depth", "14"]);
    let config = HeapConfig {
        // `gclab run` reads the heap's event list, which must keep every pause.
        event_history: usize::MAX,
        // Pauses are what is compared here, not the heap: no verifier to slow them down.
        verify: VerifyHeap::OnRequest,
        ..small_heap()
    };
    let mut most_pauses = 0;
    for &choice in CollectorChoice::COMPILED_IN {
        let visitor = ReportAllWays { records: &records };
        let Reported {
            collector,
            durations,
            run,
            replay,
            compare,
        } = collectors::run_with(choice, config.clone(), visitor).expect("a compiled-in collector");
        // Enough pauses that p50 is a rank of its own (the collectors with a young generation
        // pause least here: a few dozen times).
        assert!(durations.len() >= 20, "{collector}: {}", durations.len());
        most_pauses = most_pauses.max(durations.len());
        let (p50, p99) = (nearest_rank(&durations, 50), nearest_rank(&durations, 99));
        let max = *durations.iter().max().unwrap();
        let want = (millis(p50), millis(p99), millis(max));

        assert_eq!(run.count, durations.len(), "{collector}");
        let run_figures = (run.p50, run.p99, run.max);
        assert_eq!(
            run_figures,
            (Some(p50), Some(p99), Some(max)),
            "{collector}"
        );

        assert_eq!(replay.gc_count, durations.len(), "{collector}");
        let pause_ms = &replay.pause_ms;
        assert_eq!(
            (pause_ms.p50, pause_ms.p99, pause_ms.max),
            want,
            "{collector}"
        );

        let figures = &compare.pauses;
        assert_eq!(figures.count, durations.len() as u64, "{collector}");
        let compare_figures = (figures.p50_ms, figures.p99_ms, figures.max_ms);
        let want = (Some(want.0), Some(want.1), Some(want.2));
        assert_eq!(compare_figures, want, "{collector}");
        // The plotted distribution passes through the same points.
        let cdf = |q: f64| {
            let point = compare.pause_cdf.iter().find(|p| p.quantile == q);
            point.map(|p| p.pause_ms)
        };
        assert_eq!((cdf(0.5), cdf(0.99), cdf(1.0)), want, "{collector}");
    }
    // Over a hundred pauses somewhere, so that p99 is not merely the maximum everywhere.
    let none_compiled_in = CollectorChoice::COMPILED_IN.is_empty();
    assert!(
        most_pauses > 100 || none_compiled_in,
        "at most {most_pauses} pauses"
    );
}
