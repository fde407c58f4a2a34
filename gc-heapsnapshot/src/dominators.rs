//! The dominator tree and retained sizes of a snapshot, by either reader's rules: memlab's
//! (`@memlab/core` 2.0.5, `TraceFinder.computeDominatorsAndRetainedSizes`), here, or Chrome
//! DevTools' (`HeapSnapshot.ts`), whose edge rules [`super::devtools_edges`] builds. Both are
//! Lengauer-Tarjan over the edges the rules call *essential* (those that retain); the invariant
//! is that every node gets a dominator, the unreachable ones included, so the retained size of
//! every node equals the reader's.
//!
//! The algorithm is iterative throughout (the depth-first search keeps a resumable edge cursor
//! per node; compression uses an explicit stack), so a deep heap cannot overflow the stack.
//! Nodes the search from the root does not reach are still given dominators: first those with
//! no retaining referrer start their own searches, as children of the root; then the rest
//! (cycles retained only by one another) are attached under the root as they come, without a
//! search. A node with no essential referrer at all is dominated by the root. The retained size
//! of a node is its self size plus the retained sizes of the nodes it immediately dominates.
//!
//! memlab's rules ([`EdgeRules::memlab`]):
//!
//! - An edge is essential unless it is `weak`, a `shortcut` from any node but the root, a self
//!   edge, or goes from a node outside the page into a page-owned node. Page-owned nodes are
//!   those reached from the root's edges *but* its `shortcut` edges (and its `element` edges to
//!   `(Document DOM trees)`) over non-weak edges.
//! - A node the root does not reach starts its own search when its every referrer edge is
//!   `weak` or `shortcut`.
//!
//! DevTools' rules differ in what is page-owned: the nodes reached from the root's `shortcut`
//! edges (the user globals: Node.js snapshots have `[shortcut] -> global`, browsers one per
//! window) and from `(Document DOM trees)`. So on a Node.js snapshot `global` dominates what it
//! reaches, and its retained size is megabytes where memlab's is kilobytes. DevTools also skips
//! a WeakMap's own edge to a value (the key's edge retains it) and starts a search from a node
//! whose referrer edges are all non-essential, and it computes sizes from its own shallow sizes
//! ([`super::owned_sizes`]).

use super::model::HeapSnapshot;

/// What the dominator computation needs of an edge's type.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum EdgeKind {
    Weak,
    Shortcut,
    Element,
    Other,
}

impl EdgeKind {
    pub fn of_type_name(name: &str) -> EdgeKind {
        match name {
            "weak" => EdgeKind::Weak,
            "shortcut" => EdgeKind::Shortcut,
            "element" => EdgeKind::Element,
            _ => EdgeKind::Other,
        }
    }
}

/// A graph in compressed form: node 0 is the root; node `n`'s edges are
/// `first_edge[n]..first_edge[n + 1]` of `targets` and `kinds`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Graph {
    pub first_edge: Vec<u32>,
    pub targets: Vec<u32>,
    pub kinds: Vec<EdgeKind>,
    pub self_sizes: Vec<u64>,
    /// Nodes the root's `element` edges do not make page-owned (`(Document DOM trees)`).
    pub dom_trees_roots: Vec<bool>,
}

impl Graph {
    /// The graph of a checked snapshot.
    pub fn of_snapshot(snapshot: &HeapSnapshot) -> Graph {
        let kinds_by_type: Vec<EdgeKind> = snapshot
            .layout
            .edge_types
            .iter()
            .map(|t| EdgeKind::of_type_name(t))
            .collect();
        let count = snapshot.node_count();
        let mut graph = Graph {
            first_edge: Vec::with_capacity(count + 1),
            targets: Vec::with_capacity(snapshot.edge_count()),
            kinds: Vec::with_capacity(snapshot.edge_count()),
            self_sizes: Vec::with_capacity(count),
            dom_trees_roots: Vec::with_capacity(count),
        };
        for node in 0..count {
            graph.first_edge.push(graph.targets.len() as u32);
            graph.self_sizes.push(snapshot.self_size(node));
            graph.dom_trees_roots.push(
                snapshot.node_type(node) == "synthetic"
                    && snapshot.node_name(node) == "(Document DOM trees)",
            );
            for edge in snapshot.edges_of(node) {
                graph.targets.push(snapshot.edge_target(edge) as u32);
                graph
                    .kinds
                    .push(kinds_by_type[snapshot.edge_type_index(edge)]);
            }
        }
        graph.first_edge.push(graph.targets.len() as u32);
        graph
    }

    pub fn node_count(&self) -> usize {
        self.self_sizes.len()
    }

    pub fn edges_of(&self, node: usize) -> std::ops::Range<usize> {
        self.first_edge[node] as usize..self.first_edge[node + 1] as usize
    }

    /// For each node, the edges that point at it (as edge ordinals), compressed the same way.
    fn referrers(&self) -> (Vec<u32>, Vec<u32>, Vec<u32>) {
        let n = self.node_count();
        let mut first = vec![0u32; n + 1];
        for &target in &self.targets {
            first[target as usize + 1] += 1;
        }
        for i in 0..n {
            first[i + 1] += first[i];
        }
        let mut cursor = first.clone();
        let mut edges = vec![0u32; self.targets.len()];
        let mut sources = vec![0u32; self.targets.len()];
        for node in 0..n {
            for edge in self.edges_of(node) {
                let slot = &mut cursor[self.targets[edge] as usize];
                edges[*slot as usize] = edge as u32;
                sources[*slot as usize] = node as u32;
                *slot += 1;
            }
        }
        (first, edges, sources)
    }

    /// memlab's page-owned flags: reached from the root over non-weak edges, skipping the root's
    /// `shortcut` edges and its `element` edges to `(Document DOM trees)`.
    fn page_owned(&self) -> Vec<bool> {
        let mut owned = vec![false; self.node_count()];
        let mut stack = Vec::new();
        for edge in self.edges_of(ROOT) {
            let target = self.targets[edge] as usize;
            let skip = match self.kinds[edge] {
                EdgeKind::Element => self.dom_trees_roots[target],
                EdgeKind::Shortcut => true,
                _ => false,
            };
            if !skip {
                stack.push(target);
                owned[target] = true;
            }
        }
        while let Some(node) = stack.pop() {
            for edge in self.edges_of(node) {
                let target = self.targets[edge] as usize;
                if owned[target] || self.kinds[edge] == EdgeKind::Weak {
                    continue;
                }
                owned[target] = true;
                stack.push(target);
            }
        }
        owned
    }
}

const ROOT: usize = 0;

/// Each node's immediate dominator (the root's is itself) and retained size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dominators {
    pub idom: Vec<u32>,
    pub retained: Vec<u64>,
    /// Nodes in the order of the search, the root first: every node comes after its dominator.
    pub order: Vec<u32>,
}

/// The dominator tree downwards: each node's immediately dominated nodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DominatorTree {
    first: Vec<u32>,
    children: Vec<u32>,
}

impl DominatorTree {
    pub fn children(&self, node: usize) -> &[u32] {
        &self.children[self.first[node] as usize..self.first[node + 1] as usize]
    }
}

impl Dominators {
    /// The children lists of the tree, compressed.
    pub fn tree(&self) -> DominatorTree {
        let n = self.idom.len();
        let mut first = vec![0u32; n + 1];
        for &parent in self.idom.iter().skip(1) {
            first[parent as usize + 1] += 1;
        }
        for i in 0..n {
            first[i + 1] += first[i];
        }
        let mut cursor = first.clone();
        let mut children = vec![0u32; n.saturating_sub(1)];
        for (node, &parent) in self.idom.iter().enumerate().skip(1) {
            let parent = parent as usize;
            children[cursor[parent] as usize] = node as u32;
            cursor[parent] += 1;
        }
        DominatorTree { first, children }
    }
}

/// Lengauer-Tarjan's state, 1-based (vertex `v` is node `v - 1`; 0 means none).
struct Tarjan<'g> {
    graph: &'g Graph,
    rules: &'g EdgeRules,
    parent: Vec<u32>,
    ancestor: Vec<u32>,
    vertex: Vec<u32>,
    label: Vec<u32>,
    semi: Vec<u32>,
    dom: Vec<u32>,
    next_edge: Vec<u32>,
    numbered: u32,
}

impl Tarjan<'_> {
    fn essential(&self, edge: usize) -> bool {
        self.rules.essential[edge]
    }

    /// Iterative depth-first search from vertex `root`, numbering what it reaches.
    fn search(&mut self, root: u32) {
        let ordinal = root as usize - 1;
        self.next_edge[ordinal] = self.graph.first_edge[ordinal];
        let mut v = root;
        while v != 0 {
            if self.semi[v as usize] == 0 {
                self.numbered += 1;
                self.semi[v as usize] = self.numbered;
                self.vertex[self.numbered as usize] = v;
                self.label[v as usize] = v;
            }
            let mut next = self.parent[v as usize];
            let from = v as usize - 1;
            let end = self.graph.first_edge[from + 1];
            while self.next_edge[from] < end {
                let edge = self.next_edge[from] as usize;
                let to = self.graph.targets[edge] as usize;
                if self.essential(edge) && self.semi[to + 1] == 0 {
                    let w = to as u32 + 1;
                    self.parent[w as usize] = v;
                    self.next_edge[to] = self.graph.first_edge[to];
                    next = w;
                    break;
                }
                self.next_edge[from] += 1;
            }
            v = next;
        }
    }

    fn compress(&mut self, node: u32, stack: &mut Vec<u32>) {
        let mut v = node;
        stack.clear();
        while self.ancestor[self.ancestor[v as usize] as usize] != 0 {
            stack.push(v);
            v = self.ancestor[v as usize];
        }
        while let Some(w) = stack.pop() {
            let w = w as usize;
            let a = self.ancestor[w] as usize;
            if self.semi[self.label[a] as usize] < self.semi[self.label[w] as usize] {
                self.label[w] = self.label[a];
            }
            self.ancestor[w] = self.ancestor[a];
        }
    }

    fn evaluate(&mut self, v: u32, stack: &mut Vec<u32>) -> u32 {
        if self.ancestor[v as usize] == 0 {
            return v;
        }
        self.compress(v, stack);
        self.label[v as usize]
    }
}

/// Which edges retain, by one reader's rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EdgeRules {
    /// Per edge, whether it counts in the dominator tree.
    pub essential: Vec<bool>,
    /// Per edge, whether it keeps its target from starting a search of its own when the root
    /// does not reach it.
    pub holds_unreached: Vec<bool>,
}

impl EdgeRules {
    /// memlab's rules (see the module documentation).
    pub fn memlab(graph: &Graph) -> EdgeRules {
        let owned = graph.page_owned();
        let mut essential = Vec::with_capacity(graph.targets.len());
        for from in 0..graph.node_count() {
            for edge in graph.edges_of(from) {
                let (kind, to) = (graph.kinds[edge], graph.targets[edge] as usize);
                let retains = from != to
                    && kind != EdgeKind::Weak
                    && (kind != EdgeKind::Shortcut || from == ROOT)
                    && (from == ROOT || !owned[to] || owned[from]);
                essential.push(retains);
            }
        }
        let holds_unreached = graph
            .kinds
            .iter()
            .map(|&kind| !matches!(kind, EdgeKind::Weak | EdgeKind::Shortcut))
            .collect();
        EdgeRules {
            essential,
            holds_unreached,
        }
    }
}

/// The dominators and retained sizes of `graph` (node 0 is the root) by memlab's rules.
pub fn dominators(graph: &Graph) -> Dominators {
    dominators_by(graph, &EdgeRules::memlab(graph))
}

/// The dominators and retained sizes of `graph` over the edges `rules` call essential.
pub fn dominators_by(graph: &Graph, rules: &EdgeRules) -> Dominators {
    let n = graph.node_count();
    let slots = n + 1;
    let mut t = Tarjan {
        graph,
        rules,
        parent: vec![0; slots],
        ancestor: vec![0; slots],
        vertex: vec![0; slots],
        label: vec![0; slots],
        semi: vec![0; slots],
        dom: vec![0; slots],
        next_edge: vec![0; slots],
        numbered: 0,
    };
    let (ref_first, ref_edges, ref_sources) = graph.referrers();
    let r = ROOT as u32 + 1;
    t.search(r);
    attach_unreached(&mut t, &ref_first, &ref_edges, r);
    let mut bucket_head = vec![0u32; slots];
    let mut bucket_next = vec![0u32; slots];
    let mut stack = Vec::new();
    for i in (2..=t.numbered as usize).rev() {
        let w = t.vertex[i];
        let to = w as usize - 1;
        let mut orphan = true;
        for k in ref_first[to] as usize..ref_first[to + 1] as usize {
            let from = ref_sources[k] as usize;
            if !t.essential(ref_edges[k] as usize) {
                continue;
            }
            orphan = false;
            let u = t.evaluate(from as u32 + 1, &mut stack);
            if t.semi[u as usize] < t.semi[w as usize] {
                t.semi[w as usize] = t.semi[u as usize];
            }
        }
        if orphan {
            t.semi[w as usize] = t.semi[r as usize];
        }
        let semidominator = t.vertex[t.semi[w as usize] as usize] as usize;
        bucket_next[w as usize] = bucket_head[semidominator];
        bucket_head[semidominator] = w;
        let p = t.parent[w as usize];
        t.ancestor[w as usize] = p;
        let mut v = std::mem::take(&mut bucket_head[p as usize]);
        while v != 0 {
            let u = t.evaluate(v, &mut stack);
            t.dom[v as usize] = if t.semi[u as usize] < t.semi[v as usize] {
                u
            } else {
                p
            };
            v = bucket_next[v as usize];
        }
    }
    t.dom[0] = r;
    t.dom[r as usize] = r;
    for i in 2..=t.numbered as usize {
        let w = t.vertex[i] as usize;
        if t.dom[w] != t.vertex[t.semi[w] as usize] {
            t.dom[w] = t.dom[t.dom[w] as usize];
        }
    }
    let idom: Vec<u32> = (0..n).map(|o| t.dom[o + 1] - 1).collect();
    let mut retained = graph.self_sizes.clone();
    for i in (2..=t.numbered as usize).rev() {
        let o = t.vertex[i] as usize - 1;
        retained[idom[o] as usize] += retained[o];
    }
    let order = (1..=t.numbered as usize).map(|i| t.vertex[i] - 1).collect();
    Dominators {
        idom,
        retained,
        order,
    }
}

/// Searches from unreached nodes no referrer holds, then numbers whatever is left under the root.
fn attach_unreached(t: &mut Tarjan<'_>, ref_first: &[u32], ref_edges: &[u32], r: u32) {
    let n = t.graph.node_count();
    if (t.numbered as usize) < n {
        for v in 1..=n {
            let o = v - 1;
            let only_weak = (ref_first[o] as usize..ref_first[o + 1] as usize)
                .all(|k| !t.rules.holds_unreached[ref_edges[k] as usize]);
            if t.semi[v] == 0 && only_weak {
                t.parent[v] = r;
                t.search(v as u32);
            }
        }
    }
    if (t.numbered as usize) < n {
        for v in 1..=n {
            if t.semi[v] == 0 {
                t.parent[v] = r;
                t.numbered += 1;
                t.semi[v] = t.numbered;
                t.vertex[t.numbered as usize] = v as u32;
                t.label[v] = v as u32;
            }
        }
    }
}
