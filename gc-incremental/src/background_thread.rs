//! The safepoint protocol of a collector's background thread (the concurrent marker, the
//! concurrent sweeper): how the main thread lets it run, stops it and waits for it, and how it
//! learns that the thread panicked.
//!
//! One lock guards the main thread's request (`Run`, `Park`, `Exit`), whether the thread is
//! *working* and the thread's own shared data `S` (what it hands over). The thread takes work
//! only under the lock and only while the request is `Run`, and is then working: it touches the
//! heap outside the lock, looking at the `stop` flag between units of work, and under the lock
//! again hands over what it did and stops working. [`BackgroundThread::stop`] sets the request
//! to `Park` and the flag, then waits on the lock until the thread is not working: when it
//! returns, the thread touches the heap no more, and everything it did happened before (through
//! the lock) whatever the main thread does next. [`BackgroundThread::resume`] sets `Run` again.
//! Each collector says which of its pauses must stop its thread (gc-core's rules P7 and P8).
//!
//! Besides the lock, the thread may publish counters `C` the main thread reads without it
//! (atomics: how far the marker got).
//!
//! Invariant: `parked` is set only by a stop that saw the thread not working, and cleared only by
//! `resume`; while it is set the thread takes no work, so a stop returns at once.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Instant;

/// What the main thread asks of the thread.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
enum Request {
    /// Stay out of the heap.
    Park,
    /// Work on whatever there is.
    Run,
    /// Leave: the collector is being dropped.
    Exit,
}

/// The state under the lock: the protocol's, and the thread's data.
pub struct Control<S> {
    request: Request,
    /// The thread holds work, outside the lock.
    working: bool,
    /// The thread panicked: work it held is lost or half done.
    panicked: bool,
    pub data: S,
}

impl<S> Control<S> {
    /// Whether the thread holds work now.
    pub fn is_working(&self) -> bool {
        self.working
    }
}

/// What both threads share.
pub struct Shared<S, C> {
    state: Mutex<Control<S>>,
    /// Read and written without the lock.
    pub counters: C,
    /// The thread waits here for work, `Run` or `Exit`.
    wake: Condvar,
    /// The main thread waits here for the thread to stop working.
    idle: Condvar,
    /// Set with a request other than `Run`; the thread reads it between units of work, without
    /// the lock (the lock, not this flag, orders its heap accesses before the main thread's).
    stop: AtomicBool,
    /// A stop has seen the thread stop working, and it has not been resumed since; the main
    /// thread's alone. Not `stop`: a stop that gave up at its deadline sets that flag too, with
    /// the thread possibly still working.
    parked: AtomicBool,
}

impl<S, C> Shared<S, C> {
    pub fn lock(&self) -> MutexGuard<'_, Control<S>> {
        // A panic while the lock was held leaves plain data: nothing to repair.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the main thread asked the thread to stop: it should hand over and stop working.
    pub fn stop_requested(&self) -> bool {
        self.stop.load(Relaxed)
    }

    /// On the thread: waits for `Run` and for `take` to find work in the data, and takes it,
    /// working from then on; `None` at `Exit`.
    pub fn next_work<W>(&self, mut take: impl FnMut(&mut S) -> Option<W>) -> Option<W> {
        let mut state = self.lock();
        loop {
            match state.request {
                Request::Exit => return None,
                Request::Run => {
                    if let Some(work) = take(&mut state.data) {
                        state.working = true;
                        return Some(work);
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

    /// On the thread: hands over with `hand_over` under the lock, and stops working.
    pub fn stop_working(&self, hand_over: impl FnOnce(&mut S)) {
        let mut state = self.lock();
        hand_over(&mut state.data);
        state.working = false;
        self.idle.notify_all();
    }

    /// Wakes the thread if it waits for work (new work was added to the data).
    pub fn notify(&self) {
        self.wake.notify_one();
    }

    /// Asks the thread to park or exit, and waits until it is not working or `deadline` has
    /// passed: `None` if it passed first, else whether the thread panicked. A park that saw the
    /// thread stop leaves it parked until resumed.
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
}

/// The main thread's side of a background thread.
pub struct BackgroundThread<S, C = ()> {
    shared: Arc<Shared<S, C>>,
    thread: Option<JoinHandle<()>>,
    name: &'static str,
}

impl<S: Send + 'static, C: Send + Sync + 'static> BackgroundThread<S, C> {
    /// A parked thread with `data` and `counters`; it starts at the first
    /// [`BackgroundThread::resume`].
    pub fn new(name: &'static str, data: S, counters: C) -> Self {
        BackgroundThread {
            shared: Arc::new(Shared {
                state: Mutex::new(Control {
                    request: Request::Park,
                    working: false,
                    panicked: false,
                    data,
                }),
                counters,
                wake: Condvar::new(),
                idle: Condvar::new(),
                stop: AtomicBool::new(true),
                parked: AtomicBool::new(true),
            }),
            thread: None,
            name,
        }
    }

    pub fn shared(&self) -> &Shared<S, C> {
        &self.shared
    }

    /// Lets the thread work, starting it with `body` the first time. Without a thread (a failed
    /// spawn) the collector does the work on the main thread: it costs time, not correctness.
    ///
    /// The caller keeps its collector's rule for the thread (P7, P8) until the next stop.
    pub fn resume(&mut self, body: fn(&Shared<S, C>)) {
        if !self.shared.stop.load(Relaxed) {
            return;
        }
        if self.thread.is_none() {
            let shared = Arc::clone(&self.shared);
            self.thread = std::thread::Builder::new()
                .name(self.name.to_owned())
                .spawn(move || {
                    let _unwinding = Unwinding(&shared);
                    body(&shared);
                })
                .ok();
        }
        self.shared.lock().request = Request::Run;
        self.shared.stop.store(false, Relaxed);
        self.shared.parked.store(false, Relaxed);
        self.shared.wake.notify_one();
    }

    /// Stops the thread and waits until it has: it touches the heap no more, and has handed
    /// over. Free when it is already stopped, cheap when idle.
    ///
    /// # Panics
    /// If the thread panicked: work it held is lost or half done.
    pub fn stop(&self) {
        // Only this thread sets the flag, after a stop that saw the thread stop working; until
        // `resume` clears it the thread takes no work. Taking the lock and waking the thread
        // anyway made every scavenge between cycles wait for a thread that a loaded machine had
        // woken but not yet run, holding the lock (binary-trees 20: 1 to 7 ms of waiting in
        // most scavenges longer than 2 ms).
        if self.shared.parked.load(Relaxed) {
            return;
        }
        let panicked = self.shared.request(Request::Park, None);
        assert!(panicked == Some(false), "the {} thread panicked", self.name);
    }

    /// Asks the thread to stop and waits for it until `deadline`: whether it stopped (then as
    /// [`BackgroundThread::stop`]). If not, it stops and hands over at its next look at the stop
    /// flag, unless resumed first, and may still be touching the heap.
    ///
    /// # Panics
    /// As [`BackgroundThread::stop`].
    pub fn stop_until(&self, deadline: Instant) -> bool {
        if self.shared.parked.load(Relaxed) {
            return true;
        }
        match self.shared.request(Request::Park, Some(deadline)) {
            Some(panicked) => !panicked || panic!("the {} thread panicked", self.name),
            None => false,
        }
    }

    /// Whether the thread is started and not asked to stop.
    pub fn is_running(&self) -> bool {
        self.thread.is_some() && !self.shared.stop.load(Relaxed)
    }

    /// Whether the thread takes no work: never started, or asked to stop.
    pub fn is_stopped(&self) -> bool {
        self.thread.is_none() || self.shared.stop.load(Relaxed)
    }
}

impl<S, C> Drop for BackgroundThread<S, C> {
    fn drop(&mut self) {
        self.shared.request(Request::Exit, None);
        if let Some(thread) = self.thread.take() {
            // A panic on the thread is reported where it happened; the heap goes on being
            // dropped.
            let _ = thread.join();
        }
    }
}

/// Tells the main thread, if the thread unwinds, that it stopped working for good: a waiting
/// `stop` would otherwise wait forever.
struct Unwinding<'s, S, C>(&'s Shared<S, C>);

impl<S, C> Drop for Unwinding<'_, S, C> {
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
    use std::time::Duration;

    use super::*;

    /// A thread that takes numbers from its data and adds them up, one unit at a time.
    fn adder(shared: &Shared<(Vec<u64>, u64), ()>) {
        while let Some(n) = shared.next_work(|(queue, _)| queue.pop()) {
            if n == u64::MAX {
                panic!("told to");
            }
            shared.stop_working(|(_, sum)| *sum += n);
        }
    }

    #[test]
    fn a_parked_thread_stops_at_once_whatever_the_deadline() {
        let thread = BackgroundThread::new("test", (), ());
        assert!(thread.stop_until(Instant::now()));
        thread.stop();
        assert!(!thread.is_running());
        assert!(thread.is_stopped());
    }

    #[test]
    fn work_handed_over_is_seen_after_a_stop() {
        let mut thread = BackgroundThread::new("test", (Vec::new(), 0), ());
        thread.resume(adder);
        assert!(thread.is_running());
        thread.shared().lock().data.0.extend(1..=100);
        thread.shared().notify();
        while !thread.shared().lock().data.0.is_empty() {
            std::thread::sleep(Duration::from_millis(1));
        }
        thread.stop();
        assert!(!thread.shared().lock().is_working());
        assert_eq!(thread.shared().lock().data.1, 5050);
        // Parked, it takes nothing new until resumed.
        thread.shared().lock().data.0.push(7);
        thread.shared().notify();
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(thread.shared().lock().data, (vec![7], 5050));
    }

    #[test]
    fn a_panicked_thread_is_reported_at_the_next_stop() {
        let mut thread = BackgroundThread::new("test", (vec![u64::MAX], 0), ());
        thread.resume(adder);
        while thread.shared().lock().data.0.len() == 1 {
            std::thread::sleep(Duration::from_millis(1));
        }
        let stop = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| thread.stop()));
        assert!(stop.is_err(), "the stop reports the panic");
    }
}
