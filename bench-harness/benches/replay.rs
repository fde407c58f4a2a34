//! Replay throughput: the `binary-trees` generator's trace (depth 10) replayed on a fresh heap of
//! each compiled-in collector, from binary and from text, in events per second (collections
//! included; `gclab replay --json` reports the mutator-only figure on real files).

use bench_harness::generators::Generator;
use bench_harness::replay::{ReplayOptions, replay};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use gc_core::{Collector, Heap, HeapConfig};
use gc_trace::binary_reader::BinaryReader;
use gc_trace::binary_writer::BinaryWriter;
use gc_trace::text_reader::TextReader;
use gc_trace::text_writer::TextWriter;
use gc_trace::{OwnedRecord, TraceSink, TraceSource};
use gclab::collectors::{self, CollectorChoice, HeapVisitor};

fn records() -> Vec<OwnedRecord> {
    let mut records = Vec::new();
    let params = ["--depth".to_owned(), "10".to_owned()];
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

fn replay_throughput(c: &mut Criterion) {
    let records = records();
    let events = records.iter().filter(|r| r.borrow().is_event()).count() as u64;
    let mut binary = BinaryWriter::new(Vec::new()).expect("in memory");
    encode(&records, &mut binary);
    let binary = binary.into_inner();
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

criterion_group!(benches, replay_throughput);
criterion_main!(benches);
