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
//! One lock guards the worklist, the main thread's request (`Run`, `Park`, `Exit`) and whether
//! the marker is working. The marker takes a segment only under the lock and only while the
//! request is `Run`, and is then *working*: it scans objects, checking the `stop` flag every
//! [`OBJECTS_PER_STOP_CHECK`] objects, and under the lock again hands back what it did not scan
//! and stops working. [`ConcurrentMarking::stop`] sets the request to `Park` and the flag, then
//! waits on the lock until the marker is not working: when it returns, the marker touches the
//! heap no more, and everything it did happened before (through the lock) whatever the main
//! thread does next. [`ConcurrentMarking::resume`] sets `Run` again. The collector stops the
//! marker before each of its pauses that frees or moves memory or reads the grey objects, before
//! every scavenge, before verification, and when it is dropped (gc-core's rule P7); it resumes it
//! on the allocation slow path.
//!
//! Invariant while the marker is stopped: every grey object is in the main thread's worklist or
//! in the shared one, and the marker holds none.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use gc_core::collector_api::Address;
use gc_core::thread_ticks::ThreadTicks;
use gc_marksweep::pause_marking::GreyWorklist;

use crate::incremental_marking::{IncrementalMarker, MarkerThread};
use crate::marking_worklist::{MarkingWorklist, SEGMENT_SIZE};

/// Objects the marker scans between two looks at the stop flag: a stop waits for at most this
/// many object scans (a few microseconds), unless the marker's core is taken from it.
pub const OBJECTS_PER_STOP_CHECK: usize = 64;

/// What the main thread asks of the marker.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
enum Request {
    /// Stay out of the heap.
    Park,
    /// Mark whatever is published.
    Run,
    /// Leave: the collector is being dropped.
    Exit,
}

struct State {
    request: Request,
    /// The marker is scanning objects (it holds a segment, outside the lock).
    working: bool,
    worklist: MarkingWorklist,
    /// Promoted objects the marker scanned this cycle, for the main thread to count: the lists
    /// it handed back, not copied into one under the lock.
    promoted: Vec<Vec<Address>>,
    /// CPU time the marker spent working this cycle.
    busy: Duration,
    /// The marker thread panicked: grey objects it held are lost, so marking cannot finish.
    panicked: bool,
}

struct Shared {
    state: Mutex<State>,
    /// The marker waits here for work, `Run` or `Exit`.
    wake: Condvar,
    /// The main thread waits here for the marker to stop working.
    idle: Condvar,
    /// Set with a request other than `Run`; the marker reads it between objects, without the
    /// lock (the lock, not this flag, orders its heap accesses before the main thread's).
    stop: AtomicBool,
    /// Bytes the marker scanned this cycle (the main thread's pacing reads it).
    marked_bytes: AtomicUsize,
    /// Bytes the marker scanned since it was made.
    total_marked_bytes: AtomicUsize,
    /// A stop has seen the marker stop working, and it has not been resumed since; the main
    /// thread's alone. Not `stop`: a stop that gave up at its deadline sets that flag too, with
    /// the marker possibly still working.
    parked: AtomicBool,
}

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
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
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
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    request: Request::Park,
                    working: false,
                    worklist: MarkingWorklist::default(),
                    promoted: Vec::new(),
                    busy: Duration::ZERO,
                    panicked: false,
                }),
                wake: Condvar::new(),
                idle: Condvar::new(),
                stop: AtomicBool::new(true),
                marked_bytes: AtomicUsize::new(0),
                total_marked_bytes: AtomicUsize::new(0),
                parked: AtomicBool::new(true),
            }),
            thread: None,
        }
    }

    /// Publishes grey objects of the main thread for the marker (or a later main-thread step).
    ///
    /// # Safety
    /// Each object is marked, not scanned, in no other worklist, and formatted (P2, P7).
    pub unsafe fn publish(&self, grey: Vec<Address>) {
        if grey.is_empty() {
            return;
        }
        self.shared.lock().worklist.publish(grey);
        self.shared.wake.notify_one();
    }

    /// Lets the marker mark, starting its thread the first time.
    ///
    /// # Safety
    /// The collector is marking, every old-generation page carries the marking barrier's flags,
    /// and until the next [`ConcurrentMarking::stop`] it keeps rule P7: nothing frees, moves or
    /// reuses memory, writes a header or page state the marker reads, or stores into a slot
    /// without a release store.
    pub unsafe fn resume(&mut self) {
        if !self.shared.stop.load(Relaxed) {
            return;
        }
        if self.thread.is_none() {
            let shared = Arc::clone(&self.shared);
            // Without a thread the collector still marks, on the main thread alone: a failed
            // spawn costs speed, not correctness.
            self.thread = std::thread::Builder::new()
                .name("gclab-concurrent-marker".to_owned())
                .spawn(move || shared.run_marker())
                .ok();
        }
        self.shared.lock().request = Request::Run;
        self.shared.stop.store(false, Relaxed);
        self.shared.parked.store(false, Relaxed);
        self.shared.wake.notify_one();
    }

    /// Stops the marker and waits until it has: it reads the heap no more, and hands back its
    /// grey objects to the shared worklist. Free when it is already stopped, cheap when idle.
    ///
    /// # Panics
    /// If the marker thread panicked: the grey objects it held are lost, and finishing the cycle
    /// could free reachable objects.
    pub fn stop(&self) {
        // Only this thread sets the flag, after a stop that saw the marker stop working; until
        // `resume` clears it the marker takes no segment. Taking the lock and waking the marker
        // anyway made every scavenge between cycles wait for a marker thread that a loaded
        // machine had woken but not yet run, holding the lock (binary-trees 20: 1 to 7 ms of
        // waiting in most scavenges longer than 2 ms).
        if self.shared.parked.load(Relaxed) {
            return;
        }
        let panicked = self.shared.request(Request::Park, None);
        assert!(
            panicked == Some(false),
            "the concurrent marker thread panicked"
        );
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
        if self.shared.parked.load(Relaxed) {
            return true;
        }
        match self.shared.request(Request::Park, Some(deadline)) {
            Some(panicked) => !panicked || panic!("the concurrent marker thread panicked"),
            None => false,
        }
    }

    /// Whether the marker is running: its thread started and it is not stopped.
    pub fn is_running(&self) -> bool {
        self.thread.is_some() && !self.shared.stop.load(Relaxed)
    }

    /// A published segment, for a main-thread step that ran out of grey objects.
    pub fn take_segment(&self) -> Option<Vec<Address>> {
        self.shared.lock().worklist.pop()
    }

    /// Whether no grey object is published and the marker holds none.
    pub fn is_done(&self) -> bool {
        let state = self.shared.lock();
        !state.working && state.worklist.is_empty()
    }

    /// Bytes the marker scanned this cycle.
    pub fn marked_bytes(&self) -> usize {
        self.shared.marked_bytes.load(Relaxed)
    }

    /// Bytes the marker scanned since it was made (for tests: it did mark).
    pub fn total_marked_bytes(&self) -> usize {
        self.shared.total_marked_bytes.load(Relaxed)
    }

    /// Calls `f` with every published grey object; the marker must be stopped.
    pub fn for_each_grey(&self, f: &mut dyn FnMut(Address)) {
        let state = self.shared.lock();
        debug_assert!(!state.working);
        state.worklist.iter().for_each(f);
    }

    /// Stops the marker and takes what it left of the cycle: the grey objects, the promoted
    /// objects it scanned and its time. The next cycle starts from nothing.
    pub fn finish_cycle(&self) -> CycleWork {
        self.stop();
        let mut state = self.shared.lock();
        CycleWork {
            marked: self.shared.marked_bytes.swap(0, Relaxed),
            grey: state.worklist.take_all(),
            promoted: std::mem::take(&mut state.promoted),
            busy: std::mem::take(&mut state.busy),
        }
    }
}

impl Drop for ConcurrentMarking {
    fn drop(&mut self) {
        self.shared.request(Request::Exit, None);
        if let Some(thread) = self.thread.take() {
            // A panic on the marker thread is reported where it happened; the heap goes on
            // being dropped.
            let _ = thread.join();
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while the lock was held leaves plain data: nothing to repair.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Asks the marker to park or exit, and waits until it is not working or `deadline` has
    /// passed: `None` if it passed first, else whether the marker panicked. A park that saw the
    /// marker stop leaves it parked until resumed.
    fn request(&self, request: Request, deadline: Option<Instant>) -> Option<bool> {
        let mut state = self.lock();
        state.request = request;
        self.stop.store(true, Relaxed);
        self.wake.notify_one();
        while state.working {
            state = match deadline {
                None => self.idle.wait(state),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return None;
                    }
                    self.idle
                        .wait_timeout(state, left)
                        .map(|(state, _)| state)
                        .map_err(|poisoned| PoisonError::new(poisoned.into_inner().0))
                }
            }
            .unwrap_or_else(PoisonError::into_inner);
        }
        self.parked.store(request == Request::Park, Relaxed);
        Some(state.panicked)
    }

    /// The marker thread: takes segments while the request is `Run`, until `Exit`.
    fn run_marker(&self) {
        let _unwinding = Unwinding(self);
        let mut marker = IncrementalMarker::on(MarkerThread::Concurrent);
        let ticks = ThreadTicks::new();
        while let Some(segment) = self.next_segment() {
            let started = ticks.now();
            marker.add_grey(segment);
            self.mark(&mut marker);
            self.stop_working(&mut marker, ticks.now().saturating_sub(started));
        }
    }

    /// Waits for a segment to mark and takes it, working from then on; `None` at `Exit`.
    fn next_segment(&self) -> Option<Vec<Address>> {
        let mut state = self.lock();
        loop {
            match state.request {
                Request::Exit => return None,
                Request::Run => {
                    if let Some(segment) = state.worklist.pop() {
                        state.working = true;
                        return Some(segment);
                    }
                }
                Request::Park => {}
            }
            state = self
                .wake
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Scans grey objects until none is left or a stop is asked for, sharing a surplus.
    ///
    /// Sound because the marker is working: the main thread keeps rule P7 until it has stopped
    /// working (the contracts of `ConcurrentMarking::resume` and `publish`), so the grey objects
    /// are formatted live objects whose pages stay (P1, P2), and both markers mark with an atomic
    /// or (P5, P7).
    fn mark(&self, marker: &mut IncrementalMarker) {
        loop {
            let before = marker.marked_bytes();
            let empty = marker.drain_for_objects(OBJECTS_PER_STOP_CHECK);
            let scanned = marker.marked_bytes() - before;
            self.marked_bytes.fetch_add(scanned, Relaxed);
            self.total_marked_bytes.fetch_add(scanned, Relaxed);
            if empty || self.stop.load(Relaxed) {
                return;
            }
            if let Some(surplus) = marker.split_surplus(SEGMENT_SIZE) {
                self.lock().worklist.publish(surplus);
            }
        }
    }

    /// Hands back what the marker did not scan and what it found, and stops working.
    fn stop_working(&self, marker: &mut IncrementalMarker, busy: Duration) {
        let mut state = self.lock();
        state.worklist.publish(marker.take_worklist());
        let promoted = marker.take_promoted_scanned();
        if !promoted.is_empty() {
            state.promoted.push(promoted);
        }
        state.busy += busy;
        state.working = false;
        self.idle.notify_all();
    }
}

/// Tells the main thread, if the marker thread unwinds, that it stopped working for good: a
/// waiting `stop` would otherwise wait forever.
struct Unwinding<'s>(&'s Shared);

impl Drop for Unwinding<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let mut state = self.0.lock();
            state.working = false;
            state.panicked = true;
            self.0.idle.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parked_marker_stops_at_once_whatever_the_deadline() {
        let marker = ConcurrentMarking::new();
        assert!(marker.stop_until(Instant::now()));
        marker.stop();
        assert!(!marker.is_running());
        assert!(marker.is_done());
    }
}
