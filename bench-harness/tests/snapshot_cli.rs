//! The snapshot commands' messages: help that names no file users lack and says which snapshot
//! is BEFORE, a warning when a diff compares snapshots of different programs, and a trace given
//! where a snapshot belongs (or a snapshot where a trace belongs) named for what it is, with the
//! command that takes it.

mod common;

use std::path::Path;

use common::{gclab, stderr, stdout};

fn path_in(dir: &tempfile::TempDir, name: &str) -> String {
    dir.path().join(name).display().to_string()
}

/// `gclab gen GENERATOR -o TRACE` then a snapshot of its end.
fn snapshot_of(dir: &tempfile::TempDir, generator: &str, args: &[&str]) -> (String, String) {
    let trace = path_in(dir, &format!("{generator}.gct"));
    let mut gen_args = vec!["gen", generator];
    gen_args.extend_from_slice(args);
    gen_args.extend_from_slice(&["-o", &trace]);
    assert!(gclab(&gen_args).status.success());
    let snapshot = path_in(dir, &format!("{generator}.heapsnapshot"));
    let output = gclab(&["snapshot", &trace, "--end", "-o", &snapshot]);
    assert!(output.status.success(), "{}", stderr(&output));
    (trace, snapshot)
}

#[test]
fn inspect_help_names_no_file_outside_gclab_and_offers_both_readers() {
    let output = gclab(&["inspect", "--help"]);
    assert_eq!(output.status.code(), Some(0));
    let help = stdout(&output);
    assert!(!help.contains("realheaps"), "{help}");
    assert!(!help.contains("retained.js"), "{help}");
    assert!(
        help.contains("--like <READER>  Whose numbers to show: `devtools`"),
        "{help}"
    );
    assert!(
        help.contains("[default: devtools] [possible values: devtools, memlab]"),
        "{help}"
    );
}

#[test]
fn diff_help_says_which_snapshot_is_before() {
    let output = gclab(&["diff", "--help"]);
    assert_eq!(output.status.code(), Some(0));
    let help = stdout(&output);
    assert!(
        help.contains("<BEFORE>  The snapshot taken first: nodes only in it were freed (`-`)"),
        "{help}"
    );
    assert!(
        help.contains(
            "<AFTER>   The snapshot taken later: nodes only in it were allocated (`+`); the \
             change is AFTER minus BEFORE"
        ),
        "{help}"
    );
}

#[test]
fn a_diff_of_different_programs_warns_and_still_diffs() {
    let dir = tempfile::tempdir().unwrap();
    let (_, leaky) = snapshot_of(&dir, "leaky", &["--ticks", "3", "--bytes", "64"]);
    let (_, server) = snapshot_of(&dir, "server", &[]);
    let output = gclab(&["diff", &leaky, &server]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stderr(&output),
        format!(
            "gclab: warning: {leaky} and {server} look like snapshots of different programs: \
             only 0 of the smaller one's 13 nodes are in both (same id and class); a diff \
             matches nodes by id, so it means something only between snapshots of one \
             process\n"
        )
    );
    assert!(
        stdout(&output).starts_with("before: 13 nodes"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn a_diff_of_one_program_does_not_warn() {
    let dir = tempfile::tempdir().unwrap();
    let (trace, late) = snapshot_of(&dir, "leaky", &["--ticks", "3", "--bytes", "64"]);
    let early = path_in(&dir, "early.heapsnapshot");
    assert!(
        gclab(&["snapshot", &trace, "--at", "20", "-o", &early])
            .status
            .success()
    );
    let output = gclab(&["diff", &early, &late]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stderr(&output), "");
}

#[test]
fn a_trace_given_to_inspect_is_named_a_trace() {
    let dir = tempfile::tempdir().unwrap();
    let (trace, _) = snapshot_of(&dir, "leaky", &["--ticks", "3", "--bytes", "64"]);
    let binary = path_in(&dir, "leaky.gctb");
    assert!(gclab(&["convert", &trace, &binary]).status.success());
    for (file, what) in [(&trace, "a gclab trace"), (&binary, "a binary gclab trace")] {
        let output = gclab(&["inspect", file]);
        assert_eq!(output.status.code(), Some(2));
        assert_eq!(stdout(&output), "");
        assert_eq!(
            stderr(&output),
            format!(
                "gclab: {file}: this is {what}, not a heap snapshot: `gclab replay {file}` runs \
                 it, `gclab snapshot {file} --end -o FILE.heapsnapshot` writes its heap as a \
                 snapshot\n"
            )
        );
    }
}

#[test]
fn a_snapshot_given_to_replay_suggests_import() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = path_in(&dir, "x.heapsnapshot");
    std::fs::write(Path::new(&snapshot), "{\"snapshot\":{}}\n").unwrap();
    let output = gclab(&["replay", &snapshot]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        format!(
            "gclab: {snapshot}:1: `{{\"snapshot\":{{}}}}`: this is a V8 heap snapshot (JSON), not \
             a trace: `gclab import SNAPSHOT -o TRACE.gct` turns snapshots into a trace to \
             replay\n"
        )
    );
}
