//! Soak: a long `server` replay on every compiled-in collector, whose memory must stay flat once
//! warmed up. The server's live data is bounded (a session cache of fixed capacity, requests that
//! die when answered), so memory that keeps growing through the run is a leak: in the heap
//! (pages never freed or reused), in the collector's side tables, or in the replay's own tables.
//!
//! Memory is sampled two ways: the process's anonymous resident memory (`/proc/self/statm`,
//! resident minus file-backed, so the memory-mapped trace does not count) every few thousand
//! records, and the heap's committed bytes after every pause. Each series is cut in three: the
//! first third is warm-up, and the peak of the last third may exceed the peak of the middle third
//! only by a small tolerance. Think times (`t`) are left out of the trace: memory, not time, is
//! measured here, and nothing is timed.
//!
//! The test-sized run is a default test; the long one (tens of millions of events) is
//! `scripts/soak.sh`, which runs `long_soak` with `GCLAB_SOAK_REQUESTS`.
#![cfg(all(feature = "marksweep", target_os = "linux"))]

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, BufWriter};
use std::path::Path;
use std::rc::Rc;
use std::sync::Mutex;

use bench_harness::generators::Generator;
use bench_harness::replay::{ReplayOptions, replay};
use gc_core::{Collector, Heap, HeapConfig, VerifyHeap};
use gc_trace::binary_reader::MappedTrace;
use gc_trace::binary_writer::BinaryWriter;
use gc_trace::{Position, Problem, Record, TraceError, TraceSink, TraceSource};
use gclab::collectors::{self, CollectorChoice, HeapVisitor};

const MIB: f64 = 1024.0 * 1024.0;

/// Records between two samples of resident memory, in a server soak.
const SAMPLE_EVERY: u64 = 20_000;

/// Writes every record but think times.
struct WithoutThinking<S> {
    sink: S,
}

impl<S: TraceSink> TraceSink for WithoutThinking<S> {
    fn write_record(&mut self, record: &Record<'_>) -> io::Result<()> {
        match record {
            Record::Think { .. } => Ok(()),
            record => self.sink.write_record(record),
        }
    }

    fn finish(&mut self) -> io::Result<()> {
        self.sink.finish()
    }
}

/// A generator's trace, without think times, as a binary trace at `path`.
fn write_trace(path: &Path, generator: Generator, args: &[String]) {
    let file = File::create(path).expect("the trace file is created");
    let writer = BinaryWriter::new(BufWriter::new(file)).expect("the header is written");
    let mut sink = WithoutThinking { sink: writer };
    generator
        .generate(args, &mut sink)
        .expect("the trace is generated");
}

/// Anonymous resident bytes of this process: resident minus file-backed and shared pages.
fn anonymous_resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: Vec<u64> = statm
        .split_whitespace()
        .map(|field| field.parse().expect("statm holds page counts"))
        .collect();
    // Fields: size resident shared text lib data dirty; the page size is 4 KiB on every Linux
    // target this runs on (and only the ratios matter).
    (pages[1] - pages[2]) * 4096
}

/// A source that samples resident memory every `every` records.
struct Sampling<S> {
    source: S,
    every: u64,
    records: u64,
    samples: Rc<RefCell<Vec<u64>>>,
}

impl<S: TraceSource> TraceSource for Sampling<S> {
    fn next_record(&mut self) -> Result<Option<Record<'_>>, TraceError> {
        self.records += 1;
        if self.records % self.every == 0 {
            self.samples.borrow_mut().push(anonymous_resident_bytes());
        }
        self.source.next_record()
    }

    fn error_at_last(&self, problem: Problem) -> TraceError {
        self.source.error_at_last(problem)
    }

    fn position(&self) -> Position {
        self.source.position()
    }

    fn progress(&self) -> (u64, Option<u64>) {
        self.source.progress()
    }
}

/// What one collector's soak measured.
#[derive(Debug)]
struct Soak {
    collector: &'static str,
    events: u64,
    /// Anonymous resident bytes, sampled through the replay.
    resident: Vec<u64>,
    /// The heap's committed bytes after each pause.
    committed: Vec<u64>,
}

struct SoakOn<'p> {
    trace: &'p Path,
    sample_every: u64,
}

impl HeapVisitor for SoakOn<'_> {
    type Output = Soak;

    fn visit<C: Collector>(self, mut heap: Heap<C>) -> Soak {
        let committed = Rc::new(RefCell::new(Vec::new()));
        let log = Rc::clone(&committed);
        heap.on_gc_event(Box::new(move |event| {
            log.borrow_mut().push(event.committed_after as u64)
        }));
        let mapped = MappedTrace::open(self.trace).expect("the trace maps");
        let resident = Rc::new(RefCell::new(Vec::new()));
        let mut source = Sampling {
            source: mapped.reader().expect("a binary trace"),
            every: self.sample_every,
            records: 0,
            samples: Rc::clone(&resident),
        };
        let report = replay(&mut heap, &mut source, ReplayOptions::default())
            .unwrap_or_else(|error| panic!("{}: {error}", C::CONSTRAINTS.name));
        drop(heap);
        let resident = resident.take();
        let committed = committed.take();
        Soak {
            collector: C::CONSTRAINTS.name,
            events: report.events,
            resident,
            committed,
        }
    }
}

/// The heap a soak runs on: gclab's defaults (pages from the OS), verification on request only
/// (the verifier's own tables would be measured too).
fn soak_config() -> HeapConfig {
    HeapConfig {
        verify: VerifyHeap::OnRequest,
        ..HeapConfig::default()
    }
}

/// The peaks of the middle and last thirds of `series` (the first third is warm-up).
fn thirds(series: &[u64]) -> (u64, u64) {
    assert!(
        series.len() >= 6,
        "too few samples ({}) to judge",
        series.len()
    );
    let third = series.len() / 3;
    let middle = series[third..2 * third].iter().copied().max().unwrap_or(0);
    let last = series[2 * third..].iter().copied().max().unwrap_or(0);
    (middle, last)
}

/// Whether `last` stays within `relative` of `middle`, or within `absolute` bytes of it.
fn is_flat(middle: u64, last: u64, relative: f64, absolute: u64) -> bool {
    let allowed = ((middle as f64 * relative) as u64).max(absolute);
    last <= middle + allowed
}

fn soak_every_collector(requests: u64) -> Vec<Soak> {
    let args = ["--requests".to_owned(), requests.to_string()];
    soak_trace(Generator::Server, &args, SAMPLE_EVERY, soak_config())
}

/// Soaks run one at a time: each measures the whole process's memory.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn soak_trace(
    generator: Generator,
    args: &[String],
    sample_every: u64,
    config: HeapConfig,
) -> Vec<Soak> {
    let _alone = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let folder = tempfile::tempdir().expect("a temporary folder");
    let trace = folder.path().join("soak.gctb");
    write_trace(&trace, generator, args);
    CollectorChoice::COMPILED_IN
        .iter()
        .map(|&choice| {
            let soak = SoakOn {
                trace: &trace,
                sample_every,
            };
            collectors::run_with(choice, config.clone(), soak).expect("a valid configuration")
        })
        .collect()
}

fn report(soak: &Soak) {
    let (resident_middle, resident_last) = thirds(&soak.resident);
    let (committed_middle, committed_last) = thirds(&soak.committed);
    eprintln!(
        "{:<16} {:>11} events  resident (anon) first {:7.1} MiB, middle-third peak {:7.1}, last-third peak {:7.1}, end {:7.1}; committed middle {:6.1} MiB, last {:6.1}; {} pauses",
        soak.collector,
        soak.events,
        soak.resident[0] as f64 / MIB,
        resident_middle as f64 / MIB,
        resident_last as f64 / MIB,
        soak.resident.last().copied().unwrap_or(0) as f64 / MIB,
        committed_middle as f64 / MIB,
        committed_last as f64 / MIB,
        soak.committed.len(),
    );
}

fn assert_flat(soak: &Soak) {
    let (middle, last) = thirds(&soak.resident);
    assert!(
        is_flat(middle, last, 0.10, 4 << 20),
        "{}: resident memory grew from a peak of {middle} to {last} bytes after warm-up",
        soak.collector
    );
    let (middle, last) = thirds(&soak.committed);
    assert!(
        is_flat(middle, last, 0.10, 2 << 20),
        "{}: committed memory grew from a peak of {middle} to {last} bytes after warm-up",
        soak.collector
    );
}

/// About 22 million events per collector (a few seconds each).
#[test]
fn memory_stays_flat_through_a_server_replay() {
    for soak in soak_every_collector(600_000) {
        report(&soak);
        assert_flat(&soak);
    }
}

/// The long soak, for `scripts/soak.sh`: `GCLAB_SOAK_REQUESTS` requests (default two million,
/// about 75 million events per collector).
#[test]
#[ignore = "minutes long: run by scripts/soak.sh"]
fn long_soak() {
    let requests = std::env::var("GCLAB_SOAK_REQUESTS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(2_000_000);
    for soak in soak_every_collector(requests) {
        report(&soak);
        assert_flat(&soak);
    }
}

/// The judgement catches a real leak: `leaky` keeps 32 KiB more reachable at every tick.
#[test]
fn a_leaking_trace_is_not_flat() {
    let args = ["--ticks", "3000", "--bytes", "32768", "--interval", "0"].map(str::to_owned);
    // A pause every megabyte or so, for enough samples of committed memory.
    let config = HeapConfig {
        initial_allocation_limit: 1 << 20,
        min_allocation_limit_step: 1 << 20,
        max_growing_factor: 1.1,
        ..soak_config()
    };
    for soak in soak_trace(Generator::Leaky, &args, 100, config) {
        let (middle, last) = thirds(&soak.resident);
        assert!(!is_flat(middle, last, 0.10, 4 << 20), "{soak:?}");
        let (middle, last) = thirds(&soak.committed);
        assert!(!is_flat(middle, last, 0.10, 2 << 20), "{soak:?}");
    }
}

#[test]
fn flatness_is_judged_after_warm_up() {
    // Growing through warm-up, then flat: flat.
    let warm = [1, 5, 9, 10, 10, 10, 10, 10, 10];
    let (middle, last) = thirds(&warm);
    assert!(is_flat(middle, last, 0.10, 0));
    // Growing all along (a leak): not flat.
    let leak = [10, 20, 30, 40, 50, 60, 70, 80, 90];
    let (middle, last) = thirds(&leak);
    assert!(!is_flat(middle, last, 0.10, 0));
}
