//! The text trace reader on arbitrary bytes: every record read or an error naming a line, never a
//! panic; what parses is replayed on one collector (chosen by the input's length) with the
//! verifier after every collection, unless it asks for more than a millisecond of think time.
#![no_main]

use gc_trace::text_reader::TextReader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut reader = TextReader::new("fuzz.gct", data, Some(data.len() as u64));
    if gclab_fuzz::think_nanos(&mut reader) > gclab_fuzz::MAX_THINK_NANOS {
        return;
    }
    let reader = TextReader::new("fuzz.gct", data, Some(data.len() as u64));
    gclab_fuzz::replay_on_one_collector(reader, data.len());
});
