//! `--trace-gc-nvp`: one line of `key=value` pairs per pause, as V8's `GCTracer::PrintNVP`.
//!
//! Invariant: every token of a line is `key=value`, separated by single spaces; no key appears
//! twice on a line; no value holds a space or an `=`. A line splits with `split(' ')` and then
//! `split_once('=')`. A line has the keys of `HEAD`, then those of the phases the pause ran, in
//! the order [`GcPhase`] declares them, then those of `TAIL`.
//!
//! # The key scheme
//!
//! - **V8's key where V8 prints the figure**: `pause` and `mutator` (milliseconds of the pause
//!   and of mutator time since the previous pause ended), `gc` (the kind, V8's short code),
//!   `reduce_memory` (1 for a low-memory notification's collection), the phase times `mark`,
//!   `clear`, `sweep`, `evacuate`, `evacuate.update_pointers`, `time_to_safepoint` (waiting for
//!   a collector's background threads to stop), and the sizes `total_size_before`,
//!   `total_size_after` (bytes in objects) and `promoted`.
//! - **A short snake_case key for the rest**, named for the figure: `reason`, `seq`, `start`,
//!   `external`, `committed_before`, `committed_after`, `live`, `freed`, `promoted_dead` (on a
//!   full collection, the bytes promoted since the previous one that it found dead; 0 on other
//!   pauses), `moved`, `evacuated_pages`, `external_freed`, and last `concurrent_marking`, only
//!   on a pause that finishes a marking cycle a marker thread worked on (the milliseconds of
//!   CPU time it marked while the mutator ran: not part of `pause`), and after it
//!   `concurrent_sweeping`, only on the pause that ends a sweep a sweeper thread worked on (the
//!   milliseconds of CPU time it swept while the mutator ran: not part of `pause` either).
//! - **Dots for parts**: `a.b` is a part of `a`'s time, and counts in `a` too
//!   (`evacuate.update_pointers` is part of `evacuate`). A phase that runs more than once in a
//!   pause is summed under its one key. Work on other threads follows V8: `a.parallel` for the
//!   part of phase `a` that the pause ran on several threads, `background.a` for phase `a`'s
//!   time on threads that ran beside the mutator.
//! - **Values**: times in milliseconds with three decimals; sizes in bytes and counts as
//!   integers; flags as `0` or `1`; names as short codes or snake_case words.
//!
//! `gc` codes: `s` scavenge, `ms` mark-sweep and `mc` mark-compact (V8's codes for its full
//! collection: `ms` in older V8, `mc` in current V8; gclab gives each kind the one that names
//! it), and for the pauses V8 does not log on their own: `ims` a marking step of incremental marking, `imf` the
//! pause that finalizes it, `ls` lazy sweeping.
//!
//! A new key is one entry in `HEAD` or `TAIL` (or a [`GcPhase`] and its [`GcPhase::nvp_key`]).

use std::fmt;
use std::time::Duration;

use crate::event::{GcEvent, GcPhase, GcReason};

/// A value as a line writes it: never with a space.
enum Value {
    Millis(Duration),
    Bytes(u64),
    Count(u64),
    Code(&'static str),
    Flag(bool),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Millis(time) => write!(f, "{:.3}", time.as_secs_f64() * 1e3),
            Value::Bytes(n) | Value::Count(n) => write!(f, "{n}"),
            Value::Code(code) => f.write_str(code),
            Value::Flag(on) => f.write_str(if *on { "1" } else { "0" }),
        }
    }
}

/// What a line is made of: the pause, and when the pause before it ended.
struct Pause<'a> {
    event: &'a GcEvent,
    previous_end: Duration,
}

/// A key and where its value comes from.
type Field = (&'static str, fn(&Pause<'_>) -> Value);

fn bytes(n: usize) -> Value {
    Value::Bytes(n as u64)
}

/// The keys before the phase times, V8's first in V8's order.
const HEAD: &[Field] = &[
    ("pause", |p| Value::Millis(p.event.duration)),
    ("mutator", |p| {
        Value::Millis(p.event.start.saturating_sub(p.previous_end))
    }),
    ("gc", |p| Value::Code(p.event.kind.nvp_code())),
    ("reduce_memory", |p| {
        Value::Flag(p.event.reason == GcReason::LowMemoryNotification)
    }),
    ("reason", |p| Value::Code(p.event.reason.key())),
    ("seq", |p| Value::Count(p.event.sequence)),
    ("start", |p| Value::Millis(p.event.start)),
];

/// The keys after the phase times.
const TAIL: &[Field] = &[
    ("external", |p| Value::Millis(p.event.outcome.external_time)),
    ("total_size_before", |p| bytes(p.event.used_before)),
    ("total_size_after", |p| bytes(p.event.used_after)),
    ("committed_before", |p| bytes(p.event.committed_before)),
    ("committed_after", |p| bytes(p.event.committed_after)),
    ("live", |p| bytes(p.event.live_after())),
    ("freed", |p| bytes(p.event.outcome.freed_bytes)),
    ("promoted", |p| bytes(p.event.outcome.promoted_bytes)),
    ("promoted_dead", |p| {
        bytes(p.event.outcome.promoted_dead_bytes.unwrap_or(0))
    }),
    ("moved", |p| bytes(p.event.outcome.moved_bytes)),
    ("evacuated_pages", |p| {
        Value::Count(p.event.outcome.evacuated_pages as u64)
    }),
    ("external_freed", |p| {
        Value::Bytes(p.event.outcome.external_freed_bytes)
    }),
];

/// Formats `event` as V8's `--trace-gc-nvp` line, e.g. `pause=10.000 mutator=1215.000 gc=ms
/// reduce_memory=0 reason=allocation_limit seq=0 start=1225.000 mark=7.500 external=0.000 …`.
/// `previous_end` is when the pause before it ended, from the heap's creation (zero for the
/// first pause), for `mutator=`.
pub fn trace_gc_nvp_line(event: &GcEvent, previous_end: Duration) -> String {
    let pause = Pause {
        event,
        previous_end,
    };
    let mut pairs: Vec<(&str, String)> = HEAD
        .iter()
        .map(|(k, v)| (*k, v(&pause).to_string()))
        .collect();
    pairs.extend(
        phase_times(&event.outcome.phases)
            .into_iter()
            .map(|(key, time)| (key, Value::Millis(time).to_string())),
    );
    pairs.extend(TAIL.iter().map(|(k, v)| (*k, v(&pause).to_string())));
    // Only on pauses that finish a cycle a marker thread worked on, as a phase time is only on
    // pauses that ran the phase: other collectors' lines keep their keys.
    let concurrent = event.outcome.concurrent_marking;
    if !concurrent.is_zero() {
        pairs.push(("concurrent_marking", Value::Millis(concurrent).to_string()));
    }
    let sweeping = event.outcome.concurrent_sweeping;
    if !sweeping.is_zero() {
        pairs.push(("concurrent_sweeping", Value::Millis(sweeping).to_string()));
    }
    let tokens: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    tokens.join(" ")
}

/// Each phase key's time in the pause, summed over the phase's runs and counted in every
/// dotted prefix of its key. Keys come in the order [`GcPhase`] declares the phases (a prefix
/// before its parts), whatever order they ran in, so that lines of one kind share their order.
fn phase_times(phases: &[(GcPhase, Duration)]) -> Vec<(&'static str, Duration)> {
    let mut ordered = phases.to_vec();
    ordered.sort_by_key(|&(phase, _)| phase as u8);
    let mut times: Vec<(&'static str, Duration)> = Vec::new();
    for (phase, time) in ordered {
        let key = phase.nvp_key();
        let prefixes = key.match_indices('.').map(|(end, _)| &key[..end]);
        for counted in prefixes.chain([key]) {
            match times.iter_mut().find(|(k, _)| *k == counted) {
                Some((_, total)) => *total += time,
                None => times.push((counted, time)),
            }
        }
    }
    times
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{GcKind, example_event};
    use std::collections::HashSet;

    const ALL_PHASES: [GcPhase; 6] = [
        GcPhase::Mark,
        GcPhase::Weak,
        GcPhase::Sweep,
        GcPhase::Evacuate,
        GcPhase::UpdateReferences,
        GcPhase::TimeToSafepoint,
    ];

    fn event(kind: GcKind, phases: Vec<(GcPhase, Duration)>) -> GcEvent {
        GcEvent {
            sequence: 3,
            ..example_event(
                kind,
                Duration::from_millis(1225),
                Duration::from_millis(10),
                phases,
            )
        }
    }

    fn keys(line: &str) -> Vec<&str> {
        line.split(' ')
            .map(|token| token.split_once('=').map_or(token, |(key, _)| key))
            .collect()
    }

    #[test]
    fn a_mark_sweep_line_has_v8_keys_first() {
        let ms = Duration::from_micros;
        let phases = vec![(GcPhase::Mark, ms(7500)), (GcPhase::Weak, ms(250))];
        let line = trace_gc_nvp_line(&event(GcKind::MarkSweep, phases), ms(1_200_000));
        assert_eq!(
            line,
            "pause=10.000 mutator=25.000 gc=ms reduce_memory=0 reason=allocation_limit seq=3 \
             start=1225.000 mark=7.500 clear=0.250 external=0.000 total_size_before=15728640 \
             total_size_after=5767168 committed_before=52428800 committed_after=45613056 \
             live=5767168 freed=10485760 promoted=0 promoted_dead=0 moved=0 evacuated_pages=0 external_freed=0"
        );
    }

    /// A marker thread's time comes last, only on the pause that finishes its cycle.
    #[test]
    fn concurrent_marking_is_on_the_finalization_line_only() {
        let ms = Duration::from_micros;
        let mut finalize = event(GcKind::MarkingFinalize, vec![(GcPhase::Mark, ms(500))]);
        finalize.outcome.concurrent_marking = ms(12_250);
        let line = trace_gc_nvp_line(&finalize, ms(1_200_000));
        assert!(
            line.ends_with(" external_freed=0 concurrent_marking=12.250"),
            "{line}"
        );
        finalize.outcome.concurrent_marking = Duration::ZERO;
        let line = trace_gc_nvp_line(&finalize, ms(1_200_000));
        assert!(!line.contains("concurrent_marking"), "{line}");
    }

    /// A sweeper thread's time comes last, only on the pause that ends its sweep.
    #[test]
    fn concurrent_sweeping_is_on_the_line_that_ends_the_sweep_only() {
        let ms = Duration::from_micros;
        let mut sweep = event(GcKind::LazySweep, vec![(GcPhase::Sweep, ms(20))]);
        sweep.outcome.concurrent_sweeping = ms(3_500);
        let line = trace_gc_nvp_line(&sweep, ms(1_200_000));
        assert!(
            line.ends_with(" external_freed=0 concurrent_sweeping=3.500"),
            "{line}"
        );
        sweep.outcome.concurrent_sweeping = Duration::ZERO;
        let line = trace_gc_nvp_line(&sweep, ms(1_200_000));
        assert!(!line.contains("concurrent_sweeping"), "{line}");
    }

    /// Phases that run twice are summed; a dotted phase counts in its parent too; keys come in the
    /// order the phases are declared.
    #[test]
    fn phase_times_sum_and_count_in_their_parents() {
        let ms = Duration::from_millis;
        let phases = [
            (GcPhase::Evacuate, ms(2)),
            (GcPhase::Sweep, ms(1)),
            (GcPhase::UpdateReferences, ms(4)),
            (GcPhase::Sweep, ms(8)),
            (GcPhase::Mark, ms(16)),
        ];
        assert_eq!(
            phase_times(&phases),
            [
                ("mark", ms(16)),
                ("sweep", ms(9)),
                ("evacuate", ms(6)),
                ("evacuate.update_pointers", ms(4))
            ]
        );
        // A part whose parent did not run still brings its parent.
        assert_eq!(
            phase_times(&[(GcPhase::UpdateReferences, ms(4))]),
            [("evacuate", ms(4)), ("evacuate.update_pointers", ms(4))]
        );
    }

    /// Every key of the scheme, every phase included, is unique and every value has no space.
    #[test]
    fn every_key_is_unique_and_every_value_is_one_word() {
        let phases = ALL_PHASES.map(|p| (p, Duration::from_millis(1))).to_vec();
        for kind in [GcKind::MarkCompact, GcKind::LazySweep] {
            let mut event = event(kind, phases.clone());
            event.reason = GcReason::LowMemoryNotification;
            let line = trace_gc_nvp_line(&event, Duration::ZERO);
            let keys = keys(&line);
            let unique: HashSet<&str> = keys.iter().copied().collect();
            assert_eq!(unique.len(), keys.len(), "{line}");
            assert_eq!(
                keys.len(),
                HEAD.len() + TAIL.len() + ALL_PHASES.len(),
                "{line}"
            );
            for token in line.split(' ') {
                let (_, value) = token.split_once('=').expect("key=value");
                assert!(!value.is_empty() && !value.contains('='), "{token}");
            }
            assert!(line.contains(" reduce_memory=1 reason=low_memory_notification "));
        }
    }

    #[test]
    fn gc_codes_are_distinct() {
        let kinds = [
            GcKind::Scavenge,
            GcKind::MarkSweep,
            GcKind::MarkCompact,
            GcKind::MarkingStep,
            GcKind::MarkingFinalize,
            GcKind::LazySweep,
        ];
        let codes: HashSet<&str> = kinds.iter().map(|&k| k.nvp_code()).collect();
        assert_eq!(codes.len(), kinds.len());
    }
}
