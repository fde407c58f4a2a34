//! binary-trees from the Computer Language Benchmarks Game: a stretch tree of depth N+1 built,
//! checked and dropped; a long-lived tree of depth N; then for d = 4, 6, .. N, `2^(N-d+4)` trees
//! of depth d, each built bottom-up, checked (its `check()` walk is `r` records) and dropped.
//! Nodes are `TreeNode` objects with left and right slots and no other data.
//!
//! Every short-lived tree ends with `d` for all its nodes; the long-lived tree is checked last and
//! stays rooted.

use std::io;

use super::emit::Emitter;
use super::params::Args;
use super::trees::{self, NodeShape};
use super::{GenError, ParamSpec};

pub const DESCRIPTION: &str =
    "the Benchmarks Game's binary-trees: many short-lived trees next to a long-lived one";

pub const PARAMS: &[ParamSpec] = &[ParamSpec {
    name: "depth",
    default: "14",
    help: "N, the depth of the long-lived tree (the Benchmarks Game uses 21; each step doubles the trace); 6 to 22",
}];

const MIN_DEPTH: u32 = 4;

const NODE: NodeShape = NodeShape {
    bytes: 0,
    label: "TreeNode",
};

pub(crate) fn generate(args: &mut Args<'_>, em: &mut Emitter<'_>) -> Result<(), GenError> {
    // The game takes max(MIN_DEPTH + 2, N); the range makes that N itself.
    let depth: u32 = args.number("depth", u64::from(MIN_DEPTH + 2)..=22)?;
    em.source(&args.source())?;
    Ok(run(em, depth)?)
}

fn run(em: &mut Emitter<'_>, max_depth: u32) -> io::Result<()> {
    build_check_drop(em, max_depth + 1)?;
    let long_lived = NODE.bottom_up(em, max_depth)?;
    for depth in (MIN_DEPTH..=max_depth).step_by(2) {
        for _ in 0..1u64 << (max_depth - depth + MIN_DEPTH) {
            build_check_drop(em, depth)?;
        }
    }
    // The long-lived tree stays rooted: it is the trace's final live data.
    trees::check(em, *long_lived.ids.start(), max_depth)
}

fn build_check_drop(em: &mut Emitter<'_>, depth: u32) -> io::Result<()> {
    let tree = NODE.bottom_up(em, depth)?;
    trees::check(em, *tree.ids.start(), depth)?;
    trees::drop_tree(em, tree)
}
