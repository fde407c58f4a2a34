//! Which edges retain by Chrome DevTools' rules (`HeapSnapshot.ts`, `computeIsEssentialEdge`
//! and `markPageOwnedNodes`), for [`super::dominators::dominators_by`].
//!
//! An edge is essential unless it is `weak`, a self edge, a WeakMap's own edge to one of its
//! values (the key's edge retains the value), or, from any node but the root, a `shortcut` or an
//! edge from a node outside the page into a page-owned one. Page-owned nodes are those reached
//! over non-weak edges from the root's `shortcut` edges (the user globals) and from its
//! `element` edge to `(Document DOM trees)`. An unreached node whose referrer edges are all
//! non-essential starts a search of its own.
//!
//! Invariant: the rules hold one flag per edge of the snapshot, in edge order.

use std::sync::LazyLock;

use regex::Regex;

use super::dominators::{EdgeKind, EdgeRules, Graph};
use super::model::{EdgeName, HeapSnapshot};

const ROOT: usize = 0;

/// How V8 names the edge from a WeakMap's table to a value (and from the key to the value).
static EPHEMERON_EDGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\d+ / part of key \(.*? @\d+\) -> value \(.*? @\d+\) pair in WeakMap \(table @(\d+)\)$",
    )
    .expect("the pattern is valid")
});

/// DevTools' edge rules for `snapshot`, whose graph is `graph`.
pub fn devtools_edge_rules(snapshot: &HeapSnapshot, graph: &Graph) -> EdgeRules {
    let owned = page_owned(graph);
    let mut essential = Vec::with_capacity(graph.targets.len());
    for from in 0..graph.node_count() {
        for edge in graph.edges_of(from) {
            let to = graph.targets[edge] as usize;
            essential.push(retains(snapshot, graph, &owned, from, edge, to));
        }
    }
    EdgeRules {
        holds_unreached: essential.clone(),
        essential,
    }
}

fn retains(
    snapshot: &HeapSnapshot,
    graph: &Graph,
    owned: &[bool],
    from: usize,
    edge: usize,
    to: usize,
) -> bool {
    let kind = graph.kinds[edge];
    if kind == EdgeKind::Weak || from == to || is_weak_map_table_edge(snapshot, from, edge) {
        return false;
    }
    if from == ROOT {
        return true;
    }
    kind != EdgeKind::Shortcut && (owned[from] || !owned[to])
}

fn is_weak_map_table_edge(snapshot: &HeapSnapshot, from: usize, edge: usize) -> bool {
    if snapshot.edge_type(edge) != "internal" {
        return false;
    }
    let EdgeName::Name(name) = snapshot.edge_name(edge) else {
        return false;
    };
    // Cheap test first: most internal edges are not a WeakMap's.
    if !name.ends_with(')') || !name.contains("pair in WeakMap (table @") {
        return false;
    }
    EPHEMERON_EDGE
        .captures(name)
        .and_then(|groups| groups[1].parse::<u32>().ok())
        .is_some_and(|table| table == snapshot.node_id(from))
}

/// The nodes reached over non-weak edges from the root's shortcuts and `(Document DOM trees)`.
fn page_owned(graph: &Graph) -> Vec<bool> {
    let mut owned = vec![false; graph.node_count()];
    let mut stack = Vec::new();
    for edge in graph.edges_of(ROOT) {
        let target = graph.targets[edge] as usize;
        let entry = match graph.kinds[edge] {
            EdgeKind::Shortcut => true,
            EdgeKind::Element => graph.dom_trees_roots[target],
            _ => false,
        };
        if entry && !owned[target] {
            owned[target] = true;
            stack.push(target);
        }
    }
    while let Some(node) = stack.pop() {
        for edge in graph.edges_of(node) {
            let target = graph.targets[edge] as usize;
            if !owned[target] && graph.kinds[edge] != EdgeKind::Weak {
                owned[target] = true;
                stack.push(target);
            }
        }
    }
    owned
}
