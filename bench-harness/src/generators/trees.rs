//! Complete binary trees, built the two ways the classic benchmarks build them, and dropped.
//!
//! A tree of depth `d` has `2^(d+1) - 1` nodes (a single node has depth 0). Each builder allocates
//! the whole tree through [`Emitter::alloc`], so its ids are one contiguous range and the tree
//! returned holds exactly one root, on its top node; every other node lives through its parent's
//! slot. A bottom-up tree's ids are in post-order (left subtree, right subtree, node), which is
//! what lets [`check`] walk it by arithmetic instead of a copy of the tree.

use std::io;
use std::ops::RangeInclusive;

use super::emit::Emitter;

/// What a node is: two reference slots (left, right) and some raw bytes.
#[derive(Copy, Clone, Debug)]
pub(crate) struct NodeShape {
    pub bytes: u32,
    pub label: &'static str,
}

/// A built tree: its rooted top node and the ids of all its nodes.
#[derive(Clone, Debug)]
pub(crate) struct Tree {
    pub top: u64,
    pub ids: RangeInclusive<u64>,
}

/// The nodes in a tree of `depth`.
pub(crate) fn size(depth: u32) -> u64 {
    (1u64 << (depth + 1)) - 1
}

impl NodeShape {
    fn node(self, em: &mut Emitter<'_>) -> io::Result<u64> {
        em.alloc(2, self.bytes, self.label)
    }

    /// GCBench's `tempTree = new Node(); Populate(depth, tempTree)`: each node is allocated before
    /// its children (top-down).
    pub fn top_down(self, em: &mut Emitter<'_>, depth: u32) -> io::Result<Tree> {
        let first = em.next_id();
        let top = self.node(em)?;
        self.populate(em, top, depth)?;
        Ok(Tree {
            top,
            ids: first..=em.last_id(),
        })
    }

    /// GCBench's `Populate`: `node.left = new Node(); node.right = new Node();` then recurse.
    pub fn populate(self, em: &mut Emitter<'_>, node: u64, depth: u32) -> io::Result<()> {
        if depth == 0 {
            return Ok(());
        }
        let mut kids = [0; 2];
        for (slot, kid) in (0..2).zip(&mut kids) {
            *kid = self.node(em)?;
            em.adopt(node, slot, *kid)?;
        }
        for (slot, kid) in (0..2).zip(kids) {
            em.read(node, slot)?;
            self.populate(em, kid, depth - 1)?;
        }
        Ok(())
    }

    /// `MakeTree` / `bottomUpTree`: both subtrees first (rooted, as the constructor's
    /// arguments), then the node that holds them.
    pub fn bottom_up(self, em: &mut Emitter<'_>, depth: u32) -> io::Result<Tree> {
        let first = em.next_id();
        let top = self.make(em, depth)?;
        Ok(Tree {
            top,
            ids: first..=em.last_id(),
        })
    }

    fn make(self, em: &mut Emitter<'_>, depth: u32) -> io::Result<u64> {
        if depth == 0 {
            return self.node(em);
        }
        let left = self.make(em, depth - 1)?;
        let right = self.make(em, depth - 1)?;
        let node = self.node(em)?;
        em.adopt(node, 0, left)?;
        em.adopt(node, 1, right)?;
        Ok(node)
    }
}

/// binary-trees' `check()` on a bottom-up tree of `depth` whose ids start at `first`: the node
/// reads its left child, and if there is one, recurses left, reads its right child, recurses.
pub(crate) fn check(em: &mut Emitter<'_>, first: u64, depth: u32) -> io::Result<()> {
    let node = first + size(depth) - 1;
    em.read(node, 0)?;
    if depth == 0 {
        return Ok(());
    }
    check(em, first, depth - 1)?;
    em.read(node, 1)?;
    check(em, first + size(depth - 1), depth - 1)
}

/// The program lets go of the tree (`tree = null`): every node is garbage.
pub(crate) fn drop_tree(em: &mut Emitter<'_>, tree: Tree) -> io::Result<()> {
    em.unroot(tree.top)?;
    em.dead_range(tree.ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gc_trace::{OwnedRecord, Record};

    const SHAPE: NodeShape = NodeShape {
        bytes: 0,
        label: "N",
    };

    #[test]
    fn both_builders_allocate_every_node_once() {
        let mut records: Vec<OwnedRecord> = Vec::new();
        let mut em = Emitter::new(&mut records);
        let down = SHAPE.top_down(&mut em, 3).unwrap();
        let up = SHAPE.bottom_up(&mut em, 3).unwrap();
        assert_eq!((down.top, down.ids), (1, 1..=15));
        assert_eq!(
            (up.top, up.ids),
            (30, 16..=30),
            "post-order: the top node is last"
        );
        let allocs = records
            .iter()
            .filter(|r| matches!(r.borrow(), Record::Alloc { .. }))
            .count();
        assert_eq!(allocs, 30);
    }

    #[test]
    fn check_reads_every_node_of_a_bottom_up_tree() {
        let mut records: Vec<OwnedRecord> = Vec::new();
        let mut em = Emitter::new(&mut records);
        let tree = SHAPE.bottom_up(&mut em, 2).unwrap();
        let before = records.len();
        let mut em = Emitter::new(&mut records);
        check(&mut em, *tree.ids.start(), 2).unwrap();
        let reads: Vec<Record<'_>> = records[before..].iter().map(OwnedRecord::borrow).collect();
        // Post-order ids: leaves 1 2, node 3, leaves 4 5, node 6, top 7.
        let expected = [
            (7, 0),
            (3, 0),
            (1, 0),
            (3, 1),
            (2, 0),
            (7, 1),
            (6, 0),
            (4, 0),
            (6, 1),
            (5, 0),
        ];
        let expected: Vec<Record<'_>> = expected
            .iter()
            .map(|&(id, slot)| Record::Read { id, slot })
            .collect();
        assert_eq!(reads, expected);
    }
}
