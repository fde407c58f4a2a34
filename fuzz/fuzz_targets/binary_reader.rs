//! The binary trace reader on arbitrary bytes: every record read or an error naming a record,
//! never a panic; what decodes is replayed on one collector (chosen by the input's length) with
//! the verifier after every collection, unless it asks for more than a millisecond of think time.
#![no_main]

use gc_trace::binary_reader::BinaryReader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = BinaryReader::new("fuzz.gctb", data) else {
        return;
    };
    if gclab_fuzz::think_nanos(&mut reader) > gclab_fuzz::MAX_THINK_NANOS {
        return;
    }
    if let Ok(reader) = BinaryReader::new("fuzz.gctb", data) {
        gclab_fuzz::replay_on_one_collector(reader, data.len());
    }
});
