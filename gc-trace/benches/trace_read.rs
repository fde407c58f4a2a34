//! How fast the binary trace reader decodes: the replay's hot path, measured without a heap.
//!
//! The trace has the shape of binary-trees (the allocation pattern of the benchmark game's
//! program): `a ID 2 0 Node` for each node, `w PARENT SLOT CHILD` and `- CHILD` as each child is
//! linked, then `- ROOT` and `d ID` for every node. Trees of depth 17 give ~1M records.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gc_trace::binary_reader::BinaryReader;
use gc_trace::binary_writer::BinaryWriter;
use gc_trace::{Record, TraceSink, TraceSource, TraceValue};

const DEPTH: u32 = 17;

/// Emits one node and its subtree; returns the node's id.
fn node(depth: u32, next_id: &mut u64, sink: &mut impl TraceSink) -> u64 {
    let id = *next_id;
    *next_id += 1;
    let alloc = Record::Alloc {
        id,
        slots: 2,
        bytes: 0,
        type_label: Some("Node"),
    };
    sink.write_record(&alloc).expect("write");
    if depth > 0 {
        for slot in 0..2 {
            let child = node(depth - 1, next_id, sink);
            let value = TraceValue::Object(child);
            sink.write_record(&Record::Write { id, slot, value })
                .expect("write");
            sink.write_record(&Record::DropRoot { id: child })
                .expect("write");
        }
    }
    id
}

/// The encoded trace and its number of records.
fn binary_trees(depth: u32) -> (Vec<u8>, u64) {
    let mut writer = BinaryWriter::new(Vec::new()).expect("header");
    let mut next_id = 1;
    let root = node(depth, &mut next_id, &mut writer);
    writer
        .write_record(&Record::DropRoot { id: root })
        .expect("write");
    for id in 1..next_id {
        writer.write_record(&Record::Dead { id }).expect("write");
    }
    writer.finish().expect("finish");
    // Per node: `a`, `d`, and (but for the root) `w` and `-`; then one `- ROOT`.
    let nodes = next_id - 1;
    (writer.into_inner(), 4 * nodes - 1)
}

fn decode(c: &mut Criterion) {
    let (bytes, records) = binary_trees(DEPTH);
    eprintln!(
        "binary-trees depth {DEPTH}: {records} records, {} bytes, {:.2} bytes a record",
        bytes.len(),
        bytes.len() as f64 / records as f64
    );
    let mut group = c.benchmark_group("binary_trace");
    group.throughput(Throughput::Elements(records));
    // What a replay does: decode each record and read its fields. The sum keeps the compiler
    // from dropping the decoding.
    group.bench_function("decode", |b| {
        b.iter(|| {
            let mut reader = BinaryReader::new("bench.gctb", black_box(&bytes)).expect("header");
            let (mut count, mut sum) = (0u64, 0u64);
            while let Some(record) = reader.next_record().expect("valid trace") {
                sum = sum.wrapping_add(fields(&record));
                count += 1;
            }
            assert_eq!(count, records);
            sum
        })
    });
    // The same, handing each whole record to `black_box`: the copy of the 40-byte record right
    // after the reader wrote it field by field stalls store forwarding, which costs more than
    // the decoding. A consumer that matches on the record, as the replay does, does not pay it.
    group.bench_function("decode_black_box", |b| {
        b.iter(|| {
            let mut reader = BinaryReader::new("bench.gctb", black_box(&bytes)).expect("header");
            while let Some(record) = reader.next_record().expect("valid trace") {
                black_box(record);
            }
        })
    });
    group.bench_function("encode", |b| {
        b.iter(|| black_box(binary_trees(DEPTH)));
    });
    group.finish();
}

/// A number that depends on every field a replay would use.
#[inline(always)]
fn fields(record: &Record<'_>) -> u64 {
    match *record {
        Record::Alloc {
            id, slots, bytes, ..
        } => id ^ u64::from(slots) ^ u64::from(bytes),
        Record::Write { id, slot, value } => {
            let value = match value {
                TraceValue::Object(target) => target,
                TraceValue::Smi(n) => n as u64,
                TraceValue::Null => 0,
            };
            id ^ u64::from(slot) ^ value
        }
        Record::Read { id, slot } => id ^ u64::from(slot),
        Record::AddRoot { id } | Record::DropRoot { id } | Record::Dead { id } => id,
        Record::External { id, bytes } => id ^ bytes,
        Record::Think { nanos } => nanos,
        Record::Meta { .. } | Record::Gc(_) => 1,
    }
}

criterion_group!(benches, decode);
criterion_main!(benches);
