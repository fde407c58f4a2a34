//! Heap growing, as V8's `MemoryController`: after a full collection the allocation limit is the
//! live size times a factor chosen so that the mutator keeps a target utilization (97%), given
//! how fast the collector marks and how fast the mutator allocates. The collector's speed is the
//! whole marking cycle's (incremental steps, a marker thread's work and the final pause
//! together), both speeds are CPU time on the threads that did the work and are averaged over
//! the last few cycles (see `GcTracer::full_gc_done`): the limit follows the program, not the
//! machine's load.

use crate::config::HeapConfig;
use crate::gc_tracer::Speeds;

const MIN_GROWING_FACTOR: f64 = 1.1;
const TARGET_MUTATOR_UTILIZATION: f64 = 0.97;

/// V8's dynamic growing factor. With `R = gc_speed / mutator_speed` and target utilization `MU`,
/// the factor `F = R(1 - MU) / (R(1 - MU) - MU)` makes the next GC's time a `1 - MU` share;
/// clamped to `[1.1, max_factor]`; unknown speeds give `max_factor`.
pub fn growing_factor(speeds: Speeds, max_factor: f64) -> f64 {
    if speeds.gc_bytes_per_ms == 0.0 || speeds.mutator_bytes_per_ms == 0.0 {
        return max_factor;
    }
    let ratio = speeds.gc_bytes_per_ms / speeds.mutator_bytes_per_ms;
    let a = ratio * (1.0 - TARGET_MUTATOR_UTILIZATION);
    let b = a - TARGET_MUTATOR_UTILIZATION;
    let factor = if a < b * max_factor {
        a / b
    } else {
        max_factor
    };
    factor.clamp(MIN_GROWING_FACTOR, max_factor)
}

/// The soft limits that trigger collections.
#[derive(Clone, Debug, PartialEq)]
pub struct HeapGrowing {
    allocation_limit: usize,
    external_limit: u64,
}

impl HeapGrowing {
    pub fn new(config: &HeapConfig) -> Self {
        HeapGrowing {
            allocation_limit: config.initial_allocation_limit,
            external_limit: config.external_limit_step,
        }
    }

    /// Used bytes at which the next full collection starts.
    pub fn allocation_limit(&self) -> usize {
        self.allocation_limit
    }

    /// External bytes at which the next full collection starts.
    pub fn external_limit(&self) -> u64 {
        self.external_limit
    }

    /// Sets the limits after a full collection that left `live` bytes of objects and `external`
    /// bytes of external memory. The limit stays under the hard heap limit unless even the minimum
    /// step would not fit, so a heap near its limit does not collect on every allocation.
    pub fn update(&mut self, config: &HeapConfig, live: usize, external: u64, speeds: Speeds) {
        let factor = growing_factor(speeds, config.max_growing_factor);
        let minimum = live.saturating_add(config.min_allocation_limit_step);
        let target = ((live as f64 * factor) as usize).max(minimum);
        self.allocation_limit = target.min(config.max_heap_bytes.max(minimum));
        self.external_limit = external.saturating_add(config.external_limit_step);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factor_is_clamped_and_follows_the_speed_ratio() {
        let speeds = |gc, mutator| Speeds {
            gc_bytes_per_ms: gc,
            mutator_bytes_per_ms: mutator,
        };
        assert_eq!(growing_factor(speeds(0.0, 1.0), 4.0), 4.0);
        // A slow collector relative to the mutator needs the largest factor.
        assert_eq!(growing_factor(speeds(10.0, 10.0), 4.0), 4.0);
        // A very fast collector gets the minimum.
        assert_eq!(growing_factor(speeds(1e9, 1.0), 4.0), 1.1);
        // R = 100: a = 3, b = 2.03, F = 1.4778.
        let f = growing_factor(speeds(100.0, 1.0), 4.0);
        assert!((f - 3.0 / 2.03).abs() < 1e-9, "{f}");
    }

    #[test]
    fn limit_grows_from_live_bytes_and_respects_the_hard_limit() {
        let config = HeapConfig {
            max_heap_bytes: 64 << 20,
            min_allocation_limit_step: 2 << 20,
            ..HeapConfig::default()
        };
        let mut growing = HeapGrowing::new(&config);
        let unknown = Speeds::default();
        growing.update(&config, 10 << 20, 0, unknown);
        assert_eq!(growing.allocation_limit(), 40 << 20);
        growing.update(&config, 30 << 20, 5, unknown);
        assert_eq!(growing.allocation_limit(), 64 << 20);
        assert_eq!(growing.external_limit(), 5 + config.external_limit_step);
        growing.update(&config, 63 << 20, 0, unknown);
        assert_eq!(
            growing.allocation_limit(),
            65 << 20,
            "minimum step even past the hard limit"
        );
    }
}
