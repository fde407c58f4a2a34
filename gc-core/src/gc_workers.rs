//! The heap's GC worker threads: started once, parked between pauses, and joined to a parallel
//! phase only if they arrive while it runs (V8's job API with its platform's worker threads,
//! HotSpot's `WorkerThreads`).
//!
//! Threads started per pause made each parallel phase wait for the system to schedule them: on a
//! busy machine a scavenge that needs 0.4 ms on one thread took 10 ms on two. Here the thread
//! that runs the pause starts the phase's work at once; a worker that wakes in time takes part,
//! one that wakes late finds the phase closed and goes back to sleep. The pause never waits for
//! a worker that has not joined.
//!
//! Invariant: [`GcWorkers::run`] returns only once every worker that entered the phase has left
//! it, and a worker enters only while the phase is open, so no worker touches the phase's
//! borrowed task after `run` returns.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread::JoinHandle;

/// Set in [`Phase::entry`] once the phase takes no more workers; the rest counts those inside.
const CLOSED: usize = 1 << (usize::BITS - 1);

/// The task of a phase, its lifetime erased: see [`GcWorkers::run`] for why it outlives every
/// use.
type ErasedTask = *const (dyn Fn(usize) + Sync + 'static);

/// One parallel phase as the workers see it.
struct Phase {
    task: ErasedTask,
    /// [`CLOSED`] and the number of workers inside.
    entry: AtomicUsize,
    /// Participant numbers handed out so far (the pause's own thread is 0).
    joined: AtomicUsize,
    /// The most participants the phase takes, its own thread included.
    participants: usize,
    /// A worker's panic, re-raised by the phase's own thread.
    panic: Mutex<Option<Box<dyn std::any::Any + Send>>>,
}

// SAFETY: `task` points at a `Sync` closure, called by workers only between a successful entry
// and their exit (see `GcWorkers::run`); the counters are atomics.
unsafe impl Send for Phase {}
// SAFETY: as above.
unsafe impl Sync for Phase {}

impl Phase {
    /// Enters the phase unless it is closed.
    fn enter(&self) -> bool {
        let mut entry = self.entry.load(Ordering::Acquire);
        loop {
            if entry & CLOSED != 0 {
                return false;
            }
            match self.entry.compare_exchange_weak(
                entry,
                entry + 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return true,
                Err(now) => entry = now,
            }
        }
    }

    fn leave(&self) {
        self.entry.fetch_sub(1, Ordering::Release);
    }

    /// Takes no more workers and waits for those inside to leave.
    fn close(&self) {
        self.entry.fetch_or(CLOSED, Ordering::AcqRel);
        while self.entry.load(Ordering::Acquire) != CLOSED {
            std::thread::yield_now();
        }
    }
}

/// What the pool's threads wait on.
#[derive(Default)]
struct Mailbox {
    /// The phase to join, and its number (a worker joins each at most once).
    phase: Option<(u64, Arc<Phase>)>,
    shutdown: bool,
}

#[derive(Default)]
struct PoolShared {
    mailbox: Mutex<Mailbox>,
    wake: Condvar,
}

/// The started threads.
struct Pool {
    shared: Arc<PoolShared>,
    threads: Vec<JoinHandle<()>>,
    phases: u64,
}

impl Drop for Pool {
    fn drop(&mut self) {
        lock(&self.shared.mailbox).shutdown = true;
        self.shared.wake.notify_all();
        for thread in self.threads.drain(..) {
            // A worker's panic was already propagated by the phase it happened in.
            let _ = thread.join();
        }
    }
}

/// The heap's GC worker threads, `gc_threads - 1` of them, started at the first parallel phase.
#[derive(Default)]
pub struct GcWorkers {
    pool: OnceLock<Mutex<Pool>>,
}

impl std::fmt::Debug for GcWorkers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let started = self.pool.get().map_or(0, |pool| lock(pool).threads.len());
        f.debug_struct("GcWorkers")
            .field("started", &started)
            .finish()
    }
}

impl GcWorkers {
    /// Runs `task(0)` on this thread and `task(i)`, `i` from 1 to at most `participants - 1`,
    /// on the workers that join while it runs; returns once `task(0)` has returned and every
    /// worker that joined has finished its call. A task must therefore not wait for a given
    /// number of participants: any of `1..=participants` may take part (the work-stealing phases
    /// of [`crate::parallel_work`] are written so).
    ///
    /// A panic in a worker's call is re-raised here.
    pub fn run(&self, participants: usize, task: &(dyn Fn(usize) + Sync)) {
        if participants <= 1 {
            return task(0);
        }
        let pool = self
            .pool
            .get_or_init(|| Mutex::new(Pool::start(participants - 1)));
        let mut pool = lock(pool);
        pool.grow(participants - 1);
        // SAFETY: only the lifetime is erased. Workers call the task only between `enter` and
        // `leave`, and `close` below sets CLOSED and waits until every entered worker has left
        // before this function returns, while `task` is still borrowed.
        let erased: ErasedTask = unsafe { std::mem::transmute(task) };
        let phase = Arc::new(Phase {
            task: erased,
            entry: AtomicUsize::new(0),
            joined: AtomicUsize::new(1),
            participants,
            panic: Mutex::new(None),
        });
        pool.phases += 1;
        lock(&pool.shared.mailbox).phase = Some((pool.phases, Arc::clone(&phase)));
        pool.shared.wake.notify_all();
        let own = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| task(0)));
        phase.close();
        lock(&pool.shared.mailbox).phase = None;
        let worker_panic = lock(&phase.panic).take();
        if let Some(panic) = own.err().or(worker_panic) {
            std::panic::resume_unwind(panic);
        }
    }
}

impl Pool {
    fn start(threads: usize) -> Pool {
        let mut pool = Pool {
            shared: Arc::default(),
            threads: Vec::new(),
            phases: 0,
        };
        pool.grow(threads);
        pool
    }

    /// Starts threads up to `threads` (fewer if the system refuses: the phases run without them).
    fn grow(&mut self, threads: usize) {
        while self.threads.len() < threads {
            let shared = Arc::clone(&self.shared);
            let thread = std::thread::Builder::new()
                .name("gclab-gc-worker".to_owned())
                .spawn(move || worker(&shared));
            match thread {
                Ok(handle) => self.threads.push(handle),
                Err(_) => break,
            }
        }
    }
}

/// A worker's life: wait for a phase it has not seen, join it if it is still open, repeat.
fn worker(shared: &PoolShared) {
    let mut seen = 0;
    loop {
        let phase = {
            let mut mailbox = lock(&shared.mailbox);
            loop {
                if mailbox.shutdown {
                    return;
                }
                match &mailbox.phase {
                    Some((number, phase)) if *number != seen => {
                        seen = *number;
                        break Arc::clone(phase);
                    }
                    _ => mailbox = wait(&shared.wake, mailbox),
                }
            }
        };
        if !phase.enter() {
            continue;
        }
        let index = phase.joined.fetch_add(1, Ordering::Relaxed);
        if index < phase.participants {
            // SAFETY: entered and not yet left, so `run` has not returned (its invariant).
            let task = unsafe { &*phase.task };
            // A task panics only on a broken heap invariant: the phase's own thread re-raises it.
            if let Err(panic) =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| task(index)))
            {
                lock(&phase.panic).get_or_insert(panic);
            }
        }
        phase.leave();
    }
}

/// Locks `mutex`; a thread that panicked holding it left plain data, still usable.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poison| poison.into_inner())
}

fn wait<'a, T>(
    condvar: &Condvar,
    guard: std::sync::MutexGuard<'a, T>,
) -> std::sync::MutexGuard<'a, T> {
    condvar
        .wait(guard)
        .unwrap_or_else(|poison| poison.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each phase runs its own part on this thread and gives each joining worker a distinct
    /// number below the limit; phases follow each other on the same threads.
    #[test]
    fn phases_hand_out_distinct_participant_numbers() {
        let workers = GcWorkers::default();
        for participants in [1, 3, 2, 4] {
            let seen = Mutex::new(Vec::new());
            workers.run(participants, &|index| lock(&seen).push(index));
            let mut seen = seen.into_inner().unwrap();
            seen.sort_unstable();
            assert_eq!(seen[0], 0, "this thread always takes part");
            assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
            assert!(seen.iter().all(|&i| i < participants), "{seen:?}");
        }
    }

    #[test]
    fn a_workers_panic_is_raised_by_the_phase() {
        let workers = GcWorkers::default();
        let joined = AtomicUsize::new(0);
        // Only a worker panics; this thread waits for one to join (bounded) so that the phase
        // sees a worker's panic.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            workers.run(2, &|index| {
                if index == 0 {
                    for _ in 0..10_000 {
                        if joined.load(Ordering::SeqCst) > 0 {
                            break;
                        }
                        std::thread::yield_now();
                    }
                } else {
                    joined.fetch_add(1, Ordering::SeqCst);
                    panic!("worker {index}");
                }
            })
        }));
        assert_eq!(result.is_err(), joined.load(Ordering::SeqCst) > 0);
    }
}
