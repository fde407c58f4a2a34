//! Every error of the trace specification (`shared/trace-format.md`), as a user sees it: the
//! file, the line, the record and the problem. The messages are snapshot-tested (insta), so a
//! change to any of them shows in review.
#![cfg(feature = "marksweep")]

use std::fmt::Write as _;

use bench_harness::replay::{ReplayOptions, replay};
use gc_core::{Heap, HeapConfig};
use gc_trace::text_reader;
use gc_trace::{Position, Problem, TraceError};
use gclab::MarkSweep;

/// Replays `text` on a small mark-sweep heap; the error it stops with.
fn replay_error(text: &str, config: HeapConfig) -> TraceError {
    let mut heap = Heap::new(config, MarkSweep::new()).expect("a valid configuration");
    let mut source = text_reader::from_str("bad.gct", text);
    match replay(&mut heap, &mut source, ReplayOptions::default()) {
        Ok(report) => panic!("`{text}` replayed: {report:?}"),
        Err(error) => error,
    }
}

const CASES: &[(&str, &str)] = &[
    ("an empty file", ""),
    ("only comments", "# nothing here\n\n"),
    ("a wrong header", "gctrace 2\na 1 0 0\n"),
    ("a header with more", "gctrace 1 extra\n"),
    ("an unknown record", "gctrace 1\nx 1\n"),
    ("a missing field", "gctrace 1\na 1 0\n"),
    ("a missing metadata key", "gctrace 1\n@\n"),
    ("an extra field", "gctrace 1\na 1 0 0 Node extra\n"),
    ("an extra field after gc", "gctrace 1\ngc major\n"),
    ("an id that is no number", "gctrace 1\na x1 0 0\n"),
    ("a negative slot count", "gctrace 1\na 1 -2 0\n"),
    (
        "an id out of range",
        "gctrace 1\na 9223372036854775808 0 0\n",
    ),
    (
        "a huge number",
        "gctrace 1\na 1 99999999999999999999999 0\n",
    ),
    ("slots out of range", "gctrace 1\na 1 4294967296 0\n"),
    ("a think time out of range", "gctrace 1\nt 60000000001\n"),
    ("an id never allocated", "gctrace 1\n+ 7\n"),
    ("a value never allocated", "gctrace 1\na 1 1 0\nw 1 0 5\n"),
    ("an id already live", "gctrace 1\na 1 0 0\na 1 0 0\n"),
    ("a slot out of range", "gctrace 1\na 1 2 0\nw 1 2 null\n"),
    ("a read out of range", "gctrace 1\na 1 0 0\nr 1 0\n"),
    ("a root count below zero", "gctrace 1\na 1 0 0\n- 1\n- 1\n"),
    (
        "an SMI too large",
        "gctrace 1\na 1 1 0\nw 1 0 i1073741824\n",
    ),
    (
        "an SMI too small",
        "gctrace 1\na 1 1 0\nw 1 0 i-1073741825\n",
    ),
    ("a bad value", "gctrace 1\na 1 1 0\nw 1 0 nil\n"),
    ("a bad SMI", "gctrace 1\na 1 1 0\nw 1 0 i4x\n"),
    ("metadata after events", "gctrace 1\na 1 0 0\n@ late yes\n"),
    ("a dead id touched", "gctrace 1\na 1 0 0\n- 1\nd 1\n+ 1\n"),
    (
        "a reclaimed object touched",
        "gctrace 1\na 1 1 0\n- 1\ngc\nw 1 0 null\n",
    ),
    (
        "a reclaimed object rooted",
        "gctrace 1\na 1 0 0\n- 1\ngc\n+ 1\n",
    ),
    ("an object too large", "gctrace 1\na 1 4294967295 0\n"),
    ("CRLF line ends", "gctrace 1\r\na 1 0 0\r\nz\r\n"),
];

#[test]
fn every_error_names_file_line_record_and_problem() {
    let mut snapshot = String::new();
    for (name, text) in CASES {
        let error = replay_error(text, HeapConfig::for_testing());
        let _ = writeln!(snapshot, "{name}:\n    {error}");
    }
    insta::assert_snapshot!(snapshot);
}

#[test]
fn a_long_line_is_refused_without_reading_it_all() {
    let text = format!("gctrace 1\n@ note {}\n", "x".repeat(1 << 20));
    let error = replay_error(&text, HeapConfig::for_testing());
    assert_eq!(error.position, Position::Line(2));
    assert!(matches!(error.problem, Problem::LineTooLong(_)), "{error}");
    let quoted = error.record.as_deref().unwrap_or_default();
    assert!(
        quoted.len() < 200,
        "the quote is cut: {} bytes",
        quoted.len()
    );
}

#[test]
fn bytes_that_are_not_utf8_are_an_error() {
    let mut heap = Heap::new(HeapConfig::for_testing(), MarkSweep::new()).unwrap();
    let bytes: &[u8] = b"gctrace 1\na 1 0 0 \xff\xfe\n";
    let mut source = text_reader::TextReader::new("bin.gct", bytes, None);
    let error = replay(&mut heap, &mut source, ReplayOptions::default()).unwrap_err();
    assert_eq!(error.position, Position::Line(2));
    assert!(matches!(error.problem, Problem::NotUtf8), "{error}");
}

#[test]
fn the_heap_limit_is_its_own_error() {
    let config = HeapConfig {
        max_heap_bytes: 4 << 20,
        ..HeapConfig::for_testing()
    };
    // Each object is rooted: nothing can be freed, so the limit must be reached.
    let mut text = String::from("gctrace 1\n");
    for id in 0..64 {
        let _ = writeln!(text, "a {id} 0 262144");
    }
    let error = replay_error(&text, config);
    assert!(matches!(error.problem, Problem::HeapLimit(_)), "{error}");
    let Position::Line(line) = error.position else {
        panic!("no line: {error}");
    };
    assert!((3..=66).contains(&line), "{error}");
    assert!(error.to_string().contains("heap limit"), "{error}");
}
