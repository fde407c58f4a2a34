//! What gclab's own snapshots tell DevTools: objects carry V8 node types (from the embedder's
//! `Heap::set_node_type` or the default for their label), so DevTools' Statistics counts strings
//! and arrays; external memory is native nodes, so the totals include it.

mod common;

use common::{gclab, stderr, stdout};
use gc_core::testkit::NoGc;
use gc_core::{Heap, HeapConfig, NodeType};
use gc_heapsnapshot::HeapSnapshot;
use gc_heapsnapshot::analysis::{Analysis, Like, inspect};
use gc_heapsnapshot::reader::read_from;
use gc_heapsnapshot::writer::{WeakEdges, write_heap_snapshot};

const MB_200: u64 = 200 * 1024 * 1024;

/// A heap rooting one object of each of `labels` (no slots, `bytes` payload each), with
/// `external` bytes owned by the first, written and read back.
fn snapshot_of(labels: &[&str], typed: &[(&str, NodeType)], external: u64) -> HeapSnapshot {
    let mut heap = Heap::new(HeapConfig::for_testing(), NoGc).unwrap();
    for &(label, node_type) in typed {
        let id = heap.intern_type(label).unwrap();
        heap.set_node_type(id, node_type);
    }
    let ids: Vec<_> = labels
        .iter()
        .map(|l| heap.intern_type(l).unwrap())
        .collect();
    let _roots = heap.handle_scope(|heap, scope| {
        let mut roots = Vec::new();
        for (at, &id) in ids.iter().enumerate() {
            let object = heap.allocate(scope, id, 0, 40).unwrap();
            if at == 0 && external > 0 {
                heap.set_external_bytes(object, external).unwrap();
            }
            roots.push(heap.persistent(object).unwrap());
        }
        roots
    });
    let mut bytes = Vec::new();
    write_heap_snapshot(&heap, &|_| None, WeakEdges::Omit, &mut bytes).unwrap();
    read_from("fidelity", bytes.as_slice()).expect("gclab's snapshot reads")
}

fn types_by_name(snapshot: &HeapSnapshot) -> Vec<(String, String)> {
    (1..snapshot.node_count())
        .map(|n| {
            (
                snapshot.node_name(n).to_owned(),
                snapshot.node_type(n).to_owned(),
            )
        })
        .collect()
}

#[test]
fn labels_give_v8_node_types_and_the_embedder_overrides_them() {
    let snapshot = snapshot_of(
        &["String", "FixedArray", "Closure", "Array", "Text", "(code)"],
        &[
            ("Text", NodeType::ConcatenatedString),
            ("Closure", NodeType::Object),
        ],
        0,
    );
    let pairs = |items: &[(&str, &str)]| -> Vec<(String, String)> {
        items
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    assert_eq!(
        types_by_name(&snapshot),
        pairs(&[
            ("String", "string"),
            ("FixedArray", "array"),
            ("Closure", "object"),
            ("Array", "object"),
            ("Text", "concatenated string"),
            ("(code)", "code"),
        ])
    );
    let analysis = Analysis::of(&snapshot, Like::DevTools);
    let classes: Vec<String> = inspect("fidelity", &snapshot, &analysis, 0)
        .classes
        .into_iter()
        .map(|c| c.name)
        .collect();
    for class in [
        "(string)",
        "(array)",
        "Closure",
        "Array",
        "(concatenated string)",
        "(compiled code)",
    ] {
        assert!(
            classes.contains(&class.to_owned()),
            "{class} in {classes:?}"
        );
    }
}

#[test]
fn external_memory_is_a_native_node_of_its_owner() {
    let snapshot = snapshot_of(&["Buffer", "Other"], &[], 1234);
    let buffer = 1;
    let edges: Vec<(&str, String, usize)> = snapshot
        .edges_of(buffer)
        .map(|e| {
            let name = format!("{:?}", snapshot.edge_name(e));
            (snapshot.edge_type(e), name, snapshot.edge_target(e))
        })
        .collect();
    assert_eq!(
        edges,
        [("internal", "Name(\"backing_store\")".to_owned(), 3)]
    );
    assert_eq!(snapshot.node_type(3), "native");
    assert_eq!(snapshot.node_name(3), "system / ExternalMemory");
    assert_eq!(snapshot.self_size(3), 1234);
    assert_eq!(snapshot.node_id(3), snapshot.node_id(buffer) + 1);
    assert_eq!(snapshot.extra_native_bytes, 0);
    let analysis = Analysis::of(&snapshot, Like::DevTools);
    assert_eq!(analysis.retained(buffer), snapshot.self_size(buffer) + 1234);
}

#[test]
fn external_memory_past_32_bits_goes_to_extra_native_bytes() {
    let external = 5 << 30;
    let snapshot = snapshot_of(&["Buffer"], &[], external);
    assert_eq!(snapshot.self_size(2), u64::from(u32::MAX));
    assert_eq!(snapshot.extra_native_bytes, external - u64::from(u32::MAX));
    let analysis = Analysis::of(&snapshot, Like::DevTools);
    let total = inspect("fidelity", &snapshot, &analysis, 0).total_size;
    assert_eq!(total, snapshot.self_size(1) + external);
}

#[test]
fn a_trace_with_200_mb_of_external_memory_gives_a_snapshot_totalling_it() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("external.gct");
    std::fs::write(
        &trace,
        format!("gctrace 1\na 1 1 0 Holder\nr 1 0\na 2 0 64 Buffer\nw 1 0 2\ne 2 {MB_200}\n"),
    )
    .unwrap();
    let snapshot = dir.path().join("external.heapsnapshot");
    let (trace, snapshot) = (trace.display().to_string(), snapshot.display().to_string());
    let output = gclab(&["snapshot", &trace, "--end", "-o", &snapshot]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let output = gclab(&["inspect", "--json", &snapshot]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let objects = summary["classes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] != "system / ExternalMemory")
        .map(|c| c["shallow_size"].as_u64().unwrap())
        .sum::<u64>();
    assert_eq!(summary["total_size"].as_u64(), Some(MB_200 + objects));
    assert!(objects < 1024, "{objects}");
}
