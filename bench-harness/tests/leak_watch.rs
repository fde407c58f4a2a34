//! memwatch's leak detection on replays, every compiled-in collector: the leaking generators
//! raise `leak`, a server in its steady state does not, and `gclab replay --watch-leaks` prints
//! the events.

use std::cell::RefCell;
use std::rc::Rc;

use bench_harness::generators::Generator;
use bench_harness::replay::{ReplayOptions, replay};
use gc_core::{Collector, Heap, HeapConfig, LeakReport, MemoryWatchEvent, UsageStats};
use gc_trace::{GcRequest, MemorySource, OwnedRecord, Record};
use gclab::collectors::{self, CollectorChoice, HeapVisitor};

mod common;
use common::{gclab, generate, stdout};

/// What one replay's memory watcher heard.
#[derive(Default)]
struct Heard {
    collector: &'static str,
    leaks: Vec<LeakReport>,
    stats: Vec<UsageStats>,
}

struct WatchedReplay<'r> {
    records: &'r [OwnedRecord],
}

impl HeapVisitor for WatchedReplay<'_> {
    type Output = Heard;

    fn visit<C: Collector>(self, mut heap: Heap<C>) -> Heard {
        let heard = Rc::new(RefCell::new(Heard {
            collector: C::CONSTRAINTS.name,
            ..Heard::default()
        }));
        let listener = Rc::clone(&heard);
        heap.on_memory_watch(Box::new(move |event| {
            let mut heard = listener.borrow_mut();
            match event {
                MemoryWatchEvent::Leak(leak) => heard.leaks.push(leak.clone()),
                MemoryWatchEvent::Stats(stats) => heard.stats.push(stats.clone()),
            }
        }));
        let mut source = MemorySource::new("memory", self.records);
        let options = ReplayOptions::default();
        replay(&mut heap, &mut source, options)
            .unwrap_or_else(|error| panic!("{}: {error}", C::CONSTRAINTS.name));
        drop(heap);
        Rc::try_unwrap(heard)
            .map(RefCell::into_inner)
            .unwrap_or_else(|_| panic!("the heap is gone, and its listener with it"))
    }
}

fn watch_on_every_collector(records: &[OwnedRecord], config: HeapConfig) -> Vec<Heard> {
    CollectorChoice::COMPILED_IN
        .iter()
        .map(|&choice| {
            collectors::run_with(choice, config.clone(), WatchedReplay { records })
                .expect("a valid configuration")
        })
        .collect()
}

/// Small limit steps: many full collections in a short trace.
fn frequent_full_gcs() -> HeapConfig {
    HeapConfig {
        initial_allocation_limit: 1 << 20,
        min_allocation_limit_step: 1 << 20,
        ..HeapConfig::for_testing()
    }
}

/// Every leak report is a real run of growth, and a stats record follows each full collection.
fn assert_consistent(heard: &Heard) {
    for leak in &heard.leaks {
        assert!(
            leak.base_after > leak.base_before,
            "{}: {leak:?}",
            heard.collector
        );
        assert!(leak.end > leak.start, "{}: {leak:?}", heard.collector);
        assert_eq!(leak.collections, 5);
        let end = heard.stats.iter().find(|s| s.at == leak.end);
        let end = end.unwrap_or_else(|| panic!("{}: no stats at the leak's end", heard.collector));
        assert_eq!(end.current_base, leak.base_after, "{}", heard.collector);
    }
    for (i, stats) in heard.stats.iter().enumerate() {
        assert_eq!(stats.num_full_gc, i as u64 + 1, "{}", heard.collector);
    }
}

#[test]
fn the_closure_leak_raises_leak_events_on_every_collector() {
    // 60 ticks of 256 KiB each: every full collection finds the heap bigger.
    let records = generate(Generator::Leaky, &["--ticks", "60", "--bytes", "262144"]);
    for heard in watch_on_every_collector(&records, frequent_full_gcs()) {
        assert_consistent(&heard);
        assert!(
            !heard.leaks.is_empty(),
            "{}: no leak event",
            heard.collector
        );
        // Each run of five growths holds at least five leaked strings.
        for leak in &heard.leaks {
            assert!(
                leak.growth_bytes() >= 5 * 262_144,
                "{}: {leak:?}",
                heard.collector
            );
        }
    }
}

#[test]
fn the_listener_leak_raises_a_leak_event_on_every_collector() {
    // Long enough for five incremental cycles in a row to see the growth.
    let records = generate(Generator::Listeners, &["--connections", "30000"]);
    for heard in watch_on_every_collector(&records, frequent_full_gcs()) {
        assert_consistent(&heard);
        assert!(
            !heard.leaks.is_empty(),
            "{}: no leak event",
            heard.collector
        );
    }
}

/// The server's trace with a full collection requested every `every` records once the first
/// quarter (the warm-up, in which the session cache fills) is over.
fn server_with_steady_full_gcs(requests: u32, every: usize) -> Vec<OwnedRecord> {
    let requests = requests.to_string();
    let records = generate(Generator::Server, &["--requests", &requests]);
    let warm_up = records.len() / 4;
    let mut with_gcs = Vec::with_capacity(records.len() + records.len() / every);
    for (index, record) in records.into_iter().enumerate() {
        with_gcs.push(record);
        if index >= warm_up && (index - warm_up) % every == 0 {
            with_gcs.push(OwnedRecord::Other(Record::Gc(GcRequest::Full)));
        }
    }
    with_gcs
}

#[test]
fn a_server_in_its_steady_state_raises_no_leak_event() {
    let records = server_with_steady_full_gcs(40_000, 25_000);
    // Only the requested collections are full ones: no limit is reached before the end.
    let config = HeapConfig {
        initial_allocation_limit: 1 << 30,
        external_limit_step: 1 << 40,
        ..HeapConfig::for_testing()
    };
    for heard in watch_on_every_collector(&records, config) {
        assert_consistent(&heard);
        assert!(
            heard.stats.len() >= 20,
            "{}: only {} full collections",
            heard.collector,
            heard.stats.len()
        );
        assert_eq!(heard.leaks, [], "{}", heard.collector);
    }
}

#[test]
fn replay_watch_leaks_prints_memwatch_events_and_lists_leaks_in_json() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let trace = dir.path().join("leaky.gct");
    let trace = trace.to_str().expect("a UTF-8 path");
    // The default closure leak, 100 ticks of 1 MiB, with a full collection asked for after each
    // tick: how many the heap would run on its own depends on measured speeds (heap growing), and
    // a loaded machine made it too few for five growing ones in a row.
    let made = gclab(&["gen", "leaky", "-o", trace]);
    assert!(made.status.success());
    let text = std::fs::read_to_string(trace).expect("the generated trace");
    let with_gcs: String = text
        .lines()
        .flat_map(|line| {
            [
                line,
                if line.starts_with("t ") {
                    "\ngc\n"
                } else {
                    "\n"
                },
            ]
        })
        .collect();
    std::fs::write(trace, with_gcs).expect("the trace with collections");

    let text = gclab(&["replay", trace, "--watch-leaks", "--collector", "marksweep"]);
    assert!(text.status.success());
    let out = stdout(&text);
    let stats_lines = out.lines().filter(|l| l.starts_with("stats: {")).count();
    let leak_lines: Vec<&str> = out.lines().filter(|l| l.starts_with("leak: {")).collect();
    assert!(stats_lines >= 6, "{out}");
    assert!(!leak_lines.is_empty(), "{out}");
    assert!(leak_lines[0].contains("heap growth over 5 consecutive GCs"));
    assert!(out.contains(&format!("memwatch: {} leak events", leak_lines.len())));

    // Heap growing weighs measured speeds, so a second run may collect at other moments: the
    // JSON is checked against the lines of its own run.
    let json = gclab(&[
        "replay",
        trace,
        "--watch-leaks",
        "--json",
        "-c",
        "marksweep",
    ]);
    assert!(json.status.success());
    let summary: serde_json::Value =
        serde_json::from_slice(&json.stdout).expect("one JSON object on standard output");
    // The event lines went to standard error, leaving standard output to the JSON.
    let err = String::from_utf8_lossy(&json.stderr);
    let err_stats = err.lines().filter(|l| l.starts_with("stats: {")).count();
    let err_leaks = err.lines().filter(|l| l.starts_with("leak: {")).count();
    let watch = &summary["memory_watch"];
    let leaks = watch["leaks"].as_array().expect("a list of leaks");
    assert!(!leaks.is_empty());
    assert_eq!(leaks.len(), err_leaks);
    assert!(leaks[0]["growth"].as_u64().is_some_and(|g| g > 0));
    assert_eq!(watch["stats_records"].as_u64(), Some(err_stats as u64));
    for key in [
        "num_full_gc",
        "num_inc_gc",
        "heap_compactions",
        "usage_trend",
        "estimated_base",
        "current_base",
        "min",
        "max",
    ] {
        assert!(!watch["last_stats"][key].is_null(), "{key} missing");
    }
}
