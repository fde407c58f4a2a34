//! binary-trees, in the shape of the Computer Language Benchmarks Game's: a stretch tree built
//! and dropped, a long-lived tree kept to the end, and for every second depth from 4 up, many
//! short-lived trees built, walked and dropped. It measures how a collector copes with a high
//! rate of short-lived allocation next to a steady old generation.

use gc_core::{Collector, Handle, Heap, HeapError, TypeId, Value};

use super::WorkloadError;

pub const DESCRIPTION: &str =
    "a long-lived binary tree and many short-lived trees (Benchmarks Game shape)";

const MIN_DEPTH: u32 = 4;

/// The depth of the long-lived tree at `scale` (the Benchmarks Game's `n`).
pub fn max_depth(scale: u32) -> u32 {
    (12 + scale.ilog2()).max(MIN_DEPTH + 2)
}

pub fn run<C: Collector>(heap: &mut Heap<C>, scale: u32) -> Result<(), WorkloadError> {
    let trees = Trees {
        node: heap.intern_type("TreeNode")?,
    };
    let max_depth = max_depth(scale);
    trees.build_check_drop(heap, max_depth + 1)?;
    let long_lived = trees.build(heap, max_depth)?;
    for depth in (MIN_DEPTH..=max_depth).step_by(2) {
        for _ in 0..1u64 << (max_depth - depth + MIN_DEPTH) {
            trees.build_check_drop(heap, depth)?;
        }
    }
    // The long-lived tree stays rooted: it is the workload's live graph.
    trees.check(heap, long_lived, max_depth)
}

struct Trees {
    node: TypeId,
}

impl Trees {
    /// A complete binary tree of `depth` (a single node has depth 0), rooted by the returned
    /// handle.
    fn build<C: Collector>(&self, heap: &mut Heap<C>, depth: u32) -> Result<Handle, HeapError> {
        let node = heap.allocate(self.node, 2, 0)?;
        if depth > 0 {
            for slot in 0..2 {
                let child = self.build(heap, depth - 1)?;
                heap.store(node, slot, Value::Ref(child))?;
                heap.release(child)?;
            }
        }
        Ok(node)
    }

    fn build_check_drop<C: Collector>(
        &self,
        heap: &mut Heap<C>,
        depth: u32,
    ) -> Result<(), WorkloadError> {
        let tree = self.build(heap, depth)?;
        self.check(heap, tree, depth)?;
        Ok(heap.release(tree)?)
    }

    /// Walks the tree (the game's `itemCheck`) and checks it has every node.
    fn check<C: Collector>(
        &self,
        heap: &mut Heap<C>,
        tree: Handle,
        depth: u32,
    ) -> Result<(), WorkloadError> {
        let (found, expected) = (count_nodes(heap, tree)?, (1u64 << (depth + 1)) - 1);
        if found != expected {
            return Err(WorkloadError::WrongValue(format!(
                "a tree of depth {depth} has {found} nodes instead of {expected}"
            )));
        }
        Ok(())
    }
}

fn count_nodes<C: Collector>(heap: &mut Heap<C>, node: Handle) -> Result<u64, HeapError> {
    let mut count = 1;
    for slot in 0..2 {
        if let Value::Ref(child) = heap.load(node, slot)? {
            count += count_nodes(heap, child)?;
            heap.release(child)?;
        }
    }
    Ok(count)
}
