//! Work stealing for a collector's parallel phases (V8's `heap::base::Worklist` with its
//! per-task segments, HotSpot's task queues): a pause's work items shared by several threads
//! that steal from each other through Chase-Lev deques (crossbeam-deque).
//!
//! Each thread keeps a private `Vec` of items (a push and a pop cost a fraction of a deque's)
//! and offers part of it to thieves on its deque once it holds more than [`PRIVATE_SURPLUS`]
//! and its deque is empty. A thread with no work anywhere idles; when every thread idles,
//! the phase is over.
//!
//! Invariant when [`process_in_parallel`] returns: every seed item and every item pushed while
//! processing was processed exactly once, by one thread, and every thread has stopped.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use crossbeam_deque::{Injector, Steal, Stealer, Worker};

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

/// Processes `seed` and everything `process` pushes, on `states.len()` threads: this one with
/// `states[0]` and one spawned per other state, each thread calling `process` with its own
/// state. A thread the system refuses to start counts as idle from the beginning, and the others
/// do its share (its state is left as it was).
///
/// A panic in `process` on any thread is propagated once every thread has stopped.
pub fn process_in_parallel<T, S, F>(seed: Vec<T>, states: &mut [S], process: &F)
where
    T: Send,
    S: Send,
    F: Fn(&mut S, T, &mut LocalWork<T>) + Sync,
{
    let injector = Injector::new();
    for item in seed {
        injector.push(item);
    }
    let workers: Vec<Worker<T>> = states.iter().map(|_| Worker::new_lifo()).collect();
    let stealers: Vec<Stealer<T>> = workers.iter().map(Worker::stealer).collect();
    let idle = AtomicUsize::new(0);
    let shared = Shared {
        injector: &injector,
        stealers: &stealers,
        idle: &idle,
        threads: workers.len(),
    };
    std::thread::scope(|scope| {
        let mut pairs = states.iter_mut().zip(workers);
        let Some((own_state, own_worker)) = pairs.next() else {
            return;
        };
        let spawned: Vec<_> = pairs
            .filter_map(|(state, worker)| {
                let thread = std::thread::Builder::new().name("gclab-gc-worker".to_owned());
                match thread.spawn_scoped(scope, move || shared.work(state, worker, process)) {
                    Ok(handle) => Some(handle),
                    Err(_) => {
                        shared.idle.fetch_add(1, SeqCst);
                        None
                    }
                }
            })
            .collect();
        shared.work(own_state, own_worker, process);
        for handle in spawned {
            // A worker panics only on a broken heap invariant: propagate it.
            if let Err(panic) = handle.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
}

/// What the threads share.
struct Shared<'a, T> {
    injector: &'a Injector<T>,
    stealers: &'a [Stealer<T>],
    /// Threads that found no work anywhere; all of them means the phase is done.
    idle: &'a AtomicUsize,
    threads: usize,
}

impl<T> Clone for Shared<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Shared<'_, T> {}

impl<T> Shared<'_, T> {
    /// One thread's share: its own items first, then stolen ones, until every thread is idle.
    fn work<S, F>(self, state: &mut S, shared: Worker<T>, process: &F)
    where
        F: Fn(&mut S, T, &mut LocalWork<T>),
    {
        let mut local = LocalWork {
            private: Vec::new(),
            shared,
        };
        loop {
            while let Some(item) = local.pop() {
                process(state, item, &mut local);
                local.share_surplus();
            }
            if let Some(item) = self.steal(&local.shared) {
                process(state, item, &mut local);
                continue;
            }
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

    /// Idles until some deque has work (`true`) or every thread idles (`false`: done). A thread
    /// idles only with its own work gone, and only its owner pushes to a deque, so when all
    /// threads idle no item is being processed and none can appear.
    fn wait_for_work(self) -> bool {
        self.idle.fetch_add(1, SeqCst);
        loop {
            if self.idle.load(SeqCst) == self.threads {
                return false;
            }
            if !self.injector.is_empty() || self.stealers.iter().any(|s| !s.is_empty()) {
                self.idle.fetch_sub(1, SeqCst);
                return true;
            }
            std::thread::yield_now();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each item `n > 0` pushes `n - 1` and `n - 2`: the work grows from one seed, so threads
    /// must steal; every item is counted once per thread state and the totals add up to the
    /// sequential count.
    fn fibonacci_items(threads: usize, seed: u32) -> (usize, Vec<usize>) {
        let mut states = vec![0usize; threads];
        process_in_parallel(
            vec![seed],
            &mut states,
            &|count: &mut usize, n: u32, local| {
                *count += 1;
                if n >= 2 {
                    local.push(n - 1);
                    local.push(n - 2);
                }
            },
        );
        (states.iter().sum(), states)
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
        for threads in [1, 2, 4] {
            let (total, per_thread) = fibonacci_items(threads, seed);
            assert_eq!(total, expected, "{threads} threads: {per_thread:?}");
            assert_eq!(per_thread.len(), threads);
        }
    }

    #[test]
    fn an_empty_seed_ends_at_once() {
        let mut states = vec![0usize; 3];
        process_in_parallel(
            Vec::<u32>::new(),
            &mut states,
            &|count: &mut usize, _, _| {
                *count += 1;
            },
        );
        assert_eq!(states, [0, 0, 0]);
    }

    #[test]
    fn no_states_process_nothing() {
        let mut states: Vec<usize> = Vec::new();
        process_in_parallel(vec![1u32], &mut states, &|count: &mut usize, _, _| {
            *count += 1
        });
        assert!(states.is_empty());
    }
}
