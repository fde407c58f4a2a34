//! Structure-aware mutator programs (every input decodes to a valid program, one in four under
//! stress mode) played on every compiled-in collector against gc-core's reference model, with the
//! verifier after every collection; all collectors must end with the same live graph.
#![no_main]

use gclab_fuzz::FuzzProgram;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|program: FuzzProgram| {
    gclab_fuzz::check_program_on_every_collector(&program);
});
