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

/// A set of old-to-new slots.
///
/// # Safety
/// The scavenger reads and writes through every address the set yields, so an implementation
/// promises: [`RememberedSet::iterate`] calls its callback only with slots that were passed to
/// [`RememberedSet::record`] and not removed since (by `iterate` returning `Remove`,
/// [`RememberedSet::remove_range`] or [`RememberedSet::clear`]), each at most once per
/// iteration. As `record` is `unsafe` and takes only pointer slots of live objects, that makes
/// every slot yielded an address inside a live object (rules P1 and P2 of the crate docs), as
/// long as the collector removes the slots of the objects it frees.
///
/// An implementation without `unsafe impl` does not compile:
///
/// ```compile_fail,E0200
/// use gc_core::collector_api::{Address, HeapObject, RememberedSet, SlotCallbackResult};
///
/// /// Yields an address that no one recorded.
/// struct Bogus;
///
/// impl RememberedSet for Bogus {
///     unsafe fn record(&mut self, _host: HeapObject, _slot: Address) {}
///     fn contains(&self, _host: HeapObject, _slot: Address) -> bool {
///         false
///     }
///     fn iterate(&mut self, f: &mut dyn FnMut(Address) -> SlotCallbackResult) {
///         f(Address::new(8));
///     }
///     fn remove_range(&mut self, _start: Address, _end: Address) {}
///     fn clear(&mut self) {}
///     fn len(&self) -> usize {
///         1
///     }
/// }
/// ```
pub unsafe trait RememberedSet {
    /// Records that `slot`, inside `host`, may point into new space. Recording twice is harmless.
    ///
    /// # Safety
    /// `slot` is the address of a pointer slot of `host` (a live object, P2), as
    /// `HeapObject::slot_address` gives it: the set hands it back to the scavenger, which reads
    /// and writes it.
    unsafe fn record(&mut self, host: HeapObject, slot: Address);

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
