//! The closure leak of Meteor's "An interesting kind of JavaScript memory leak": every tick,
//! `replaceThing` replaces the global `theThing` with a new object holding a long string and a
//! closure `someMethod`; an `unused` closure in the same call refers to the previous `theThing`.
//! Closures created in one call share one context, so `someMethod` keeps the context, the context
//! keeps the previous `theThing`, and every `theThing` ever made stays reachable.
//!
//! ```js
//! var theThing = null;
//! var replaceThing = function () {
//!   var originalThing = theThing;
//!   var unused = function () { if (originalThing) console.log("hi"); };
//!   theThing = { longStr: new Array(1000000).join('*'), someMethod: function () {} };
//! };
//! setInterval(replaceThing, 1000);
//! ```
//!
//! Every `d` here is a leak: after each tick the trace says `d` for the previous `theThing`, its
//! string, its `someMethod` and its call's context, which the author believes dead and the heap
//! still reaches (global -> theThing -> someMethod -> context -> previous theThing -> ...). The
//! `unused` closures really die and get no `d`, so a death check reports exactly the leaks.

use std::io;

use super::emit::Emitter;
use super::params::Args;
use super::{GenError, ParamSpec};
use gc_trace::TraceValue;

pub const DESCRIPTION: &str = "the Node.js closure leak: each tick's theThing stays reachable through a shared closure context";

pub const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "ticks",
        default: "100",
        help: "calls of replaceThing; every tick leaks about --bytes; 1 to 10000",
    },
    ParamSpec {
        name: "bytes",
        default: "1048576",
        help: "raw bytes of each longStr; 0 to 67108864",
    },
    ParamSpec {
        name: "interval",
        default: "1000000",
        help: "nanoseconds of computing between ticks (a `t` record); 0 to 1000000000",
    },
];

/// The objects one call of `replaceThing` leaves behind in `theThing`.
#[derive(Copy, Clone, Debug)]
struct Thing {
    thing: u64,
    string: u64,
    method: u64,
    context: u64,
}

struct Config {
    ticks: u32,
    bytes: u32,
    interval: u64,
}

pub(crate) fn generate(args: &mut Args<'_>, em: &mut Emitter<'_>) -> Result<(), GenError> {
    let config = Config {
        ticks: args.number("ticks", 1..=10_000)?,
        bytes: args.number("bytes", 0..=64 << 20)?,
        interval: args.number("interval", 0..=1_000_000_000)?,
    };
    em.source(&args.source())?;
    Ok(run(em, &config)?)
}

fn run(em: &mut Emitter<'_>, config: &Config) -> io::Result<()> {
    // The global object keeps the root of its `a`; slot 0 is `theThing`.
    let global = em.alloc(1, 0, "Global")?;
    let mut previous: Option<Thing> = None;
    for _ in 0..config.ticks {
        let thing = replace_thing(em, global, previous.map(|p| p.thing), config.bytes)?;
        if let Some(old) = previous {
            for id in [old.thing, old.string, old.method, old.context] {
                em.dead(id)?;
            }
        }
        previous = Some(thing);
        em.think(config.interval)?;
    }
    Ok(())
}

/// One call of `replaceThing`; `original` is the current `theThing`.
fn replace_thing(
    em: &mut Emitter<'_>,
    global: u64,
    original: Option<u64>,
    bytes: u32,
) -> io::Result<Thing> {
    // The call's context holds `originalThing`, captured by `unused` (and so shared with
    // `someMethod`).
    let context = em.alloc(1, 0, "Context")?;
    em.read(global, 0)?;
    em.write(
        context,
        0,
        original.map_or(TraceValue::Null, TraceValue::Object),
    )?;
    let unused = em.alloc(1, 0, "Closure")?;
    em.store(unused, 0, context)?;
    let thing = em.alloc(2, 0, "Thing")?;
    let string = em.alloc(0, bytes, "String")?;
    em.adopt(thing, 0, string)?;
    let method = em.alloc(1, 0, "Closure")?;
    em.store(method, 0, context)?;
    em.adopt(thing, 1, method)?;
    em.adopt(global, 0, thing)?;
    // The call returns: its locals and its frame's hold on the context go.
    em.unroot(unused)?;
    em.unroot(context)?;
    Ok(Thing {
        thing,
        string,
        method,
        context,
    })
}
