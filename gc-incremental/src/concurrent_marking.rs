//! Concurrent marking (V8's `ConcurrentMarking`): a marker thread that drains the shared
//! [`MarkingWorklist`] while the mutator runs, beside incremental marking's state machine.
//!
//! The thread is the collector's own, started at its first marking cycle and joined when the
//! collector is dropped. It is not one of the heap's `GcWorkers`: those serve pause-time phases
//! and a pause hands them work and waits for them, so a job that lives for a whole marking
//! cycle would hold one of them and make every parallel pause of the cycle one thread short.
//!
//! # The safepoint protocol
//!
//! The protocol of the `background_thread` module: one lock guards the worklist and the marker's
//! request and state. The marker takes a segment only under the lock and only while asked to
//! run, scans objects looking at the stop flag every [`OBJECTS_PER_STOP_CHECK`] objects, and
//! under the lock again hands back what it did not scan. The collector stops the marker before
//! each of its pauses that frees or moves memory or reads the grey objects, before every
//! scavenge, before verification, and when it is dropped (gc-core's rule P7); it resumes it on
//! the allocation slow path.
//!
//! Invariant while the marker is stopped: every grey object is in the main thread's worklist or
//! in the shared one, and the marker holds none.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use gc_core::collector_api::Address;
use gc_core::thread_ticks::ThreadTicks;
use gc_marksweep::pause_marking::GreyWorklist;

use crate::background_thread::{BackgroundThread, Shared};
use crate::incremental_marking::{IncrementalMarker, MarkerThread};
use crate::marking_worklist::{MarkingWorklist, SEGMENT_SIZE};

/// Objects the marker scans between two looks at the stop flag: a stop waits for at most this
/// many object scans (a few microseconds), unless the marker's core is taken from it.
pub const OBJECTS_PER_STOP_CHECK: usize = 64;

/// What the marker hands over under the lock.
#[derive(Default)]
struct Handed {
    worklist: MarkingWorklist,
    /// Promoted objects the marker scanned this cycle, for the main thread to count: the lists
    /// it handed back, not copied into one under the lock.
    promoted: Vec<Vec<Address>>,
    /// CPU time the marker spent working this cycle.
    busy: Duration,
}

/// What the marker publishes without the lock.
#[derive(Default)]
struct Counters {
    /// Bytes the marker scanned this cycle (the main thread's pacing reads it).
    marked_bytes: AtomicUsize,
    /// Bytes the marker scanned since it was made.
    total_marked_bytes: AtomicUsize,
}

type MarkerShared = Shared<Handed, Counters>;

/// What the marker did in a cycle, handed over when it is stopped.
pub struct CycleWork {
    /// Grey objects left in the shared worklist.
    pub grey: Vec<Address>,
    /// Promoted objects the marker scanned, `pro` bits still set.
    pub promoted: Vec<Vec<Address>>,
    /// Bytes the marker scanned.
    pub marked: usize,
    /// CPU time the marker spent marking (wall time where the platform has no thread clock, as
    /// for the main thread's figures: `ThreadTicks`): on a loaded machine wall time would count
    /// the time the marker's core was taken from it, and heap growing reads this.
    pub busy: Duration,
}

/// The main thread's side of the marker thread.
pub struct ConcurrentMarking {
    thread: BackgroundThread<Handed, Counters>,
}

impl Default for ConcurrentMarking {
    fn default() -> Self {
        ConcurrentMarking::new()
    }
}

impl ConcurrentMarking {
    /// The marker, parked; its thread starts at the first [`ConcurrentMarking::resume`].
    pub fn new() -> Self {
        ConcurrentMarking {
            thread: BackgroundThread::new(
                "gclab-concurrent-marker",
                Handed::default(),
                Counters::default(),
            ),
        }
    }

    fn shared(&self) -> &MarkerShared {
        self.thread.shared()
    }

    /// Publishes grey objects of the main thread for the marker (or a later main-thread step).
    ///
    /// # Safety
    /// Each object is marked, not scanned, in no other worklist, and formatted (P2, P7).
    pub unsafe fn publish(&self, grey: Vec<Address>) {
        if grey.is_empty() {
            return;
        }
        self.shared().lock().data.worklist.publish(grey);
        self.shared().notify();
    }

    /// Lets the marker mark, starting its thread the first time.
    ///
    /// # Safety
    /// The collector is marking, every old-generation page carries the marking barrier's flags,
    /// and until the next [`ConcurrentMarking::stop`] it keeps rule P7: nothing frees, moves or
    /// reuses memory, writes a header or page state the marker reads, or stores into a slot
    /// without a release store.
    pub unsafe fn resume(&mut self) {
        self.thread.resume(run_marker);
    }

    /// Stops the marker and waits until it has: it reads the heap no more, and hands back its
    /// grey objects to the shared worklist. Free when it is already stopped, cheap when idle.
    ///
    /// # Panics
    /// If the marker thread panicked: the grey objects it held are lost, and finishing the cycle
    /// could free reachable objects.
    pub fn stop(&self) {
        self.thread.stop();
    }

    /// Asks the marker to stop and waits for it until `deadline`: whether it stopped (then as
    /// [`ConcurrentMarking::stop`]). If not, it stops and hands back its grey objects at its
    /// next look at the stop flag, unless resumed first, and may still be reading the heap: only
    /// the shared worklist may be used, not anything rule P7 forbids.
    ///
    /// For a marking step, which is a pause of the step's budget: a marker thread whose core a
    /// loaded machine took would hold the step until it ran again (splay: a 29 ms step, 12 ms
    /// of it waiting for the marker).
    ///
    /// # Panics
    /// As [`ConcurrentMarking::stop`].
    pub fn stop_until(&self, deadline: Instant) -> bool {
        self.thread.stop_until(deadline)
    }

    /// Whether the marker is running: its thread started and it is not stopped.
    pub fn is_running(&self) -> bool {
        self.thread.is_running()
    }

    /// A published segment, for a main-thread step that ran out of grey objects.
    pub fn take_segment(&self) -> Option<Vec<Address>> {
        self.shared().lock().data.worklist.pop()
    }

    /// Whether no grey object is published and the marker holds none.
    pub fn is_done(&self) -> bool {
        let state = self.shared().lock();
        !state.is_working() && state.data.worklist.is_empty()
    }

    /// Bytes the marker scanned this cycle.
    pub fn marked_bytes(&self) -> usize {
        self.shared().counters.marked_bytes.load(Relaxed)
    }

    /// Bytes the marker scanned since it was made (for tests: it did mark).
    pub fn total_marked_bytes(&self) -> usize {
        self.shared().counters.total_marked_bytes.load(Relaxed)
    }

    /// Calls `f` with every published grey object; the marker must be stopped.
    pub fn for_each_grey(&self, f: &mut dyn FnMut(Address)) {
        let state = self.shared().lock();
        debug_assert!(!state.is_working());
        state.data.worklist.iter().for_each(f);
    }

    /// Stops the marker and takes what it left of the cycle: the grey objects, the promoted
    /// objects it scanned and its time. The next cycle starts from nothing.
    pub fn finish_cycle(&self) -> CycleWork {
        self.stop();
        let mut state = self.shared().lock();
        CycleWork {
            marked: self.shared().counters.marked_bytes.swap(0, Relaxed),
            grey: state.data.worklist.take_all(),
            promoted: std::mem::take(&mut state.data.promoted),
            busy: std::mem::take(&mut state.data.busy),
        }
    }
}

/// The marker thread: takes segments while asked to run, until asked to exit.
fn run_marker(shared: &MarkerShared) {
    let mut marker = IncrementalMarker::on(MarkerThread::Concurrent);
    let ticks = ThreadTicks::new();
    while let Some(segment) = shared.next_work(|handed| handed.worklist.pop()) {
        let started = ticks.now();
        marker.add_grey(segment);
        mark(shared, &mut marker);
        let busy = ticks.now().saturating_sub(started);
        // Hands back what it did not scan and what it found.
        shared.stop_working(|handed| {
            handed.worklist.publish(marker.take_worklist());
            let promoted = marker.take_promoted_scanned();
            if !promoted.is_empty() {
                handed.promoted.push(promoted);
            }
            handed.busy += busy;
        });
    }
}

/// Scans grey objects until none is left or a stop is asked for, sharing a surplus.
///
/// Sound because the marker is working: the main thread keeps rule P7 until it has stopped
/// working (the contracts of `ConcurrentMarking::resume` and `publish`), so the grey objects
/// are formatted live objects whose pages stay (P1, P2), and both markers mark with an atomic
/// or (P5, P7).
fn mark(shared: &MarkerShared, marker: &mut IncrementalMarker) {
    loop {
        let before = marker.marked_bytes();
        let empty = marker.drain_for_objects(OBJECTS_PER_STOP_CHECK);
        let scanned = marker.marked_bytes() - before;
        shared.counters.marked_bytes.fetch_add(scanned, Relaxed);
        shared
            .counters
            .total_marked_bytes
            .fetch_add(scanned, Relaxed);
        if empty || shared.stop_requested() {
            return;
        }
        if let Some(surplus) = marker.split_surplus(SEGMENT_SIZE) {
            shared.lock().data.worklist.publish(surplus);
        }
    }
}
