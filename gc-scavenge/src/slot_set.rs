//! The slot set: a page's remembered slots as a two-level bitmap (V8's `SlotSet`), and the
//! remembered set made of one slot set per page.
//!
//! ```text
//!  SlotSet of a page: one bucket per 8 KiB of the page, allocated on first use
//!  ┌────────┬────────┬────────┬─────┐
//!  │ bucket │  None  │ bucket │ ... │   buckets: Vec<Option<Box<Bucket>>>
//!  └───┬────┴────────┴───┬────┴─────┘
//!      ▼                 ▼
//!  ┌──────┬──────┬─────┬──────┐        Bucket: 16 cells of 64 bits = 1024 slots,
//!  │ cell │ cell │ ... │ cell │        one bit per word of the page
//!  └──────┴──────┴─────┴──────┘
//! ```
//!
//! A slot at byte offset `o` of its page is bit `o / 8`: bucket `bit / 1024`, cell
//! `bit % 1024 / 64`, bit `bit % 64`. A page with few old-to-new slots costs a bucket or two;
//! an untouched region costs a null pointer. Buckets that iteration empties are freed.

use hashbrown::HashMap;

use gc_core::PAGE_SIZE;
use gc_core::collector_api::{Address, HeapObject, RememberedSet, SlotCallbackResult, WORD};
use gc_core::page::PageRef;

const CELL_BITS: usize = 64;
const CELLS_PER_BUCKET: usize = 16;
const SLOTS_PER_BUCKET: usize = CELL_BITS * CELLS_PER_BUCKET;

type Bucket = [u64; CELLS_PER_BUCKET];

/// The recorded slots of one page, by byte offset from the page start.
#[derive(Default, Debug)]
pub struct SlotSet {
    buckets: Vec<Option<Box<Bucket>>>,
    len: usize,
}

fn locate(offset: usize) -> (usize, usize, u64) {
    debug_assert_eq!(offset % WORD, 0);
    let bit = offset / WORD;
    (
        bit / SLOTS_PER_BUCKET,
        bit % SLOTS_PER_BUCKET / CELL_BITS,
        1 << (bit % CELL_BITS),
    )
}

impl SlotSet {
    /// Records the slot at `offset`; `true` if it was not recorded yet.
    pub fn insert(&mut self, offset: usize) -> bool {
        let (bucket, cell, mask) = locate(offset);
        if bucket >= self.buckets.len() {
            self.buckets.resize_with(bucket + 1, || None);
        }
        let cells = self.buckets[bucket].get_or_insert_with(|| Box::new([0; CELLS_PER_BUCKET]));
        let added = cells[cell] & mask == 0;
        cells[cell] |= mask;
        self.len += usize::from(added);
        added
    }

    pub fn contains(&self, offset: usize) -> bool {
        let (bucket, cell, mask) = locate(offset);
        matches!(self.buckets.get(bucket), Some(Some(cells)) if cells[cell] & mask != 0)
    }

    /// Forgets the slots in `[start, end)` (byte offsets).
    pub fn remove_range(&mut self, start: usize, end: usize) {
        // Word by word within the affected buckets: ranges are objects or pages, and buckets
        // that are absent are skipped whole.
        let mut offset = start;
        while offset < end {
            let (bucket, cell, mask) = locate(offset);
            match self.buckets.get_mut(bucket) {
                Some(Some(cells)) => {
                    if cells[cell] & mask != 0 {
                        cells[cell] &= !mask;
                        self.len -= 1;
                    }
                    offset += WORD;
                }
                _ => offset = (bucket + 1) * SLOTS_PER_BUCKET * WORD,
            }
        }
        self.free_empty_buckets();
    }

    /// Calls `f` with the offset of every recorded slot, in address order; drops the slots for
    /// which it returns `Remove`, and frees buckets left empty.
    pub fn iterate(&mut self, mut f: impl FnMut(usize) -> SlotCallbackResult) {
        for (b, bucket) in self.buckets.iter_mut().enumerate() {
            let Some(cells) = bucket else { continue };
            for (c, cell) in cells.iter_mut().enumerate() {
                let mut bits = *cell;
                while bits != 0 {
                    let bit = bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    let offset = (b * SLOTS_PER_BUCKET + c * CELL_BITS + bit) * WORD;
                    if f(offset) == SlotCallbackResult::Remove {
                        *cell &= !(1 << bit);
                        self.len -= 1;
                    }
                }
            }
        }
        self.free_empty_buckets();
    }

    fn free_empty_buckets(&mut self) {
        for bucket in &mut self.buckets {
            if bucket
                .as_ref()
                .is_some_and(|cells| cells.iter().all(|&c| c == 0))
            {
                *bucket = None;
            }
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Buckets allocated now.
    pub fn buckets(&self) -> usize {
        self.buckets.iter().filter(|b| b.is_some()).count()
    }
}

/// The remembered set as one [`SlotSet`] per page that has recorded slots (V8 keeps the slot
/// set's pointer in the page header; here a map from the page start keeps `gc-core`'s page
/// layout unchanged).
#[derive(Default)]
pub struct SlotSetRememberedSet {
    pages: HashMap<Address, SlotSet>,
    len: usize,
}

impl SlotSetRememberedSet {
    /// The slot set of the page starting at `page`, if it has one.
    pub fn page(&self, page: Address) -> Option<&SlotSet> {
        self.pages.get(&page)
    }

    /// Number of pages with a slot set.
    pub fn pages(&self) -> usize {
        self.pages.len()
    }
}

/// The start of the page holding `host`. Masking the host's start (not the slot) finds the
/// header even for a large object, whose slots may lie past its first `PAGE_SIZE` bytes.
fn page_of(host: HeapObject) -> Address {
    // SAFETY: `host` is a live object start (P2), so masking finds its page.
    unsafe { PageRef::containing(host.address()) }.start()
}

// SAFETY: `iterate` yields `page + offset` only for offsets set by `record` (a recorded slot,
// minus its page start) and not cleared since by `iterate`, `remove_range` or `clear`; each
// offset is one bit, so it is yielded once per iteration.
unsafe impl RememberedSet for SlotSetRememberedSet {
    unsafe fn record(&mut self, host: HeapObject, slot: Address) {
        let page = page_of(host);
        let added = self
            .pages
            .entry(page)
            .or_default()
            .insert(slot.offset_from(page));
        self.len += usize::from(added);
    }

    fn contains(&self, host: HeapObject, slot: Address) -> bool {
        let page = page_of(host);
        self.pages
            .get(&page)
            .is_some_and(|set| set.contains(slot.offset_from(page)))
    }

    fn iterate(&mut self, f: &mut dyn FnMut(Address) -> SlotCallbackResult) {
        let mut len = 0;
        self.pages.retain(|&page, set| {
            set.iterate(|offset| f(page.add(offset)));
            len += set.len();
            !set.is_empty()
        });
        self.len = len;
    }

    /// `start` must lie in the first `PAGE_SIZE` bytes of the page (an object start or a page
    /// start), as for `PageRef::containing`.
    fn remove_range(&mut self, start: Address, end: Address) {
        let page = Address::new(start.raw() & !(PAGE_SIZE - 1));
        if let Some(set) = self.pages.get_mut(&page) {
            let before = set.len();
            set.remove_range(start.offset_from(page), end.offset_from(page));
            self.len -= before - set.len();
            if set.is_empty() {
                self.pages.remove(&page);
            }
        }
    }

    fn clear(&mut self) {
        self.pages.clear();
        self.len = 0;
    }

    fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_allocated_lazily_and_freed_when_emptied() {
        let mut set = SlotSet::default();
        assert!(set.insert(8));
        assert!(!set.insert(8), "recording twice is harmless");
        assert!(set.insert(3 * 8192 + 64));
        assert_eq!((set.len(), set.buckets()), (2, 2));
        assert!(set.contains(8) && set.contains(3 * 8192 + 64) && !set.contains(16));
        let mut seen = Vec::new();
        set.iterate(|offset| {
            seen.push(offset);
            if offset == 8 {
                SlotCallbackResult::Remove
            } else {
                SlotCallbackResult::Keep
            }
        });
        assert_eq!(seen, [8, 3 * 8192 + 64]);
        assert_eq!((set.len(), set.buckets()), (1, 1));
        set.remove_range(3 * 8192, 4 * 8192);
        assert_eq!((set.len(), set.buckets()), (0, 0));
    }

    #[test]
    fn offsets_past_a_regular_page_grow_the_set() {
        let mut set = SlotSet::default();
        let far = 3 * PAGE_SIZE + 8;
        assert!(set.insert(far));
        assert!(set.contains(far));
        set.remove_range(0, PAGE_SIZE);
        assert!(set.contains(far));
        set.remove_range(far, far + 8);
        assert!(set.is_empty());
    }
}
