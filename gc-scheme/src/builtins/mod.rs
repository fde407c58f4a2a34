//! The primitive procedures, by topic: numbers, data (pairs, lists, vectors, strings, symbols,
//! characters, equivalence), control (application, continuations, values, errors, records,
//! promises), ports (input and output) and the system (time, the collector).
//!
//! A primitive gets its arguments as locals of the caller's scope, after the machine checked
//! their count against its arity; it checks their types itself and returns a wrong-type error
//! naming itself, never panics.

mod control;
mod data;
mod numbers;
mod ports;
mod system;

use gclab::{Collector, HandleScope, Value};

use crate::errors::Result;
use crate::machine::Interp;

/// A primitive's code.
pub type PrimFn<C> =
    for<'s> fn(&mut Interp<C>, &mut HandleScope<'s>, &[Value<'s>]) -> Result<Value<'s>>;

/// A primitive procedure: its global name, its arity (`max` `None` for any number) and code.
pub struct Primitive<C: Collector> {
    pub name: &'static str,
    pub min: usize,
    pub max: Option<usize>,
    pub function: PrimFn<C>,
}

/// A primitive of fixed arity `n`.
fn fixed<C: Collector>(name: &'static str, n: usize, function: PrimFn<C>) -> Primitive<C> {
    Primitive {
        name,
        min: n,
        max: Some(n),
        function,
    }
}

/// A primitive of `min` to `max` arguments.
fn ranged<C: Collector>(
    name: &'static str,
    min: usize,
    max: Option<usize>,
    function: PrimFn<C>,
) -> Primitive<C> {
    Primitive {
        name,
        min,
        max,
        function,
    }
}

/// Every primitive, in the order they are installed as globals.
pub fn primitives<C: Collector>() -> Vec<Primitive<C>> {
    let mut all = numbers::primitives();
    all.extend(data::primitives());
    all.extend(control::primitives());
    all.extend(ports::primitives());
    all.extend(system::primitives());
    all
}
