//! `--trace-gc-nvp` on a real replay: every line is `key=value` pairs with unique keys and
//! one-word values, scavenges and full collections carry exactly V8's keys and gclab's, and
//! there is one line per pause the summary counts.
#![cfg(all(feature = "marksweep", feature = "scavenge"))]

mod common;

use std::collections::HashSet;

use common::{gclab, stderr};

/// The keys of a line, in order, after checking that every token is `key=value` with a
/// non-empty key and a value without `=` (the split on spaces rules out spaces).
fn keys(line: &str) -> Vec<&str> {
    line.split(' ')
        .map(|token| {
            let (key, value) = token
                .split_once('=')
                .unwrap_or_else(|| panic!("`{token}` is not key=value in: {line}"));
            assert!(!key.is_empty() && !value.is_empty(), "`{token}` in: {line}");
            assert!(!value.contains('='), "`{token}` in: {line}");
            key
        })
        .collect()
}

const SCAVENGE_KEYS: &str = "pause mutator gc reduce_memory reason seq start clear evacuate \
    external total_size_before total_size_after committed_before committed_after live freed \
    promoted promoted_dead moved evacuated_pages external_freed";

/// A generational mark-sweep first scavenges new space (`evacuate`), inside the same pause.
const FULL_GC_KEYS: &str = "pause mutator gc reduce_memory reason seq start mark clear sweep \
    evacuate external total_size_before total_size_after committed_before committed_after live \
    freed promoted promoted_dead moved evacuated_pages external_freed";

#[test]
fn every_line_of_a_replay_is_name_value_pairs_with_v8_keys() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let trace = folder.path().join("random.gctb");
    let trace = trace.to_str().expect("a UTF-8 path");
    let generated = gclab(&["gen", "random", "--events", "20000", "-o", trace]);
    assert!(generated.status.success(), "{}", stderr(&generated));
    // With `--json`, standard error holds the pause lines and nothing else.
    let args = [
        "replay",
        trace,
        "-c",
        "gen-marksweep",
        "--json",
        "--trace-gc-nvp",
    ];
    let output = gclab(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stderr(&output);
    let mut kinds = HashSet::new();
    for line in text.lines() {
        let keys = keys(line);
        let unique: HashSet<&str> = keys.iter().copied().collect();
        assert_eq!(unique.len(), keys.len(), "a key repeats in: {line}");
        let kind = line.split(' ').nth(2).expect("a gc= key");
        let expected = match kind {
            "gc=s" => SCAVENGE_KEYS,
            "gc=ms" => FULL_GC_KEYS,
            other => panic!("unexpected kind {other} in: {line}"),
        };
        assert_eq!(
            keys.join(" "),
            expected.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        kinds.insert(kind);
    }
    assert_eq!(kinds, HashSet::from(["gc=s", "gc=ms"]), "{text}");
    // One line per pause the summary counts: the replay's own final full collection is in
    // neither.
    let summary: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("one JSON object on standard output");
    assert_eq!(
        summary["gc_count"].as_u64(),
        Some(text.lines().count() as u64)
    );
}
