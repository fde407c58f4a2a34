//! HotSpot's pauses from its unified log (`-Xlog:gc,safepoint:stdout:timenanos`), placed on the
//! replay's timeline.
//!
//! Every stop of the Java threads is a safepoint, logged when it ends:
//! `[Tns] Safepoint "G1CollectForAllocation", Time since last: …, Reaching safepoint: … ns,
//! Cleanup: … ns, At safepoint: … ns, Total: N ns`. `T` is `System.nanoTime()` (the
//! `timenanos` decoration), the clock the replayer gives its start and end in, so a pause began
//! at `T - N`. The safepoints of collections count (the VM operations named for a collector:
//! Serial's and Parallel's, G1's, ZGC's and Shenandoah's); others (`Cleanup`, class-metadata
//! housekeeping) are not collections and are left out. A thread that waits for a concurrent
//! collector to free memory is stopped as surely as at a safepoint: ZGC's
//! `Allocation Stall (thread) N ms` lines count as pauses too. Heap use comes from the `gc`
//! lines that precede a collection's safepoint (`Pause Young (…) 64M->2M(245M) 3.3ms`).

use std::time::Duration;

use crate::metrics::PauseRecord;
use crate::peers::v8_log::PeerPauses;

/// The pauses of `log` between `start` and `end` (nanoseconds on the log's clock).
pub fn hotspot_pauses(log: &str, start: u64, end: u64) -> PeerPauses {
    let mut result = PeerPauses::default();
    let mut heap = HeapLines::default();
    for line in log.lines() {
        let Some((at, message)) = decorated(line) else {
            continue;
        };
        if heap.read(message, &mut result.pauses) {
            continue;
        }
        let Some((kind, length)) = safepoint(message).or_else(|| stall(message)) else {
            continue;
        };
        let Some(began) = at
            .checked_sub(length)
            .filter(|&began| began >= start && at <= end)
        else {
            continue;
        };
        let sizes = heap.next.take().unwrap_or_default();
        result.pauses.push(PauseRecord {
            start: Duration::from_nanos(began - start),
            duration: Duration::from_nanos(length),
            used_before: sizes.before,
            used_after: sizes.after,
            committed_before: sizes.committed,
            committed_after: sizes.committed,
            concurrent_marking: Duration::ZERO,
            concurrent_sweeping: Duration::ZERO,
        });
        *result.by_kind.entry(kind).or_default() += 1;
    }
    result
}

/// The heap's sizes as HotSpot's collectors log them. Serial, Parallel and G1 log a pause's
/// `A->B(C)` just before its safepoint, so those sizes go to the next pause. ZGC and Shenandoah
/// log theirs after the cycle's pauses (ZGC's `Garbage Collection (…) A(x%)->B(y%)`, after a
/// `Capacity:` row giving the committed heap; Shenandoah's `Concurrent cleanup A->B(C)`), so those
/// go to the pauses since the previous such line.
#[derive(Default)]
struct HeapLines {
    /// Sizes for the next pause.
    next: Option<Sizes>,
    /// ZGC's committed heap, from the `Capacity:` row before its cycle's summary.
    capacity: usize,
    /// The first pause an end-of-cycle line has not given sizes to.
    unsized_from: usize,
}

impl HeapLines {
    /// Takes `message` if it is a line of sizes.
    fn read(&mut self, message: &str, pauses: &mut [PauseRecord]) -> bool {
        // `GC(12) Garbage Collection …` → `Garbage Collection …`
        let cycle = match message.strip_prefix("GC(") {
            Some(rest) => rest
                .split_once(')')
                .map_or(rest, |(_, rest)| rest.trim_start()),
            None => message,
        };
        if let Some(committed) = cycle.strip_prefix("Capacity:").and_then(largest_size) {
            self.capacity = committed;
            return true;
        }
        let Some(mut sizes) = heap_sizes(message) else {
            return false;
        };
        let ends_cycle =
            cycle.starts_with("Garbage Collection") || cycle.starts_with("Concurrent cleanup");
        if !ends_cycle {
            self.next = Some(sizes);
            return true;
        }
        if sizes.committed == 0 {
            sizes.committed = self.capacity;
        }
        for pause in &mut pauses[self.unsized_from..] {
            pause.used_before = sizes.before;
            pause.used_after = sizes.after;
            pause.committed_before = sizes.committed;
            pause.committed_after = sizes.committed;
        }
        self.unsized_from = pauses.len();
        true
    }
}

/// `[Tns] message` → (T, message).
fn decorated(line: &str) -> Option<(u64, &str)> {
    let rest = line.strip_prefix('[')?;
    let (stamp, message) = rest.split_once("] ")?;
    Some((stamp.strip_suffix("ns")?.parse().ok()?, message))
}

/// A collection's safepoint: its VM operation and its length in nanoseconds.
fn safepoint(message: &str) -> Option<(String, u64)> {
    let rest = message.strip_prefix("Safepoint \"")?;
    let (operation, rest) = rest.split_once('"')?;
    if !is_collection(operation) {
        return None;
    }
    let total = rest.rsplit_once("Total: ")?.1.strip_suffix(" ns")?;
    Some((operation.to_owned(), total.trim().parse().ok()?))
}

/// Whether a VM operation is a collector's.
fn is_collection(operation: &str) -> bool {
    ["G1", "Z", "Shenandoah", "Gen", "Parallel", "Serial"]
        .iter()
        .any(|prefix| operation.starts_with(prefix))
        || operation.contains("Collect")
}

/// ZGC's `Allocation Stall (thread) N ms`.
fn stall(message: &str) -> Option<(String, u64)> {
    let rest = message.strip_prefix("Allocation Stall (")?;
    let millis: f64 = rest.split_once(") ")?.1.strip_suffix("ms")?.parse().ok()?;
    let nanos = (millis * 1e6).round();
    (nanos.is_finite() && nanos >= 0.0).then(|| ("AllocationStall".to_owned(), nanos as u64))
}

/// Heap use around a collection, in bytes.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
struct Sizes {
    before: usize,
    after: usize,
    committed: usize,
}

/// `… 64M->2M(245M) 3.322ms` → the sizes; ZGC's `142M(2%)->76M(1%)` has no committed size.
fn heap_sizes(message: &str) -> Option<Sizes> {
    let field = message
        .split_whitespace()
        .find(|field| field.contains("->") && field.ends_with(')'))?;
    let (before, after) = field.split_once("->")?;
    let (after, committed) = after.strip_suffix(')')?.split_once('(')?;
    if committed.ends_with('%') {
        return Some(Sizes {
            before: size(before.split_once('(')?.0)?,
            after: size(after)?,
            committed: 0,
        });
    }
    Some(Sizes {
        before: size(before)?,
        after: size(after)?,
        committed: size(committed)?,
    })
}

/// The largest size in ZGC's `Capacity:` row (`378M (6%)` at each phase of the cycle).
fn largest_size(row: &str) -> Option<usize> {
    row.split_whitespace().filter_map(size).max()
}

/// `64M`, `512K`, `2G`, in bytes.
fn size(text: &str) -> Option<usize> {
    let (number, unit) = text.split_at(text.len().checked_sub(1)?);
    let shift = match unit {
        "K" => 10,
        "M" => 20,
        "G" => 30,
        _ => return None,
    };
    number.parse::<usize>().ok()?.checked_mul(1 << shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "\
[1000ns] Using Serial
[5000000ns] GC(0) Pause Young (Allocation Failure) 68M->2M(247M) 1.500ms
[5100000ns] Safepoint \"GenCollectForAllocation\", Time since last: 386833080 ns, Reaching safepoint: 4737 ns, Cleanup: 103945 ns, At safepoint: 1459680 ns, Total: 1600000 ns
[6000000ns] Safepoint \"Cleanup\", Time since last: 1 ns, Reaching safepoint: 2133 ns, Cleanup: 74551 ns, At safepoint: 3035 ns, Total: 79719 ns
[9000000ns] Allocation Stall (main) 2.500ms
[99000000ns] Safepoint \"GenCollectFull\", Time since last: 1 ns, Reaching safepoint: 1 ns, Cleanup: 1 ns, At safepoint: 1 ns, Total: 7000000 ns
";

    #[test]
    fn collections_and_stalls_are_pauses_on_the_replays_clock() {
        let result = hotspot_pauses(LOG, 2_000_000, 50_000_000);
        let ms = |ms: f64| Duration::from_secs_f64(ms / 1e3);
        let pauses: Vec<(Duration, Duration)> = result
            .pauses
            .iter()
            .map(|p| (p.start, p.duration))
            .collect();
        // Cleanup is not a collection; the full collection after the end is the replayer's.
        assert_eq!(pauses, [(ms(1.5), ms(1.6)), (ms(4.5), ms(2.5))]);
        assert_eq!(
            (result.pauses[0].used_before, result.pauses[0].used_after),
            (68 << 20, 2 << 20)
        );
        assert_eq!(result.pauses[0].committed_after, 247 << 20);
        assert_eq!(result.pauses[1].used_before, 0);
        let kinds: Vec<&str> = result.by_kind.keys().map(String::as_str).collect();
        assert_eq!(kinds, ["AllocationStall", "GenCollectForAllocation"]);
    }

    /// ZGC and Shenandoah log a cycle's sizes after its pauses; ZGC's committed heap is its
    /// `Capacity:` row.
    #[test]
    fn concurrent_collectors_give_sizes_to_their_cycles_pauses() {
        let zgc = "\
[100ns] Safepoint \"ZMarkStart\", Time since last: 1 ns, Total: 10 ns
[200ns] Safepoint \"ZMarkEnd\", Time since last: 1 ns, Total: 10 ns
[300ns] GC(0) Min Capacity: 8M(0%)
[301ns] GC(0)  Capacity:      378M (6%)          380M (6%)          379M (6%)
[302ns] GC(0) Garbage Collection (System.gc()) 142M(2%)->76M(1%)
[400ns] Safepoint \"ZMarkStart\", Time since last: 1 ns, Total: 10 ns
";
        let sizes = |p: &PauseRecord| {
            (
                p.used_before >> 20,
                p.used_after >> 20,
                p.committed_after >> 20,
            )
        };
        let pauses: Vec<_> = hotspot_pauses(zgc, 0, 1000)
            .pauses
            .iter()
            .map(sizes)
            .collect();
        assert_eq!(pauses, [(142, 76, 380), (142, 76, 380), (0, 0, 0)]);
        let shenandoah = "\
[100ns] Safepoint \"ShenandoahInitMark\", Time since last: 1 ns, Total: 10 ns
[200ns] GC(0) Concurrent cleanup 5M->1M(380M) 0.077ms
[300ns] Concurrent uncommit 3M->3M(8M) 1.219ms
[400ns] Safepoint \"ShenandoahInitMark\", Time since last: 1 ns, Total: 10 ns
";
        let pauses: Vec<_> = hotspot_pauses(shenandoah, 0, 1000)
            .pauses
            .iter()
            .map(sizes)
            .collect();
        assert_eq!(pauses, [(5, 1, 380), (3, 3, 8)]);
    }

    #[test]
    fn odd_lines_are_skipped() {
        let log = "garbage\n[12ns]\n[x ns] Safepoint \"G1\", Total: 5 ns\n[20ns] Safepoint \"G1Full\", Total: many ns\n";
        assert_eq!(hotspot_pauses(log, 0, 100), PeerPauses::default());
        assert_eq!(size("12Q"), None);
        assert_eq!(size(""), None);
    }
}
