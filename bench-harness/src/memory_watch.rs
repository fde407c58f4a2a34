//! `gclab replay --watch-leaks`: memwatch's `stats` and `leak` events of a replay, printed as they
//! happen and kept for the JSON summary.
//!
//! The events come from gc-core's [`LeakDetector`](gc_core::LeakDetector) through
//! [`Heap::on_memory_watch`], and gc-core's records serialize as memwatch's (its feature
//! `serde`); this module only prints and keeps them, so the JSON of a record has one definition.

use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;

use gc_core::{Collector, Heap, LeakReport, MemoryWatchEvent, UsageStats};
use serde::Serialize;

/// What a watched replay heard, for `--json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MemoryWatchSummary {
    /// Stats records heard (one per full collection, the final one included).
    pub stats_records: u64,
    pub last_stats: Option<UsageStats>,
    pub leaks: Vec<LeakReport>,
}

/// Where the event lines go.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum WatchOutput {
    Stdout,
    Stderr,
}

/// Watches `heap`: each event is printed as `stats: {json}` or `leak: {json}` and kept in the
/// returned summary (shared, as the heap's listener fills it while the replay runs).
pub fn watch<C: Collector>(
    heap: &mut Heap<C>,
    output: WatchOutput,
) -> Rc<RefCell<MemoryWatchSummary>> {
    let summary = Rc::new(RefCell::new(MemoryWatchSummary::default()));
    let heard = Rc::clone(&summary);
    heap.on_memory_watch(Box::new(move |event| {
        let line = heard.borrow_mut().record(event);
        // A closed pipe must not stop the replay; the summary still has every event.
        let _ = match output {
            WatchOutput::Stdout => writeln!(io::stdout(), "{line}"),
            WatchOutput::Stderr => writeln!(io::stderr(), "{line}"),
        };
    }));
    summary
}

impl MemoryWatchSummary {
    /// Keeps `event` and returns its line.
    fn record(&mut self, event: &MemoryWatchEvent) -> String {
        match event {
            MemoryWatchEvent::Stats(stats) => {
                self.stats_records += 1;
                self.last_stats = Some(stats.clone());
                event_line("stats", stats)
            }
            MemoryWatchEvent::Leak(leak) => {
                self.leaks.push(leak.clone());
                event_line("leak", leak)
            }
        }
    }
}

fn event_line(name: &str, record: &impl Serialize) -> String {
    match serde_json::to_string(record) {
        Ok(json) => format!("{name}: {json}"),
        // Not reached: the records hold only numbers and strings.
        Err(error) => format!("{name}: (unprintable: {error})"),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// The lines and the JSON summary are memwatch's, byte for byte as gclab has always printed
    /// them: field names and order, times in milliseconds, a leak's growth, rate and reason.
    #[test]
    fn events_print_as_memwatch_records() {
        let stats = UsageStats {
            num_full_gc: 7,
            num_inc_gc: 12,
            heap_compactions: 2,
            usage_trend: 9.1,
            estimated_base: 1100,
            current_base: 2000,
            min: 1000,
            max: 2000,
            at: Duration::from_micros(12_345_678),
        };
        let leak = LeakReport {
            start: Duration::from_micros(1_000_001),
            end: Duration::from_micros(3_500_250),
            base_before: 100,
            base_after: 6_000_000,
            collections: 5,
            start_gc: 2,
            end_gc: 7,
        };
        let stats_json = concat!(
            r#"{"num_full_gc":7,"num_inc_gc":12,"heap_compactions":2,"usage_trend":9.1,"#,
            r#""estimated_base":1100,"current_base":2000,"min":1000,"max":2000,"#,
            r#""at_ms":12345.678}"#,
        );
        let leak_json = concat!(
            r#"{"start_ms":1000.0009999999999,"end_ms":3500.25,"growth":5999900,"#,
            r#""base_before":100,"base_after":6000000,"bytes_per_hour":8638995556.042618,"#,
            r#""collections":5,"start_gc":2,"end_gc":7,"#,
            r#""reason":"heap growth over 5 consecutive GCs (2.500 s) - 8638995556 bytes/hr"}"#,
        );
        let mut summary = MemoryWatchSummary::default();
        assert_eq!(
            summary.record(&MemoryWatchEvent::Leak(leak)),
            format!("leak: {leak_json}")
        );
        assert_eq!(
            summary.record(&MemoryWatchEvent::Stats(stats)),
            format!("stats: {stats_json}")
        );
        assert_eq!(
            serde_json::to_string(&summary).unwrap(),
            format!(r#"{{"stats_records":1,"last_stats":{stats_json},"leaks":[{leak_json}]}}"#)
        );
        assert_eq!(
            serde_json::to_string(&MemoryWatchSummary::default()).unwrap(),
            r#"{"stats_records":0,"last_stats":null,"leaks":[]}"#
        );
    }
}
