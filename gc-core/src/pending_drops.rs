//! The root drops a heap recorder holds back, by object: a small hash table beside the
//! [`HeapObjectsMap`](crate::heap_objects_map::HeapObjectsMap).
//!
//! An interpreter drops and remakes locals of the same objects all the time; the recorder
//! ([`mutator_recording`](crate::mutator_recording)) lets a drop wait so that a new root of the
//! same object takes it back instead of both being written. The waiting drops are counted per
//! object here, keyed by address, with the object's id beside the count: a drop (whose id the
//! recorder's mirror knows) and a take-back touch this table only, which the few hundred
//! objects an interpreter churns keep in cache, and not the map's entry of the object, a word
//! among megabytes of them.
//!
//! Layout: open addressing with linear probing over a power-of-two array of
//! `(address, id | count << ID_BITS)` pairs, at most half full (it grows); address 0 (null,
//! which no object has) marks a free slot. The objects are listed (`order`) in the order they
//! first got a drop since the last [`PendingDrops::drain`], which writes them in that order and
//! empties the table.
//!
//! Counting by address is sound because the recorder drains the table before anything moves an
//! object or reuses an address (a collection).

use crate::address::Address;

/// The bits of an entry's word that hold the id (the low ones); the others count its drops.
const ID_BITS: u32 = 48;

const ID_MASK: u64 = (1 << ID_BITS) - 1;

/// One drop, in an entry's word.
const ONE_DROP: u64 = 1 << ID_BITS;

/// Slots of a new table (a power of two).
const INITIAL_SLOTS: usize = 1 << 13;

#[derive(Copy, Clone, Default)]
struct Entry {
    /// 0 for a free slot.
    address: usize,
    /// The id in the low [`ID_BITS`] bits, the pending drops above.
    word: u64,
}

/// What [`PendingDrops::drop_pending`] did with a drop.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Pending {
    /// It waits; the object had none waiting before.
    First,
    /// It waits, with others of the same object.
    More,
    /// The object's count is full: the caller writes the drop now.
    Full,
}

/// Drops held back, per object; see the module docs.
pub(crate) struct PendingDrops {
    entries: Box<[Entry]>,
    /// Entries in use.
    len: usize,
    /// The slots of the entries, in the order they came (each once; renumbered when the table
    /// grows).
    order: Vec<usize>,
}

impl Default for PendingDrops {
    fn default() -> Self {
        PendingDrops {
            entries: vec![Entry::default(); INITIAL_SLOTS].into_boxed_slice(),
            len: 0,
            order: Vec::new(),
        }
    }
}

#[inline(always)]
fn home(address: usize, mask: usize) -> usize {
    // Word-aligned addresses, by word: objects allocated one after another (most of those whose
    // roots a scope's close drops) get slots close together, in few cache lines.
    (address >> 3) & mask
}

impl PendingDrops {
    /// The slot of `address`, or the free slot where it would go.
    #[inline(always)]
    fn find(&self, address: usize) -> usize {
        let mask = self.entries.len() - 1;
        let mut slot = home(address, mask);
        loop {
            let held = self.entries[slot].address;
            if held == address || held == 0 {
                return slot;
            }
            slot = (slot + 1) & mask;
        }
    }

    /// A root of the object at `address` (not null), id `id`, was dropped: the drop waits,
    /// unless the object's count is full.
    #[inline]
    pub(crate) fn drop_pending(&mut self, address: Address, id: u64) -> Pending {
        debug_assert!(!address.is_null() && id <= ID_MASK);
        let raw = address.raw();
        let slot = self.find(raw);
        let entry = &mut self.entries[slot];
        if entry.address == 0 {
            *entry = Entry {
                address: raw,
                word: id | ONE_DROP,
            };
            self.order.push(slot);
            self.len += 1;
            if self.len * 2 > self.entries.len() {
                self.grow();
            }
            return Pending::First;
        }
        let Some(word) = entry.word.checked_add(ONE_DROP) else {
            return Pending::Full;
        };
        entry.word = word;
        match entry.word >> ID_BITS {
            1 => Pending::First,
            _ => Pending::More,
        }
    }

    /// A root of the object at `address` was made: one of its waiting drops taken back, and
    /// its id, if it has one waiting.
    #[inline]
    pub(crate) fn take_back(&mut self, address: Address) -> Option<u64> {
        let slot = self.find(address.raw());
        let entry = &mut self.entries[slot];
        if entry.word < ONE_DROP {
            // A free slot (word 0), or an object whose drops were all taken back.
            return None;
        }
        entry.word -= ONE_DROP;
        Some(entry.word & ID_MASK)
    }

    /// Whether no object is listed.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Calls `write(id, count)` for each listed object with drops still waiting, in the order
    /// they were listed, and empties the table.
    pub(crate) fn drain(&mut self, mut write: impl FnMut(u64, u32)) {
        for &slot in &self.order {
            // Freed as it goes: no lookup follows until the table is empty.
            let word = std::mem::take(&mut self.entries[slot]).word;
            let count = (word >> ID_BITS) as u32;
            if count != 0 {
                write(word & ID_MASK, count);
            }
        }
        self.order.clear();
        self.len = 0;
    }

    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        let slots = self.entries.len() * 2;
        let old = std::mem::replace(
            &mut self.entries,
            vec![Entry::default(); slots].into_boxed_slice(),
        );
        for listed in &mut self.order {
            let entry = old[*listed];
            let mask = self.entries.len() - 1;
            let mut slot = home(entry.address, mask);
            while self.entries[slot].address != 0 {
                slot = (slot + 1) & mask;
            }
            self.entries[slot] = entry;
            *listed = slot;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(n: usize) -> Address {
        Address::new(n * 8)
    }

    fn drained(pending: &mut PendingDrops) -> Vec<(u64, u32)> {
        let mut written = Vec::new();
        pending.drain(|id, count| written.push((id, count)));
        written
    }

    #[test]
    fn a_drop_is_taken_back_by_a_new_root_of_the_object() {
        let mut pending = PendingDrops::default();
        assert_eq!(pending.take_back(at(1)), None);
        assert_eq!(pending.drop_pending(at(1), 7), Pending::First);
        assert_eq!(pending.drop_pending(at(1), 7), Pending::More);
        assert_eq!(pending.take_back(at(1)), Some(7));
        assert_eq!(pending.take_back(at(1)), Some(7));
        assert_eq!(pending.take_back(at(1)), None, "none left");
        assert_eq!(pending.drop_pending(at(1), 7), Pending::First, "again");
        assert_eq!(pending.take_back(at(2)), None, "another object");
        assert_eq!(drained(&mut pending), vec![(7, 1)]);
        assert!(pending.is_empty());
        assert_eq!(pending.take_back(at(1)), None, "drained");
    }

    #[test]
    fn drain_writes_in_the_order_objects_were_first_listed() {
        let mut pending = PendingDrops::default();
        pending.drop_pending(at(3), 30);
        pending.drop_pending(at(1), 10);
        pending.drop_pending(at(2), 20);
        pending.take_back(at(3));
        pending.drop_pending(at(3), 30);
        pending.drop_pending(at(1), 10);
        pending.take_back(at(2));
        assert_eq!(drained(&mut pending), vec![(30, 1), (10, 2)]);
        pending.drop_pending(at(2), 20);
        assert_eq!(drained(&mut pending), vec![(20, 1)]);
    }

    #[test]
    fn the_table_grows_and_keeps_every_count() {
        let mut pending = PendingDrops::default();
        let n = INITIAL_SLOTS * 3;
        for i in 1..=n {
            assert_eq!(pending.drop_pending(at(i), i as u64), Pending::First);
        }
        for i in (1..=n).step_by(2) {
            assert_eq!(pending.take_back(at(i)), Some(i as u64));
        }
        let written = drained(&mut pending);
        let expected: Vec<(u64, u32)> = (2..=n).step_by(2).map(|i| (i as u64, 1)).collect();
        assert_eq!(written, expected);
        assert!(pending.is_empty());
        for i in 1..=n {
            assert_eq!(pending.take_back(at(i)), None);
        }
    }

    #[test]
    fn a_full_count_is_refused_and_leaves_the_others() {
        let mut pending = PendingDrops::default();
        let full = (1u32 << (64 - ID_BITS)) - 1;
        assert_eq!(pending.drop_pending(at(1), 5), Pending::First);
        for _ in 1..full {
            assert_eq!(pending.drop_pending(at(1), 5), Pending::More);
        }
        assert_eq!(pending.drop_pending(at(1), 5), Pending::Full);
        assert_eq!(pending.take_back(at(1)), Some(5));
        assert_eq!(drained(&mut pending), vec![(5, full - 1)]);
    }
}
