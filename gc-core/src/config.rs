//! Every size and switch of a heap, in one value.

use std::num::NonZeroU32;

use thiserror::Error;

use crate::page::PAGE_SIZE;
use crate::page_source::PageSourceKind;

const MB: usize = 1024 * 1024;

/// When the heap verifier runs.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum VerifyHeap {
    /// Only when asked (`Heap::verify`).
    OnRequest,
    /// After every collection; a failure panics, because it means a collector bug.
    AfterEachGc,
}

impl Default for VerifyHeap {
    /// After each GC in debug and test builds, on request in release builds.
    fn default() -> Self {
        if cfg!(debug_assertions) {
            VerifyHeap::AfterEachGc
        } else {
            VerifyHeap::OnRequest
        }
    }
}

/// Configuration of a heap. Start from `HeapConfig::default()` and change fields.
#[derive(Clone, Debug, PartialEq)]
pub struct HeapConfig {
    /// Hard limit: bytes of pages all spaces together may own. Reaching it after a full
    /// collection is `OutOfMemory`.
    pub max_heap_bytes: usize,
    /// The first full collection runs when objects take this many bytes.
    pub initial_allocation_limit: usize,
    /// The allocation limit is at least this far above the live bytes after a full collection
    /// (V8's minimum allocation-limit growing step: 8 MB, 2 MB when optimizing for memory).
    pub min_allocation_limit_step: usize,
    /// Upper bound on the factor by which the heap may grow over its live bytes (V8: 4).
    pub max_growing_factor: f64,
    /// A full collection runs when external memory grows this much past its level after the last
    /// one (V8: 64 MB).
    pub external_limit_step: u64,
    /// Free regular pages kept for reuse instead of going back to the OS, at least; the pool also
    /// keeps the pages the mutator will fill before the next full collection.
    pub page_pool_pages: usize,
    /// How many recent pauses `Heap::events` keeps at least (counts and totals cover all; a
    /// listener sees every pause). Bounded so a long-running heap does not grow with its GCs.
    pub event_history: usize,
    /// Where pages come from.
    pub page_source: PageSourceKind,
    pub verify: VerifyHeap,
    /// Stress mode ([`crate::stress`]): a collection forced every this many allocations, a
    /// marking step after every allocation while an incremental collector marks, and the
    /// verifier after every collection whatever `verify` says. `None` (the default) is off.
    pub stress_interval: Option<NonZeroU32>,
    /// Threads that do a collection's parallel work (full collections' marking): 1 runs it all
    /// on the thread that collects; at most [`MAX_GC_THREADS`]. The default is the available
    /// cores, at most [`MAX_GC_THREADS`].
    pub gc_threads: usize,
}

/// The most threads a collection may use.
pub const MAX_GC_THREADS: usize = 64;

/// The available cores (1 when unknown), at most [`MAX_GC_THREADS`].
pub fn default_gc_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |cores| cores.get())
        .min(MAX_GC_THREADS)
}

impl Default for HeapConfig {
    fn default() -> Self {
        HeapConfig {
            max_heap_bytes: 2048 * MB,
            initial_allocation_limit: 8 * MB,
            min_allocation_limit_step: 8 * MB,
            max_growing_factor: 4.0,
            external_limit_step: 64 * MB as u64,
            page_pool_pages: 16,
            event_history: 4096,
            page_source: PageSourceKind::default(),
            verify: VerifyHeap::default(),
            stress_interval: None,
            gc_threads: default_gc_threads(),
        }
    }
}

/// A configuration that cannot work.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ConfigError {
    #[error("max_heap_bytes is {0} bytes; a heap needs at least one page ({PAGE_SIZE} bytes)")]
    HeapTooSmall(usize),
    #[error("max_growing_factor is {0}; it must be a number of at least 1.1")]
    GrowingFactor(f64),
    #[error("gc_threads is {0}; it must be from 1 to {MAX_GC_THREADS}")]
    GcThreads(usize),
}

impl HeapConfig {
    /// A configuration for tests: pages from the ordinary allocator, verification after each GC.
    pub fn for_testing() -> Self {
        HeapConfig {
            page_source: PageSourceKind::Allocator,
            verify: VerifyHeap::AfterEachGc,
            ..HeapConfig::default()
        }
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.max_heap_bytes < PAGE_SIZE {
            return Err(ConfigError::HeapTooSmall(self.max_heap_bytes));
        }
        if self.max_growing_factor.is_nan() || self.max_growing_factor < 1.1 {
            return Err(ConfigError::GrowingFactor(self.max_growing_factor));
        }
        if !(1..=MAX_GC_THREADS).contains(&self.gc_threads) {
            return Err(ConfigError::GcThreads(self.gc_threads));
        }
        Ok(())
    }
}
