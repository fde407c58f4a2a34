//! Boehm's GCBench (Ellis, Kovac and Boehm): a stretch tree, a long-lived tree and a long-lived
//! array of doubles, then for every second depth from the minimum to the maximum, as many trees
//! as make up twice the stretch tree's nodes, built top-down (`Populate`) and again bottom-up
//! (`MakeTree`), each dropped at once. Nodes are `Node` objects with left and right slots and two
//! ints (8 raw bytes).
//!
//! Every temporary tree ends with `d` for all its nodes; the long-lived tree and the array stay
//! rooted to the end (the benchmark checks them last) and are the trace's final live data.

use std::io;

use super::emit::Emitter;
use super::params::Args;
use super::trees::{self, NodeShape};
use super::{GenError, ParamSpec};

pub const DESCRIPTION: &str = "Boehm's GCBench: temporary trees of many depths built top-down and bottom-up next to a long-lived tree and array";

pub const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "stretch-depth",
        default: "18",
        help: "depth of the stretch tree, which also sets the number of trees per depth; 0 to 22",
    },
    ParamSpec {
        name: "long-lived-depth",
        default: "16",
        help: "depth of the tree kept alive to the end; 0 to 22",
    },
    ParamSpec {
        name: "array-size",
        default: "500000",
        help: "doubles in the long-lived array (8 bytes each); 0 to 100000000",
    },
    ParamSpec {
        name: "min-depth",
        default: "4",
        help: "smallest depth of the temporary trees; 0 to 22",
    },
    ParamSpec {
        name: "max-depth",
        default: "16",
        help: "largest depth of the temporary trees (stepping by 2 from min-depth); 0 to 22",
    },
];

const NODE: NodeShape = NodeShape {
    bytes: 8,
    label: "Node",
};

struct Config {
    stretch_depth: u32,
    long_lived_depth: u32,
    array_size: u32,
    min_depth: u32,
    max_depth: u32,
}

impl Config {
    fn read(args: &mut Args<'_>) -> Result<Self, GenError> {
        let config = Config {
            stretch_depth: args.number("stretch-depth", 0..=22)?,
            long_lived_depth: args.number("long-lived-depth", 0..=22)?,
            array_size: args.number("array-size", 0..=100_000_000)?,
            min_depth: args.number("min-depth", 0..=22)?,
            max_depth: args.number("max-depth", 0..=22)?,
        };
        if config.min_depth > config.max_depth {
            return Err(GenError::Order {
                low: "min-depth",
                low_value: config.min_depth.into(),
                high: "max-depth",
                high_value: config.max_depth.into(),
            });
        }
        Ok(config)
    }

    /// `NumIters(d) = 2 * TreeSize(stretch) / TreeSize(d)`: each depth allocates about the same.
    fn iterations(&self, depth: u32) -> u64 {
        2 * trees::size(self.stretch_depth) / trees::size(depth)
    }

    fn run(&self, em: &mut Emitter<'_>) -> io::Result<()> {
        let stretch = NODE.bottom_up(em, self.stretch_depth)?;
        trees::drop_tree(em, stretch)?;
        let long_lived = NODE.top_down(em, self.long_lived_depth)?;
        // The array keeps the root of its `a` to the end, as the long-lived tree does.
        em.alloc(0, 8 * self.array_size, "double[]")?;
        for depth in (self.min_depth..=self.max_depth).step_by(2) {
            self.time_construction(em, depth)?;
        }
        // `if (longLivedTree == null || ...)`: the tree is used at the end.
        em.read(long_lived.top, 0)
    }

    fn time_construction(&self, em: &mut Emitter<'_>, depth: u32) -> io::Result<()> {
        for _ in 0..self.iterations(depth) {
            let tree = NODE.top_down(em, depth)?;
            trees::drop_tree(em, tree)?;
        }
        for _ in 0..self.iterations(depth) {
            let tree = NODE.bottom_up(em, depth)?;
            trees::drop_tree(em, tree)?;
        }
        Ok(())
    }
}

pub(crate) fn generate(args: &mut Args<'_>, em: &mut Emitter<'_>) -> Result<(), GenError> {
    let config = Config::read(args)?;
    em.source(&args.source())?;
    Ok(config.run(em)?)
}
