//! `gclab inspect` against Chrome DevTools' own numbers: on a real Node.js snapshot, every class
//! of `--like devtools` (the default) has DevTools' name, count, shallow and retained size, as
//! `chrome-devtools-frontend`'s heap-snapshot worker computed them (the fixture, printed by
//! `scripts/devtools-summary.mjs`); `--like memlab` keeps memlab's sizes for every node.

mod common;

use std::io::{BufRead, BufReader, Read};

use common::{gclab, stderr, stdout};
use flate2::read::GzDecoder;
use serde_json::Value;

const NODE_SNAPSHOT: &str = "tests/fixtures/node-bare.heapsnapshot.gz";
const NODE_DEVTOOLS: &str = "tests/fixtures/node-bare.devtools.json.gz";
const NODE_MEMLAB: &str = "tests/fixtures/node-bare.memlab.tsv.gz";

fn gunzip(path: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    GzDecoder::new(std::fs::File::open(path).expect("the fixture exists"))
        .read_to_end(&mut bytes)
        .expect("the fixture unzips");
    bytes
}

/// The Node.js fixture, unzipped into a temporary folder.
fn node_snapshot_file() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("node-bare.heapsnapshot");
    std::fs::write(&path, gunzip(NODE_SNAPSHOT)).unwrap();
    let path = path.display().to_string();
    (dir, path)
}

/// `(name, count, shallow, retained)` of every class, in one order (names repeat: DevTools
/// keeps one row per constructor location).
fn classes(summary: &Value) -> Vec<(String, u64, u64, u64)> {
    let mut rows: Vec<_> = summary["classes"]
        .as_array()
        .expect("`classes` is a list")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["count"].as_u64().unwrap(),
                c["shallow_size"].as_u64().unwrap(),
                c["retained_size"].as_u64().unwrap(),
            )
        })
        .collect();
    rows.sort();
    rows
}

fn inspect_json(args: &[&str]) -> Value {
    let output = gclab(args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    serde_json::from_str(&stdout(&output)).expect("inspect --json prints JSON")
}

#[test]
fn every_class_and_the_total_are_devtools_own_on_a_node_js_snapshot() {
    let (_dir, file) = node_snapshot_file();
    let devtools: Value = serde_json::from_slice(&gunzip(NODE_DEVTOOLS)).unwrap();
    let gclab = inspect_json(&["inspect", "--like", "devtools", "--json", &file]);
    assert_eq!(gclab["total_size"], devtools["total_size"]);
    assert_eq!(classes(&gclab), classes(&devtools));
    // The first rows, as DevTools sorts them (retained size first).
    let top: Vec<&str> = gclab["classes"].as_array().unwrap()[..4]
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(top, ["global", "Function", "(compiled code)", "Object"]);
}

#[test]
fn devtools_is_the_default_and_memlab_differs_where_the_issue_says() {
    let (_dir, file) = node_snapshot_file();
    let default = inspect_json(&["inspect", "--json", &file]);
    let devtools = inspect_json(&["inspect", "--like", "devtools", "--json", &file]);
    assert_eq!(default, devtools);
    let memlab = inspect_json(&["inspect", "--like", "memlab", "--json", &file]);
    let global = |summary: &Value| {
        summary["classes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "global")
            .map(|c| c["retained_size"].as_u64().unwrap())
    };
    assert_eq!(global(&devtools), Some(2_430_355));
    assert_eq!(global(&memlab), Some(56_496));
    // memlab names closures by type; DevTools calls them `Function`.
    let names = |summary: &Value| -> Vec<String> {
        summary["classes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(names(&memlab).contains(&"(closure)".to_owned()));
    assert!(!names(&devtools).contains(&"(closure)".to_owned()));
}

#[test]
fn like_memlab_keeps_memlabs_size_of_every_node() {
    let (_dir, file) = node_snapshot_file();
    let output = gclab(&["inspect", "--like", "memlab", "--nodes", &file]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let memlab: Vec<String> = BufReader::new(&gunzip(NODE_MEMLAB)[..])
        .lines()
        .map(Result::unwrap)
        .collect();
    let ours: Vec<String> = stdout(&output).lines().map(str::to_owned).collect();
    assert_eq!(ours.len(), memlab.len());
    assert!(
        ours == memlab,
        "gclab --like memlab --nodes differs from memlab"
    );
}

#[test]
fn an_unknown_reader_is_a_usage_error() {
    let (_dir, file) = node_snapshot_file();
    let output = gclab(&["inspect", "--like", "firefox", &file]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("invalid value 'firefox' for '--like <READER>'"),
        "{}",
        stderr(&output)
    );
}
