//! What `gclab` says to a user, word for word: the collector list, usage errors in gclab's own
//! style (`gclab: …` on standard error, nothing on standard output, exit code 2), and the leaks
//! `--check-deaths` prints, grouped and capped.
#![cfg(all(
    feature = "marksweep",
    feature = "markcompact",
    feature = "scavenge",
    feature = "incremental"
))]

mod common;

use common::{gclab, stderr, stdout};

#[test]
fn collectors_are_listed_in_words_not_rust_names() {
    let output = gclab(&["collectors"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let line = |name: &str| {
        text.lines()
            .find(|line| line.trim_start().starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} in {text}"))
            .to_owned()
    };
    assert_eq!(
        line("gen-incremental"),
        "  gen-incremental  moves objects: yes, generational: yes, incremental: yes, \
         concurrent: no, barrier: generational + marking"
    );
    assert_eq!(
        line("marksweep"),
        "  marksweep        moves objects: no, generational: no, incremental: no, \
         concurrent: no, barrier: none"
    );
    #[cfg(feature = "concurrent")]
    assert_eq!(
        line("gen-concurrent"),
        "  gen-concurrent   moves objects: yes, generational: yes, incremental: yes, \
         concurrent: yes, barrier: generational + marking"
    );
    assert_eq!(
        line("incremental"),
        "  incremental      moves objects: no, generational: no, incremental: yes, \
         concurrent: no, barrier: marking"
    );
}

#[test]
fn an_unknown_generator_is_named_with_the_valid_ones() {
    let output = gclab(&["gen", "nonsense"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stdout(&output), "");
    assert_eq!(
        stderr(&output),
        "gclab: unknown generator `nonsense`; available: gcbench, binary-trees, splay, leaky, \
         listeners, server, random, fragment\n"
    );
}

/// clap's usage errors speak as gclab's own do, keeping clap's hints.
#[test]
fn a_bad_option_value_is_said_in_gclabs_style() {
    let output = gclab(&["run", "-w", "nosuch"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stdout(&output), "");
    assert_eq!(
        stderr(&output),
        "gclab: invalid value 'nosuch' for '--workload <NAME>'\n  \
         [possible values: binary-trees, churn, linked-list, all]\n\n\
         For more information, try '--help'.\n"
    );
    let output = gclab(&["compare", "--nosuch"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).starts_with("gclab: unexpected argument '--nosuch' found\n"),
        "{}",
        stderr(&output)
    );
    // Help is not an error: standard output, exit code 0.
    let output = gclab(&["run", "--help"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(
        stdout(&output).contains("Usage: gclab run"),
        "{}",
        stdout(&output)
    );
}

/// The trace's `gctrace 1` header is not written before a parameter is found bad.
#[test]
fn a_bad_generator_parameter_prints_nothing_before_its_error() {
    let output = gclab(&["gen", "leaky", "--ticks", "0"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stdout(&output), "");
    assert_eq!(
        stderr(&output),
        "gclab: leaky: bad value \"0\" for --ticks: expected an integer from 1 to 10000\n"
    );
}

#[test]
fn check_deaths_groups_leaks_by_path_shape() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let trace = folder.path().join("listeners.gct");
    let trace = trace.to_str().expect("a UTF-8 path");
    let args = [
        "gen",
        "listeners",
        "--connections",
        "300",
        "--open",
        "10",
        "-o",
        trace,
    ];
    let generated = gclab(&args);
    assert!(generated.status.success(), "{}", stderr(&generated));
    let output = gclab(&["replay", trace, "--check-deaths", "-c", "marksweep"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let leaks: Vec<&str> = text
        .lines()
        .skip_while(|line| !line.starts_with("  leaks: "))
        .collect();
    assert_eq!(
        leaks,
        [
            "  leaks: 600 objects declared dead but reachable, 2 path shapes",
            "    300 x EventEmitter -> Array -> Closure -> Connection",
            "      e.g. object 59 (dead at line 218): 1 (EventEmitter) [0] -> 1487 (Array) [8] -> \
             61 (Closure) [0] -> 59 (Connection)",
            "    300 x EventEmitter -> Array -> Closure -> Connection -> Buffer",
            "      e.g. object 60 (dead at line 219): 1 (EventEmitter) [0] -> 1487 (Array) [8] -> \
             61 (Closure) [0] -> 59 (Connection) [0] -> 60 (Buffer)",
        ]
    );
}

/// Sizes say MiB (and are binary), counts their noun, and the harness's final collection is
/// said once, on the live line, never counted.
#[test]
fn a_run_summary_says_mib_and_its_final_collection_once() {
    let args = ["run", "-q", "-w", "churn", "-s", "1", "-c", "marksweep"];
    let output = gclab(&[&args[..], &["--gc-threads", "1"]].concat());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert_eq!(lines[0], "marksweep / churn (scale 1, gc threads 1)");
    let pauses = lines[1].strip_prefix("  pauses: ").expect("a pause line");
    let (count, rest) = pauses
        .split_once(", total ")
        .expect("a count, then the total");
    assert!(count.parse::<u32>().is_ok_and(|n| n > 0), "{text}");
    assert!(rest.ends_with(" ms"), "{text}");
    assert!(
        lines[2].starts_with("  allocated: 65537 objects, 54.6 MiB; peak committed ")
            && lines[2].ends_with(" MiB"),
        "{text}"
    );
    let live = "  live after a full GC (gclab's own, not among the pauses): 5075 objects, 4.5 MiB; \
                digest ";
    assert!(lines[3].starts_with(live), "{text}");
    assert!(lines[4].starts_with("  wall: "), "{text}");
    assert!(!text.contains(" MB") && !text.contains("GCs"), "{text}");
}

#[test]
fn a_replay_without_pauses_says_none() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let trace = folder.path().join("leaky.gct");
    let trace = trace.to_str().expect("a UTF-8 path");
    let args = [
        "gen",
        "leaky",
        "--ticks",
        "3",
        "--bytes",
        "100",
        "--interval",
        "0",
        "-o",
        trace,
    ];
    let generated = gclab(&args);
    assert!(generated.status.success(), "{}", stderr(&generated));
    let output = gclab(&["replay", trace, "-c", "marksweep"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[1], "  pauses: none", "{text}");
    assert!(lines[2].ends_with(" objects, 0.0 MiB"), "{text}");
    assert!(
        lines[3].starts_with("  committed: peak ")
            && lines[3].ends_with(" MiB of free pages kept for reuse)"),
        "{text}"
    );
}
