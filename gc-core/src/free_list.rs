//! A segregated free list of the free blocks of old space, by size class (V8's `FreeListMany`).
//!
//! Blocks live in the heap itself: each is a filler (so the page stays walkable) whose second
//! word links to the next block of its class. Classes are exact for 16 to 256 bytes (one per
//! word size) and powers of two above. Blocks under [`MIN_BLOCK_SIZE`] are left as fillers and not
//! listed: V8 calls them waste. Invariant: every listed block is a filler of the listed size in a
//! page of the owning space, no byte is listed twice, and each class's tail is its last block, so
//! that lists built apart (by sweeping threads) join in constant time
//! ([`FreeList::merge_in_front`]).

use crate::address::{Address, WORD};
use crate::object::write_filler;

/// The smallest block worth listing: a filler word and a link word.
pub const MIN_BLOCK_SIZE: usize = 2 * WORD;
const EXACT_LIMIT: usize = 256;
const EXACT_CLASSES: usize = EXACT_LIMIT / WORD - 1;
const CLASSES: usize = EXACT_CLASSES + 40;
/// How many blocks of a power-of-two class are tried for a request that may not fit them all.
const FIRST_FIT_PROBES: usize = 16;

fn class_of(size: usize) -> usize {
    if size <= EXACT_LIMIT {
        size / WORD - 2
    } else {
        (EXACT_CLASSES + size.ilog2() as usize - EXACT_LIMIT.ilog2() as usize).min(CLASSES - 1)
    }
}

/// The first class all of whose blocks are at least `size` bytes.
fn first_fitting_class(size: usize) -> usize {
    if size <= EXACT_LIMIT || size.is_power_of_two() {
        class_of(size)
    } else {
        class_of(size) + 1
    }
}

pub struct FreeList {
    heads: [Address; CLASSES],
    /// The last block of each class (null when the class is empty).
    tails: [Address; CLASSES],
    nonempty: u64,
    available: usize,
    wasted: usize,
}

impl Default for FreeList {
    fn default() -> Self {
        FreeList {
            heads: [Address::NULL; CLASSES],
            tails: [Address::NULL; CLASSES],
            nonempty: 0,
            available: 0,
            wasted: 0,
        }
    }
}

impl FreeList {
    /// Bytes in listed blocks.
    pub fn available(&self) -> usize {
        self.available
    }

    /// Bytes in blocks too small to list, since the last [`FreeList::reset`].
    pub fn wasted(&self) -> usize {
        self.wasted
    }

    /// Forgets every block (before a sweep rebuilds the list). The blocks stay fillers.
    pub fn reset(&mut self) {
        *self = FreeList::default();
    }

    /// Makes `[start, start + size)` a free block: formats it as a filler and lists it when it is
    /// large enough.
    ///
    /// # Safety
    /// The range is unused memory of a live page of the owning space (P1).
    pub unsafe fn add(&mut self, start: Address, size: usize) {
        if size == 0 {
            return;
        }
        // SAFETY: the caller guarantees the block is free page memory.
        unsafe { write_filler(start, size) };
        if size < MIN_BLOCK_SIZE {
            self.wasted += size;
            return;
        }
        let class = class_of(size);
        // SAFETY: the block has a second word (size >= MIN_BLOCK_SIZE), P1.
        unsafe { start.add(WORD).write_word(self.heads[class].raw() as u64) };
        if self.heads[class].is_null() {
            self.tails[class] = start;
        }
        self.heads[class] = start;
        self.nonempty |= 1 << class;
        self.available += size;
    }

    /// Takes a block of at least `min` bytes, preferring one of at least `preferred` so that the
    /// caller's allocation buffer lasts (V8's fast path); returns its start and whole size.
    pub fn take(&mut self, min: usize, preferred: usize) -> Option<(Address, usize)> {
        let min = min.max(MIN_BLOCK_SIZE);
        if let Some(block) = self.pop_from(first_fitting_class(preferred.max(min))) {
            return Some(block);
        }
        if let Some(block) = self.pop_from(first_fitting_class(min)) {
            return Some(block);
        }
        self.first_fit(class_of(min), min)
    }

    fn pop_from(&mut self, first_class: usize) -> Option<(Address, usize)> {
        if first_class >= CLASSES {
            return None;
        }
        let candidates = self.nonempty & (!0u64 << first_class);
        if candidates == 0 {
            return None;
        }
        let class = candidates.trailing_zeros() as usize;
        let block = self.heads[class];
        Some(self.unlink(class, block, None))
    }

    fn first_fit(&mut self, class: usize, min: usize) -> Option<(Address, usize)> {
        let mut previous = None;
        let mut block = self.heads[class];
        for _ in 0..FIRST_FIT_PROBES {
            if block.is_null() {
                return None;
            }
            if block_size(block) >= min {
                return Some(self.unlink(class, block, previous));
            }
            previous = Some(block);
            block = next_of(block);
        }
        None
    }

    fn unlink(
        &mut self,
        class: usize,
        block: Address,
        previous: Option<Address>,
    ) -> (Address, usize) {
        let next = next_of(block);
        match previous {
            // SAFETY: `previous` is a listed block (the list invariant), P1.
            Some(previous) => unsafe { previous.add(WORD).write_word(next.raw() as u64) },
            None => self.heads[class] = next,
        }
        if next.is_null() {
            self.tails[class] = previous.unwrap_or(Address::NULL);
        }
        if self.heads[class].is_null() {
            self.nonempty &= !(1 << class);
        }
        let size = block_size(block);
        self.available -= size;
        (block, size)
    }

    /// Lists `front`'s blocks before this list's, class by class, in constant time. Sweeping
    /// adds each page's blocks in front of those of the pages before it, so merging the list of
    /// pages swept after this one's this way builds exactly the list one sweep over all the
    /// pages in order would.
    pub fn merge_in_front(&mut self, front: FreeList) {
        let mut classes = front.nonempty;
        while classes != 0 {
            let class = classes.trailing_zeros() as usize;
            classes &= classes - 1;
            if self.heads[class].is_null() {
                self.tails[class] = front.tails[class];
            } else {
                let link = self.heads[class].raw() as u64;
                // SAFETY: `front`'s tail is a listed block with a link word (list invariant, P1).
                unsafe { front.tails[class].add(WORD).write_word(link) };
            }
            self.heads[class] = front.heads[class];
        }
        self.nonempty |= front.nonempty;
        self.available += front.available;
        self.wasted += front.wasted;
    }

    /// Calls `f` with the start and size of every listed block.
    pub fn for_each_block(&self, mut f: impl FnMut(Address, usize)) {
        for &head in &self.heads {
            let mut block = head;
            while !block.is_null() {
                f(block, block_size(block));
                block = next_of(block);
            }
        }
    }
}

fn block_size(block: Address) -> usize {
    // SAFETY: listed blocks are fillers in live pages (list invariant, P1).
    match crate::object::header_kind(unsafe { block.read_word() }) {
        crate::object::HeaderKind::Filler(size) => size,
        other => panic!("free-list block {block} is not a filler: {other:?}"),
    }
}

fn next_of(block: Address) -> Address {
    // SAFETY: listed blocks have a link word (list invariant, P1).
    Address::new(unsafe { block.add(WORD).read_word() } as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arena(words: usize) -> (Vec<u64>, Address) {
        let mut memory = vec![0u64; words];
        let start = Address::new(memory.as_mut_ptr().expose_provenance());
        (memory, start)
    }

    #[test]
    fn classes_are_exact_then_powers_of_two() {
        assert_eq!(class_of(16), 0);
        assert_eq!(class_of(256), EXACT_CLASSES - 1);
        assert_eq!(class_of(257), EXACT_CLASSES);
        assert_eq!(class_of(511), EXACT_CLASSES);
        assert_eq!(class_of(512), EXACT_CLASSES + 1);
        assert_eq!(first_fitting_class(300), EXACT_CLASSES + 1);
        assert_eq!(first_fitting_class(512), EXACT_CLASSES + 1);
    }

    #[test]
    fn take_prefers_large_blocks_and_falls_back_to_small_ones() {
        let (_memory, start) = arena(1024);
        let mut list = FreeList::default();
        // SAFETY: disjoint ranges of the arena.
        unsafe {
            list.add(start, 32);
            list.add(start.add(64), 8);
            list.add(start.add(128), 4096);
        }
        assert_eq!((list.available(), list.wasted()), (32 + 4096, 8));
        assert_eq!(list.take(24, 2048), Some((start.add(128), 4096)));
        assert_eq!(list.take(24, 2048), Some((start, 32)));
        assert_eq!(list.take(24, 2048), None);
        assert_eq!(list.available(), 0);
    }

    /// Blocks in the order `for_each_block` lists them.
    fn blocks(list: &FreeList) -> Vec<(Address, usize)> {
        let mut blocks = Vec::new();
        list.for_each_block(|a, s| blocks.push((a, s)));
        blocks
    }

    #[test]
    fn merging_in_front_builds_the_list_one_sweep_would() {
        let (_memory, start) = arena(1024);
        // Class 32 in every part, 2048 and 600 in one part each, 8 bytes wasted.
        let ranges = [
            (0, 32),
            (64, 8),
            (128, 2048),
            (2304, 32),
            (2400, 600),
            (3072, 32),
        ];
        let built = |ranges: &[(usize, usize)]| {
            let mut list = FreeList::default();
            for &(offset, size) in ranges {
                // SAFETY: disjoint ranges of the arena; a list built before is read no more.
                unsafe { list.add(start.add(offset), size) };
            }
            list
        };
        let whole = built(&ranges);
        let expected = (blocks(&whole), whole.available(), whole.wasted());
        let (mut first, mut second) = (built(&ranges[..2]), built(&ranges[2..4]));
        // `second` is merged into in its turn: its tails must have followed the first merge.
        second.merge_in_front(built(&ranges[4..]));
        first.merge_in_front(second);
        assert_eq!(
            (blocks(&first), first.available(), first.wasted()),
            expected
        );
        let mut taken = 0;
        while let Some((_, size)) = first.take(16, 16) {
            taken += size;
        }
        assert_eq!((taken, first.available()), (expected.1, 0));
    }

    #[test]
    fn first_fit_finds_a_fitting_block_in_a_mixed_class() {
        let (_memory, start) = arena(1024);
        let mut list = FreeList::default();
        // SAFETY: disjoint ranges of the arena.
        unsafe {
            list.add(start, 264);
            list.add(start.add(512), 400);
        }
        assert_eq!(list.take(300, 300), Some((start.add(512), 400)));
        assert_eq!(list.take(300, 300), None);
        let mut blocks = Vec::new();
        list.for_each_block(|a, s| blocks.push((a, s)));
        assert_eq!(blocks, vec![(start, 264)]);
    }

    proptest::proptest! {
        /// Against a plain list of free ranges: every block taken is one that was added, at
        /// least as large as asked, taken once; the byte count matches; nothing else is lost.
        #[test]
        #[cfg_attr(miri, ignore = "proptest needs file-system access Miri isolates")]
        fn take_hands_out_each_added_block_once(
            sizes in proptest::collection::vec(1usize..600, 1..60),
            requests in proptest::collection::vec((1usize..600, 1usize..4096), 1..80),
        ) {
            let words: usize = sizes.iter().sum::<usize>() + sizes.len();
            let (_memory, start) = arena(words);
            let mut list = FreeList::default();
            let mut free = Vec::new();
            let mut at = start;
            for &size_words in &sizes {
                let size = size_words * WORD;
                // SAFETY: disjoint ranges of the arena, a word apart.
                unsafe { list.add(at, size) };
                if size >= MIN_BLOCK_SIZE {
                    free.push((at, size));
                }
                at = at.add(size + WORD);
            }
            for (min_words, preferred) in requests {
                let min = min_words * WORD;
                let taken = list.take(min, preferred);
                let fits = free.iter().any(|&(_, size)| size >= min.max(MIN_BLOCK_SIZE));
                match taken {
                    Some((block, size)) => {
                        let index = free.iter().position(|&b| b == (block, size));
                        proptest::prop_assert!(index.is_some(), "{block} was not free");
                        proptest::prop_assert!(size >= min);
                        free.swap_remove(index.unwrap_or_default());
                    }
                    // First fit probes a bounded number of blocks of a mixed class, so a miss
                    // is allowed only where every fitting block shares that class.
                    None if fits => proptest::prop_assert!(
                        free.iter().all(|&(_, size)| size < min || class_of(size) == class_of(min)),
                        "a block of {min} bytes fits but none was handed out"
                    ),
                    None => {}
                }
                proptest::prop_assert_eq!(list.available(), free.iter().map(|b| b.1).sum::<usize>());
            }
        }
    }
}
