//! Octane's `SplayTree` (top-down splaying, as `splay.js` writes it), mirrored in the generator
//! and emitted as the loads and stores the JavaScript makes. A node is `SplayNode` with slots
//! left, right, value and its key as 8 raw bytes; the tree object holds `root_` in slot 0.
//!
//! Invariants:
//! - The mirror (`nodes`) holds exactly what the trace has stored in each node's left and right
//!   slots, so the ids the tree touches are the ones the JavaScript would.
//! - Whatever the tree touches is reachable from the tree object, the splay's `dummy` (rooted by
//!   its `a`) or a root: where the JavaScript holds a node only in a local (a rotated `tmp`, the
//!   node being assembled, the right subtree `remove` splices back) the trace roots it (`+`)
//!   until a slot holds it again.

use std::cmp::Ordering;
use std::io;
use std::ops::RangeInclusive;

use super::emit::Emitter;
use gc_trace::TraceValue;

const ROOT: u32 = 0;
const VALUE: u32 = 2;
const KEY_BYTES: u32 = 8;

/// A node's left or right slot.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Side {
    Left,
    Right,
}

impl Side {
    fn slot(self) -> u32 {
        self as u32
    }

    fn index(self) -> usize {
        self as usize
    }

    fn opposite(self) -> Side {
        match self {
            Side::Left => Side::Right,
            Side::Right => Side::Left,
        }
    }

    /// Which way `key` lies from a node holding `here` (`None` when it is the node's own key).
    fn toward(key: u64, here: u64) -> Option<Side> {
        match key.cmp(&here) {
            Ordering::Less => Some(Side::Left),
            Ordering::Greater => Some(Side::Right),
            Ordering::Equal => None,
        }
    }
}

/// A node's value: a rooted payload structure and all its ids (they die with the node).
#[derive(Clone, Debug)]
pub(crate) struct Payload {
    pub top: u64,
    pub ids: RangeInclusive<u64>,
}

type Link = Option<usize>;

#[derive(Debug)]
struct Node {
    id: u64,
    key: u64,
    kids: [Link; 2],
    payload: Option<Payload>,
}

/// The tree, its nodes indexed by `usize` (freed indices are reused).
#[derive(Debug)]
pub(crate) struct SplayTree {
    object: u64,
    nodes: Vec<Node>,
    free: Vec<usize>,
    root: Link,
}

impl SplayTree {
    /// `new SplayTree()`: the tree object keeps the root of its `a` (a global variable).
    pub fn new(em: &mut Emitter<'_>) -> io::Result<Self> {
        Ok(SplayTree {
            object: em.alloc(1, 0, "SplayTree")?,
            nodes: Vec::new(),
            free: Vec::new(),
            root: None,
        })
    }

    fn id(&self, node: usize) -> u64 {
        self.nodes[node].id
    }

    fn key(&self, node: usize) -> u64 {
        self.nodes[node].key
    }

    /// `node.left` / `node.right`, as a load.
    fn load(&self, em: &mut Emitter<'_>, node: usize, side: Side) -> io::Result<Link> {
        em.read(self.id(node), side.slot())?;
        Ok(self.nodes[node].kids[side.index()])
    }

    fn set(&mut self, em: &mut Emitter<'_>, node: usize, side: Side, kid: Link) -> io::Result<()> {
        self.nodes[node].kids[side.index()] = kid;
        match kid {
            Some(kid) => em.store(self.id(node), side.slot(), self.id(kid)),
            None => em.write(self.id(node), side.slot(), TraceValue::Null),
        }
    }

    fn set_root(&mut self, em: &mut Emitter<'_>, node: Link) -> io::Result<()> {
        self.root = node;
        match node {
            Some(node) => em.store(self.object, ROOT, self.id(node)),
            None => em.write(self.object, ROOT, TraceValue::Null),
        }
    }

    /// `new SplayTree.Node(key, value)`: allocated rooted; the payload moves into its value slot.
    fn new_node(
        &mut self,
        em: &mut Emitter<'_>,
        key: u64,
        payload: Option<Payload>,
    ) -> io::Result<usize> {
        let id = em.alloc(3, KEY_BYTES, "SplayNode")?;
        if let Some(payload) = &payload {
            em.adopt(id, VALUE, payload.top)?;
        }
        let node = Node {
            id,
            key,
            kids: [None; 2],
            payload,
        };
        Ok(match self.free.pop() {
            Some(index) => {
                self.nodes[index] = node;
                index
            }
            None => {
                self.nodes.push(node);
                self.nodes.len() - 1
            }
        })
    }

    /// The node is garbage: `d` for it and its payload; its index is free.
    fn forget(&mut self, em: &mut Emitter<'_>, node: usize) -> io::Result<()> {
        em.dead(self.id(node))?;
        if let Some(payload) = self.nodes[node].payload.take() {
            em.dead_range(payload.ids)?;
        }
        self.free.push(node);
        Ok(())
    }

    /// `find(key) != null`.
    pub fn contains(&mut self, em: &mut Emitter<'_>, key: u64) -> io::Result<bool> {
        self.splay(em, key)?;
        em.read(self.object, ROOT)?;
        Ok(self.root.is_some_and(|root| self.key(root) == key))
    }

    /// `insert(key, value)`; `payload.top` is rooted by the caller and loses that root here.
    pub fn insert(&mut self, em: &mut Emitter<'_>, key: u64, payload: Payload) -> io::Result<()> {
        let Some(old_root) = self.root else {
            let node = self.new_node(em, key, Some(payload))?;
            self.set_root(em, Some(node))?;
            return em.unroot(self.id(node));
        };
        self.splay(em, key)?;
        // A splay of a non-empty tree leaves it non-empty.
        let root = self.root.unwrap_or(old_root);
        if self.key(root) == key {
            em.unroot(payload.top)?;
            return em.dead_range(payload.ids);
        }
        let node = self.new_node(em, key, Some(payload))?;
        em.read(self.object, ROOT)?;
        // key > root.key: node.left = root, node.right = root.right, root.right = null.
        let side = if key > self.key(root) {
            Side::Left
        } else {
            Side::Right
        };
        self.set(em, node, side, Some(root))?;
        let moved = self.load(em, root, side.opposite())?;
        self.set(em, node, side.opposite(), moved)?;
        self.set(em, root, side.opposite(), None)?;
        self.set_root(em, Some(node))?;
        em.unroot(self.id(node))
    }

    /// `remove(key)`: the key must be in the tree. The removed node and its payload are garbage.
    pub fn remove(&mut self, em: &mut Emitter<'_>, key: u64) -> io::Result<()> {
        self.splay(em, key)?;
        let Some(removed) = self.root.filter(|&root| self.key(root) == key) else {
            debug_assert!(false, "remove({key}): not in the tree");
            return Ok(());
        };
        em.read(self.object, ROOT)?;
        match self.load(em, removed, Side::Left)? {
            None => {
                let right = self.load(em, removed, Side::Right)?;
                self.set_root(em, right)?;
            }
            Some(left) => self.remove_with_left(em, removed, left, key)?,
        }
        self.forget(em, removed)
    }

    fn remove_with_left(
        &mut self,
        em: &mut Emitter<'_>,
        removed: usize,
        left: usize,
        key: u64,
    ) -> io::Result<()> {
        // `var right = this.root_.right`: only a local holds it once root_ moves, across the
        // splay's allocation.
        let right = self.load(em, removed, Side::Right)?;
        self.pin(em, right)?;
        self.set_root(em, Some(left))?;
        self.splay(em, key)?;
        let root = self.root.unwrap_or(left);
        self.set(em, root, Side::Right, right)?;
        self.unpin(em, right)
    }

    fn pin(&self, em: &mut Emitter<'_>, node: Link) -> io::Result<()> {
        node.map_or(Ok(()), |node| em.root(self.id(node)))
    }

    fn unpin(&self, em: &mut Emitter<'_>, node: Link) -> io::Result<()> {
        node.map_or(Ok(()), |node| em.unroot(self.id(node)))
    }

    /// `findGreatestLessThan(key)`: the key of the greatest node below `key`, if any.
    pub fn greatest_less_than(
        &mut self,
        em: &mut Emitter<'_>,
        key: u64,
    ) -> io::Result<Option<u64>> {
        self.splay(em, key)?;
        let Some(root) = self.root else {
            return Ok(None);
        };
        em.read(self.object, ROOT)?;
        if self.key(root) < key {
            return Ok(Some(self.key(root)));
        }
        let Some(mut current) = self.load(em, root, Side::Left)? else {
            return Ok(None);
        };
        while let Some(right) = self.load(em, current, Side::Right)? {
            current = right;
        }
        Ok(Some(self.key(current)))
    }

    /// `splay_(key)`: brings the node with `key`, or the last node on its search path, to the
    /// root. Allocates splay.js's `dummy` node, which is garbage when it returns.
    fn splay(&mut self, em: &mut Emitter<'_>, key: u64) -> io::Result<()> {
        let Some(mut current) = self.root else {
            return Ok(());
        };
        let dummy = self.new_node(em, 0, None)?;
        em.read(self.object, ROOT)?;
        // ends[Left] is splay.js's `left` (the chain of nodes below key), ends[Right] its `right`.
        let mut ends = [dummy, dummy];
        let mut pinned: Link = None;
        while let Some(side) = Side::toward(key, self.key(current)) {
            let Some(child) = self.load(em, current, side)? else {
                break;
            };
            let next = if Side::toward(key, self.key(child)) == Some(side) {
                self.rotate(em, current, child, side)?;
                (pinned, current) = (Some(child), child);
                match self.load(em, current, side)? {
                    Some(next) => next,
                    None => break,
                }
            } else {
                child
            };
            // Link: `right.left = current; right = current` (mirrored for left).
            let chain = side.opposite().index();
            self.set(em, ends[chain], side, Some(current))?;
            ends[chain] = current;
            self.unpin(em, pinned.take())?;
            current = next;
        }
        self.assemble(em, current, ends, dummy, pinned)
    }

    /// `tmp = current.left; current.left = tmp.right; tmp.right = current` (mirrored for right).
    /// Leaves `tmp` rooted: between the first store and its link, only a local holds it.
    fn rotate(
        &mut self,
        em: &mut Emitter<'_>,
        current: usize,
        tmp: usize,
        side: Side,
    ) -> io::Result<()> {
        em.root(self.id(tmp))?;
        let inner = self.load(em, tmp, side.opposite())?;
        self.set(em, current, side, inner)?;
        self.set(em, tmp, side.opposite(), Some(current))
    }

    /// splay.js's "Assemble": hangs the two chains under `current`, which becomes the root.
    fn assemble(
        &mut self,
        em: &mut Emitter<'_>,
        current: usize,
        [less, greater]: [usize; 2],
        dummy: usize,
        pinned: Link,
    ) -> io::Result<()> {
        debug_assert!(pinned.is_none_or(|node| node == current));
        // The first store may overwrite the slot that holds `current`.
        if pinned.is_none() {
            em.root(self.id(current))?;
        }
        let left = self.load(em, current, Side::Left)?;
        self.set(em, less, Side::Right, left)?;
        let right = self.load(em, current, Side::Right)?;
        self.set(em, greater, Side::Left, right)?;
        let less_chain = self.load(em, dummy, Side::Right)?;
        self.set(em, current, Side::Left, less_chain)?;
        let greater_chain = self.load(em, dummy, Side::Left)?;
        self.set(em, current, Side::Right, greater_chain)?;
        self.set_root(em, Some(current))?;
        em.unroot(self.id(current))?;
        em.unroot(self.id(dummy))?;
        self.forget(em, dummy)
    }

    /// The keys in order (for tests: the mirror is a search tree).
    #[cfg(test)]
    pub fn keys(&self) -> Vec<u64> {
        let mut keys = Vec::new();
        let mut stack = Vec::new();
        let mut node = self.root;
        while node.is_some() || !stack.is_empty() {
            while let Some(n) = node {
                stack.push(n);
                node = self.nodes[n].kids[0];
            }
            let Some(n) = stack.pop() else { break };
            keys.push(self.nodes[n].key);
            node = self.nodes[n].kids[1];
        }
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;
    use gc_trace::OwnedRecord;

    fn payload(em: &mut Emitter<'_>) -> Payload {
        let top = em.alloc(0, 0, "P").unwrap();
        Payload {
            top,
            ids: top..=top,
        }
    }

    #[test]
    fn the_mirror_stays_a_search_tree_of_the_keys_in_it() {
        let mut records: Vec<OwnedRecord> = Vec::new();
        let mut em = Emitter::new(&mut records);
        let mut tree = SplayTree::new(&mut em).unwrap();
        let mut rng = SplitMix64::new(5);
        let mut keys: Vec<u64> = (0..200).map(|_| rng.below(1000)).collect();
        keys.sort_unstable();
        keys.dedup();
        for &key in keys.iter().rev().step_by(2).chain(keys.iter().step_by(2)) {
            let payload = payload(&mut em);
            tree.insert(&mut em, key, payload).unwrap();
        }
        assert_eq!(tree.keys(), keys);
        for &key in keys.iter().step_by(3) {
            assert!(tree.contains(&mut em, key).unwrap());
            tree.remove(&mut em, key).unwrap();
        }
        keys = keys
            .into_iter()
            .enumerate()
            .filter(|(i, _)| i % 3 != 0)
            .map(|(_, k)| k)
            .collect();
        assert_eq!(tree.keys(), keys);
        assert_eq!(
            tree.greatest_less_than(&mut em, keys[5]).unwrap(),
            Some(keys[4])
        );
        assert_eq!(tree.greatest_less_than(&mut em, keys[0]).unwrap(), None);
    }
}
