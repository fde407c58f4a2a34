//! A heap snapshot in memory: V8's flat arrays (`nodes`, `edges`) and string table, with the
//! field offsets its `snapshot.meta` declares.
//!
//! Invariant: a [`HeapSnapshot`] has been checked ([`HeapSnapshot::new`]): every node's type
//! and name index is in range, the nodes' edge counts add up to the edges, every `to_node` is a
//! multiple of the node field count inside the node array, and every named edge's name is in the
//! string table. So the accessors never index out of bounds, whatever file it came from.

use std::ops::Range;

use hashbrown::HashMap;
use thiserror::Error;

/// What is wrong with a snapshot file.
#[derive(Debug, Error)]
#[error("{path}: {problem}")]
pub struct SnapshotError {
    pub path: String,
    pub problem: String,
}

impl SnapshotError {
    pub fn new(path: &str, problem: impl Into<String>) -> Self {
        SnapshotError {
            path: path.to_owned(),
            problem: problem.into(),
        }
    }
}

/// Where each field of a node or edge sits, from `snapshot.meta`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub node_fields: usize,
    pub node_type: usize,
    pub node_name: usize,
    pub node_id: usize,
    pub node_self_size: usize,
    pub node_edge_count: usize,
    /// Where `detachedness` sits (V8 writes it since 2021; older snapshots have none).
    pub node_detachedness: Option<usize>,
    pub node_types: Vec<String>,
    pub edge_fields: usize,
    pub edge_type: usize,
    pub edge_name: usize,
    pub edge_to: usize,
    pub edge_types: Vec<String>,
}

/// Where each field of a `locations` entry sits, from `snapshot.meta.location_fields`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct LocationFields {
    pub count: usize,
    pub object_index: usize,
    pub script_id: usize,
    pub line: usize,
    pub column: usize,
}

/// What an edge's `name_or_index` is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum EdgeName<'s> {
    Index(u32),
    Name(&'s str),
}

/// Where in a script the function or constructor of a node was defined (V8's `locations`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Location {
    pub script_id: u32,
    pub line: u32,
    pub column: u32,
}

/// A checked snapshot.
#[derive(Clone, Debug)]
pub struct HeapSnapshot {
    pub layout: Layout,
    pub nodes: Vec<u32>,
    pub edges: Vec<u32>,
    pub strings: Vec<String>,
    /// `snapshot.extra_native_bytes`: native memory V8 counts but gives no node.
    pub extra_native_bytes: u64,
    /// Per node (by index), where it was defined, for the nodes `locations` lists.
    locations: HashMap<u32, Location>,
    /// Per node, the ordinal of its first edge; one more entry ends the last node's edges.
    first_edge: Vec<u32>,
    /// Per edge type index, whether `name_or_index` is an index (`element`, `hidden`).
    indexed_edge_types: Vec<bool>,
}

impl HeapSnapshot {
    /// Checks the arrays against the layout and each other.
    pub fn new(
        path: &str,
        layout: Layout,
        nodes: Vec<u32>,
        edges: Vec<u32>,
        strings: Vec<String>,
    ) -> Result<Self, SnapshotError> {
        let fail = |problem: String| SnapshotError::new(path, problem);
        if nodes.len() % layout.node_fields != 0 {
            return Err(fail(format!(
                "`nodes` holds {} numbers, not a multiple of its {} fields",
                nodes.len(),
                layout.node_fields
            )));
        }
        if edges.len() % layout.edge_fields != 0 {
            return Err(fail(format!(
                "`edges` holds {} numbers, not a multiple of its {} fields",
                edges.len(),
                layout.edge_fields
            )));
        }
        if nodes.is_empty() {
            return Err(fail("the snapshot has no nodes (not even the root)".into()));
        }
        let indexed_edge_types = layout
            .edge_types
            .iter()
            .map(|t| t == "element" || t == "hidden")
            .collect();
        let mut snapshot = HeapSnapshot {
            layout,
            nodes,
            edges,
            strings,
            extra_native_bytes: 0,
            locations: HashMap::new(),
            first_edge: Vec::new(),
            indexed_edge_types,
        };
        snapshot.check_nodes().map_err(fail)?;
        snapshot.check_edges().map_err(fail)?;
        Ok(snapshot)
    }

    fn check_nodes(&mut self) -> Result<(), String> {
        let count = self.node_count();
        let mut first_edge = Vec::with_capacity(count + 1);
        let mut edge: u64 = 0;
        for node in 0..count {
            let fields = self.node_fields(node);
            let type_index = fields[self.layout.node_type] as usize;
            if type_index >= self.layout.node_types.len() {
                return Err(format!(
                    "node {node}: type {type_index} is not in `node_types`"
                ));
            }
            if fields[self.layout.node_name] as usize >= self.strings.len() {
                return Err(format!(
                    "node {node}: name {} is past the {} strings",
                    fields[self.layout.node_name],
                    self.strings.len()
                ));
            }
            first_edge.push(edge as u32);
            edge += u64::from(fields[self.layout.node_edge_count]);
            if edge > u64::from(u32::MAX) {
                return Err(format!("node {node}: the edge counts overflow"));
            }
        }
        let declared = self.edges.len() / self.layout.edge_fields;
        if edge != declared as u64 {
            return Err(format!(
                "the nodes' edge counts add up to {edge} edges, but `edges` holds {declared}"
            ));
        }
        first_edge.push(edge as u32);
        self.first_edge = first_edge;
        Ok(())
    }

    fn check_edges(&self) -> Result<(), String> {
        let node_numbers = self.nodes.len() as u64;
        for edge in 0..self.edge_count() {
            let fields = self.edge_fields(edge);
            let type_index = fields[self.layout.edge_type] as usize;
            if type_index >= self.layout.edge_types.len() {
                return Err(format!(
                    "edge {edge}: type {type_index} is not in `edge_types`"
                ));
            }
            let to = u64::from(fields[self.layout.edge_to]);
            if to % self.layout.node_fields as u64 != 0 || to >= node_numbers {
                return Err(format!(
                    "edge {edge}: to_node {to} is not a node's start (a multiple of {} below {node_numbers})",
                    self.layout.node_fields
                ));
            }
            if !self.indexed_edge_types[type_index]
                && fields[self.layout.edge_name] as usize >= self.strings.len()
            {
                return Err(format!(
                    "edge {edge}: name {} is past the {} strings",
                    fields[self.layout.edge_name],
                    self.strings.len()
                ));
            }
        }
        Ok(())
    }

    /// Adds V8's `locations` array (`object_index`, `script_id`, `line`, `column` per entry, in
    /// the order `fields` gives as `[object_index, script_id, line, column]` offsets).
    pub fn set_locations(
        &mut self,
        path: &str,
        numbers: &[u32],
        fields: LocationFields,
    ) -> Result<(), SnapshotError> {
        if numbers.len() % fields.count != 0 {
            return Err(SnapshotError::new(
                path,
                format!(
                    "`locations` holds {} numbers, not a multiple of its {} fields",
                    numbers.len(),
                    fields.count
                ),
            ));
        }
        for entry in numbers.chunks_exact(fields.count) {
            let object = entry[fields.object_index] as usize;
            if object % self.layout.node_fields != 0 || object >= self.nodes.len() {
                return Err(SnapshotError::new(
                    path,
                    format!("`locations` names object_index {object}, which is not a node's start"),
                ));
            }
            let location = Location {
                script_id: entry[fields.script_id],
                line: entry[fields.line],
                column: entry[fields.column],
            };
            self.locations
                .insert((object / self.layout.node_fields) as u32, location);
        }
        Ok(())
    }

    /// Where `node` was defined, when the snapshot says.
    pub fn location(&self, node: usize) -> Option<Location> {
        self.locations.get(&(node as u32)).copied()
    }

    /// The node's `detachedness` (0 unknown, 1 attached, 2 detached; 0 without the field).
    pub fn detachedness(&self, node: usize) -> u32 {
        self.layout
            .node_detachedness
            .map_or(0, |at| self.node_fields(node)[at] & 3)
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len() / self.layout.node_fields
    }

    pub fn edge_count(&self) -> usize {
        self.edges.len() / self.layout.edge_fields
    }

    fn node_fields(&self, node: usize) -> &[u32] {
        let start = node * self.layout.node_fields;
        &self.nodes[start..start + self.layout.node_fields]
    }

    fn edge_fields(&self, edge: usize) -> &[u32] {
        let start = edge * self.layout.edge_fields;
        &self.edges[start..start + self.layout.edge_fields]
    }

    pub fn node_id(&self, node: usize) -> u32 {
        self.node_fields(node)[self.layout.node_id]
    }

    pub fn node_name(&self, node: usize) -> &str {
        &self.strings[self.node_fields(node)[self.layout.node_name] as usize]
    }

    pub fn node_type(&self, node: usize) -> &str {
        &self.layout.node_types[self.node_type_index(node)]
    }

    pub fn node_type_index(&self, node: usize) -> usize {
        self.node_fields(node)[self.layout.node_type] as usize
    }

    pub fn self_size(&self, node: usize) -> u64 {
        u64::from(self.node_fields(node)[self.layout.node_self_size])
    }

    /// The ordinals of `node`'s edges.
    pub fn edges_of(&self, node: usize) -> Range<usize> {
        self.first_edge[node] as usize..self.first_edge[node + 1] as usize
    }

    /// The node index an edge points at.
    pub fn edge_target(&self, edge: usize) -> usize {
        self.edge_fields(edge)[self.layout.edge_to] as usize / self.layout.node_fields
    }

    pub fn edge_type_index(&self, edge: usize) -> usize {
        self.edge_fields(edge)[self.layout.edge_type] as usize
    }

    pub fn edge_type(&self, edge: usize) -> &str {
        &self.layout.edge_types[self.edge_type_index(edge)]
    }

    pub fn edge_name(&self, edge: usize) -> EdgeName<'_> {
        let value = self.edge_fields(edge)[self.layout.edge_name];
        if self.indexed_edge_types[self.edge_type_index(edge)] {
            EdgeName::Index(value)
        } else {
            EdgeName::Name(&self.strings[value as usize])
        }
    }

    /// The class memlab-style summaries, diffs and imports group a node under: its name for
    /// objects, native objects and synthetic nodes (`(GC roots)`), `(TYPE)` for everything else
    /// (`(string)`, `(closure)`, `(code)` ...). DevTools names classes its own way
    /// ([`crate::devtools_classes`]).
    pub fn class_name(&self, node: usize) -> String {
        match self.node_type(node) {
            "object" | "native" | "synthetic" => self.node_name(node).to_owned(),
            other => format!("({other})"),
        }
    }
}
