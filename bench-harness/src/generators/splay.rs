//! Octane's Splay: a splay tree of `nodes` nodes, each holding a payload tree, then `steps` steps
//! of `modifications` insertions and removals (`SplayRun`: insert a new random key, remove the
//! greatest key below it, or the new key itself when there is none), so the tree keeps its size
//! while its old nodes die. It stresses a collector with a large, slowly changing old generation
//! and pointer stores all over it.
//!
//! A payload tree (`GeneratePayloadTree`) of depth `payload-depth` has `PayloadNode` objects
//! (left, right) above `2^depth` `PayloadLeaf` objects, each holding a 10-element `Array` of small
//! integers and a 47-byte `String`. A removed node and its whole payload get `d`; so does the
//! `dummy` node every splay allocates. The tree itself ([`super::splay_tree`]) stays rooted.

use std::io;

use super::emit::Emitter;
use super::params::Args;
use super::splay_tree::{Payload, SplayTree};
use super::{GenError, ParamSpec};
use crate::rng::SplitMix64;
use gc_trace::TraceValue;

pub const DESCRIPTION: &str =
    "Octane's Splay: a large splay tree of payload trees, with insertions, removals and rotations";

pub const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "nodes",
        default: "8000",
        help: "nodes in the tree (kSplayTreeSize); 1 to 1000000",
    },
    ParamSpec {
        name: "modifications",
        default: "80",
        help: "insertions and removals per step (kSplayTreeModifications); 0 to 100000",
    },
    ParamSpec {
        name: "steps",
        default: "100",
        help: "steps after the tree is built (runs of SplayRun); 0 to 100000",
    },
    ParamSpec {
        name: "payload-depth",
        default: "5",
        help: "depth of each node's payload tree (kSplayTreePayloadDepth); 0 to 12",
    },
    ParamSpec {
        name: "seed",
        default: "1",
        help: "seed of the keys (Math.random); 0 to 18446744073709551615",
    },
];

/// `'String for key ' + String(key) + ' in leaf node'` with a 19-character key.
const LEAF_STRING_BYTES: u32 = 47;
const LEAF_ARRAY_LENGTH: u32 = 10;

struct Config {
    nodes: u32,
    modifications: u32,
    steps: u32,
    payload_depth: u32,
    seed: u64,
}

impl Config {
    fn read(args: &mut Args<'_>) -> Result<Self, GenError> {
        Ok(Config {
            nodes: args.number("nodes", 1..=1_000_000)?,
            modifications: args.number("modifications", 0..=100_000)?,
            steps: args.number("steps", 0..=100_000)?,
            payload_depth: args.number("payload-depth", 0..=12)?,
            seed: args.number("seed", 0..=u64::MAX)?,
        })
    }
}

pub(crate) fn generate(args: &mut Args<'_>, em: &mut Emitter<'_>) -> Result<(), GenError> {
    let config = Config::read(args)?;
    em.source(&args.source())?;
    Ok(Splay::new(em, &config)?.run(em, &config)?)
}

struct Splay {
    tree: SplayTree,
    rng: SplitMix64,
    payload_depth: u32,
}

impl Splay {
    /// `SplaySetup`: the tree with its first `nodes` nodes.
    fn new(em: &mut Emitter<'_>, config: &Config) -> io::Result<Self> {
        let mut splay = Splay {
            tree: SplayTree::new(em)?,
            rng: SplitMix64::new(config.seed),
            payload_depth: config.payload_depth,
        };
        for _ in 0..config.nodes {
            splay.insert_new_node(em)?;
        }
        Ok(splay)
    }

    /// `SplayRun`, `steps` times.
    fn run(&mut self, em: &mut Emitter<'_>, config: &Config) -> io::Result<()> {
        for _ in 0..u64::from(config.steps) * u64::from(config.modifications) {
            let key = self.insert_new_node(em)?;
            let doomed = self.tree.greatest_less_than(em, key)?.unwrap_or(key);
            self.tree.remove(em, doomed)?;
        }
        Ok(())
    }

    /// `InsertNewNode`: a key not in the tree, its payload, the insertion; returns the key.
    fn insert_new_node(&mut self, em: &mut Emitter<'_>) -> io::Result<u64> {
        let key = loop {
            let key = self.rng.next_u64();
            if !self.tree.contains(em, key)? {
                break key;
            }
        };
        let first = em.next_id();
        let top = payload_tree(em, self.payload_depth)?;
        let payload = Payload {
            top,
            ids: first..=em.last_id(),
        };
        self.tree.insert(em, key, payload)?;
        Ok(key)
    }
}

/// `GeneratePayloadTree(depth, tag)`: the object literal first, then its values; the returned top
/// object is rooted.
fn payload_tree(em: &mut Emitter<'_>, depth: u32) -> io::Result<u64> {
    if depth == 0 {
        return payload_leaf(em);
    }
    let node = em.alloc(2, 0, "PayloadNode")?;
    for slot in 0..2 {
        let kid = payload_tree(em, depth - 1)?;
        em.adopt(node, slot, kid)?;
    }
    Ok(node)
}

/// `{ array: [0, 1, ..., 9], string: 'String for key ' + tag + ' in leaf node' }`.
fn payload_leaf(em: &mut Emitter<'_>) -> io::Result<u64> {
    let leaf = em.alloc(2, 0, "PayloadLeaf")?;
    let array = em.alloc(LEAF_ARRAY_LENGTH, 0, "Array")?;
    for index in 0..LEAF_ARRAY_LENGTH {
        em.write(array, index, TraceValue::Smi(index as i32))?;
    }
    em.adopt(leaf, 0, array)?;
    let string = em.alloc(0, LEAF_STRING_BYTES, "String")?;
    em.adopt(leaf, 1, string)?;
    Ok(leaf)
}
