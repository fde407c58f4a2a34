//! The heap's operations while a recorder is attached, and starting and stopping one.
//!
//! Each recorded operation brings the trace's roots up to date first (a collection must not run
//! before, see [`mutator_recording`](crate::mutator_recording)), then does the operation as the
//! unrecorded path does, then records it. These paths are out of line: the unrecorded ones pay
//! one test of `recording` for them.

use std::io;

use thiserror::Error;

use super::Heap;
use crate::collector::Collector;
use crate::digest::{LiveGraph, trace_live_graph};
use crate::error::HeapError;
use crate::handles::Rooted;
use crate::local_handles::{HandleScope, Local};
use crate::mutator_recording::{MutatorRecording, RecordSink, RecordingSummary};
use crate::object::ObjectShape;
use crate::retaining_path::ObjectKey;
use crate::value::StoreValue;

/// The recorded heap at one point of its trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedCheckpoint {
    /// Events recorded up to this point (the sink's own metadata records not counted).
    pub events: u64,
    pub live: LiveGraph,
}

/// Why a recording could not start or did not finish well.
#[derive(Debug, Error)]
pub enum RecordingError {
    #[error("a recorder is already attached to this heap")]
    AlreadyRecording,
    #[error(
        "recording must start before the heap's first allocation: a trace cannot name the \
         objects made before it"
    )]
    HeapNotFresh,
    #[error("no recorder is attached to this heap")]
    NotRecording,
    #[error("the trace could not be written: {0}")]
    Io(#[from] io::Error),
}

impl<C: Collector> Heap<C> {
    /// Attaches a recorder: from now on every mutator operation through this heap (allocations,
    /// stores, handles made and dropped, external memory, explicit collections) goes to `sink`
    /// as a trace event, until [`Heap::finish_recording`]. Must come before the first
    /// allocation.
    pub fn start_recording(&mut self, sink: Box<dyn RecordSink>) -> Result<(), RecordingError> {
        if self.recording.is_some() {
            return Err(RecordingError::AlreadyRecording);
        }
        if self.core.counters.allocated_objects != 0 {
            return Err(RecordingError::HeapNotFresh);
        }
        let recording = MutatorRecording::start(&mut self.core, sink);
        self.recording = Some(Box::new(recording));
        Ok(())
    }

    /// Whether a recorder is attached.
    pub fn is_recording(&self) -> bool {
        self.recording.is_some()
    }

    /// The first error writing the trace met, if one did: the recording goes on without
    /// writing, and [`Heap::finish_recording`] returns it.
    pub fn recording_error(&self) -> Option<&io::Error> {
        self.recording.as_deref().and_then(MutatorRecording::error)
    }

    /// Detaches the recorder: the last root changes are written and the sink finished. The
    /// first write error of the whole recording, if any, is returned here.
    pub fn finish_recording(&mut self) -> Result<RecordingSummary, RecordingError> {
        let recording = self.recording.take().ok_or(RecordingError::NotRecording)?;
        Ok(recording.stop(&mut self.core)?)
    }

    /// The live graph as the trace recorded so far describes it (see
    /// [`crate::digest::trace_live_graph`]), and how many events were
    /// recorded: its digest equals that of a replay of the trace stopped after those events,
    /// given by [`Heap::live_graph_by_trace_ids`]. `None` when not recording.
    pub fn recorded_checkpoint(&mut self) -> Option<RecordedCheckpoint> {
        let recording = self.recording.as_deref_mut()?;
        recording.sync_roots(&mut self.core);
        recording.flush_drops();
        let live = trace_live_graph(&self.core, |address| recording.known_id(address));
        Some(RecordedCheckpoint {
            events: recording.events(),
            live,
        })
    }

    /// The live graph as a trace describes it, with the rooted objects' trace ids given by
    /// `id_of` (a replay's id table). See [`crate::digest::trace_live_graph`].
    pub fn live_graph_by_trace_ids(&self, id_of: impl Fn(ObjectKey) -> Option<u64>) -> LiveGraph {
        trace_live_graph(&self.core, |address| id_of(ObjectKey::of(address)))
    }

    /// Brings a recorder's roots up to the handles, before something that may collect.
    #[inline]
    pub(super) fn sync_recorded_roots(&mut self) {
        if let Some(recording) = self.recording.as_deref_mut() {
            recording.sync_roots(&mut self.core);
        }
    }

    #[cold]
    #[inline(never)]
    pub(super) fn allocate_recorded<'s>(
        &mut self,
        scope: &mut HandleScope<'s>,
        shape: ObjectShape,
    ) -> Result<Local<'s>, HeapError> {
        self.sync_recorded_roots();
        let local = self.allocate_slow(scope, shape)?;
        let object = self.object(&local)?;
        if let Some(recording) = self.recording.as_deref_mut() {
            recording.allocated(&mut self.core, object);
        }
        Ok(local)
    }

    #[cold]
    #[inline(never)]
    pub(super) fn store_recorded(
        &mut self,
        host: impl Rooted,
        slot: u64,
        value: impl StoreValue,
    ) -> Result<(), HeapError> {
        self.sync_recorded_roots();
        let (object, word) = self.store_unrecorded(host, slot, value)?;
        if let Some(recording) = self.recording.as_deref_mut() {
            // In range: the store checked `slot` against the object's `u32` slot count.
            recording.stored(object, slot as u32, word);
        }
        Ok(())
    }
}
