//! Trace generators for `gclab gen NAME [--param value ...] -o FILE`: the workloads the field uses
//! to stress collectors (Boehm's GCBench, the Benchmarks Game's binary-trees, Octane's Splay, two
//! Node.js leaks, a server with a session cache, seeded random graphs, fragmentation), written as `gctrace 1`
//! records into any [`TraceSink`].
//!
//! Invariants every generator keeps:
//! - Its output obeys the Rules of `shared/trace-format.md`: whatever must survive the next `a` is
//!   rooted or stored in a reachable slot before it; only reachable objects are touched; ids are
//!   never reused before their `d`. Every object holds the root of its `a` until it is stored
//!   where it lives (then `-`).
//! - `d ID` follows the moment its object became unreachable, except in `leaky` and `listeners`,
//!   where every `d` is a leak: the program believes the object dead, the heap still reaches it.
//! - The output is a function of the parameters (seeded generators take a `seed`), written first
//!   as `@ source NAME key=value...` with every effective parameter.
//! - Records stream into the sink: a generator's memory is in proportion to its live data.
//! - Parameters are checked (names, numbers, ranges) before the first record is written.

mod binary_trees;
mod emit;
mod fragment;
mod gcbench;
mod leaky;
mod listeners;
mod params;
mod random;
mod random_heap;
mod server;
mod session_cache;
mod splay;
mod splay_tree;
mod trees;

use std::io;

use thiserror::Error;

use emit::Emitter;
use gc_trace::TraceSink;
use params::Args;

/// A workload `gclab gen` can write as a trace.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Generator {
    GcBench,
    BinaryTrees,
    Splay,
    Leaky,
    Listeners,
    Server,
    Random,
    Fragment,
}

/// One parameter of a generator, for `gclab gen --help`; `help` ends with the valid range.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ParamSpec {
    pub name: &'static str,
    pub default: &'static str,
    pub help: &'static str,
}

/// Why a generator wrote no trace, or stopped writing one.
#[derive(Debug, Error)]
pub enum GenError {
    #[error("{generator} has no parameter --{name}; its parameters are {valid}")]
    UnknownParam {
        generator: &'static str,
        name: String,
        valid: String,
    },
    #[error("expected a parameter (--name value), found {word:?}")]
    NotAParam { word: String },
    #[error("--{name} needs a value")]
    MissingValue { name: String },
    #[error("--{name} is given more than once")]
    Repeated { name: String },
    #[error("bad value {value:?} for --{name}: expected an integer from {min} to {max}")]
    BadValue {
        name: &'static str,
        value: String,
        min: u64,
        max: u64,
    },
    #[error("--{low} ({low_value}) must not be greater than --{high} ({high_value})")]
    Order {
        low: &'static str,
        low_value: u64,
        high: &'static str,
        high_value: u64,
    },
    #[error("cannot write the trace: {0}")]
    Io(#[from] io::Error),
}

impl Generator {
    pub const ALL: [Generator; 8] = [
        Generator::GcBench,
        Generator::BinaryTrees,
        Generator::Splay,
        Generator::Leaky,
        Generator::Listeners,
        Generator::Server,
        Generator::Random,
        Generator::Fragment,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Generator::GcBench => "gcbench",
            Generator::BinaryTrees => "binary-trees",
            Generator::Splay => "splay",
            Generator::Leaky => "leaky",
            Generator::Listeners => "listeners",
            Generator::Server => "server",
            Generator::Random => "random",
            Generator::Fragment => "fragment",
        }
    }

    pub fn from_name(name: &str) -> Option<Generator> {
        Self::ALL
            .into_iter()
            .find(|generator| generator.name() == name)
    }

    /// One line for `gclab gen --help`.
    pub fn description(self) -> &'static str {
        match self {
            Generator::GcBench => gcbench::DESCRIPTION,
            Generator::BinaryTrees => binary_trees::DESCRIPTION,
            Generator::Splay => splay::DESCRIPTION,
            Generator::Leaky => leaky::DESCRIPTION,
            Generator::Listeners => listeners::DESCRIPTION,
            Generator::Server => server::DESCRIPTION,
            Generator::Random => random::DESCRIPTION,
            Generator::Fragment => fragment::DESCRIPTION,
        }
    }

    pub fn params(self) -> &'static [ParamSpec] {
        match self {
            Generator::GcBench => gcbench::PARAMS,
            Generator::BinaryTrees => binary_trees::PARAMS,
            Generator::Splay => splay::PARAMS,
            Generator::Leaky => leaky::PARAMS,
            Generator::Listeners => listeners::PARAMS,
            Generator::Server => server::PARAMS,
            Generator::Random => random::PARAMS,
            Generator::Fragment => fragment::PARAMS,
        }
    }

    /// Writes the trace into `sink` and finishes it. `args` are the raw `--key value` (or
    /// `--key=value`) words after the generator's name; a bad one is an error before any record
    /// is written.
    pub fn generate(self, args: &[String], sink: &mut dyn TraceSink) -> Result<(), GenError> {
        let mut args = Args::parse(self.name(), self.params(), args)?;
        let mut emitter = Emitter::new(sink);
        match self {
            Generator::GcBench => gcbench::generate(&mut args, &mut emitter)?,
            Generator::BinaryTrees => binary_trees::generate(&mut args, &mut emitter)?,
            Generator::Splay => splay::generate(&mut args, &mut emitter)?,
            Generator::Leaky => leaky::generate(&mut args, &mut emitter)?,
            Generator::Listeners => listeners::generate(&mut args, &mut emitter)?,
            Generator::Server => server::generate(&mut args, &mut emitter)?,
            Generator::Random => random::generate(&mut args, &mut emitter)?,
            Generator::Fragment => fragment::generate(&mut args, &mut emitter)?,
        }
        Ok(emitter.finish()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for generator in Generator::ALL {
            assert_eq!(Generator::from_name(generator.name()), Some(generator));
        }
        assert_eq!(Generator::from_name("gc-bench"), None);
    }
}
