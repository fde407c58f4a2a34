//! Traces are untrusted input: random and malformed ones, replayed on every compiled-in collector
//! with the verifier after every collection and a small heap limit, never panic and never
//! corrupt the heap; each either replays or stops with an error naming a line of the trace.

use bench_harness::generators::Generator;
use bench_harness::replay::{ReplayOptions, replay};
use gc_core::{Collector, Heap, HeapConfig};
use gc_trace::text_reader::TextReader;
use gc_trace::{Position, TraceSource};
use gclab::collectors::{self, CollectorChoice, HeapVisitor};
use proptest::prelude::*;

/// One line, mostly well-formed records on a handful of ids (so that many are consistent and
/// the replay gets deep), with some junk.
fn line() -> impl Strategy<Value = String> {
    let id = 0u64..6;
    let slot = 0u32..4;
    let value = prop_oneof![
        Just("null".to_owned()),
        (-3i64..3).prop_map(|n| format!("i{n}")),
        (0u64..6).prop_map(|id| id.to_string()),
        Just("i1073741824".to_owned()),
    ];
    prop_oneof![
        6 => (id.clone(), 0u32..4, 0u32..300_000, any::<bool>()).prop_map(|(id, slots, bytes, typed)| {
            let label = if typed { " Node" } else { "" };
            format!("a {id} {slots} {bytes}{label}")
        }),
        6 => (id.clone(), slot.clone(), value).prop_map(|(id, slot, value)| format!("w {id} {slot} {value}")),
        2 => (id.clone(), slot).prop_map(|(id, slot)| format!("r {id} {slot}")),
        3 => id.clone().prop_map(|id| format!("+ {id}")),
        4 => id.clone().prop_map(|id| format!("- {id}")),
        2 => id.clone().prop_map(|id| format!("d {id}")),
        1 => (id.clone(), 0u64..1 << 40).prop_map(|(id, bytes)| format!("e {id} {bytes}")),
        1 => Just("gc".to_owned()),
        1 => Just("gc minor".to_owned()),
        1 => (0u64..1000).prop_map(|n| format!("t {n}")),
        1 => Just("@ late metadata".to_owned()),
        1 => "[ -~]{0,24}",
    ]
}

fn trace() -> impl Strategy<Value = String> {
    prop::collection::vec(line(), 0..120).prop_map(|lines| {
        let mut text = String::from("gctrace 1\n");
        for line in lines {
            text.push_str(&line);
            text.push('\n');
        }
        text
    })
}

/// The `random` generator's trace with the line at fraction `at` of it replaced.
fn damaged_random_trace(seed: u64, at: f64, replacement: &str) -> String {
    let params = ["--events", "400", "--max-live", "60", "--seed"].map(str::to_owned);
    let params = [&params[..], &[seed.to_string()]].concat();
    let mut records = Vec::new();
    Generator::Random
        .generate(&params, &mut records)
        .expect("valid parameters");
    let mut lines: Vec<String> = records.iter().map(|r| r.borrow().to_string()).collect();
    let index = ((lines.len() as f64 * at) as usize).min(lines.len().saturating_sub(1));
    if let Some(line) = lines.get_mut(index) {
        *line = replacement.to_owned();
    }
    format!("gctrace 1\n{}\n", lines.join("\n"))
}

struct ReplayText<'t> {
    text: &'t str,
}

impl HeapVisitor for ReplayText<'_> {
    type Output = ();

    fn visit<C: Collector>(self, mut heap: Heap<C>) {
        let mut source = TextReader::new("hostile.gct", self.text.as_bytes(), None);
        let options = ReplayOptions {
            check_deaths: true,
            progress: false,
            ..ReplayOptions::default()
        };
        let lines = self.text.lines().count() as u64;
        if let Err(error) = replay(&mut heap, &mut source, options) {
            match error.position {
                Position::Line(line) => assert!((1..=lines).contains(&line), "{error}"),
                Position::File => {}
                Position::Record { .. } => panic!("a text trace named a record: {error}"),
            }
        }
        // The heap is still sound and usable after whatever stopped the replay.
        heap.collect(gc_core::CollectionKind::Full);
        heap.verify().unwrap_or_else(|error| panic!("{error}"));
    }
}

fn small_heap() -> HeapConfig {
    HeapConfig {
        max_heap_bytes: 2 << 20,
        initial_allocation_limit: 256 * 1024,
        min_allocation_limit_step: 128 * 1024,
        ..HeapConfig::for_testing()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_traces_never_panic_on_any_collector(text in trace()) {
        for &choice in CollectorChoice::COMPILED_IN {
            collectors::run_with(choice, small_heap(), ReplayText { text: &text })
                .expect("a valid configuration");
        }
    }

    /// A valid random trace with one line replaced: the replay runs deep before the fault.
    #[test]
    fn a_fault_deep_in_a_valid_trace_never_panics(
        seed in any::<u64>(),
        at in 0.0f64..1.0,
        replacement in line(),
    ) {
        let text = damaged_random_trace(seed, at, &replacement);
        for &choice in CollectorChoice::COMPILED_IN {
            collectors::run_with(choice, small_heap(), ReplayText { text: &text })
                .expect("a valid configuration");
        }
    }

    #[test]
    fn arbitrary_bytes_are_an_error_or_a_trace(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let mut reader = TextReader::new("bytes.gct", bytes.as_slice(), None);
        for _ in 0..400 {
            match reader.next_record() {
                Ok(Some(_)) => continue,
                Ok(None) | Err(_) => break,
            }
        }
    }
}

/// Replays `text` on mark-sweep with `think`, returning the think time spent and skipped.
#[cfg(feature = "marksweep")]
fn think_report(text: &str, think: bench_harness::replay::ThinkTime) -> (u128, u128) {
    let mut heap =
        Heap::new(HeapConfig::default(), gclab::MarkSweep::new()).expect("a default heap");
    let mut source = TextReader::new("think.gct", text.as_bytes(), None);
    let options = ReplayOptions {
        think,
        ..ReplayOptions::default()
    };
    let report = replay(&mut heap, &mut source, options).unwrap_or_else(|e| panic!("{e}"));
    (
        report.think.spun.as_nanos(),
        report.think.skipped.as_nanos(),
    )
}

/// A small file asking for an hour of think time is bounded by the budget: what is past it is
/// skipped, counted, and the replay finishes.
#[test]
#[cfg(feature = "marksweep")]
fn think_time_is_bounded_and_can_be_skipped() {
    use bench_harness::replay::ThinkTime;
    use std::time::Duration;
    let hour = "t 60000000000\n".repeat(60);
    let text = format!("gctrace 1\na 1 0 0\n{hour}t 5\n");
    let asked = 3_600_000_000_005u128;
    let budget = Duration::from_millis(20);
    let (spun, skipped) = think_report(&text, ThinkTime::Spin { budget });
    assert_eq!((spun, skipped), (20_000_000, asked - 20_000_000));
    assert_eq!(think_report(&text, ThinkTime::Skip), (0, asked));
    let short = "gctrace 1\nt 1000\nt 2000\n";
    assert_eq!(think_report(short, ThinkTime::default()), (3000, 0));
}
