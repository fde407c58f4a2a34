//! binary-trees, in the shape of the Computer Language Benchmarks Game's: a stretch tree built
//! and dropped, a long-lived tree kept to the end, and for every second depth from 4 up, many
//! short-lived trees built, walked and dropped. It measures how a collector copes with a high
//! rate of short-lived allocation next to a steady old generation.
//!
//! Written as a runtime would write it against the API: each tree node is made in a handle scope
//! of its own, so the local stack never holds more than a path's worth of locals.

use gc_core::{Collector, HandleScope, Heap, HeapError, Local, Persistent, TypeId, Value};

use super::WorkloadError;

pub const DESCRIPTION: &str =
    "a long-lived binary tree and many short-lived trees (Benchmarks Game shape)";

const MIN_DEPTH: u32 = 4;

/// The depth of the long-lived tree at `scale` (the Benchmarks Game's `n`).
pub fn max_depth(scale: u32) -> u32 {
    (12 + scale.ilog2()).max(MIN_DEPTH + 2)
}

pub fn run<C: Collector>(heap: &mut Heap<C>, scale: u32) -> Result<Vec<Persistent>, WorkloadError> {
    let trees = Trees {
        node: heap.intern_type("TreeNode")?,
    };
    let max_depth = max_depth(scale);
    heap.handle_scope(|heap, scope| {
        scope.scope(|scope| trees.build_check_drop(heap, scope, max_depth + 1))?;
        let long_lived = trees.build(heap, scope, max_depth)?;
        for depth in (MIN_DEPTH..=max_depth).step_by(2) {
            for _ in 0..1u64 << (max_depth - depth + MIN_DEPTH) {
                scope.scope(|scope| trees.build_check_drop(heap, scope, depth))?;
            }
        }
        trees.check(heap, scope, long_lived, max_depth)?;
        // The long-lived tree stays rooted: it is the workload's live graph.
        Ok(vec![heap.persistent(long_lived)?])
    })
}

struct Trees {
    node: TypeId,
}

impl Trees {
    /// A complete binary tree of `depth` (a single node has depth 0), built top-down: a node,
    /// then its children in a scope of their own. (Bottom-up, as the game's programs build, needs
    /// an escapable scope per node, which measured a third slower here.)
    fn build<'s, C: Collector>(
        &self,
        heap: &mut Heap<C>,
        scope: &mut HandleScope<'s>,
        depth: u32,
    ) -> Result<Local<'s>, HeapError> {
        let node = heap.allocate(scope, self.node, 2, 0)?;
        if depth > 0 {
            scope.scope(|children| -> Result<(), HeapError> {
                for slot in 0..2 {
                    let child = self.build(heap, children, depth - 1)?;
                    heap.store(node, slot, child)?;
                }
                Ok(())
            })?;
        }
        Ok(node)
    }

    fn build_check_drop<C: Collector>(
        &self,
        heap: &mut Heap<C>,
        scope: &mut HandleScope<'_>,
        depth: u32,
    ) -> Result<(), WorkloadError> {
        let tree = self.build(heap, scope, depth)?;
        self.check(heap, scope, tree, depth)
    }

    /// Walks the tree (the game's `itemCheck`) and checks it has every node.
    fn check<C: Collector>(
        &self,
        heap: &Heap<C>,
        scope: &mut HandleScope<'_>,
        tree: Local<'_>,
        depth: u32,
    ) -> Result<(), WorkloadError> {
        let (found, expected) = (count_nodes(heap, scope, tree)?, (1u64 << (depth + 1)) - 1);
        if found != expected {
            return Err(WorkloadError::WrongValue(format!(
                "a tree of depth {depth} has {found} nodes instead of {expected}"
            )));
        }
        Ok(())
    }
}

fn count_nodes<C: Collector>(
    heap: &Heap<C>,
    scope: &mut HandleScope<'_>,
    node: Local<'_>,
) -> Result<u64, HeapError> {
    scope.scope(|scope| {
        let mut count = 1;
        for slot in 0..2 {
            if let Value::Ref(child) = heap.load(scope, node, slot)? {
                count += count_nodes(heap, scope, child)?;
            }
        }
        Ok(count)
    })
}
