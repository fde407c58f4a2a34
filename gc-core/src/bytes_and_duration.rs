//! Bytes and durations of the last few events (V8's `BytesAndDuration` ring buffers in
//! `GCTracer`): the speeds heap growing reads are averages over recent cycles, not the last
//! cycle's alone.
//!
//! One cycle's speed is noisy (a cycle that found little to mark, a mutator phase that allocated
//! in a burst), and heap growing turns every change of speed into a change of the allocation
//! limit; averaging over a few cycles keeps the limit, and so committed memory, steady while the
//! program's behaviour is steady.
//!
//! Invariant: the buffer holds the last `min(recorded, CAPACITY)` samples, and its speed is
//! their total bytes over their total time (a slow sample weighs by its length, as in V8's
//! `AverageSpeed`).

use std::time::Duration;

/// Samples kept: a few cycles, so that a change of the program's behaviour shows within them.
pub const CAPACITY: usize = 5;

/// The last [`CAPACITY`] samples of bytes processed and time taken.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BytesAndDurationBuffer {
    samples: [(usize, Duration); CAPACITY],
    len: usize,
    next: usize,
}

impl BytesAndDurationBuffer {
    /// Adds a sample, dropping the oldest when full.
    pub fn push(&mut self, bytes: usize, duration: Duration) {
        self.samples[self.next] = (bytes, duration);
        self.next = (self.next + 1) % CAPACITY;
        self.len = (self.len + 1).min(CAPACITY);
    }

    /// Bytes per millisecond over the samples held; 0 when there are none or they took no time
    /// (an unknown speed, which heap growing treats as such).
    pub fn bytes_per_ms(&self) -> f64 {
        let held = &self.samples[..self.len];
        let bytes: f64 = held.iter().map(|&(bytes, _)| bytes as f64).sum();
        let ms: f64 = held.iter().map(|&(_, time)| time.as_secs_f64() * 1e3).sum();
        if ms > 0.0 { bytes / ms } else { 0.0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn the_speed_is_total_bytes_over_total_time() {
        let mut buffer = BytesAndDurationBuffer::default();
        assert_eq!(buffer.bytes_per_ms(), 0.0);
        buffer.push(100, MS);
        buffer.push(500, 4 * MS);
        assert_eq!(buffer.bytes_per_ms(), 120.0);
    }

    #[test]
    fn only_the_latest_samples_count() {
        let mut buffer = BytesAndDurationBuffer::default();
        buffer.push(1_000_000, MS);
        for _ in 0..CAPACITY {
            buffer.push(10, MS);
        }
        assert_eq!(buffer.bytes_per_ms(), 10.0);
    }

    #[test]
    fn samples_without_time_are_an_unknown_speed() {
        let mut buffer = BytesAndDurationBuffer::default();
        buffer.push(100, Duration::ZERO);
        assert_eq!(buffer.bytes_per_ms(), 0.0);
    }
}
