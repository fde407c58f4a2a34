//! A web server: request-scoped garbage next to a long-lived session cache. Each request
//! allocates a `Request` with its `Headers`, a body `Buffer` owning external memory (`e`), looks
//! up (or creates) the user's session in an LRU cache ([`super::session_cache`]), computes (`t`),
//! and builds a `Response` with a body `String`; when it is answered, all five are garbage and
//! get `d`. Sessions evicted from the cache get `d` with their data.
//!
//! Users are drawn so that a tenth of them make 80% of the requests: the hot sessions stay in the
//! cache and age, the cold ones churn through it.

use std::io;

use super::emit::Emitter;
use super::params::Args;
use super::session_cache::SessionCache;
use super::{GenError, ParamSpec};
use crate::rng::SplitMix64;

pub const DESCRIPTION: &str =
    "a web server: short-lived request objects next to an LRU session cache, with external buffers";

pub const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "requests",
        default: "100000",
        help: "requests served; 1 to 10000000",
    },
    ParamSpec {
        name: "sessions",
        default: "1000",
        help: "capacity of the session cache; 1 to 1000000",
    },
    ParamSpec {
        name: "users",
        default: "10000",
        help: "distinct users making requests; 1 to 100000000",
    },
    ParamSpec {
        name: "seed",
        default: "1",
        help: "seed of users, sizes and compute times; 0 to 18446744073709551615",
    },
];

struct Config {
    requests: u32,
    sessions: u32,
    users: u64,
    seed: u64,
}

impl Config {
    fn read(args: &mut Args<'_>) -> Result<Self, GenError> {
        Ok(Config {
            requests: args.number("requests", 1..=10_000_000)?,
            sessions: args.number("sessions", 1..=1_000_000)?,
            users: args.number("users", 1..=100_000_000)?,
            seed: args.number("seed", 0..=u64::MAX)?,
        })
    }
}

pub(crate) fn generate(args: &mut Args<'_>, em: &mut Emitter<'_>) -> Result<(), GenError> {
    let config = Config::read(args)?;
    em.source(&args.source())?;
    let mut server = Server {
        rng: SplitMix64::new(config.seed),
        cache: SessionCache::new(em, config.sessions)?,
        users: config.users,
    };
    for _ in 0..config.requests {
        server.serve(em)?;
    }
    Ok(())
}

struct Server {
    rng: SplitMix64,
    cache: SessionCache,
    users: u64,
}

impl Server {
    /// A tenth of the users (at least one) make 80% of the requests.
    fn pick_user(&mut self) -> u64 {
        match self.rng.below(10) < 8 {
            true => self.rng.below((self.users / 10).max(1)),
            false => self.rng.below(self.users),
        }
    }

    /// One request, from parsing to the response; everything it allocated dies at the end.
    fn serve(&mut self, em: &mut Emitter<'_>) -> io::Result<()> {
        let request = em.alloc(4, 96, "Request")?;
        let headers = em.alloc(0, self.rng.in_range(200, 1200) as u32, "Headers")?;
        em.adopt(request, 0, headers)?;
        let body = em.alloc(0, 0, "Buffer")?;
        em.external(body, self.rng.below(64 << 10))?;
        em.adopt(request, 1, body)?;
        let user = self.pick_user();
        let session = self.cache.get_or_create(em, user)?;
        em.store(request, 2, session)?;
        em.think(self.rng.in_range(5_000, 50_000))?;
        let response = em.alloc(1, 64, "Response")?;
        let text = em.alloc(0, self.rng.in_range(256, 8192) as u32, "String")?;
        em.adopt(response, 0, text)?;
        em.adopt(request, 3, response)?;
        em.read(request, 3)?;
        em.unroot(request)?;
        [request, headers, body, response, text]
            .into_iter()
            .try_for_each(|id| em.dead(id))
    }
}
