//! Two snapshots of one program compared by node id, in the shape of memwatch's `HeapDiff`:
//! `before` and `after` (nodes and bytes), and `change` with the freed and allocated node counts
//! and, per class, how many nodes came (`+`) and went (`-`) and the bytes that changed.
//!
//! A node whose id is in both snapshots is the same object (V8 and gclab keep ids stable within
//! one program), so it counts as neither freed nor allocated. Snapshots of different programs
//! (or processes) share ids by chance only: [`Overlap`] measures how many nodes keep their id and
//! class, so a caller can warn that such a diff means nothing.

use hashbrown::{HashMap, HashSet};
use serde::Serialize;

use super::model::HeapSnapshot;

/// One side of the diff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Side {
    pub nodes: u64,
    pub size_bytes: u64,
    pub size: String,
}

/// One class's change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Detail {
    pub what: String,
    pub size_bytes: i64,
    pub size: String,
    #[serde(rename = "+")]
    pub allocated: u64,
    #[serde(rename = "-")]
    pub freed: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    pub size_bytes: i64,
    pub size: String,
    pub freed_nodes: u64,
    pub allocated_nodes: u64,
    pub details: Vec<Detail>,
}

/// memwatch's `HeapDiff`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HeapDiff {
    pub before: Side,
    pub after: Side,
    pub change: Change,
}

/// Compares `before` and `after` by node id (the root, node 0, is left out of both).
pub fn diff(before: &HeapSnapshot, after: &HeapSnapshot) -> HeapDiff {
    let before_ids: HashSet<u32> = (1..before.node_count())
        .map(|n| before.node_id(n))
        .collect();
    let after_ids: HashSet<u32> = (1..after.node_count()).map(|n| after.node_id(n)).collect();
    let mut details: HashMap<String, Detail> = HashMap::new();
    let mut change = |what: String, bytes: i64, allocated: u64, freed: u64| {
        let detail = details.entry(what.clone()).or_insert_with(|| Detail {
            what,
            size_bytes: 0,
            size: String::new(),
            allocated: 0,
            freed: 0,
        });
        detail.size_bytes += bytes;
        detail.allocated += allocated;
        detail.freed += freed;
    };
    let mut freed_nodes = 0;
    for node in 1..before.node_count() {
        if !after_ids.contains(&before.node_id(node)) {
            freed_nodes += 1;
            change(
                before.class_name(node),
                -(before.self_size(node) as i64),
                0,
                1,
            );
        }
    }
    let mut allocated_nodes = 0;
    for node in 1..after.node_count() {
        if !before_ids.contains(&after.node_id(node)) {
            allocated_nodes += 1;
            change(after.class_name(node), after.self_size(node) as i64, 1, 0);
        }
    }
    let mut details: Vec<Detail> = details.into_values().collect();
    for detail in &mut details {
        detail.size = human_size(detail.size_bytes);
    }
    details.sort_by(|a, b| (b.size_bytes.abs(), &a.what).cmp(&(a.size_bytes.abs(), &b.what)));
    let before = side(before);
    let after = side(after);
    let size_bytes = after.size_bytes as i64 - before.size_bytes as i64;
    HeapDiff {
        before,
        after,
        change: Change {
            size_bytes,
            size: human_size(size_bytes),
            freed_nodes,
            allocated_nodes,
            details,
        },
    }
}

/// How much of two snapshots is the same objects: nodes (the root left out) whose id is in both
/// with the same class, against the smaller snapshot's nodes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Overlap {
    pub kept: u64,
    pub smaller: u64,
}

impl Overlap {
    pub fn of(before: &HeapSnapshot, after: &HeapSnapshot) -> Overlap {
        let classes: HashMap<u32, String> = (1..before.node_count())
            .map(|n| (before.node_id(n), before.class_name(n)))
            .collect();
        let kept = (1..after.node_count())
            .filter(|&n| {
                classes
                    .get(&after.node_id(n))
                    .is_some_and(|class| *class == after.class_name(n))
            })
            .count() as u64;
        let smaller = before.node_count().min(after.node_count()) as u64 - 1;
        Overlap { kept, smaller }
    }

    /// Whether fewer than half the smaller snapshot's nodes are in the other: snapshots of one
    /// program keep most of what the earlier held, or most of what the later holds.
    pub fn looks_unrelated(self) -> bool {
        self.kept * 2 < self.smaller
    }
}

fn side(snapshot: &HeapSnapshot) -> Side {
    let size_bytes = (1..snapshot.node_count())
        .map(|n| snapshot.self_size(n))
        .sum::<u64>();
    Side {
        nodes: snapshot.node_count() as u64 - 1,
        size_bytes,
        size: human_size(size_bytes as i64),
    }
}

/// memwatch's sizes: `bytes`, `kb`, `mb`, `gb` (powers of 1024), signed, one decimal.
pub fn human_size(bytes: i64) -> String {
    let sign = if bytes < 0 { "-" } else { "" };
    let magnitude = bytes.unsigned_abs() as f64;
    let units = [("gb", 1u64 << 30), ("mb", 1 << 20), ("kb", 1 << 10)];
    for (unit, scale) in units {
        if magnitude >= scale as f64 {
            return format!("{sign}{:.1} {unit}", magnitude / scale as f64);
        }
    }
    format!("{bytes} bytes")
}
