//! The trace commands as a user runs them: `gen`, `convert`, `replay`; their output, files and
//! exit codes.
#![cfg(feature = "marksweep")]

use std::path::{Path, PathBuf};
mod common;

use common::{gclab, stderr, stdout};

use serde_json::Value;

fn path_str(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temporary path")
}

/// Writes a generator's trace into `dir` and returns its path.
fn generate(dir: &Path, file: &str, generator: &str, params: &[&str]) -> PathBuf {
    let path = dir.join(file);
    let mut args = vec!["gen", generator];
    args.extend_from_slice(params);
    args.extend_from_slice(&["-o", path_str(&path)]);
    let output = gclab(&args);
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    path
}

fn replay_json(trace: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["replay", path_str(trace), "--json"];
    args.extend_from_slice(extra);
    let output = gclab(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).expect("one JSON object on standard output")
}

#[test]
fn replay_json_has_every_field() {
    let dir = tempfile::tempdir().unwrap();
    let trace = generate(dir.path(), "bt.gct", "binary-trees", &["--depth", "8"]);
    let json = replay_json(&trace, &[]);
    for field in [
        "collector",
        "gc_threads",
        "trace",
        "events",
        "allocated_objects",
        "allocated_bytes",
        "live_objects",
        "live_slots",
        "live_payload_bytes",
        "digest",
        "gc_count",
        "gc_by_kind",
        "pause_ms",
        "replay_seconds",
        "peak_committed_bytes",
        "final_committed_bytes",
        "final_pooled_bytes",
    ] {
        assert!(json.get(field).is_some(), "{field} missing: {json}");
    }
    for field in ["total", "p50", "p99", "max"] {
        assert!(json["pause_ms"][field].is_number(), "{json}");
    }
    assert!(
        json.get("leaks").is_none(),
        "leaks only with --check-deaths"
    );
    // The long-lived tree of depth 8 is what stays: 2^9 - 1 nodes of two slots.
    assert_eq!(json["live_objects"], 511);
    assert_eq!(json["live_slots"], 1022);
    assert_eq!(json["digest"].as_str().map(str::len), Some(32));
}

#[test]
fn check_deaths_reports_the_leaks_with_paths() {
    let dir = tempfile::tempdir().unwrap();
    let params = ["--ticks", "5", "--bytes", "1024", "--interval", "0"];
    let trace = generate(dir.path(), "leaky.gct", "leaky", &params);
    let json = replay_json(&trace, &["--check-deaths"]);
    let leaks = json["leaks"].as_array().expect("a list of leaks");
    // Every tick but the last leaks its theThing, string, method and context.
    assert_eq!(leaks.len(), 4 * (5 - 1), "{json}");
    for leak in leaks {
        let path = leak["path"].as_array().expect("a path");
        assert_eq!(path.last().map(|step| &step["id"]), Some(&leak["id"]));
        assert!(
            leak["declared_dead_at"]
                .as_str()
                .unwrap()
                .starts_with("line ")
        );
    }
    let text = stdout(&gclab(&["replay", path_str(&trace), "--check-deaths"]));
    assert!(
        text.contains("leaks: 16 objects declared dead but reachable, "),
        "{text}"
    );
}

#[test]
fn a_bad_trace_exits_with_two_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("bad.gct");
    std::fs::write(&trace, "gctrace 1\na 1 2 0\nw 1 5 null\n").unwrap();
    let output = gclab(&["replay", path_str(&trace)]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("bad.gct:3: `w 1 5 null`: slot 5 is out of range"),
        "{message}"
    );
    let output = gclab(&["replay", path_str(&dir.path().join("missing.gct"))]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[test]
fn the_heap_limit_exits_with_three() {
    let dir = tempfile::tempdir().unwrap();
    let trace = generate(
        dir.path(),
        "leaky.gct",
        "leaky",
        &["--ticks", "40", "--interval", "0"],
    );
    let output = gclab(&["replay", path_str(&trace), "--heap-limit", "8M"]);
    assert_eq!(output.status.code(), Some(3), "{}", stdout(&output));
    let message = stderr(&output);
    assert!(
        message.contains("leaky.gct:") && message.contains("heap limit reached"),
        "{message}"
    );
}

#[test]
fn gen_rejects_bad_parameters_and_names() {
    let output = gclab(&["gen", "binary-trees", "--depth", "99"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--depth"), "{}", stderr(&output));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.gct");
    let output = gclab(&[
        "gen",
        "binary-trees",
        "--nosuch",
        "1",
        "-o",
        path_str(&file),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(!file.exists(), "no half-written trace is left");
    assert_eq!(gclab(&["gen", "nosuch"]).status.code(), Some(2));
    let output = gclab(&["gen", "random", "-o", "trace.txt"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("names no trace format"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn gen_writes_to_standard_output_by_default_and_is_deterministic() {
    let first = gclab(&["gen", "random", "--events", "200", "--seed", "9"]);
    let second = gclab(&["gen", "random", "--events", "200", "--seed", "9"]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(stdout(&first).starts_with("gctrace 1\n@ source random"));
    assert_eq!(first.stdout, second.stdout);
}

#[test]
fn compressed_text_replays_like_text() {
    let dir = tempfile::tempdir().unwrap();
    let text = generate(dir.path(), "s.gct", "server", &["--requests", "500"]);
    let gz = dir.path().join("s.gct.gz");
    let output = gclab(&["convert", path_str(&text), path_str(&gz)]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(std::fs::metadata(&gz).unwrap().len() < std::fs::metadata(&text).unwrap().len());
    let (a, b) = (replay_json(&text, &[]), replay_json(&gz, &[]));
    assert_eq!(a["digest"], b["digest"]);
    assert_eq!(a["events"], b["events"]);
}

#[test]
fn convert_refuses_to_overwrite_its_input() {
    let dir = tempfile::tempdir().unwrap();
    let trace = generate(dir.path(), "r.gct", "random", &["--events", "50"]);
    let before = std::fs::read(&trace).unwrap();
    let output = gclab(&["convert", path_str(&trace), path_str(&trace)]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("both the input and the output"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        std::fs::read(&trace).unwrap(),
        before,
        "the input is untouched"
    );
}

#[test]
fn every_subcommand_explains_its_options() {
    for command in ["replay", "convert", "gen", "run", "collectors"] {
        let output = gclab(&[command, "--help"]);
        assert!(output.status.success(), "{command}");
        assert!(!stdout(&output).is_empty());
    }
    let help = stdout(&gclab(&["gen", "--help"]));
    for generator in [
        "gcbench",
        "binary-trees",
        "splay",
        "leaky",
        "listeners",
        "server",
        "random",
    ] {
        assert!(
            help.contains(&format!("  {generator}: ")),
            "{generator}: {help}"
        );
    }
    assert!(help.contains("--depth <14>"), "{help}");
}

/// A trace whose `t` records ask for an hour, a minute each: far past any bound a test sets.
fn thinking_trace(dir: &Path) -> PathBuf {
    let path = dir.join("think.gct");
    let minutes = "t 60000000000\n".repeat(60);
    let text = format!("gctrace 1\na 1 1 0 Node\n{minutes}a 2 0 8 Leaf\nw 1 0 2\n- 2\ngc\n");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn think_time_past_its_bound_is_skipped_with_one_warning() {
    let dir = tempfile::tempdir().unwrap();
    let trace = thinking_trace(dir.path());
    let started = std::time::Instant::now();
    let output = gclab(&["replay", path_str(&trace), "--max-think", "0.01"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(started.elapsed().as_secs() < 30, "the bound was not kept");
    let text = stdout(&output);
    assert!(
        text.contains("\n  think: 0.01 s spent, 3599.99 s skipped\n"),
        "{text}"
    );
    let warnings = stderr(&output).matches("warning").count();
    assert_eq!(warnings, 1, "{}", stderr(&output));

    let json = replay_json(&trace, &["--max-think", "0.01"]);
    let spent = json["think_seconds"].as_f64().unwrap_or(-1.0);
    let skipped = json["think_skipped_seconds"].as_f64().unwrap_or(-1.0);
    assert!((spent - 0.01).abs() < 1e-9, "{json}");
    assert!((skipped - 3599.99).abs() < 1e-9, "{json}");
}

#[test]
fn no_think_skips_every_think_record() {
    let dir = tempfile::tempdir().unwrap();
    let trace = thinking_trace(dir.path());
    let output = gclab(&["replay", path_str(&trace), "--no-think"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("\n  think: 0.00 s spent, 3600.00 s skipped\n"),
        "{text}"
    );
    assert!(!stderr(&output).contains("warning"), "{}", stderr(&output));
    let json = replay_json(&trace, &["--no-think"]);
    assert_eq!(json["think_seconds"], 0.0, "{json}");
    assert_eq!(json["think_skipped_seconds"], 3600.0, "{json}");

    // Without `t` records the summary has no think line.
    let plain = dir.path().join("plain.gct");
    std::fs::write(&plain, "gctrace 1\na 1 0 8 Leaf\ngc\n").unwrap();
    let text = stdout(&gclab(&["replay", path_str(&plain)]));
    assert!(
        text.contains("live after a full GC") && !text.contains("think"),
        "{text}"
    );
}

#[test]
fn bad_think_options_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let trace = thinking_trace(dir.path());
    for (options, says) in [
        (&["--max-think", "-1"][..], "negative"),
        (&["--max-think", "abc"], "not a number of seconds"),
        (&["--no-think", "--max-think", "1"], "cannot be used with"),
    ] {
        let mut args = vec!["replay", path_str(&trace)];
        args.extend_from_slice(options);
        let output = gclab(&args);
        assert_eq!(output.status.code(), Some(2), "{options:?}");
        let message = stderr(&output);
        assert!(
            message.contains("--max-think") && message.contains(says),
            "{options:?}: {message}"
        );
    }
}

#[test]
fn bad_gc_thread_counts_are_usage_errors_naming_the_range() {
    let dir = tempfile::tempdir().unwrap();
    let trace = generate(dir.path(), "r.gct", "random", &["--events", "50"]);
    for value in ["0", "65", "abc"] {
        let output = gclab(&["replay", path_str(&trace), "--gc-threads", value]);
        common::assert_bad_gc_threads(&output, value);
    }
}

#[test]
fn the_gc_thread_count_changes_no_live_graph_and_shows_in_the_json() {
    let dir = tempfile::tempdir().unwrap();
    let trace = generate(dir.path(), "bt.gct", "binary-trees", &["--depth", "8"]);
    let mut collectors = vec!["marksweep"];
    if cfg!(feature = "scavenge") {
        collectors.push("gen-marksweep");
    }
    for collector in collectors {
        // Stress mode: dozens of collections, full ones among them, each verified.
        let replay = |threads: &str| {
            let options = ["-c", collector, "--stress", "500", "--gc-threads", threads];
            replay_json(&trace, &options)
        };
        let (one, two) = (replay("1"), replay("2"));
        assert_eq!(one["gc_threads"], 1, "{collector}: {one}");
        assert_eq!(two["gc_threads"], 2, "{collector}: {two}");
        assert_eq!(one["collector"], collector, "{one}");
        // One collection every 500 of the trace's 25 774 allocations, however many threads.
        assert_eq!(
            (&one["gc_count"], &two["gc_count"]),
            (&51.into(), &51.into())
        );
        assert_eq!(one["digest"], two["digest"], "{collector}");
        assert_eq!(
            (&one["live_objects"], &one["live_slots"]),
            (&two["live_objects"], &two["live_slots"]),
            "{collector}"
        );
    }
}
