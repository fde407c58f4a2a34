//! `--record`: real programs of `../shared/scheme-benchmarks/` (opt-in, as in `programs.rs`)
//! recorded with small inputs, each on a moving collector, and the trace replayed on every
//! compiled-in collector. The replay stopped where the program ended (its roots still held)
//! must hold the live graph the recording saw there, and the whole trace must replay to an
//! empty heap. A trace that cannot be written is an error of the run, not a panic.

mod common;

use std::path::Path;

use bench_harness::replay::{ReplayOptions, StopAt, ThinkTime, replay, replay_until};
use common::{assemble, input, suite};
use gc_scheme::{Input, Outcome, Program, SharedBuffer, run, run_text};
use gc_trace::binary_reader::BinaryReader;
use gclab::collectors::{CollectorChoice, HeapVisitor, run_with};
use gclab::{Collector, Heap, HeapConfig, LiveGraph, TraceRecorder};

/// Programs that allocate much and run quickly on their test inputs, each recorded on a
/// collector that moves objects.
const RECORDED: &[(&str, &str)] = &[
    ("deriv", "gen-markcompact"),
    ("destruc", "gen-incremental"),
    ("nqueens", "gen-marksweep"),
];

fn run_recorded(
    source: &str,
    input: &str,
    choice: CollectorChoice,
    trace: &Path,
) -> (String, Outcome) {
    let buffer = SharedBuffer::default();
    let program = Program {
        file: "recorded.scm".into(),
        source: source.to_string(),
        input: Input::Text(input.to_string()),
        output: Box::new(buffer.clone()),
        trace_gc: false,
        verify_after: true,
        record: Some(trace.to_path_buf()),
    };
    let config = HeapConfig {
        gc_threads: 2,
        ..HeapConfig::default()
    };
    let outcome = run(choice, config, program).unwrap_or_else(|e| panic!("{choice}: {e}"));
    (buffer.text(), outcome)
}

/// The live graph of a replay of `trace` stopped after `stop` records.
struct ReplayTo<'p> {
    trace: &'p [u8],
    stop: u64,
}

impl HeapVisitor for ReplayTo<'_> {
    type Output = LiveGraph;

    fn visit<C: Collector>(self, mut heap: Heap<C>) -> LiveGraph {
        let mut source = BinaryReader::new("recorded", self.trace).expect("a binary trace");
        replay_until(
            &mut heap,
            &mut source,
            StopAt::Line(self.stop),
            |heap, ids| heap.live_graph_by_trace_ids(|key| ids.get(&key).copied()),
        )
        .expect("the trace replays")
        .expect("the trace reaches the checkpoint")
    }
}

/// The objects live after the whole trace and the final collection.
struct ReplayAll<'p> {
    trace: &'p [u8],
}

impl HeapVisitor for ReplayAll<'_> {
    type Output = u64;

    fn visit<C: Collector>(self, mut heap: Heap<C>) -> u64 {
        let mut source = BinaryReader::new("recorded", self.trace).expect("a binary trace");
        let options = ReplayOptions {
            think: ThinkTime::Skip,
            ..ReplayOptions::default()
        };
        let report = replay(&mut heap, &mut source, options).expect("the trace replays");
        report.live.objects
    }
}

#[test]
fn recorded_programs_replay_to_the_same_graph_on_every_collector() {
    let Some(suite) = suite() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    for &(name, recorder) in RECORDED {
        let choice = CollectorChoice::parse(recorder).expect("compiled in");
        let path = dir.path().join(format!("{name}.gctb"));
        let (source, input) = (assemble(&suite, name), input(name));
        let (output, outcome) = run_recorded(&source, &input, choice, &path);
        let (plain, _) = run_text(choice, HeapConfig::default(), &source, &input).expect("runs");
        let strip = |text: &str| {
            text.lines()
                .filter(|l| !l.contains("Elapsed") && !l.contains("CSVLINE"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(
            strip(&output),
            strip(&plain),
            "{name}: recording changed the output"
        );
        assert_eq!(outcome.error, None, "{name}");
        let recording = outcome.recording.expect("recorded");
        let summary = recording.result.expect("the trace was written");
        assert!(summary.objects > 1000, "{name}: {summary:?}");
        let at_end = recording.at_end.expect("a checkpoint");
        assert!(
            at_end.live.objects > 0,
            "{name}: the checkpoint holds the globals"
        );
        let trace = std::fs::read(&path).expect("the trace");
        let stop = at_end.events + TraceRecorder::<std::fs::File>::METADATA_RECORDS;
        for &replayer in CollectorChoice::COMPILED_IN {
            let graph = run_with(
                replayer,
                HeapConfig::default(),
                ReplayTo {
                    trace: &trace,
                    stop,
                },
            )
            .expect("compiled in");
            assert_eq!(
                graph, at_end.live,
                "{name} recorded on {recorder}, replayed on {replayer}"
            );
            let left = run_with(replayer, HeapConfig::default(), ReplayAll { trace: &trace })
                .expect("compiled in");
            assert_eq!(
                left, 0,
                "{name} replayed on {replayer}: the run dropped every root"
            );
        }
    }
}

#[test]
fn a_trace_that_cannot_be_written_is_an_error_not_a_panic() {
    if !Path::new("/dev/full").exists() {
        println!("skipped: no /dev/full");
        return;
    }
    let (_, outcome) = run_recorded(
        "(display 1)",
        "",
        CollectorChoice::Auto,
        Path::new("/dev/full"),
    );
    let error = outcome.error.expect("an error");
    assert!(error.contains("cannot record to /dev/full"), "{error}");
}
