//! What `gclab inspect` shows of a snapshot, as one reader computes it ([`Like`]): per class the
//! count, shallow size and retained size (the Summary), each node's distance from the root, and
//! the largest objects by retained size with one shortest retaining path each.
//!
//! Distances are breadth-first over the edges but weak ones and shortcuts from other nodes than
//! the root; a node they do not reach has no distance. With memlab's rules a class is the
//! node's name or `(TYPE)`, and its retained size counts each of its objects that no other
//! object of the class dominates (so nested objects of one class are not counted twice);
//! DevTools' classes and sizes are [`super::devtools_summary`]'s.

use std::collections::VecDeque;

use hashbrown::HashMap;
use serde::Serialize;

use super::devtools_classes::{ClassKey, devtools_classes};
use super::devtools_edges::devtools_edge_rules;
use super::devtools_summary::devtools_summary;
use super::dominators::{Dominators, EdgeKind, EdgeRules, Graph, dominators_by};
use super::model::{EdgeName, HeapSnapshot};
use super::owned_sizes::owned_sizes;

/// Whose numbers an analysis reproduces.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Like {
    /// Chrome DevTools' Memory panel (`HeapSnapshot.ts`): its classes, shallow sizes (backing
    /// stores folded into their owner) and dominators (from the user globals).
    DevTools,
    /// memlab (`@memlab/heap-analysis` 2.0.5): the snapshot's own sizes and memlab's
    /// dominators, for every node.
    Memlab,
}

/// The analysis of one snapshot.
#[derive(Clone, Debug)]
pub struct Analysis {
    pub like: Like,
    pub dominators: Dominators,
    /// Per node, its shallow size as the reader counts it.
    pub self_sizes: Vec<u64>,
    /// Per node, DevTools' class (empty with memlab's rules, which use the snapshot's names).
    devtools_classes: Vec<ClassKey>,
    /// Per node, its distance from the root in edges; `None` where no retaining edge leads.
    pub distance: Vec<Option<u32>>,
    /// Per node, the edge that first reached it in the breadth-first search.
    reached_by: Vec<Option<u32>>,
}

const ROOT: usize = 0;

impl Analysis {
    pub fn of(snapshot: &HeapSnapshot, like: Like) -> Analysis {
        let mut graph = Graph::of_snapshot(snapshot);
        let (rules, devtools_classes) = match like {
            Like::DevTools => {
                graph.self_sizes = owned_sizes(snapshot);
                let rules = devtools_edge_rules(snapshot, &graph);
                (rules, devtools_classes(snapshot))
            }
            Like::Memlab => (EdgeRules::memlab(&graph), Vec::new()),
        };
        let dominators = dominators_by(&graph, &rules);
        let (distance, reached_by) = distances(&graph);
        Analysis {
            like,
            dominators,
            self_sizes: graph.self_sizes,
            devtools_classes,
            distance,
            reached_by,
        }
    }

    /// The class `node` is counted under.
    pub fn class_name(&self, snapshot: &HeapSnapshot, node: usize) -> String {
        match self.like {
            Like::DevTools => self.devtools_classes[node].name.clone(),
            Like::Memlab => snapshot.class_name(node),
        }
    }

    /// Per node, DevTools' class (only with [`Like::DevTools`]).
    pub fn devtools_classes(&self) -> &[ClassKey] {
        &self.devtools_classes
    }

    pub fn retained(&self, node: usize) -> u64 {
        self.dominators.retained[node]
    }

    /// One shortest retaining path from the root to `node` (root excluded): each step is the
    /// edge taken and the node it reached.
    pub fn path_to(&self, snapshot: &HeapSnapshot, node: usize) -> Option<Vec<SnapshotPathStep>> {
        self.distance[node]?;
        let mut steps = Vec::new();
        let mut current = node;
        while current != ROOT {
            let edge = self.reached_by[current]? as usize;
            steps.push(SnapshotPathStep {
                edge: edge_label(snapshot, edge),
                id: snapshot.node_id(current),
                name: self.class_name(snapshot, current),
            });
            current = source_of(snapshot, edge);
        }
        steps.reverse();
        Some(steps)
    }
}

/// The node an edge leaves (edges are stored by source, so a binary search finds it).
fn source_of(snapshot: &HeapSnapshot, edge: usize) -> usize {
    let (mut low, mut high) = (0, snapshot.node_count());
    while high - low > 1 {
        let middle = (low + high) / 2;
        if snapshot.edges_of(middle).start <= edge {
            low = middle;
        } else {
            high = middle;
        }
    }
    // Nodes without edges share a start with the next: take the one whose range holds the edge.
    (low..snapshot.node_count())
        .find(|&n| snapshot.edges_of(n).contains(&edge))
        .unwrap_or(low)
}

fn edge_label(snapshot: &HeapSnapshot, edge: usize) -> String {
    match snapshot.edge_name(edge) {
        EdgeName::Index(index) => format!("[{index}]"),
        EdgeName::Name(name) => name.to_owned(),
    }
}

fn distances(graph: &Graph) -> (Vec<Option<u32>>, Vec<Option<u32>>) {
    let n = graph.node_count();
    let mut distance = vec![None; n];
    let mut reached_by = vec![None; n];
    let mut queue = VecDeque::new();
    distance[ROOT] = Some(0);
    queue.push_back(ROOT);
    while let Some(node) = queue.pop_front() {
        let next = distance[node].unwrap_or(0) + 1;
        for edge in graph.edges_of(node) {
            let kind = graph.kinds[edge];
            if kind == EdgeKind::Weak || (kind == EdgeKind::Shortcut && node != ROOT) {
                continue;
            }
            let target = graph.targets[edge] as usize;
            if distance[target].is_none() {
                distance[target] = Some(next);
                reached_by[target] = Some(edge as u32);
                queue.push_back(target);
            }
        }
    }
    (distance, reached_by)
}

/// One step of a retaining path through a snapshot: the edge taken and the node it reached.
///
/// Not gc-core's `PathStep`, which is a live heap's object (valid until the heap next runs
/// anything), its type id and the slot *leaving* it: a snapshot's step names the edge *into* its
/// node, by the name the snapshot gives it, and the node by its snapshot id, which stays valid
/// as long as the file does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SnapshotPathStep {
    /// The name of the edge into this node, or `[index]` for an element.
    pub edge: String,
    /// The node's id in the snapshot.
    pub id: u32,
    /// The node's class name.
    pub name: String,
}

/// One class of DevTools' summary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClassSummary {
    pub name: String,
    pub count: u64,
    pub shallow_size: u64,
    pub retained_size: u64,
}

/// An object among the largest by retained size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LargeObject {
    pub id: u32,
    pub name: String,
    pub self_size: u64,
    pub retained_size: u64,
    pub distance: Option<u32>,
    pub path: Option<Vec<SnapshotPathStep>>,
}

/// What `gclab inspect` reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Inspection {
    pub file: String,
    pub nodes: u64,
    pub edges: u64,
    pub total_size: u64,
    pub unreachable_nodes: u64,
    pub classes: Vec<ClassSummary>,
    pub largest: Vec<LargeObject>,
}

/// The summary of `snapshot`: classes by retained size, then the `top` largest objects.
pub fn inspect(file: &str, snapshot: &HeapSnapshot, analysis: &Analysis, top: usize) -> Inspection {
    let mut classes = match analysis.like {
        Like::DevTools => devtools_summary(snapshot, analysis),
        Like::Memlab => class_summary(snapshot, analysis),
    };
    sort_classes(&mut classes);
    let mut nodes: Vec<usize> = (1..snapshot.node_count()).collect();
    nodes.sort_by_key(|&n| (std::cmp::Reverse(analysis.retained(n)), n));
    let largest = nodes
        .into_iter()
        .take(top)
        .map(|n| LargeObject {
            id: snapshot.node_id(n),
            name: analysis.class_name(snapshot, n),
            self_size: analysis.self_sizes[n],
            retained_size: analysis.retained(n),
            distance: analysis.distance[n],
            path: analysis.path_to(snapshot, n),
        })
        .collect();
    Inspection {
        file: file.to_owned(),
        nodes: snapshot.node_count() as u64,
        edges: snapshot.edge_count() as u64,
        total_size: total_size(snapshot, analysis),
        unreachable_nodes: analysis.distance.iter().filter(|d| d.is_none()).count() as u64,
        classes,
        largest,
    }
}

/// Every node's shallow size, and with DevTools' rules the native bytes V8 gave no node.
fn total_size(snapshot: &HeapSnapshot, analysis: &Analysis) -> u64 {
    let nodes: u64 = analysis.self_sizes.iter().sum();
    match analysis.like {
        Like::DevTools => nodes + snapshot.extra_native_bytes,
        Like::Memlab => nodes,
    }
}

/// Largest retained size first, then shallow size, then by name.
fn sort_classes(classes: &mut [ClassSummary]) {
    classes.sort_by(|a, b| {
        (b.retained_size, b.shallow_size, &a.name, b.count).cmp(&(
            a.retained_size,
            a.shallow_size,
            &b.name,
            a.count,
        ))
    });
}

/// memlab's rules: per class (the snapshot's name or `(TYPE)`), count, shallow size, and the
/// retained size of its objects that no other object of the class dominates (a walk of the
/// dominator tree with a count of open objects per class).
pub fn class_summary(snapshot: &HeapSnapshot, analysis: &Analysis) -> Vec<ClassSummary> {
    let n = snapshot.node_count();
    let mut class_index: HashMap<String, usize> = HashMap::new();
    let mut classes: Vec<ClassSummary> = Vec::new();
    let mut class_of = vec![usize::MAX; n];
    for (node, class) in class_of.iter_mut().enumerate().skip(1) {
        let name = snapshot.class_name(node);
        let index = *class_index.entry(name.clone()).or_insert_with(|| {
            classes.push(ClassSummary {
                name,
                count: 0,
                shallow_size: 0,
                retained_size: 0,
            });
            classes.len() - 1
        });
        *class = index;
        classes[index].count += 1;
        classes[index].shallow_size += snapshot.self_size(node);
    }
    add_outermost_retained(analysis, &class_of, &mut classes);
    sort_classes(&mut classes);
    classes
}

fn add_outermost_retained(analysis: &Analysis, class_of: &[usize], classes: &mut [ClassSummary]) {
    let tree = analysis.dominators.tree();
    let mut open = vec![0u32; classes.len()];
    // (node, entered): the second visit closes the node's class.
    let mut stack = vec![(0usize, false)];
    while let Some((node, entered)) = stack.pop() {
        let class = class_of[node];
        if entered {
            if class != usize::MAX {
                open[class] -= 1;
            }
            continue;
        }
        if class != usize::MAX {
            if open[class] == 0 {
                classes[class].retained_size += analysis.retained(node);
            }
            open[class] += 1;
        }
        stack.push((node, true));
        for &child in tree.children(node) {
            stack.push((child as usize, false));
        }
    }
}
