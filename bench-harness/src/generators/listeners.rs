//! The forgotten event listener: a server registers a listener closure on a long-lived emitter
//! for every connection and never removes it. The listener captures its connection, so a closed
//! connection, its buffer and the buffer's external memory stay reachable from the emitter's
//! listener array, which keeps growing (a bigger array allocated and the slots copied, as a
//! JavaScript array grows: `new = old + old / 2 + 16`).
//!
//! Connections open and close at random (at most `open` at once) and receive `messages` chunks
//! each (short-lived buffers). Every `d` here is a leak: on close the program drops its root and
//! says `d` for the connection and its buffer, which its listener still reaches. The truly dead
//! objects (chunks, outgrown listener arrays) get no `d`, so a death check reports exactly the
//! leaks: two per connection.

use std::io;

use super::emit::Emitter;
use super::params::Args;
use super::{GenError, ParamSpec};
use crate::rng::SplitMix64;

pub const DESCRIPTION: &str = "the Node.js listener leak: per-connection listeners never removed keep closed connections alive";

pub const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "connections",
        default: "10000",
        help: "connections opened (and closed) in all; 1 to 1000000",
    },
    ParamSpec {
        name: "open",
        default: "100",
        help: "connections open at once, at most; 1 to 100000",
    },
    ParamSpec {
        name: "messages",
        default: "4",
        help: "chunks each connection receives; 0 to 1000",
    },
    ParamSpec {
        name: "buffer",
        default: "65536",
        help: "external bytes of each connection's socket buffer; 0 to 16777216",
    },
    ParamSpec {
        name: "seed",
        default: "1",
        help: "seed of which connection receives or closes; 0 to 18446744073709551615",
    },
];

const CHUNK_BYTES: u32 = 512;

struct Config {
    connections: u32,
    open: u32,
    messages: u32,
    buffer: u64,
    seed: u64,
}

impl Config {
    fn read(args: &mut Args<'_>) -> Result<Self, GenError> {
        Ok(Config {
            connections: args.number("connections", 1..=1_000_000)?,
            open: args.number("open", 1..=100_000)?,
            messages: args.number("messages", 0..=1000)?,
            buffer: args.number("buffer", 0..=16 << 20)?,
            seed: args.number("seed", 0..=u64::MAX)?,
        })
    }
}

pub(crate) fn generate(args: &mut Args<'_>, em: &mut Emitter<'_>) -> Result<(), GenError> {
    let config = Config::read(args)?;
    em.source(&args.source())?;
    Ok(Server::new(em, &config)?.run(em, &config)?)
}

/// An open connection: the `Connection` object (rooted by the socket) and its buffer.
#[derive(Copy, Clone, Debug)]
struct Connection {
    object: u64,
    buffer: u64,
}

struct Server {
    rng: SplitMix64,
    emitter: u64,
    /// The listener array and its capacity; `listeners` are the ids in its slots.
    array: Option<(u64, u32)>,
    listeners: Vec<u64>,
    open: Vec<Connection>,
}

impl Server {
    fn new(em: &mut Emitter<'_>, config: &Config) -> io::Result<Self> {
        Ok(Server {
            rng: SplitMix64::new(config.seed),
            // A module-level emitter: it keeps the root of its `a`. Slot 0 is its listeners.
            emitter: em.alloc(1, 0, "EventEmitter")?,
            array: None,
            listeners: Vec::new(),
            open: Vec::new(),
        })
    }

    fn run(&mut self, em: &mut Emitter<'_>, config: &Config) -> io::Result<()> {
        for _ in 0..config.connections {
            if self.open.len() >= config.open as usize {
                self.close_one(em)?;
            }
            self.connect(em, config.buffer)?;
            for _ in 0..config.messages {
                self.receive(em)?;
            }
        }
        while !self.open.is_empty() {
            self.close_one(em)?;
        }
        Ok(())
    }

    /// A connection with its buffer, and `emitter.on('data', () => connection...)`.
    fn connect(&mut self, em: &mut Emitter<'_>, buffer_bytes: u64) -> io::Result<()> {
        let object = em.alloc(1, 64, "Connection")?;
        let buffer = em.alloc(0, 0, "Buffer")?;
        em.external(buffer, buffer_bytes)?;
        em.adopt(object, 0, buffer)?;
        let listener = em.alloc(1, 0, "Closure")?;
        em.store(listener, 0, object)?;
        self.add_listener(em, listener)?;
        self.open.push(Connection { object, buffer });
        Ok(())
    }

    /// Appends a rooted listener to the array, growing it first when it is full.
    fn add_listener(&mut self, em: &mut Emitter<'_>, listener: u64) -> io::Result<()> {
        let length = self.listeners.len() as u32;
        let array = match self.array {
            Some((array, capacity)) if length < capacity => array,
            _ => self.grow(em)?,
        };
        em.adopt(array, length, listener)?;
        self.listeners.push(listener);
        Ok(())
    }

    /// A bigger array, the old slots copied into it, the emitter switched to it. The old array
    /// is garbage (and gets no `d`, see the module docs).
    fn grow(&mut self, em: &mut Emitter<'_>) -> io::Result<u64> {
        let old = self.array.map_or(0, |(_, capacity)| capacity);
        let capacity = old + old / 2 + 16;
        let array = em.alloc(capacity, 0, "Array")?;
        if let Some((old_array, _)) = self.array {
            for (slot, &listener) in (0..).zip(&self.listeners) {
                em.read(old_array, slot)?;
                em.store(array, slot, listener)?;
            }
        }
        em.adopt(self.emitter, 0, array)?;
        self.array = Some((array, capacity));
        Ok(array)
    }

    /// A chunk of data arrives on a random open connection: a short-lived buffer.
    fn receive(&mut self, em: &mut Emitter<'_>) -> io::Result<()> {
        let index = self.rng.below(self.open.len() as u64) as usize;
        let connection = self.open[index];
        let chunk = em.alloc(0, CHUNK_BYTES, "Buffer")?;
        em.read(connection.object, 0)?;
        em.unroot(chunk)
    }

    /// A random connection closes: the program lets go of it and believes it dead.
    fn close_one(&mut self, em: &mut Emitter<'_>) -> io::Result<()> {
        let index = self.rng.below(self.open.len() as u64) as usize;
        let connection = self.open.swap_remove(index);
        em.unroot(connection.object)?;
        em.dead(connection.object)?;
        em.dead(connection.buffer)
    }
}
