//! # gc-heapsnapshot: V8 heap snapshots of gclab heaps
//!
//! Heap snapshots in V8's `.heapsnapshot` format, both ways: written from a gclab heap, read from
//! any snapshot (gclab's, Node.js's or Chrome's), analysed (dominator tree, retained sizes,
//! distances), compared, and imported as a trace.
//!
//! - [`model`]: a snapshot in memory, as flat numeric arrays (as V8 writes it), checked on load.
//! - [`reader`]: reads a `.heapsnapshot` incrementally (no JSON tree of the whole file).
//! - [`writer`]: writes a gclab heap's live graph as a snapshot, streaming.
//! - [`dominators`]: the dominator tree and retained sizes, by memlab's or DevTools' edge rules.
//! - [`devtools_edges`], [`owned_sizes`], [`devtools_classes`], [`devtools_summary`]: Chrome
//!   DevTools' edge rules, shallow sizes, class names and Summary.
//! - [`analysis`]: distances, per-class summary, largest objects with a retaining path, as
//!   DevTools or memlab computes them.
//! - [`diff`]: two snapshots compared by node id, in memwatch's `HeapDiff` shape.
//! - [`import`]: snapshots of one program, in order, as one trace that rebuilds their graphs.

pub mod analysis;
pub mod devtools_classes;
pub mod devtools_edges;
pub mod devtools_summary;
pub mod diff;
pub mod dominators;
pub mod import;
pub mod model;
pub mod owned_sizes;
pub mod reader;
pub mod writer;

pub use model::{HeapSnapshot, SnapshotError};
