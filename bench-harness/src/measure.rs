//! Measures one replay of one trace on one heap: every pause as the heap's event listener sees
//! it (the heap's own event list is bounded by `event_history`, a listener is not), the replay's
//! report, and the process's peak resident set, turned into [`RunMetrics`].
//!
//! `gclab compare` runs this in a fresh child process per run (the hidden `gclab measure`), so
//! that the peak RSS belongs to that run alone and no run inherits another's heap or caches;
//! [`measure_heap`] is generic over the collector so that a test can measure a collector of its
//! own.

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, Instant};

use gc_core::{Collector, GcEvent, Heap, HeapConfig};
use gclab::collectors::{self, CollectorChoice, HeapVisitor};

use crate::error::Error;
use crate::metrics::{PauseRecord, RunMetrics};
use crate::replay::{ReplayOptions, ReplayReport, ThinkTime, replay};
use gc_trace::TraceSource;
use gc_trace::open::{self, SourceVisitor};

/// Replays the trace at `path` on a new heap of the chosen collector, its `t` records treated as
/// `think` says, and measures it.
pub fn measure_trace(
    choice: CollectorChoice,
    config: HeapConfig,
    path: &Path,
    think: ThinkTime,
) -> Result<RunMetrics, Error> {
    collectors::run_with(choice, config, Measured { path, think })?
}

struct Measured<'a> {
    path: &'a Path,
    think: ThinkTime,
}

impl HeapVisitor for Measured<'_> {
    type Output = Result<RunMetrics, Error>;

    fn visit<C: Collector>(self, heap: Heap<C>) -> Self::Output {
        measure_heap_with(heap, self.path, self.think)
    }
}

/// Replays the trace at `path` on `heap`, which must be new (its clock started a moment ago),
/// and measures it.
pub fn measure_heap<C: Collector>(heap: Heap<C>, path: &Path) -> Result<RunMetrics, Error> {
    measure_heap_with(heap, path, ThinkTime::default())
}

/// [`measure_heap`], with the trace's `t` records treated as `think` says.
pub fn measure_heap_with<C: Collector>(
    mut heap: Heap<C>,
    path: &Path,
    think: ThinkTime,
) -> Result<RunMetrics, Error> {
    // The heap's clock started when it was made, a moment before this.
    let heap_made = Instant::now();
    let events = Rc::new(RefCell::new(Vec::new()));
    let listener_events = Rc::clone(&events);
    heap.on_gc_event(Box::new(move |event: &GcEvent| {
        listener_events.borrow_mut().push(PauseRecord::from(event))
    }));
    let on_heap = OnHeap {
        heap: &mut heap,
        heap_made,
        think,
    };
    let (report, replay_began) = open::with_source(path, on_heap)??;
    let events = events.borrow();
    // The replay's own final collection comes after the trace's pauses and is not one of them.
    let pauses: Vec<PauseRecord> = events
        .iter()
        .take(report.pauses.count)
        .map(|pause| PauseRecord {
            start: pause.start.saturating_sub(replay_began),
            ..*pause
        })
        .collect();
    // The final collection starts where the trace ended.
    let at_end = events
        .get(report.pauses.count)
        .map(|last| (last.used_before, last.committed_before));
    Ok(RunMetrics::new(&report, &pauses, at_end, peak_rss_bytes()))
}

struct OnHeap<'h, C: Collector> {
    heap: &'h mut Heap<C>,
    heap_made: Instant,
    think: ThinkTime,
}

impl<C: Collector> SourceVisitor for OnHeap<'_, C> {
    /// The report and when the replay began on the heap's clock.
    type Output = Result<(ReplayReport, Duration), Error>;

    fn visit<S: TraceSource>(self, source: &mut S) -> Self::Output {
        let began = self.heap_made.elapsed();
        let options = ReplayOptions {
            check_deaths: false,
            progress: false,
            think: self.think,
        };
        let report = replay(self.heap, source, options)?;
        Ok((report, began))
    }
}

/// The process's peak resident set size (`VmHWM` of `/proc/self/status`), where Linux says it.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_vm_hwm(&status)
}

fn parse_vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    kib.checked_mul(1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vm_hwm_is_read_in_bytes() {
        let status = "Name:\tgclab\nVmPeak:\t  20000 kB\nVmHWM:\t   1234 kB\nVmRSS:\t 1000 kB\n";
        assert_eq!(parse_vm_hwm(status), Some(1234 * 1024));
        assert_eq!(parse_vm_hwm("Name:\tgclab\n"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_has_a_peak_rss() {
        assert!(peak_rss_bytes().is_some_and(|bytes| bytes > 0));
    }
}
