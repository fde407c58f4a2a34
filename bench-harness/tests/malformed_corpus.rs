//! The checked-in corpus of malformed traces (`tests/malformed/`, written by its
//! `make_corpus.py`): every error of `shared/trace-format.md`, truncated files, binary garbage and
//! huge numbers, in text and binary. `gclab replay` and `gclab convert` on each must exit with
//! code 2 and one error line naming the file, the place (`file:line`, `file: record N`) and the
//! problem, with no panic, under an address-space limit of 512 MiB (`prlimit --as`), so that no
//! number in a file can make gclab allocate out of proportion to the file.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The address space gclab may use on a malformed trace (a debug build maps about 60 MiB).
const ADDRESS_SPACE_LIMIT: &str = "536870912";

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/malformed")
}

/// One row of `expected.tsv`.
struct Case {
    file: String,
    /// `line N`, `record N` or `file`.
    place: String,
    /// A part of the message; empty when any message will do (garbage).
    fragment: String,
    /// Whether the file breaks the format (every reader refuses it) or only what a heap can do.
    refused_by: RefusedBy,
}

#[derive(Copy, Clone, PartialEq, Eq, Debug)]
enum RefusedBy {
    EveryReader,
    ReplayOnly,
}

fn cases() -> Vec<Case> {
    let table = fs::read_to_string(corpus_dir().join("expected.tsv")).expect("expected.tsv");
    table
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(fields.len(), 4, "a row of four fields: {line:?}");
            let refused_by = match fields[3] {
                "trace" => RefusedBy::EveryReader,
                "replay" => RefusedBy::ReplayOnly,
                other => panic!("who refuses {:?}: {other:?}", fields[0]),
            };
            Case {
                file: fields[0].to_owned(),
                place: fields[1].to_owned(),
                fragment: fields[2].to_owned(),
                refused_by,
            }
        })
        .collect()
}

fn prlimit() -> Option<PathBuf> {
    ["/usr/bin/prlimit", "/bin/prlimit"]
        .into_iter()
        .map(PathBuf::from)
        .find(|path| path.exists())
}

/// Runs gclab with `args` in the corpus folder, under the address-space limit where `prlimit`
/// exists (util-linux; Linux only).
fn gclab_bounded(args: &[&str]) -> Output {
    let gclab = env!("CARGO_BIN_EXE_gclab");
    let mut command = match prlimit() {
        Some(prlimit) => {
            let mut command = Command::new(prlimit);
            command
                .arg(format!("--as={ADDRESS_SPACE_LIMIT}"))
                .arg(gclab);
            command
        }
        None => Command::new(gclab),
    };
    command
        .args(args)
        .current_dir(corpus_dir())
        .output()
        .expect("gclab runs")
}

/// What the error line must start with: the file and the place.
fn expected_prefix(case: &Case) -> String {
    let file = &case.file;
    if case.place == "file" {
        format!("gclab: {file}: ")
    } else if let Some(line) = case.place.strip_prefix("line ") {
        format!("gclab: {file}:{line}: ")
    } else {
        format!("gclab: {file}: {} (byte ", case.place)
    }
}

fn check(case: &Case, what: &str, output: &Output) {
    let stderr = common::stderr(output);
    let name = format!("{what} {}", case.file);
    assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
    assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    assert_eq!(
        stderr.lines().count(),
        1,
        "{name}: one error line: {stderr}"
    );
    let prefix = expected_prefix(case);
    assert!(
        stderr.starts_with(&prefix),
        "{name}: {stderr:?} should start {prefix:?}"
    );
    assert!(
        stderr.contains(&case.fragment),
        "{name}: {stderr:?} should say {:?}",
        case.fragment
    );
    assert!(
        !stderr.chars().any(|c| c.is_control() && c != '\n'),
        "{name}: control characters reach the terminal: {stderr:?}"
    );
    // Errors quote a bounded part of the record, however long the line.
    assert!(
        stderr.len() < 600,
        "{name}: {} bytes of error",
        stderr.len()
    );
}

#[test]
fn the_corpus_and_its_table_agree() {
    let mut listed: Vec<String> = cases().into_iter().map(|c| c.file).collect();
    listed.sort();
    let mut present: Vec<String> = fs::read_dir(corpus_dir())
        .expect("the corpus folder")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".gct") || name.ends_with(".gctb"))
        .collect();
    present.sort();
    assert_eq!(listed, present);
    assert!(listed.len() >= 50, "{} cases", listed.len());
}

#[test]
fn replay_refuses_every_malformed_trace_with_its_place() {
    for case in cases() {
        let output = gclab_bounded(&["replay", "--no-progress", &case.file]);
        check(&case, "replay", &output);
        assert!(output.stdout.is_empty(), "replay {}: no summary", case.file);
    }
}

#[test]
fn stress_mode_refuses_them_alike() {
    for case in cases() {
        let output = gclab_bounded(&["replay", "--no-progress", "--stress", "1", &case.file]);
        check(&case, "replay --stress 1", &output);
    }
}

/// A file that breaks the format is refused and leaves no half-written output; a well-formed one
/// that only a heap refuses (an object over the size limit) converts.
#[test]
fn convert_refuses_every_malformed_trace_and_leaves_no_output() {
    let out_dir = tempfile::tempdir().expect("a temporary folder");
    for case in cases() {
        let target = out_dir.path().join("out.gctb");
        let target_text = target.to_str().expect("a UTF-8 temporary path");
        let output = gclab_bounded(&["convert", &case.file, target_text]);
        match case.refused_by {
            RefusedBy::EveryReader => {
                check(&case, "convert", &output);
                assert!(
                    !target.exists(),
                    "convert {}: output left behind",
                    case.file
                );
            }
            RefusedBy::ReplayOnly => {
                let stderr = common::stderr(&output);
                assert_eq!(
                    output.status.code(),
                    Some(0),
                    "convert {}: {stderr}",
                    case.file
                );
                fs::remove_file(&target).expect("the converted trace exists");
            }
        }
    }
}

/// The limit itself is real: a replay that needs more than it is refused (so the runs above were
/// bounded, not merely lucky).
#[test]
fn the_address_space_limit_binds() {
    if prlimit().is_none() {
        eprintln!("prlimit not found: malformed traces ran without an address-space limit");
        return;
    }
    let trace = tempfile::Builder::new()
        .suffix(".gct")
        .tempfile()
        .expect("a temporary file");
    // 1 GiB of rooted 256 KiB objects: more than the limit allows.
    let mut text = String::from("gctrace 1\n");
    for id in 0..4096 {
        text.push_str(&format!("a {id} 0 262144\n"));
    }
    fs::write(trace.path(), text).expect("the trace is written");
    let path = trace.path().to_str().expect("a UTF-8 temporary path");
    let output = gclab_bounded(&["replay", "--no-progress", path]);
    assert_ne!(output.status.code(), Some(0), "{}", common::stderr(&output));
}
