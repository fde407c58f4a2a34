//! The remembered set: slots outside new space that point into it, recorded by the generational
//! write barrier and used by the scavenger as extra roots (V8's `RememberedSet<OLD_TO_NEW>`).
//! Implementations come with the scavenger.

use crate::address::Address;
use crate::object::HeapObject;

/// What an iteration callback wants done with the slot it was shown (V8's
/// `SlotCallbackResult`).
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum SlotCallbackResult {
    Keep,
    Remove,
}

pub trait RememberedSet {
    /// Records that `slot`, inside `host`, may point into new space. Recording twice is harmless.
    fn record(&mut self, host: HeapObject, slot: Address);

    /// Whether `slot` inside `host` is recorded.
    fn contains(&self, host: HeapObject, slot: Address) -> bool;

    /// Calls `f` with every recorded slot; drops the slots for which it returns `Remove`.
    fn iterate(&mut self, f: &mut dyn FnMut(Address) -> SlotCallbackResult);

    /// Forgets every slot in `[start, end)` (a freed object or page).
    fn remove_range(&mut self, start: Address, end: Address);

    fn clear(&mut self);

    /// Number of recorded slots.
    fn len(&self) -> usize;

    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
