//! `--record FILE`: the program's heap activity written as a gclab binary trace by gclab's
//! trace recorder, for `gclab replay` and `gclab compare`.
//!
//! The recorder is attached before the interpreter allocates anything (a trace must see every
//! object made), a checkpoint of the recorded live graph is taken when the program ends, before
//! the runtime drops its roots (the tests replay the trace up to it and compare digests), and the
//! recording is finished after the runtime's roots are gone, so the trace ends with an empty
//! root set as the run does. Nothing is printed: the program's output is unchanged.

use std::path::Path;

use gclab::{Collector, Heap, RecordedCheckpoint, RecordingSummary, TraceRecorder};

/// What a recorded run wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordingOutcome {
    /// The recorded live graph when the program ended, its roots still held.
    pub at_end: Option<RecordedCheckpoint>,
    /// The whole recording, or why it failed (a write error, a full disk).
    pub result: Result<RecordingSummary, String>,
}

/// Attaches a trace recorder writing to `path` to a fresh heap.
pub(crate) fn start<C: Collector>(heap: &mut Heap<C>, path: &Path) -> Result<(), String> {
    let recorder = TraceRecorder::create(path)
        .map_err(|e| format!("cannot record to {}: {e}", path.display()))?;
    heap.start_recording(Box::new(recorder))
        .map_err(|e| format!("cannot record to {}: {e}", path.display()))
}

/// Ends the recording of `heap`, if it has one.
pub(crate) fn finish<C: Collector>(
    heap: &mut Heap<C>,
    at_end: Option<RecordedCheckpoint>,
) -> Option<RecordingOutcome> {
    if !heap.is_recording() {
        return None;
    }
    let result = heap.finish_recording().map_err(|e| e.to_string());
    Some(RecordingOutcome { at_end, result })
}
