//! Conversions are lossless on every generator's output: records -> text -> records,
//! records -> binary -> records, and text -> binary -> text byte for byte.

use bench_harness::generators::Generator;
use gc_trace::binary_reader::BinaryReader;
use gc_trace::binary_writer::BinaryWriter;
use gc_trace::text_reader::TextReader;
use gc_trace::text_writer::TextWriter;
use gc_trace::{OwnedRecord, TraceSink, TraceSource};

/// Small parameters: every kind of record each generator writes, quickly.
fn small(generator: Generator) -> Vec<String> {
    let params: &[&str] = match generator {
        Generator::GcBench => &[
            "--stretch-depth",
            "8",
            "--long-lived-depth",
            "6",
            "--array-size",
            "100",
            "--min-depth",
            "4",
            "--max-depth",
            "6",
        ],
        Generator::BinaryTrees => &["--depth", "7"],
        Generator::Splay => &["--nodes", "100", "--steps", "5", "--payload-depth", "2"],
        Generator::Leaky => &["--ticks", "10", "--bytes", "100"],
        Generator::Listeners => &["--connections", "200", "--open", "10"],
        Generator::Server => &["--requests", "500", "--sessions", "20"],
        Generator::Random => &["--events", "3000"],
        Generator::Fragment => &["--objects", "1000", "--churn", "500"],
    };
    params.iter().map(|p| p.to_string()).collect()
}

fn read_all(source: &mut impl TraceSource) -> Vec<OwnedRecord> {
    let mut records = Vec::new();
    while let Some(record) = source.next_record().unwrap_or_else(|e| panic!("{e}")) {
        records.push(OwnedRecord::from(record));
    }
    records
}

fn write_all(records: &[OwnedRecord], sink: &mut dyn TraceSink) {
    for record in records {
        sink.write_record(&record.borrow()).unwrap();
    }
    sink.finish().unwrap();
}

fn to_text(records: &[OwnedRecord]) -> Vec<u8> {
    let mut writer = TextWriter::new(Vec::new()).unwrap();
    write_all(records, &mut writer);
    writer.into_inner()
}

fn to_binary(records: &[OwnedRecord]) -> Vec<u8> {
    let mut writer = BinaryWriter::new(Vec::new()).unwrap();
    write_all(records, &mut writer);
    writer.into_inner()
}

#[test]
fn every_generator_round_trips_through_text_and_binary() {
    for generator in Generator::ALL {
        let mut records = Vec::new();
        generator.generate(&small(generator), &mut records).unwrap();
        let text = to_text(&records);
        let from_text = read_all(&mut TextReader::new("t.gct", text.as_slice(), None));
        assert_eq!(from_text, records, "{}: text", generator.name());
        let binary = to_binary(&records);
        let from_binary = read_all(&mut BinaryReader::new("t.gctb", &binary).unwrap());
        assert_eq!(from_binary, records, "{}: binary", generator.name());
        assert_eq!(
            to_text(&from_binary),
            text,
            "{}: text -> binary -> text",
            generator.name()
        );
        assert!(
            binary.len() * 2 < text.len(),
            "{}: binary ({} bytes) is at most half of text ({} bytes)",
            generator.name(),
            binary.len(),
            text.len()
        );
    }
}
