//! Fragmentation: many objects of mixed sizes, most of them freed in a scattered pattern, the
//! survivors kept for the rest of the run; then request-like garbage that comes and goes.
//!
//! Each of `rounds` rounds allocates `objects / rounds` objects (one to four slots; payloads
//! mostly small, some of a kilobyte, a few of several), all rooted while the round builds. Then
//! every object survives with probability `survive` percent, drawn independently, so that
//! survivors are spread over every page the round filled: a survivor joins the long-lived list
//! (slot 0 links to the previous survivor; a rooted `Survivors` object holds the newest), the
//! others get `-` and `d`. After the rounds, `churn` short-lived `Temp` objects are allocated and
//! dropped one by one. A non-moving collector keeps every page with a survivor; a compacting one
//! can move the survivors together and give the rest back.

use std::io;

use super::emit::Emitter;
use super::params::Args;
use super::{GenError, ParamSpec};
use crate::rng::SplitMix64;

pub const DESCRIPTION: &str = "fragmentation: mixed-size objects, most freed in a scattered pattern, \
     the survivors kept long, then short-lived garbage";

pub const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "objects",
        default: "200000",
        help: "objects allocated in the rounds; 1 to 100000000",
    },
    ParamSpec {
        name: "rounds",
        default: "4",
        help: "rounds of allocating and freeing; 1 to 1000",
    },
    ParamSpec {
        name: "survive",
        default: "10",
        help: "percent of each round's objects kept to the end; 0 to 100",
    },
    ParamSpec {
        name: "churn",
        default: "400000",
        help: "short-lived objects allocated after the rounds; 0 to 100000000",
    },
    ParamSpec {
        name: "seed",
        default: "1",
        help: "seed of sizes and survivors; 0 to 18446744073709551615",
    },
];

struct Config {
    objects: u64,
    rounds: u64,
    survive: u64,
    churn: u64,
    seed: u64,
}

impl Config {
    fn read(args: &mut Args<'_>) -> Result<Self, GenError> {
        Ok(Config {
            objects: args.number("objects", 1..=100_000_000)?,
            rounds: args.number("rounds", 1..=1000)?,
            survive: args.number("survive", 0..=100)?,
            churn: args.number("churn", 0..=100_000_000)?,
            seed: args.number("seed", 0..=u64::MAX)?,
        })
    }
}

pub(crate) fn generate(args: &mut Args<'_>, em: &mut Emitter<'_>) -> Result<(), GenError> {
    let config = Config::read(args)?;
    em.source(&args.source())?;
    let mut heap = Fragmenter {
        rng: SplitMix64::new(config.seed),
        survivors: em.alloc(1, 0, "Survivors")?,
        newest: None,
    };
    let per_round = config.objects.div_ceil(config.rounds);
    let mut left = config.objects;
    while left > 0 {
        let count = per_round.min(left);
        heap.round(em, count, config.survive)?;
        left -= count;
    }
    for _ in 0..config.churn {
        let payload = heap.payload_bytes();
        let temp = em.alloc(1, payload, "Temp")?;
        em.unroot(temp)?;
        em.dead(temp)?;
    }
    Ok(())
}

struct Fragmenter {
    rng: SplitMix64,
    /// The rooted holder of the long-lived list.
    survivors: u64,
    /// The list's newest member.
    newest: Option<u64>,
}

impl Fragmenter {
    /// Mostly small payloads, a quarter up to a kilobyte, one in twenty up to 8 KB.
    fn payload_bytes(&mut self) -> u32 {
        let (low, high) = match self.rng.below(100) {
            0..70 => (16, 128),
            70..95 => (128, 1024),
            _ => (1024, 8192),
        };
        self.rng.in_range(low, high) as u32
    }

    /// Allocates `count` rooted objects, then keeps each with probability `survive` percent.
    fn round(&mut self, em: &mut Emitter<'_>, count: u64, survive: u64) -> io::Result<()> {
        let first = em.next_id();
        for _ in 0..count {
            let slots = self.rng.in_range(1, 5) as u32;
            let payload = self.payload_bytes();
            em.alloc(slots, payload, "Object")?;
        }
        for id in first..first + count {
            if self.rng.below(100) < survive {
                if let Some(newest) = self.newest {
                    em.store(id, 0, newest)?;
                }
                em.adopt(self.survivors, 0, id)?;
                self.newest = Some(id);
            } else {
                em.unroot(id)?;
                em.dead(id)?;
            }
        }
        Ok(())
    }
}
