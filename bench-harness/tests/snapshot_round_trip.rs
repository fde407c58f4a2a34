//! Snapshots of random traces, property-tested: at any line of a random trace, on every
//! collector, the snapshot holds exactly the live graph (one node per object the roots reach,
//! one `element` edge per reference slot and per root, one native node per object owning
//! external memory, of its bytes), reads back, and, imported as a trace, rebuilds a graph of the
//! same shape on every collector.

use bench_harness::generators::Generator;
use bench_harness::replay::{ReplayOptions, StopAt, replay, replay_until};
use gc_core::{Collector, Heap, HeapConfig, LiveGraph};
use gc_heapsnapshot::HeapSnapshot;
use gc_heapsnapshot::analysis::{Analysis, Like};
use gc_heapsnapshot::import::{Importer, reachable_objects};
use gc_heapsnapshot::reader::read_from;
use gc_heapsnapshot::writer::{WeakEdges, write_heap_snapshot};
use gc_trace::{MemorySource, OwnedRecord};
use gclab::collectors::{self, CollectorChoice, HeapVisitor};
use proptest::prelude::*;

fn random_trace(seed: u64, events: u64) -> Vec<OwnedRecord> {
    let mut records: Vec<OwnedRecord> = Vec::new();
    let args: Vec<String> = [
        "--seed",
        &seed.to_string(),
        "--events",
        &events.to_string(),
        "--max-live",
        "200",
        "--collect-every",
        "20",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    Generator::Random.generate(&args, &mut records).unwrap();
    records
}

/// Replays to `line` and snapshots: the snapshot's bytes and the live graph at that point.
struct SnapshotAt<'r> {
    records: &'r [OwnedRecord],
    line: u64,
}

impl HeapVisitor for SnapshotAt<'_> {
    type Output = (Vec<u8>, LiveGraph);

    fn visit<C: Collector>(self, mut heap: Heap<C>) -> Self::Output {
        let mut source = MemorySource::new("random", self.records);
        replay_until(
            &mut heap,
            &mut source,
            StopAt::Line(self.line),
            |heap, names| {
                let mut bytes = Vec::new();
                write_heap_snapshot(
                    heap,
                    &|key| names.get(&key).copied(),
                    WeakEdges::Omit,
                    &mut bytes,
                )
                .unwrap();
                (bytes, heap.live_graph())
            },
        )
        .unwrap()
        .unwrap()
    }
}

struct ReplayAll<'r> {
    records: &'r [OwnedRecord],
}

impl HeapVisitor for ReplayAll<'_> {
    type Output = LiveGraph;

    fn visit<C: Collector>(self, mut heap: Heap<C>) -> LiveGraph {
        let mut source = MemorySource::new("import", self.records);
        replay(&mut heap, &mut source, ReplayOptions::default())
            .unwrap()
            .live
    }
}

fn check_snapshot(snapshot: &HeapSnapshot, live: &LiveGraph) {
    let natives: Vec<usize> = (1..snapshot.node_count())
        .filter(|&n| snapshot.node_type(n) == "native")
        .collect();
    assert_eq!(
        snapshot.node_count() as u64,
        live.objects + 1 + natives.len() as u64
    );
    let native_bytes: u64 = natives.iter().map(|&n| snapshot.self_size(n)).sum();
    assert_eq!(native_bytes, live.external_bytes);
    let element_edges = (0..snapshot.edge_count())
        .filter(|&e| snapshot.edge_type(e) == "element")
        .count();
    let backing_stores = (0..snapshot.edge_count())
        .filter(|&e| snapshot.edge_type(e) == "internal")
        .count();
    assert_eq!(backing_stores, natives.len());
    assert_eq!(element_edges + backing_stores, snapshot.edge_count());
    let roots = snapshot.edges_of(0).len();
    let slot_edges = (element_edges - roots) as u64;
    assert!(slot_edges <= live.slots);
    let total: u64 = (1..snapshot.node_count())
        .map(|n| snapshot.self_size(n))
        .sum();
    assert_eq!(total, live.object_bytes + native_bytes);
    let analysis = Analysis::of(snapshot, Like::Memlab);
    // Everything is reachable, and the root retains it all.
    assert!(analysis.distance.iter().all(Option::is_some));
    assert_eq!(analysis.retained(0), total);
    let ids: std::collections::HashSet<u32> = (0..snapshot.node_count())
        .map(|n| snapshot.node_id(n))
        .collect();
    assert_eq!(ids.len(), snapshot.node_count(), "node ids are distinct");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn a_snapshot_is_the_live_graph_and_imports_back(seed in 0u64..1_000_000, at in 0.0f64..1.0) {
        let records = random_trace(seed, 400);
        let line = 1 + (at * records.len() as f64) as u64;
        let mut snapshots = Vec::new();
        for &choice in CollectorChoice::COMPILED_IN {
            let visitor = SnapshotAt { records: &records, line };
            let (bytes, live) = collectors::run_with(choice, HeapConfig::default(), visitor).unwrap();
            let snapshot = read_from("random", bytes.as_slice()).unwrap();
            check_snapshot(&snapshot, &live);
            snapshots.push(bytes);
        }
        // Every collector's snapshot is the same file: the walk does not depend on addresses.
        prop_assert!(snapshots.windows(2).all(|w| w[0] == w[1]));
        let snapshot = read_from("random", snapshots[0].as_slice()).unwrap();
        let mut imported: Vec<OwnedRecord> = Vec::new();
        let mut importer = Importer::new(&mut imported, "random").unwrap();
        importer.add(&snapshot).unwrap();
        importer.finish().unwrap();
        let graphs: Vec<LiveGraph> = CollectorChoice::COMPILED_IN
            .iter()
            .map(|&c| collectors::run_with(c, HeapConfig::default(), ReplayAll { records: &imported }).unwrap())
            .collect();
        // Each external memory node comes back as its owner's external bytes, not an object.
        let natives: Vec<usize> = (1..snapshot.node_count())
            .filter(|&node| snapshot.node_type(node) == "native")
            .collect();
        let native_bytes: u64 = natives.iter().map(|&node| snapshot.self_size(node)).sum();
        for graph in &graphs {
            prop_assert_eq!(graph.objects, reachable_objects(&snapshot));
            prop_assert_eq!(graph.objects, (snapshot.node_count() - 1 - natives.len()) as u64);
            prop_assert_eq!(graph.external_bytes, native_bytes);
            prop_assert_eq!(graph.digest, graphs[0].digest);
        }
    }
}
