//! V8's pauses from its `--trace-gc-nvp` lines, placed on the replay's timeline.
//!
//! A line is `[pid:isolate]  T ms: pause=P mutator=M gc=K ... total_size_before=B
//! total_size_after=A ...`. `T` is whole milliseconds, too coarse for a timeline; `mutator=` is
//! the time from the previous pause's end to this one's start, so the pauses chain from the
//! first line, which the replayer makes a full collection right before the replay starts (its
//! end is time zero). V8's incremental-marking steps and its concurrent work are not pauses of
//! their own in this log: the steps are only totals (`incremental.steps_took=`) on the pause that
//! finishes marking, which the pause's `pause=` does not include.
//!
//! The committed heap comes from `--trace-gc-verbose`, which follows each pause's line with the
//! spaces' sizes: its `All spaces, used: U KB, available: A KB, committed: C KB` line is the
//! committed heap after that pause (and before the next). Without it, heap use stands in.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::metrics::PauseRecord;

/// The pauses of a replay and how many there were of each kind.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PeerPauses {
    pub pauses: Vec<PauseRecord>,
    pub by_kind: BTreeMap<String, u64>,
}

/// The pauses after the first `--trace-gc-nvp` line of `log` (the replay's starting mark);
/// other lines are ignored. Fails naming the line of a pause line without `pause=` or
/// `mutator=` as numbers.
pub fn v8_pauses(log: &str) -> Result<PeerPauses, String> {
    let mut result = PeerPauses::default();
    let mut previous_end: Option<Duration> = None;
    let mut committed: Option<usize> = None;
    for (number, line) in log.lines().enumerate() {
        if let Some(after) = committed_bytes(line) {
            if let Some(pause) = result.pauses.last_mut() {
                pause.committed_after = after;
            }
            committed = Some(after);
            continue;
        }
        let Some(fields) = nvp_fields(line) else {
            continue;
        };
        let number = number + 1;
        let millis = |key: &str| -> Result<Duration, String> {
            let value = fields
                .get(key)
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|v| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| format!("V8's log, line {number}: no number `{key}=`"))?;
            Ok(Duration::from_secs_f64(value / 1e3))
        };
        let pause = millis("pause")?;
        let Some(end_before) = previous_end else {
            // The mark: the replay starts as it ends.
            previous_end = Some(Duration::ZERO);
            continue;
        };
        let start = end_before + millis("mutator")?;
        previous_end = Some(start + pause);
        let bytes = |key: &str| {
            fields
                .get(key)
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0)
        };
        let used_before = bytes("total_size_before");
        let used_after = bytes("total_size_after");
        result.pauses.push(PauseRecord {
            start,
            duration: pause,
            used_before,
            used_after,
            committed_before: committed.unwrap_or(used_before),
            committed_after: committed.unwrap_or(used_after),
            concurrent_marking: Duration::ZERO,
            concurrent_sweeping: Duration::ZERO,
        });
        let kind = fields.get("gc").copied().unwrap_or("?");
        *result.by_kind.entry(kind_name(kind)).or_default() += 1;
    }
    Ok(result)
}

/// The `key=value` fields of a `--trace-gc-nvp` line (one with `pause=`).
fn nvp_fields(line: &str) -> Option<BTreeMap<&str, &str>> {
    let (_, rest) = line.split_once(" ms: ")?;
    let fields: BTreeMap<&str, &str> = rest
        .split_whitespace()
        .filter_map(|field| field.split_once('='))
        .collect();
    fields.contains_key("pause").then_some(fields)
}

/// The committed bytes of `--trace-gc-verbose`'s `All spaces, … committed: C KB` line.
fn committed_bytes(line: &str) -> Option<usize> {
    let (_, rest) = line.split_once("] All spaces,")?;
    let kib = rest
        .rsplit_once("committed:")?
        .1
        .trim()
        .strip_suffix("KB")?;
    kib.trim().parse::<usize>().ok()?.checked_mul(1024)
}

/// V8's short kind codes in words.
fn kind_name(code: &str) -> String {
    match code {
        "s" => "scavenge".to_owned(),
        "mc" | "ms" => "mark-compact".to_owned(),
        "mmc" => "minor-mark-compact".to_owned(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(ms: u32, pause: &str, mutator: &str, kind: &str) -> String {
        format!(
            "[17216:0x2691d880]     {ms} ms: pause={pause} mutator={mutator} gc={kind} \
             reduce_memory=0 total_size_before=4074280 total_size_after=3939128 holes_size_before=0"
        )
    }

    #[test]
    fn pauses_chain_from_the_mark() {
        let log = [
            line(118, "12.0", "4.4", "mc"),
            "some output of the program".to_owned(),
            line(137, "8.0", "10.6", "s"),
            line(151, "11.6", "2.6", "mc"),
        ]
        .join("\n");
        let result = v8_pauses(&log).unwrap();
        let ms = |ms: f64| Duration::from_secs_f64(ms / 1e3);
        let starts: Vec<Duration> = result.pauses.iter().map(|p| p.start).collect();
        assert_eq!(starts, [ms(10.6), ms(10.6) + ms(8.0) + ms(2.6)]);
        assert_eq!(result.pauses[1].duration, ms(11.6));
        assert_eq!(result.pauses[0].used_before, 4_074_280);
        assert_eq!(result.pauses[0].used_after, 3_939_128);
        let kinds: Vec<(&str, u64)> = result
            .by_kind
            .iter()
            .map(|(k, n)| (k.as_str(), *n))
            .collect();
        assert_eq!(kinds, [("mark-compact", 1), ("scavenge", 1)]);
    }

    #[test]
    fn the_committed_heap_comes_from_the_verbose_lines() {
        let spaces = |kib: u32| {
            format!(
                "[1373:0x44048fa0] All spaces,             used:   3529 KB, available: \
                 4239872 KB, committed:   {kib} KB"
            )
        };
        let log = [
            line(1, "1.0", "0.1", "mc"),
            spaces(5096),
            "[1373:0x44048fa0] New space,              used:    508 KB, committed:   2048 KB"
                .to_owned(),
            line(2, "1.0", "0.1", "s"),
            spaces(6048),
            line(3, "1.0", "0.1", "s"),
        ]
        .join("\n");
        let committed: Vec<(usize, usize)> = v8_pauses(&log)
            .unwrap()
            .pauses
            .iter()
            .map(|p| (p.committed_before >> 10, p.committed_after >> 10))
            .collect();
        assert_eq!(committed, [(5096, 6048), (6048, 6048)]);
    }

    #[test]
    fn a_pause_line_without_numbers_is_named() {
        let log = [line(1, "1.0", "0.1", "s"), line(2, "x", "0.1", "s")].join("\n");
        assert_eq!(
            v8_pauses(&log).unwrap_err(),
            "V8's log, line 2: no number `pause=`"
        );
        assert_eq!(v8_pauses("no gc here\n").unwrap(), PeerPauses::default());
    }
}
