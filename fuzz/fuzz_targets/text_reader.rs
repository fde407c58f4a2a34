//! The text trace reader on arbitrary bytes: every record read or an error naming a line, never a
//! panic; what parses is replayed on one collector (chosen by the input's length) with the
//! verifier after every collection.
#![no_main]

use bench_harness::trace::TraceSource;
use bench_harness::trace::text_reader::TextReader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut reader = TextReader::new("fuzz.gct", data, Some(data.len() as u64));
    while let Ok(Some(_)) = reader.next_record() {}
    let reader = TextReader::new("fuzz.gct", data, Some(data.len() as u64));
    gclab_fuzz::replay_on_one_collector(reader, data.len());
});
