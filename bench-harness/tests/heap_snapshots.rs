//! Heap snapshots end to end: retained sizes against memlab's on a real Node.js snapshot,
//! import of real and gclab-written snapshots replayed on every collector, snapshots of a trace
//! (ids stable across them, weak edges typed `weak`), diffs, and the errors of bad input.

mod common;

use std::io::{BufRead, BufReader, Read};

use bench_harness::replay::{ReplayOptions, ReplayReport, replay};
use common::{gclab, stderr, stdout};
use flate2::read::GzDecoder;
use gc_core::testkit::NoGc;
use gc_core::{Collector, Heap, HeapConfig};
use gc_heapsnapshot::HeapSnapshot;
use gc_heapsnapshot::analysis::{Analysis, Like};
use gc_heapsnapshot::diff::diff;
use gc_heapsnapshot::import::{Importer, reachable_objects};
use gc_heapsnapshot::reader::{read_from, read_snapshot};
use gc_heapsnapshot::writer::{WeakEdges, trace_id_of_node_id, write_heap_snapshot};
use gc_trace::{MemorySource, OwnedRecord};
use gclab::collectors::{self, CollectorChoice, HeapVisitor};

const NODE_SNAPSHOT: &str = "tests/fixtures/node-bare.heapsnapshot.gz";
const NODE_MEMLAB: &str = "tests/fixtures/node-bare.memlab.tsv.gz";

fn gunzip(path: &str) -> impl Read {
    GzDecoder::new(std::fs::File::open(path).expect("the fixture exists"))
}

fn node_snapshot() -> HeapSnapshot {
    read_from(NODE_SNAPSHOT, gunzip(NODE_SNAPSHOT)).expect("the fixture reads")
}

/// memlab's `id -> (self_size, retained_size)` for every node of the fixture, in node order.
fn memlab_sizes() -> Vec<(u32, u64, u64)> {
    let mut rows = Vec::new();
    for line in BufReader::new(gunzip(NODE_MEMLAB)).lines() {
        let line = line.unwrap();
        if line.starts_with('#') {
            continue;
        }
        let fields: Vec<u64> = line.split('\t').map(|f| f.parse().unwrap()).collect();
        rows.push((fields[0] as u32, fields[1], fields[2]));
    }
    rows
}

#[test]
fn retained_sizes_equal_memlabs_for_every_node_of_a_node_js_snapshot() {
    let snapshot = node_snapshot();
    let analysis = Analysis::of(&snapshot, Like::Memlab);
    let memlab = memlab_sizes();
    assert_eq!(memlab.len(), snapshot.node_count());
    for (node, &(id, self_size, retained)) in memlab.iter().enumerate() {
        assert_eq!(snapshot.node_id(node), id);
        assert_eq!(snapshot.self_size(node), self_size, "node @{id}");
        assert_eq!(analysis.retained(node), retained, "node @{id}");
    }
}

struct ReplayOn<'r> {
    records: &'r [OwnedRecord],
}

impl HeapVisitor for ReplayOn<'_> {
    type Output = ReplayReport;

    fn visit<C: Collector>(self, mut heap: Heap<C>) -> ReplayReport {
        let mut source = MemorySource::new("import", self.records);
        let options = ReplayOptions::default();
        replay(&mut heap, &mut source, options)
            .unwrap_or_else(|error| panic!("{}: {error}", C::CONSTRAINTS.name))
    }
}

/// The imported trace replayed on every compiled-in collector: all keep the same graph, with
/// one object per node the root reaches over non-weak edges.
fn assert_replays_alike(records: &[OwnedRecord], expected_objects: u64) {
    let reports: Vec<ReplayReport> = CollectorChoice::COMPILED_IN
        .iter()
        .map(|&choice| {
            collectors::run_with(choice, HeapConfig::default(), ReplayOn { records }).unwrap()
        })
        .collect();
    assert!(!reports.is_empty());
    for report in &reports {
        assert_eq!(
            report.live.objects, expected_objects,
            "{}",
            report.collector
        );
        assert_eq!(
            report.live.digest, reports[0].live.digest,
            "{}",
            report.collector
        );
    }
}

fn import(snapshots: &[&HeapSnapshot]) -> Vec<OwnedRecord> {
    let mut records: Vec<OwnedRecord> = Vec::new();
    let mut importer = Importer::new(&mut records, "test").unwrap();
    for snapshot in snapshots {
        importer.add(snapshot).unwrap();
    }
    importer.finish().unwrap();
    records
}

#[test]
fn an_imported_node_js_snapshot_replays_alike_on_every_collector() {
    let snapshot = node_snapshot();
    let reachable = reachable_objects(&snapshot);
    assert!(reachable > 30_000, "{reachable}");
    let records = import(&[&snapshot]);
    assert_replays_alike(&records, reachable);
}

/// Writes a snapshot of a `leaky` trace at `stop` through the CLI and reads it back.
fn trace_snapshot(dir: &tempfile::TempDir, trace: &str, stop: &[&str], name: &str) -> HeapSnapshot {
    let path = dir.path().join(name);
    let mut args = vec!["snapshot", trace];
    args.extend_from_slice(stop);
    args.extend_from_slice(&["-o", path.to_str().unwrap()]);
    let output = gclab(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    read_snapshot(&path).unwrap()
}

fn leaky_trace(dir: &tempfile::TempDir) -> String {
    let trace = dir.path().join("leaky.gct");
    let trace = trace.to_str().unwrap().to_owned();
    let output = gclab(&[
        "gen", "leaky", "--ticks", "6", "--bytes", "1000", "-o", &trace,
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    trace
}

#[test]
fn snapshots_of_a_trace_keep_ids_and_diff_by_them() {
    let dir = tempfile::tempdir().unwrap();
    let trace = leaky_trace(&dir);
    let early = trace_snapshot(&dir, &trace, &["--at", "40"], "early.heapsnapshot");
    let late = trace_snapshot(&dir, &trace, &["--end"], "late.heapsnapshot");
    // The root is node 0, a synthetic node with V8's root id; objects are named by type label
    // and typed by it (`String` and `Closure` have V8 node types of their own).
    for snapshot in [&early, &late] {
        assert_eq!(snapshot.node_type(0), "synthetic");
        assert_eq!(snapshot.node_id(0), 1);
        for node in 1..snapshot.node_count() {
            let expected = match snapshot.node_name(node) {
                "String" => "string",
                "Closure" => "closure",
                _ => "object",
            };
            assert_eq!(
                snapshot.node_type(node),
                expected,
                "{}",
                snapshot.node_name(node)
            );
        }
    }
    // An object in both snapshots has the same id and class in each (ids come from the trace).
    let late_classes: std::collections::HashMap<u32, String> = (1..late.node_count())
        .map(|n| (late.node_id(n), late.class_name(n)))
        .collect();
    let mut common = 0;
    for node in 1..early.node_count() {
        if let Some(class) = late_classes.get(&early.node_id(node)) {
            assert_eq!(*class, early.class_name(node));
            common += 1;
        }
    }
    assert!(common > 0);
    // Every object is named by its trace id, the leaked ones the trace declared dead included
    // (the replay remembers their ids while they live): no id is made up or repeated.
    let allocated = std::fs::read_to_string(&trace).unwrap();
    let max_id = allocated
        .lines()
        .filter_map(|line| line.strip_prefix("a "))
        .map(|rest| rest.split(' ').next().unwrap().parse::<u64>().unwrap())
        .max()
        .unwrap();
    let ids: std::collections::HashSet<u32> =
        (1..late.node_count()).map(|n| late.node_id(n)).collect();
    assert_eq!(ids.len(), late.node_count() - 1);
    assert!(
        ids.iter()
            .all(|&id| trace_id_of_node_id(id).is_some_and(|t| t <= max_id))
    );
    // leaky frees nothing it allocates: every tick adds a Thing, String, Closure and Context.
    let heap_diff = diff(&early, &late);
    assert_eq!(heap_diff.change.freed_nodes, 0);
    assert_eq!(
        heap_diff.change.allocated_nodes,
        (late.node_count() - early.node_count()) as u64
    );
    let things = heap_diff
        .change
        .details
        .iter()
        .find(|d| d.what == "Thing")
        .unwrap();
    assert!(things.allocated > 0);
    assert_eq!(things.freed, 0);
    // The two snapshots as phases of one imported trace.
    let records = import(&[&early, &late]);
    assert_replays_alike(&records, reachable_objects(&late));
}

#[test]
fn weak_handles_are_weak_edges_and_retain_nothing() {
    let mut heap = Heap::new(HeapConfig::for_testing(), NoGc).unwrap();
    let node = heap.intern_type("Node").unwrap();
    // The parent is the one root; the child's local goes with the scope.
    let (_parent, _weak) = heap.handle_scope(|heap, scope| {
        let parent = heap.allocate(scope, node, 1, 0).unwrap();
        let child = heap.allocate(scope, node, 0, 100).unwrap();
        heap.store(parent, 0, child).unwrap();
        (
            heap.persistent(parent).unwrap(),
            heap.downgrade(child).unwrap(),
        )
    });
    let mut bytes = Vec::new();
    let counts = write_heap_snapshot(&heap, &|_| None, WeakEdges::Include, &mut bytes).unwrap();
    assert_eq!((counts.nodes, counts.edges), (3, 3));
    let snapshot = read_from("weak", bytes.as_slice()).unwrap();
    let root_edges: Vec<&str> = snapshot
        .edges_of(0)
        .map(|e| snapshot.edge_type(e))
        .collect();
    assert_eq!(root_edges, vec!["element", "weak"]);
    // to_node is a node index times the node field count: the reader checked it.
    assert_eq!(snapshot.layout.node_fields, 7);
    let analysis = Analysis::of(&snapshot, Like::Memlab);
    let child_node = snapshot.edge_target(snapshot.edges_of(0).nth(1).unwrap());
    assert_eq!(snapshot.node_name(child_node), "Node");
    // The child lives through its parent, which retains it; the weak edge changes nothing.
    let parent_node = snapshot.edge_target(snapshot.edges_of(0).next().unwrap());
    assert_eq!(
        analysis.retained(parent_node),
        snapshot.self_size(parent_node) + snapshot.self_size(child_node)
    );
    assert_eq!(analysis.distance[child_node], Some(2));
}

/// A root with two children that share id 7.
const TWINS: &str = r#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],"node_types":[["synthetic","object"],"string","number","number","number"],"edge_fields":["type","name_or_index","to_node"],"edge_types":[["element","weak"],"string_or_number","node"]}},"nodes":[0,0,1,0,2,1,1,7,8,0,1,1,7,8,0],"edges":[0,0,5,0,1,10],"strings":["","T"]}"#;

#[test]
fn bad_input_is_a_clear_error_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let trace = leaky_trace(&dir);
    let not_a_snapshot = dir.path().join("bad.heapsnapshot");
    std::fs::write(&not_a_snapshot, "{\"nodes\":[1,2").unwrap();
    let bad = not_a_snapshot.to_str().unwrap();
    let output = gclab(&["inspect", bad]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("bad.heapsnapshot: byte 13: unexpected end of file"),
        "{}",
        stderr(&output)
    );
    let out = dir.path().join("out.gct");
    let output = gclab(&["import", bad, "-o", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(!out.exists(), "a failed import leaves no trace behind");
    // Two reachable nodes with one id cannot be matched between phases: refused, naming them.
    let twins = dir.path().join("twins.heapsnapshot");
    std::fs::write(&twins, TWINS).unwrap();
    let output = gclab(&[
        "import",
        twins.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("twins.heapsnapshot: node id 7 appears twice (nodes 1 and 2)"),
        "{}",
        stderr(&output)
    );
    assert!(!out.exists());
    let snap = dir.path().join("s.heapsnapshot");
    let output = gclab(&[
        "snapshot",
        &trace,
        "--at",
        "999999",
        "-o",
        snap.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("before line 999999"),
        "{}",
        stderr(&output)
    );
    assert!(!snap.exists());
    let output = gclab(&["snapshot", &trace, "-o", snap.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "--at or --end is required");
    let before = std::fs::read(&trace).unwrap();
    let output = gclab(&["snapshot", &trace, "--end", "-o", &trace]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("is both the input and the output"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        std::fs::read(&trace).unwrap(),
        before,
        "the trace is untouched"
    );
}

#[test]
fn inspect_and_diff_print_json() {
    let dir = tempfile::tempdir().unwrap();
    let trace = leaky_trace(&dir);
    let late = dir.path().join("late.heapsnapshot");
    trace_snapshot(&dir, &trace, &["--end"], "late.heapsnapshot");
    let late = late.to_str().unwrap();
    let output = gclab(&["inspect", late, "--json", "--top", "2"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["largest"].as_array().unwrap().len(), 2);
    let largest = &json["largest"][0];
    assert_eq!(largest["path"][0]["edge"], "[0]");
    assert!(
        json["classes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "Thing")
    );
    let output = gclab(&["diff", late, late, "--json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["change"]["size_bytes"], 0);
    assert_eq!(json["change"]["details"].as_array().unwrap().len(), 0);
    assert_eq!(json["before"], json["after"]);
    // `-o -` writes the snapshot to standard output, and nothing else there.
    let output = gclab(&["snapshot", &trace, "--end", "-o", "-"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let piped = read_from("stdout", output.stdout.as_slice()).unwrap();
    assert_eq!(
        piped.node_count(),
        read_snapshot(std::path::Path::new(late))
            .unwrap()
            .node_count()
    );
}

/// A gclab snapshot shows external memory as `system / ExternalMemory` native nodes behind
/// `backing_store` edges; importing it gives the owners their external bytes back (`e`
/// records), not objects of that class.
#[test]
fn external_memory_imports_as_its_owners_external_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("buffers.gct");
    std::fs::write(
        &trace,
        "gctrace 1\na 1 2 16 Socket\n+ 1\na 2 0 8 Buffer\nw 1 0 2\ne 2 70000\n\
         a 3 0 8 Buffer\nw 1 1 3\ne 3 5000000\n- 2\n- 3\n",
    )
    .unwrap();
    let snapshot = trace_snapshot(
        &dir,
        trace.to_str().unwrap(),
        &["--end"],
        "buffers.heapsnapshot",
    );
    let natives = (0..snapshot.node_count())
        .filter(|&node| snapshot.node_type(node) == "native")
        .count();
    assert_eq!(natives, 2, "the snapshot shows each buffer's memory");
    let records = import(&[&snapshot]);
    let mut labels = std::collections::HashMap::new();
    let mut external = Vec::new();
    for record in &records {
        match record {
            OwnedRecord::Alloc { id, type_label, .. } => {
                labels.insert(*id, type_label.clone().unwrap_or_default());
            }
            OwnedRecord::Other(gc_trace::Record::External { id, bytes }) => {
                external.push((labels[id].clone(), *bytes));
            }
            _ => {}
        }
    }
    let mut classes: Vec<&String> = labels.values().collect();
    classes.sort();
    assert_eq!(classes, ["Buffer", "Buffer", "Socket"]);
    external.sort();
    assert_eq!(
        external,
        [
            ("Buffer".to_owned(), 70_000),
            ("Buffer".to_owned(), 5_000_000)
        ]
    );
    assert_eq!(reachable_objects(&snapshot), 3);
    assert_replays_alike(&records, 3);
}
