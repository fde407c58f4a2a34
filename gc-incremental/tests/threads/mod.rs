//! Settings shared by the tests of the collector's background threads (the marker and the
//! sweeper): the main thread steps only when a test asks, and verifies only when it asks.

use std::time::Duration;

use gc_core::{HeapConfig, VerifyHeap};
use gc_incremental::IncrementalConfig;

/// Steps only when asked: the threads do the rest between them.
pub fn manual() -> IncrementalConfig {
    IncrementalConfig {
        step_budget: Duration::ZERO,
        step_interval: usize::MAX,
        min_step_bytes: 16,
    }
}

pub fn config() -> HeapConfig {
    HeapConfig {
        verify: VerifyHeap::OnRequest,
        ..HeapConfig::for_testing()
    }
}
