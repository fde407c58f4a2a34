//! The sequential store buffer: the other remembered set (V8's `StoreBuffer` before slot sets
//! took over, and the SSB of many JVM collectors).
//!
//! The barrier's slow path appends the slot's address to a small buffer, with no lookup and no
//! duplicate check. When the buffer fills, its entries move into a hash set, which removes the
//! duplicates; iteration and removal work on the set. Recording is cheaper than in a slot set,
//! at the cost of a hash set that does not shrink page by page and of slower `contains`.

use hashbrown::HashSet;

use gc_core::collector_api::{Address, HeapObject, RememberedSet, SlotCallbackResult};

/// Entries the buffer holds before they move into the set.
pub const BUFFER_CAPACITY: usize = 1024;

#[derive(Default)]
pub struct StoreBuffer {
    buffer: Vec<Address>,
    set: HashSet<Address>,
}

impl StoreBuffer {
    /// Moves the buffered entries into the set.
    fn flush(&mut self) {
        self.set.extend(self.buffer.drain(..));
    }

    /// Entries waiting in the buffer (duplicates included).
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }
}

// SAFETY: `iterate` yields the members of `set`, which are recorded slots (moved from the buffer
// by `flush`) not removed since by `iterate`, `remove_range` or `clear`; a set holds each once.
unsafe impl RememberedSet for StoreBuffer {
    #[inline]
    unsafe fn record(&mut self, _host: HeapObject, slot: Address) {
        if self.buffer.capacity() == 0 {
            self.buffer.reserve_exact(BUFFER_CAPACITY);
        }
        self.buffer.push(slot);
        if self.buffer.len() == BUFFER_CAPACITY {
            self.flush();
        }
    }

    fn contains(&self, _host: HeapObject, slot: Address) -> bool {
        self.set.contains(&slot) || self.buffer.contains(&slot)
    }

    fn iterate(&mut self, f: &mut dyn FnMut(Address) -> SlotCallbackResult) {
        self.flush();
        self.set.retain(|&slot| f(slot) == SlotCallbackResult::Keep);
    }

    fn remove_range(&mut self, start: Address, end: Address) {
        self.flush();
        self.set.retain(|&slot| slot < start || slot >= end);
    }

    fn clear(&mut self) {
        self.buffer.clear();
        self.set.clear();
    }

    fn len(&self) -> usize {
        let pending: HashSet<Address> = self
            .buffer
            .iter()
            .copied()
            .filter(|slot| !self.set.contains(slot))
            .collect();
        self.set.len() + pending.len()
    }
}
