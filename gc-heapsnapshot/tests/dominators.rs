//! The dominator tree against a naive reference: on random graphs, a node `d` dominates `v`
//! exactly when `v` is no longer reachable from the root once `d` is removed, and the retained
//! size of `d` is the self size of everything it dominates. Weak edges and self edges never
//! retain.

use gc_heapsnapshot::dominators::{EdgeKind, Graph, dominators};
use proptest::prelude::*;

/// Nodes reachable from the root over retaining edges, never entering `removed`.
fn reachable_without(graph: &Graph, removed: Option<usize>) -> Vec<bool> {
    let mut seen = vec![false; graph.node_count()];
    if removed == Some(0) {
        return seen;
    }
    seen[0] = true;
    let mut stack = vec![0];
    while let Some(node) = stack.pop() {
        for edge in graph.edges_of(node) {
            let target = graph.targets[edge] as usize;
            if graph.kinds[edge] == EdgeKind::Weak || Some(target) == removed || seen[target] {
                continue;
            }
            seen[target] = true;
            stack.push(target);
        }
    }
    seen
}

/// For each reachable node, the reference retained size: its own and that of every node that
/// removing it cuts off from the root.
fn naive_retained(graph: &Graph) -> Vec<Option<u64>> {
    let all = reachable_without(graph, None);
    (0..graph.node_count())
        .map(|d| {
            if !all[d] {
                return None;
            }
            let without = reachable_without(graph, Some(d));
            let lost = (0..graph.node_count()).filter(|&v| all[v] && !without[v]);
            Some(lost.map(|v| graph.self_sizes[v]).sum())
        })
        .collect()
}

/// Random graphs in which the root reaches every node over strong edges (a random tree first,
/// then random edges of every kind): the dominator tree is then the textbook one. memlab's
/// treatment of nodes the root does not reach is checked against memlab itself (the Node.js
/// fixture in `heap_snapshots.rs` and `scripts/check-memlab.sh`).
fn graph_strategy() -> impl Strategy<Value = Graph> {
    (1usize..14).prop_flat_map(|n| {
        let kind = prop_oneof![
            4 => Just(EdgeKind::Element),
            2 => Just(EdgeKind::Weak),
            1 => Just(EdgeKind::Other)
        ];
        let edge = (0..n, 0..n, kind);
        let tree_parent = (1..n.max(2)).map(|i| 0..i).collect::<Vec<_>>();
        (
            tree_parent,
            proptest::collection::vec(edge, 0..(3 * n)),
            proptest::collection::vec(0u64..1000, n),
        )
            .prop_map(move |(parents, mut edges, self_sizes)| {
                for (child, &parent) in parents.iter().enumerate().take(n - 1) {
                    edges.push((parent, child + 1, EdgeKind::Element));
                }
                edges.sort_by_key(|&(from, _, _)| from);
                let mut graph = Graph {
                    self_sizes,
                    dom_trees_roots: vec![false; n],
                    ..Graph::default()
                };
                let mut next = 0;
                for node in 0..n {
                    graph.first_edge.push(next as u32);
                    while next < edges.len() && edges[next].0 == node {
                        graph.targets.push(edges[next].1 as u32);
                        graph.kinds.push(edges[next].2);
                        next += 1;
                    }
                }
                graph.first_edge.push(next as u32);
                graph
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn retained_sizes_match_the_removal_reference(graph in graph_strategy()) {
        let result = dominators(&graph);
        let reference = naive_retained(&graph);
        let reachable = reachable_without(&graph, None);
        for (node, expected) in reference.iter().enumerate().skip(1) {
            if let Some(expected) = *expected {
                prop_assert_eq!(result.retained[node], expected, "node {}", node);
                // The immediate dominator is reachable and dominates: removing it cuts `node` off.
                let idom = result.idom[node] as usize;
                prop_assert!(reachable[idom]);
                prop_assert!(!reachable_without(&graph, Some(idom))[node]);
            } else {
                // Unreachable nodes still hang below the root and retain at least themselves.
                prop_assert!(result.retained[node] >= graph.self_sizes[node]);
            }
        }
        // Everything hangs below the root, unreachable nodes included (as memlab counts them).
        prop_assert_eq!(result.retained[0], graph.self_sizes.iter().sum::<u64>());
        prop_assert_eq!(result.order.len(), graph.node_count());
    }
}

/// A list a million nodes long: the search and the path compression are iterative.
#[test]
fn a_deep_chain_does_not_overflow_the_stack() {
    let n = 1_000_000;
    let graph = Graph {
        first_edge: (0..=n as u32).map(|i| i.min(n as u32 - 1)).collect(),
        targets: (1..n as u32).collect(),
        kinds: vec![EdgeKind::Element; n - 1],
        self_sizes: vec![8; n],
        dom_trees_roots: vec![false; n],
    };
    let result = dominators(&graph);
    assert_eq!(result.retained[0], 8 * n as u64);
    assert_eq!(result.retained[n / 2], 8 * (n - n / 2) as u64);
    assert_eq!(result.idom[n - 1], n as u32 - 2);
}

/// memlab's special cases: a shortcut retains only from the root; a node held only weakly is
/// dominated by the root; edges from outside the page into page-owned nodes do not retain.
#[test]
fn memlab_edge_rules() {
    // 0 -> 1 (element), 1 -> 2 (shortcut), 0 -> 3 (shortcut), 1 -> 4 (weak), 5 -> 1 (element).
    let graph = Graph {
        first_edge: vec![0, 2, 4, 4, 4, 4, 5],
        targets: vec![1, 3, 2, 4, 1],
        kinds: vec![
            EdgeKind::Element,
            EdgeKind::Shortcut,
            EdgeKind::Shortcut,
            EdgeKind::Weak,
            EdgeKind::Element,
        ],
        self_sizes: vec![0, 10, 20, 30, 40, 50],
        dom_trees_roots: vec![false; 6],
    };
    let result = dominators(&graph);
    // 1's shortcut to 2 does not retain; node 5 (not page-owned) does not retain 1.
    assert_eq!(result.retained[1], 10);
    assert_eq!(result.retained[3], 30);
    assert_eq!(result.idom, vec![0, 0, 0, 0, 0, 0]);
    assert_eq!(result.retained[0], 150);
}
