//! Seeded random graphs and mutations, for tests and fuzzing: allocations of random sizes (some
//! large, some with many slots), stores of objects, nulls and small integers, loads, roots added
//! and dropped, external memory, computing, and the occasional `gc` and `gc minor`.
//!
//! The mutator reaches objects the way a program does: from a rooted object along loaded slots
//! (every step an `r`), so whatever it touches is reachable at that moment. Every `collect-every`
//! events, and whenever `max-live` objects exist, it finds the objects no root reaches
//! ([`super::random_heap`]) and says `d` for them; their ids are reused by later allocations.

use std::io;

use super::emit::Emitter;
use super::params::Args;
use super::random_heap::RandomHeap;
use super::{GenError, ParamSpec};
use crate::rng::SplitMix64;
use gc_trace::record::{SMI_END, SMI_MIN};
use gc_trace::{GcRequest, TraceValue};

pub const DESCRIPTION: &str =
    "seeded random object graphs and mutations (valid traces for tests and fuzzing)";

pub const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "events",
        default: "100000",
        help: "mutator operations (each one or more records); 1 to 100000000",
    },
    ParamSpec {
        name: "seed",
        default: "1",
        help: "seed of every choice; 0 to 18446744073709551615",
    },
    ParamSpec {
        name: "max-live",
        default: "1000",
        help: "objects allocated and not yet declared dead, at most; 1 to 1000000",
    },
    ParamSpec {
        name: "collect-every",
        default: "100",
        help: "operations between searches for unreachable objects (to say `d`); 1 to 1000000",
    },
];

const LABELS: [Option<&str>; 4] = [Some("Node"), Some("Pair"), Some("Blob"), None];

struct Config {
    events: u64,
    seed: u64,
    max_live: usize,
    collect_every: u64,
}

impl Config {
    fn read(args: &mut Args<'_>) -> Result<Self, GenError> {
        Ok(Config {
            events: args.number("events", 1..=100_000_000)?,
            seed: args.number("seed", 0..=u64::MAX)?,
            max_live: args.number("max-live", 1..=1_000_000)?,
            collect_every: args.number("collect-every", 1..=1_000_000)?,
        })
    }
}

pub(crate) fn generate(args: &mut Args<'_>, em: &mut Emitter<'_>) -> Result<(), GenError> {
    let config = Config::read(args)?;
    em.source(&args.source())?;
    let mut mutator = Mutator {
        rng: SplitMix64::new(config.seed),
        heap: RandomHeap::default(),
        max_live: config.max_live,
    };
    for event in 1..=config.events {
        mutator.step(em)?;
        if event % config.collect_every == 0 {
            mutator.heap.sweep(em)?;
        }
    }
    Ok(())
}

struct Mutator {
    rng: SplitMix64,
    heap: RandomHeap,
    max_live: usize,
}

impl Mutator {
    fn step(&mut self, em: &mut Emitter<'_>) -> io::Result<()> {
        match self.rng.below(1000) {
            0..300 => self.allocate(em),
            300..550 => self.store(em),
            550..680 => self.walk(em).map(drop),
            680..730 => self.add_root(em),
            730..870 => self.drop_root(em),
            870..900 => self.external(em),
            900..996 => em.think(self.rng.below(20_000)),
            996..999 => em.gc(GcRequest::Minor),
            _ => em.gc(GcRequest::Full),
        }
    }

    /// A new object; half the time it is stored into a reachable object and loses its root.
    fn allocate(&mut self, em: &mut Emitter<'_>) -> io::Result<()> {
        if self.heap.live() >= self.max_live {
            self.heap.sweep(em)?;
        }
        if self.heap.live() >= self.max_live {
            return self.drop_root(em);
        }
        let slots = match self.rng.one_in(50) {
            true => self.rng.below(65) as u32,
            false => self.rng.below(9) as u32,
        };
        let bytes = match self.rng.one_in(20) {
            true => self.rng.in_range(4096, 256 << 10) as u32,
            false => self.rng.below(129) as u32,
        };
        let label = LABELS[self.rng.below(LABELS.len() as u64) as usize];
        let id = self.heap.allocate(slots);
        em.alloc_id(id, slots, bytes, label)?;
        if self.rng.one_in(2) {
            return Ok(());
        }
        let Some((parent, slot)) = self.reachable_slot(em)? else {
            return Ok(());
        };
        self.heap.set_slot(parent, slot, Some(id));
        em.store(parent, slot, id)?;
        let index = self.heap.rooted.iter().rposition(|&r| r == id).unwrap_or(0);
        self.heap.drop_root(index);
        em.unroot(id)
    }

    /// A reachable object: a rooted one, then up to three loads of random slots.
    fn walk(&mut self, em: &mut Emitter<'_>) -> io::Result<Option<u64>> {
        if self.heap.rooted.is_empty() {
            return Ok(None);
        }
        let mut id = self.heap.rooted[self.rng.below(self.heap.rooted.len() as u64) as usize];
        for _ in 0..self.rng.below(4) {
            let slots = self.heap.object(id).map_or(&[][..], |o| &o.slots[..]);
            if slots.is_empty() {
                break;
            }
            let slot = self.rng.below(slots.len() as u64) as usize;
            let target = slots[slot];
            em.read(id, slot as u32)?;
            match target {
                Some(target) => id = target,
                None => break,
            }
        }
        Ok(Some(id))
    }

    /// A slot of a reachable object, if the walk found one with slots.
    fn reachable_slot(&mut self, em: &mut Emitter<'_>) -> io::Result<Option<(u64, u32)>> {
        let Some(id) = self.walk(em)? else {
            return Ok(None);
        };
        let slots = self.heap.object(id).map_or(0, |o| o.slots.len() as u64);
        match slots {
            0 => Ok(None),
            _ => Ok(Some((id, self.rng.below(slots) as u32))),
        }
    }

    /// Stores a reachable object (half the time), `null` or a small integer.
    fn store(&mut self, em: &mut Emitter<'_>) -> io::Result<()> {
        let Some((id, slot)) = self.reachable_slot(em)? else {
            return Ok(());
        };
        let value = match self.rng.below(10) {
            0..5 => self.walk(em)?.map_or(TraceValue::Null, TraceValue::Object),
            5..7 => TraceValue::Null,
            _ => TraceValue::Smi(self.smi()),
        };
        let target = match value {
            TraceValue::Object(target) => Some(target),
            _ => None,
        };
        self.heap.set_slot(id, slot, target);
        em.write(id, slot, value)
    }

    /// A small integer anywhere in the SMI range.
    fn smi(&mut self) -> i32 {
        let offset = self.rng.below((SMI_END - SMI_MIN) as u64) as i64;
        (SMI_MIN + offset) as i32
    }

    fn add_root(&mut self, em: &mut Emitter<'_>) -> io::Result<()> {
        let Some(id) = self.walk(em)? else {
            return Ok(());
        };
        self.heap.add_root(id);
        em.root(id)
    }

    fn drop_root(&mut self, em: &mut Emitter<'_>) -> io::Result<()> {
        if self.heap.rooted.is_empty() {
            return Ok(());
        }
        let index = self.rng.below(self.heap.rooted.len() as u64) as usize;
        let id = self.heap.drop_root(index);
        em.unroot(id)
    }

    fn external(&mut self, em: &mut Emitter<'_>) -> io::Result<()> {
        let Some(id) = self.walk(em)? else {
            return Ok(());
        };
        em.external(id, self.rng.below(1 << 20))
    }
}
