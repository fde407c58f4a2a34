//! Thread ticks (V8's `base::ThreadTicks`): the CPU time the calling thread has run, for
//! measuring collector and mutator work in a way the machine's load does not change.
//!
//! Wall time counts the time a thread waited for a core; on a loaded machine it grows for every
//! thread at once, but a marker thread's share and the mutator's grow differently, so speeds
//! taken from wall time made heap growing follow the load. A thread's CPU time counts only what
//! it ran.
//!
//! Invariant: one [`ThreadTicks`] reads one clock all its life, CPU time where the platform has
//! a thread clock (Linux, outside Miri) and wall time since the clock was made elsewhere, so two
//! of its readings on one thread can always be subtracted.

use std::time::{Duration, Instant};

/// The calling thread's clock of work done.
#[derive(Copy, Clone, Debug)]
pub struct ThreadTicks {
    origin: Instant,
    cpu: bool,
}

impl Default for ThreadTicks {
    fn default() -> Self {
        ThreadTicks::new()
    }
}

impl ThreadTicks {
    /// A clock of the calling thread's CPU time when the platform can tell it, else of wall time.
    pub fn new() -> Self {
        ThreadTicks {
            origin: Instant::now(),
            cpu: thread_cpu_time().is_some(),
        }
    }

    /// Whether the clock reads CPU time (not wall time).
    pub fn is_cpu_time(&self) -> bool {
        self.cpu
    }

    /// The reading now: the CPU time the calling thread has run, or the wall time since the
    /// clock was made. Only readings on one thread compare.
    pub fn now(&self) -> Duration {
        if self.cpu {
            // A thread clock that worked once does not fail later; should it, the reading stands
            // still rather than jumping to another clock's scale.
            thread_cpu_time().unwrap_or_default()
        } else {
            self.origin.elapsed()
        }
    }
}

#[cfg(all(target_os = "linux", not(miri)))]
fn thread_cpu_time() -> Option<Duration> {
    let mut time = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `clock_gettime` writes one `timespec` through the pointer, which points at a local
    // of that type; no heap memory is involved (no rule of the crate's safety argument applies).
    let failed = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut time) } != 0;
    if failed {
        return None;
    }
    Some(Duration::new(
        u64::try_from(time.tv_sec).ok()?,
        u32::try_from(time.tv_nsec).ok()?,
    ))
}

#[cfg(not(all(target_os = "linux", not(miri))))]
fn thread_cpu_time() -> Option<Duration> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_never_go_back() {
        let ticks = ThreadTicks::new();
        let first = ticks.now();
        let mut sum = 0u64;
        for i in 0..100_000u64 {
            sum = sum.wrapping_add(i * i);
        }
        std::hint::black_box(sum);
        assert!(ticks.now() >= first);
    }
}
