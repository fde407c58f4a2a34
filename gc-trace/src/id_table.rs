//! The table of live trace ids: pages of consecutive ids where ids come in runs, a hash map for
//! the rest.
//!
//! Programs, generators and recorders mostly hand out ids in order, and a replay touches the ids
//! it allocated last. In one hash map holding every live id (millions when a trace never says
//! `d`) each access is a cache and TLB miss on a scattered bucket, and a replay spent most of its
//! time there. Here ids live in pages of [`PAGE_IDS`] consecutive ids, found by page number in a
//! small map (with the last page remembered), so neighbouring ids share cache lines and the
//! map's working set is the pages', not the ids'.
//!
//! Memory stays in proportion to the live ids whatever the ids are: a page is made only while
//! the pages in use would be, on average, at least a quarter full; an id whose page would cost
//! more (sparse or hostile ids) goes to the `scattered` map instead, and a page whose last id
//! leaves is reused. Invariant: a live id is in the slot of its page when that page existed at
//! its insertion, else in `scattered`; never in both.

use hashbrown::HashMap;

/// Ids per page, as a power of two.
const PAGE_BITS: u32 = 8;
/// Ids per page.
pub const PAGE_IDS: usize = 1 << PAGE_BITS;
/// Pages that may be made whatever their fill (small traces, the first ids of any trace).
const FREE_PAGES: usize = 16;
/// In-use pages must hold at least `1 / MIN_FILL` of their slots on average to make another.
const MIN_FILL: usize = 4;

/// A map from trace id to `V`.
#[derive(Debug)]
pub struct IdTable<V> {
    /// Page number (id / [`PAGE_IDS`]) to the page's index in `pages`.
    page_index: HashMap<u64, usize>,
    pages: Vec<Page<V>>,
    /// Indices of pages whose ids all left, ready for another page number.
    free_pages: Vec<usize>,
    /// The page found last, as (page number, index): most records touch the ids of the last few
    /// allocations.
    last_page: Option<(u64, usize)>,
    /// Ids no page holds.
    scattered: HashMap<u64, V>,
    len: usize,
    /// Ids in pages (`len` less the scattered ones).
    paged: usize,
}

#[derive(Debug)]
struct Page<V> {
    number: u64,
    live: u32,
    slots: Box<[Option<V>]>,
}

impl<V> Default for IdTable<V> {
    fn default() -> Self {
        IdTable {
            page_index: HashMap::new(),
            pages: Vec::new(),
            free_pages: Vec::new(),
            last_page: None,
            scattered: HashMap::new(),
            len: 0,
            paged: 0,
        }
    }
}

/// The page number of `id` and its slot in the page.
#[inline]
fn split(id: u64) -> (u64, usize) {
    (id >> PAGE_BITS, (id as usize) & (PAGE_IDS - 1))
}

impl<V> IdTable<V> {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many ids are in the table.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The index in `pages` of page `number`, if it exists.
    #[inline]
    fn find_page(&mut self, number: u64) -> Option<usize> {
        if let Some((last, index)) = self.last_page {
            if last == number {
                return Some(index);
            }
        }
        let index = *self.page_index.get(&number)?;
        self.last_page = Some((number, index));
        Some(index)
    }

    /// The value of `id`.
    #[inline]
    pub fn get_mut(&mut self, id: u64) -> Option<&mut V> {
        let (number, slot) = split(id);
        if let Some(index) = self.find_page(number) {
            if self.pages[index].slots[slot].is_some() || self.scattered.is_empty() {
                return self.pages[index].slots[slot].as_mut();
            }
        }
        self.scattered.get_mut(&id)
    }

    /// Whether `id` is in the table.
    pub fn contains(&mut self, id: u64) -> bool {
        self.get_mut(id).is_some()
    }

    /// Inserts `id` with `value`, unless it is there already: then `Err` gives `value` back.
    #[inline]
    pub fn insert_new(&mut self, id: u64, value: V) -> Result<&mut V, V> {
        if self.contains(id) {
            return Err(value);
        }
        self.len += 1;
        let (number, slot) = split(id);
        let index = match self.find_page(number) {
            Some(index) => index,
            None if self.page_affordable() => self.make_page(number),
            None => return Ok(self.scattered.entry(id).insert(value).into_mut()),
        };
        self.paged += 1;
        let page = &mut self.pages[index];
        page.live += 1;
        Ok(page.slots[slot].insert(value))
    }

    /// Removes `id`, returning its value.
    #[inline]
    pub fn remove(&mut self, id: u64) -> Option<V> {
        let (number, slot) = split(id);
        let value = match self.find_page(number) {
            Some(index) => match self.pages[index].slots[slot].take() {
                Some(value) => {
                    self.release_slot(index);
                    Some(value)
                }
                None => self.scattered.remove(&id),
            },
            None => self.scattered.remove(&id),
        };
        self.len -= usize::from(value.is_some());
        value
    }

    /// Every id and its value, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &V)> {
        let paged = self
            .pages
            .iter()
            .filter(|page| page.live > 0)
            .flat_map(|page| {
                let first = page.number << PAGE_BITS;
                page.slots
                    .iter()
                    .enumerate()
                    .filter_map(move |(slot, value)| Some((first + slot as u64, value.as_ref()?)))
            });
        paged.chain(self.scattered.iter().map(|(&id, value)| (id, value)))
    }

    /// Whether one more page keeps the pages in use at least `1 / MIN_FILL` full on average.
    fn page_affordable(&self) -> bool {
        let in_use = self.pages.len() - self.free_pages.len();
        in_use < FREE_PAGES || (in_use + 1) * PAGE_IDS <= MIN_FILL * (self.paged + 1)
    }

    /// Makes page `number` (reusing a free one), returning its index.
    #[cold]
    fn make_page(&mut self, number: u64) -> usize {
        let index = match self.free_pages.pop() {
            Some(index) => {
                self.pages[index].number = number;
                index
            }
            None => {
                let index = self.pages.len();
                let slots = std::iter::repeat_with(|| None).take(PAGE_IDS).collect();
                self.pages.push(Page {
                    number,
                    live: 0,
                    slots,
                });
                index
            }
        };
        self.page_index.insert(number, index);
        self.last_page = Some((number, index));
        index
    }

    /// One id left page `index`; a page left empty is freed.
    #[inline]
    fn release_slot(&mut self, index: usize) {
        self.paged -= 1;
        let page = &mut self.pages[index];
        page.live -= 1;
        if page.live == 0 {
            self.page_index.remove(&page.number);
            self.free_pages.push(index);
            self.last_page = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Op {
        Insert(u64),
        Remove(u64),
        Get(u64),
    }

    /// Ids from the shapes traces have: runs, strides, and anywhere in the id range.
    fn id() -> impl Strategy<Value = u64> {
        prop_oneof![
            0u64..2000,
            (0u64..200).prop_map(|n| n * PAGE_IDS as u64),
            (0u64..64).prop_map(|n| (1u64 << 62) + n),
            0u64..(1 << 63),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => id().prop_map(Op::Insert),
            2 => id().prop_map(Op::Remove),
            2 => id().prop_map(Op::Get),
        ]
    }

    proptest! {
        /// The table behaves as a map whatever the ids.
        #[test]
        fn behaves_as_a_hash_map(ops in proptest::collection::vec(op(), 0..3000)) {
            let mut table = IdTable::new();
            let mut model = std::collections::HashMap::new();
            for (step, op) in ops.into_iter().enumerate() {
                match op {
                    Op::Insert(id) => {
                        let fresh = !model.contains_key(&id);
                        prop_assert_eq!(table.insert_new(id, step).is_ok(), fresh);
                        model.entry(id).or_insert(step);
                    }
                    Op::Remove(id) => prop_assert_eq!(table.remove(id), model.remove(&id)),
                    Op::Get(id) => prop_assert_eq!(table.get_mut(id).copied(), model.get(&id).copied()),
                }
                prop_assert_eq!(table.len(), model.len());
            }
            let mut listed: Vec<(u64, usize)> = table.iter().map(|(id, &v)| (id, v)).collect();
            let mut expected: Vec<(u64, usize)> = model.into_iter().collect();
            listed.sort_unstable();
            expected.sort_unstable();
            prop_assert_eq!(listed, expected);
        }
    }

    #[test]
    fn consecutive_ids_share_pages() {
        let mut table = IdTable::new();
        for id in 0..100 * PAGE_IDS as u64 {
            table.insert_new(id, ()).map_err(drop).expect("a new id");
        }
        assert_eq!(table.pages.len(), 100);
        assert!(table.scattered.is_empty());
    }

    /// One id per page would cost a page per id: past the free pages, such ids are scattered.
    #[test]
    fn sparse_ids_do_not_make_a_page_each() {
        let mut table = IdTable::new();
        for n in 0..10_000u64 {
            table
                .insert_new(n * PAGE_IDS as u64, ())
                .map_err(drop)
                .expect("a new id");
        }
        assert_eq!(table.pages.len(), FREE_PAGES);
        assert_eq!(table.scattered.len(), 10_000 - FREE_PAGES);
    }

    /// A page whose ids all left is reused for the next page number.
    #[test]
    fn empty_pages_are_reused() {
        let mut table = IdTable::new();
        for round in 0..50u64 {
            let first = round * PAGE_IDS as u64;
            for id in first..first + PAGE_IDS as u64 {
                table.insert_new(id, ()).map_err(drop).expect("a new id");
            }
            for id in first..first + PAGE_IDS as u64 {
                assert_eq!(table.remove(id), Some(()));
            }
        }
        assert_eq!(table.pages.len(), 1);
        assert!(table.is_empty());
    }
}
