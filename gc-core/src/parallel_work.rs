//! Work stealing for a collector's parallel phases (V8's `heap::base::Worklist` with its
//! per-task segments, HotSpot's task queues): a pause's work items shared by several threads
//! that steal from each other through Chase-Lev deques (crossbeam-deque).
//!
//! Each thread keeps a private `Vec` of items (a push and a pop cost a fraction of a deque's)
//! and offers part of it to thieves on its deque once it holds more than [`PRIVATE_SURPLUS`]
//! and its deque is empty. A thread with no work anywhere idles; when no thread holds work and
//! the seed is taken, the phase is over. The threads are the heap's [`GcWorkers`]: whichever of
//! them join in time.
//!
//! Invariant when [`process_in_parallel`] returns: every seed item and every item pushed while
//! processing was processed exactly once, by one thread, and every thread has stopped.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};

use crossbeam_deque::{Injector, Steal, Stealer, Worker};

use crate::gc_workers::GcWorkers;

/// Items a thread keeps to itself; past this many, with its deque empty, it moves its
/// `PRIVATE_SURPLUS / 2` oldest to the deque for the others to steal.
pub const PRIVATE_SURPLUS: usize = 64;

/// One thread's work: its private items and its deque.
pub struct LocalWork<T> {
    private: Vec<T>,
    shared: Worker<T>,
}

impl<T> LocalWork<T> {
    /// Adds an item for this thread (or a thief) to process.
    #[inline(always)]
    pub fn push(&mut self, item: T) {
        self.private.push(item);
    }

    #[inline(always)]
    fn pop(&mut self) -> Option<T> {
        self.private.pop().or_else(|| self.shared.pop())
    }

    /// Moves the oldest `PRIVATE_SURPLUS / 2` private items to the deque when there are more
    /// than `PRIVATE_SURPLUS` and the deque is empty: the oldest are the likeliest to lead to
    /// much more work (the roots of unexplored subgraphs).
    #[inline(always)]
    fn share_surplus(&mut self) {
        if self.private.len() > PRIVATE_SURPLUS && self.shared.is_empty() {
            for item in self.private.drain(..PRIVATE_SURPLUS / 2) {
                self.shared.push(item);
            }
        }
    }
}

/// Processes `seed` and everything `process` pushes, on up to `states.len()` threads: this one
/// with `states[0]`, and each of `workers` that joins in time with a state of its own. A worker
/// that comes late finds nothing left and leaves; the phase never waits for one that has not
/// joined. With no state, nothing is processed.
///
/// A panic in `process` on any thread is propagated once every thread has left the phase.
pub fn process_in_parallel<T, S, F>(
    workers: &GcWorkers,
    seed: Vec<T>,
    states: &mut [S],
    process: &F,
) where
    T: Send,
    S: Send,
    F: Fn(&mut S, T, &mut LocalWork<T>) + Sync,
{
    if states.is_empty() {
        return;
    }
    let injector = Injector::new();
    for item in seed {
        injector.push(item);
    }
    let deques: Vec<Worker<T>> = states.iter().map(|_| Worker::new_lifo()).collect();
    let stealers: Vec<Stealer<T>> = deques.iter().map(Worker::stealer).collect();
    let participants: Vec<Seat<'_, S, T>> = states
        .iter_mut()
        .zip(deques)
        .map(|pair| Mutex::new(Some(pair)))
        .collect();
    let active = AtomicUsize::new(0);
    let aborted = AtomicBool::new(false);
    let shared = Shared {
        injector: &injector,
        stealers: &stealers,
        active: &active,
        aborted: &aborted,
    };
    workers.run(participants.len(), &|index| {
        let taken = participants[index]
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .take();
        if let Some((state, deque)) = taken {
            shared.work(state, deque, process);
        }
    });
}

/// A participant's state and deque, taken by whichever thread joins under its number.
type Seat<'a, S, T> = Mutex<Option<(&'a mut S, Worker<T>)>>;

/// What the threads share.
struct Shared<'a, T> {
    injector: &'a Injector<T>,
    stealers: &'a [Stealer<T>],
    /// Threads in the phase that hold or look for work. A thread stops counting only with its
    /// own items gone, and only a counted thread adds items (the seed aside), so when none
    /// counts and the seed is taken, the phase is done for good.
    active: &'a AtomicUsize,
    /// A thread panicked: the others stop.
    aborted: &'a AtomicBool,
}

impl<T> Clone for Shared<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Shared<'_, T> {}

impl<T> Shared<'_, T> {
    /// One thread's share: its own items first, then stolen ones, until the phase is done. A
    /// panic in `process` ends the phase for every thread (the others stop looking for work)
    /// and goes on up.
    fn work<S, F>(self, state: &mut S, shared: Worker<T>, process: &F)
    where
        F: Fn(&mut S, T, &mut LocalWork<T>),
    {
        self.active.fetch_add(1, SeqCst);
        let local = LocalWork {
            private: Vec::new(),
            shared,
        };
        let run = std::panic::AssertUnwindSafe(|| self.work_loop(state, local, process));
        if let Err(panic) = std::panic::catch_unwind(run) {
            // `process` panics only while this thread counts as active.
            self.aborted.store(true, SeqCst);
            self.active.fetch_sub(1, SeqCst);
            std::panic::resume_unwind(panic);
        }
    }

    fn work_loop<S, F>(self, state: &mut S, mut local: LocalWork<T>, process: &F)
    where
        F: Fn(&mut S, T, &mut LocalWork<T>),
    {
        loop {
            while let Some(item) = local.pop() {
                process(state, item, &mut local);
                local.share_surplus();
            }
            if let Some(item) = self.steal(&local.shared) {
                process(state, item, &mut local);
                continue;
            }
            self.active.fetch_sub(1, SeqCst);
            if !self.wait_for_work() {
                return;
            }
        }
    }

    fn steal(self, local: &Worker<T>) -> Option<T> {
        loop {
            let mut retry = false;
            let sources = std::iter::once(self.injector.steal_batch_and_pop(local))
                .chain(self.stealers.iter().map(|s| s.steal_batch_and_pop(local)));
            for attempt in sources {
                match attempt {
                    Steal::Success(item) => return Some(item),
                    Steal::Retry => retry = true,
                    Steal::Empty => {}
                }
            }
            if !retry {
                return None;
            }
        }
    }

    /// Idles until some deque has work (`true`, counted as active again) or the phase is done
    /// (`false`: no thread active and the seed taken).
    fn wait_for_work(self) -> bool {
        loop {
            let done = self.active.load(SeqCst) == 0 && self.injector.is_empty();
            if done || self.aborted.load(SeqCst) {
                return false;
            }
            if !self.injector.is_empty() || self.stealers.iter().any(|s| !s.is_empty()) {
                self.active.fetch_add(1, SeqCst);
                return true;
            }
            std::thread::yield_now();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each item `n >= 2` pushes `n - 1` and `n - 2`: the work grows from one seed, so the
    /// threads must steal. Counts per participant, summed.
    fn fibonacci_items(workers: &GcWorkers, threads: usize, seed: u32) -> usize {
        let mut states = vec![0usize; threads];
        let count = |count: &mut usize, n: u32, local: &mut LocalWork<u32>| {
            *count += 1;
            if n >= 2 {
                local.push(n - 1);
                local.push(n - 2);
            }
        };
        process_in_parallel(workers, vec![seed], &mut states, &count);
        states.iter().sum()
    }

    fn sequential_count(n: u32) -> usize {
        if n < 2 {
            1
        } else {
            1 + sequential_count(n - 1) + sequential_count(n - 2)
        }
    }

    #[test]
    fn every_item_is_processed_exactly_once_on_any_number_of_threads() {
        let seed = if cfg!(miri) { 8 } else { 18 };
        let expected = sequential_count(seed);
        // One pool for all phases, as a heap keeps one: it grows to the largest request, and
        // workers that missed a phase join the next.
        let workers = GcWorkers::default();
        for threads in [1, 2, 4, 2, 3] {
            assert_eq!(
                fibonacci_items(&workers, threads, seed),
                expected,
                "{threads} threads"
            );
        }
    }

    #[test]
    fn an_empty_seed_ends_at_once() {
        let mut states = vec![0usize; 3];
        let count = |count: &mut usize, _: u32, _: &mut LocalWork<u32>| *count += 1;
        process_in_parallel(&GcWorkers::default(), Vec::new(), &mut states, &count);
        assert_eq!(states, [0, 0, 0]);
    }

    #[test]
    fn no_states_process_nothing() {
        let mut states: Vec<usize> = Vec::new();
        let count = |count: &mut usize, _: u32, _: &mut LocalWork<u32>| *count += 1;
        process_in_parallel(&GcWorkers::default(), vec![1], &mut states, &count);
        assert!(states.is_empty());
    }

    #[test]
    fn a_panic_on_any_thread_reaches_the_caller_and_the_pool_stays_usable() {
        let workers = GcWorkers::default();
        let mut states = vec![0usize; 2];
        let panicking = |_: &mut usize, n: u32, local: &mut LocalWork<u32>| {
            assert!(n != 3, "item 3");
            if n > 0 {
                local.push(n - 1);
            }
        };
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            process_in_parallel(&workers, vec![10], &mut states, &panicking);
        }));
        assert!(caught.is_err());
        assert_eq!(fibonacci_items(&workers, 2, 10), sequential_count(10));
    }
}
