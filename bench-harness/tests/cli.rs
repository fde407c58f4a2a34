//! The `gclab` program as a user runs it: output, exit codes, determinism.
//!
//! Every test needs a collector; they run on whatever `auto` picks, and the trace-gc test
//! expects mark-sweep pauses.
#![cfg(feature = "marksweep")]

mod common;

use std::process::Output;

use common::{gclab, stderr, stdout};

/// The digests in a run's summaries, in order.
fn digests(output: &Output) -> Vec<String> {
    stdout(output)
        .lines()
        .filter_map(|line| line.split("digest ").nth(1))
        .map(|digest| digest.trim().to_owned())
        .collect()
}

fn is_digest(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

#[test]
fn default_command_runs_every_workload() {
    let output = gclab(&["--scale", "1"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    // Without `--gc-threads`, the heap's default: the available cores, at most 64.
    let threads = gc_core::default_gc_threads();
    for workload in ["binary-trees", "churn", "linked-list"] {
        let header = format!("/ {workload} (scale 1, gc threads {threads})\n");
        assert!(text.contains(&header), "{text}");
    }
    let digests = digests(&output);
    assert_eq!(digests.len(), 3, "{text}");
    assert!(digests.iter().all(|d| is_digest(d)), "{digests:?}");
    assert!(
        text.contains("pauses: ") && text.contains("wall: "),
        "{text}"
    );
}

#[test]
fn unknown_collector_is_a_usage_error() {
    let output = gclab(&["run", "--collector", "nosuch", "--scale", "1"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.starts_with("gclab: "), "{message}");
    assert!(
        message.contains("nosuch") && message.contains("available: auto"),
        "{message}"
    );
}

#[test]
fn bad_arguments_exit_with_two() {
    for args in [
        &["--workload", "nosuch"][..],
        &["--heap-limit", "100"],
        &["--scale", "x"],
    ] {
        assert_eq!(gclab(args).status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn gc_threads_outside_one_to_sixty_four_are_usage_errors() {
    for value in ["0", "65", "abc"] {
        let output = gclab(&["run", "--gc-threads", value, "--scale", "1"]);
        common::assert_bad_gc_threads(&output, value);
    }
}

#[test]
fn gc_threads_show_in_each_summary_and_leave_the_live_graph_alone() {
    let run = |threads: &str| {
        let args = ["run", "-q", "-w", "churn", "-s", "1", "-c", "marksweep"];
        let output = gclab(&[&args[..], &["--gc-threads", threads]].concat());
        assert!(output.status.success(), "{threads}: {}", stderr(&output));
        output
    };
    let (one, two) = (run("1"), run("2"));
    let header = |output: &Output| stdout(output).lines().next().map(str::to_owned);
    assert_eq!(
        header(&one).as_deref(),
        Some("marksweep / churn (scale 1, gc threads 1)")
    );
    assert_eq!(
        header(&two).as_deref(),
        Some("marksweep / churn (scale 1, gc threads 2)")
    );
    assert_eq!(digests(&one).len(), 1, "{}", stdout(&one));
    assert_eq!(digests(&one), digests(&two));
}

#[test]
fn heap_limit_is_out_of_memory() {
    let args = [
        "--heap-limit",
        "1000000",
        "--workload",
        "linked-list",
        "--scale",
        "4",
    ];
    let output = gclab(&args);
    assert_eq!(output.status.code(), Some(3), "{}", stdout(&output));
    let message = stderr(&output);
    assert!(
        message.starts_with("gclab: linked-list: out of memory"),
        "{message}"
    );
    assert!(message.contains("1000000 bytes"), "{message}");
}

#[test]
fn pauses_print_as_v8_trace_gc_lines_unless_quiet() {
    let quiet = gclab(&[
        "--quiet",
        "--workload",
        "churn",
        "--scale",
        "1",
        "-c",
        "marksweep",
    ]);
    assert!(quiet.status.success(), "{}", stderr(&quiet));
    assert!(
        !stdout(&quiet).lines().any(|l| l.starts_with('[')),
        "{}",
        stdout(&quiet)
    );
    let output = gclab(&["--workload", "churn", "--scale", "1", "-c", "marksweep"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with('[')).collect();
    // The workload's pauses, as many as the summary counts: the harness's own final full
    // collection is neither printed nor counted.
    let counted = text
        .lines()
        .find_map(|l| l.strip_prefix("  pauses: "))
        .and_then(|rest| rest.split(',').next())
        .and_then(|count| count.parse::<usize>().ok());
    assert_eq!(counted, Some(lines.len()), "{text}");
    assert!(!lines.is_empty(), "{text}");
    for line in lines {
        assert!(
            line.contains(" ms: Mark-Sweep ") && line.contains("MB, "),
            "{line}"
        );
        let (pid, _) = line[1..].split_once(":0x").unwrap_or_default();
        assert!(
            !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()),
            "{line}"
        );
    }
}

#[test]
fn name_value_lines_give_phase_times() {
    let output = gclab(&[
        "--trace-gc-nvp",
        "--workload",
        "binary-trees",
        "--scale",
        "1",
        "--collector",
        "marksweep",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("pause=")).collect();
    assert!(!lines.is_empty(), "{text}");
    for line in lines {
        for field in [" gc=ms ", " mark=", " clear=", " sweep=", " freed="] {
            assert!(line.contains(field), "{field} missing in {line}");
        }
    }
}

#[test]
fn digests_are_the_same_on_every_run() {
    let args = ["run", "--workload", "churn", "--scale", "2"];
    let (first, second) = (digests(&gclab(&args)), digests(&gclab(&args)));
    assert_eq!(first.len(), 1);
    assert_eq!(first, second);
}

#[test]
fn collectors_lists_the_compiled_in_ones() {
    let output = gclab(&["collectors"]);
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(
        text.contains("marksweep ") && text.contains("moves objects: no"),
        "{text}"
    );
}
