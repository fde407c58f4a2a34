//! Replay throughput: the `binary-trees` generator's trace (depth 10) replayed on a fresh heap of
//! each compiled-in collector, from binary and from text, in events per second (collections
//! included; `gclab replay --json` reports the mutator-only figure on real files). Then the same
//! program in the shapes other traces have, on `marksweep`: without `d` records (every id stays
//! in the replay's table) and with sparse ids (no two consecutive).

use bench_harness::generators::Generator;
use bench_harness::replay::{ReplayOptions, replay};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use gc_core::{Collector, Heap, HeapConfig};
use gc_trace::binary_reader::BinaryReader;
use gc_trace::binary_writer::BinaryWriter;
use gc_trace::record::MAX_ID;
use gc_trace::text_reader::TextReader;
use gc_trace::text_writer::TextWriter;
use gc_trace::{OwnedRecord, Record, TraceSink, TraceSource};
use gclab::collectors::{self, CollectorChoice, HeapVisitor};

fn records(depth: u32) -> Vec<OwnedRecord> {
    let mut records = Vec::new();
    let params = ["--depth".to_owned(), depth.to_string()];
    Generator::BinaryTrees
        .generate(&params, &mut records)
        .expect("valid parameters");
    records
}

fn encode(records: &[OwnedRecord], sink: &mut dyn TraceSink) {
    for record in records {
        sink.write_record(&record.borrow()).expect("in memory");
    }
    sink.finish().expect("in memory");
}

#[derive(Copy, Clone)]
enum Form<'t> {
    Binary(&'t [u8]),
    Text(&'t [u8]),
}

struct Replay<'t>(Form<'t>);

impl HeapVisitor for Replay<'_> {
    type Output = u64;

    fn visit<C: Collector>(self, mut heap: Heap<C>) -> u64 {
        fn run<C: Collector, S: TraceSource>(heap: &mut Heap<C>, source: &mut S) -> u64 {
            let report = replay(heap, source, ReplayOptions::default()).expect("a valid trace");
            report.events
        }
        match self.0 {
            Form::Binary(bytes) => {
                let mut source = BinaryReader::new("bench.gctb", bytes).expect("a binary trace");
                run(&mut heap, &mut source)
            }
            Form::Text(bytes) => run(&mut heap, &mut TextReader::new("bench.gct", bytes, None)),
        }
    }
}

fn binary(records: &[OwnedRecord]) -> Vec<u8> {
    let mut binary = BinaryWriter::new(Vec::new()).expect("in memory");
    encode(records, &mut binary);
    binary.into_inner()
}

fn events(records: &[OwnedRecord]) -> u64 {
    records.iter().filter(|r| r.borrow().is_event()).count() as u64
}

fn replay_throughput(c: &mut Criterion) {
    let records = records(10);
    let events = events(&records);
    let binary = binary(&records);
    let mut text = TextWriter::new(Vec::new()).expect("in memory");
    encode(&records, &mut text);
    let text = text.into_inner();

    let mut group = c.benchmark_group("replay/binary-trees-10");
    group.throughput(Throughput::Elements(events));
    group.sample_size(20);
    for &choice in CollectorChoice::COMPILED_IN {
        for (form, name) in [
            (Form::Binary(&binary), "binary"),
            (Form::Text(&text), "text"),
        ] {
            group.bench_function(BenchmarkId::new(choice.to_string(), name), |b| {
                b.iter(|| {
                    collectors::run_with(choice, HeapConfig::default(), Replay(form))
                        .expect("a valid configuration")
                })
            });
        }
    }
    group.finish();
}

/// Binary-trees of depth 14 as it is, without its `d` records, and with its ids spread over the
/// id range (multiplying by an odd number is a bijection modulo 2^63).
fn replay_shapes(c: &mut Criterion) {
    let records = records(14);
    let without_deaths: Vec<OwnedRecord> = records
        .iter()
        .filter(|r| !matches!(r.borrow(), Record::Dead { .. }))
        .cloned()
        .collect();
    let sparse: Vec<OwnedRecord> = records
        .iter()
        .map(|r| {
            let spread = |id: u64| id.wrapping_mul(0x9E37_79B9_7F4A_7C15) & MAX_ID;
            OwnedRecord::from(r.borrow().rename_ids(spread))
        })
        .collect();
    // The figures the replay's targets are stated in are `marksweep`'s.
    let choice = CollectorChoice::parse("marksweep").unwrap_or(CollectorChoice::Auto);
    let mut group = c.benchmark_group("replay/shapes");
    group.sample_size(10);
    for (name, records) in [
        ("binary-trees-14", &records),
        ("binary-trees-14-no-deaths", &without_deaths),
        ("binary-trees-14-sparse-ids", &sparse),
    ] {
        let binary = binary(records);
        group.throughput(Throughput::Elements(events(records)));
        group.bench_function(name, |b| {
            b.iter(|| {
                collectors::run_with(choice, HeapConfig::default(), Replay(Form::Binary(&binary)))
                    .expect("a valid configuration")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, replay_throughput, replay_shapes);
criterion_main!(benches);
