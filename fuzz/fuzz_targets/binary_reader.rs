//! The binary trace reader on arbitrary bytes: every record read or an error naming a record,
//! never a panic; what decodes is replayed on one collector (chosen by the input's length) with
//! the verifier after every collection.
#![no_main]

use bench_harness::trace::TraceSource;
use bench_harness::trace::binary_reader::BinaryReader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = BinaryReader::new("fuzz.gctb", data) else {
        return;
    };
    while let Ok(Some(_)) = reader.next_record() {}
    if let Ok(reader) = BinaryReader::new("fuzz.gctb", data) {
        gclab_fuzz::replay_on_one_collector(reader, data.len());
    }
});
