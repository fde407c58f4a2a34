//! Stable object ids across moves: the idea of V8's `HeapObjectsMap`, for a heap recorder.
//!
//! A trace names objects by ids, a heap by addresses, and moving collectors change addresses. The
//! map gives each allocation a fresh id (ids are never reused, so a trace never needs a `d` to
//! reuse one) and keeps `address -> id` for the objects it knows, updated from the collectors'
//! move logs ([`object_moves`](crate::object_moves)).
//!
//! Invariant: every live object's address maps to its own id. Every way an object comes to start
//! at an address — allocation, or a move a collector logged — overwrites that address's entry, so
//! an entry left behind by a dead object (a *stale* entry) can never name a live one. A stale
//! entry that gets overwritten tells that its object died, and so does one that a walk of the live
//! graph no longer reaches ([`HeapObjectsMap::prune`]); both become `d` records.
//!
//! The map is dense, as a side table of the heap: one entry word per heap word of every page the
//! map has seen (found by masking the address, as a page header is), 0 where no object it knows
//! starts. A recorder looks an id up at every store and every new root, and names every
//! allocation, so each is an index into an array rather than a hash-table probe; the price is
//! one word per heap word of the pages met, which [`HeapObjectsMap::prune`] gives back for pages
//! left empty.

use std::cell::Cell;

use hashbrown::HashMap;

use crate::address::{Address, WORD};
use crate::object_moves::Move;
use crate::page::PAGE_SIZE;

/// Entries beyond twice the live objects of the last prune before the next prune: a prune (a
/// walk of the live graph) costs no more than the allocations that made it due. An entry costs
/// no memory of its own (the tables are there for the page anyway), so the slack is wide: a
/// young generation's worth of dead objects, whose entries the next allocations overwrite (and
/// so report dead) anyway, makes no prune.
const PRUNE_SLACK: usize = 256 * 1024;

/// Id words in a page's table: one per heap word. Every object starts word-aligned, and in the
/// first `PAGE_SIZE` bytes of its page (a large page's one object too), so its start's page
/// number and word index name its entry.
const WORDS_PER_PAGE: usize = PAGE_SIZE / WORD;

/// Entries of the cache of recent pages' tables (a power of two).
const RECENT_PAGES: usize = 64;

/// The entries of one page, by word index: the id, 0 for no object.
#[derive(Debug)]
struct PageTable {
    entries: Box<[u64]>,
}

/// `address -> id` for the objects a recorder has named.
#[derive(Debug)]
pub struct HeapObjectsMap {
    /// The table of each page met (by page number: address / `PAGE_SIZE`), an index into
    /// `tables`.
    pages: HashMap<usize, usize>,
    /// `WORDS_PER_PAGE` entries each.
    tables: Vec<PageTable>,
    /// Page number and table of recent lookups, by the page number's low bits: a program's
    /// lookups fall in few pages at a time (the allocation area's, and the old pages of its
    /// long-lived objects), so that most find their table without a probe of `pages`.
    /// `usize::MAX` for an empty entry.
    recent_pages: [Cell<(usize, usize)>; RECENT_PAGES],
    /// Entries that are not 0.
    entries: usize,
    next_id: u64,
    live_after_prune: usize,
    /// The ids of one `apply_moves`, by target address (kept to reuse its buffer).
    moved: Vec<(Address, u64)>,
}

impl Default for HeapObjectsMap {
    fn default() -> Self {
        HeapObjectsMap {
            pages: HashMap::new(),
            tables: Vec::new(),
            recent_pages: std::array::from_fn(|_| Cell::new((usize::MAX, 0))),
            entries: 0,
            next_id: 1,
            live_after_prune: 0,
            moved: Vec::new(),
        }
    }
}

/// The page number and the word index in its table of `address`.
#[inline(always)]
fn position(address: Address) -> (usize, usize) {
    let raw = address.raw();
    (raw / PAGE_SIZE, raw % PAGE_SIZE / WORD)
}

impl HeapObjectsMap {
    /// The table of page number `page`, if the map has one.
    #[inline(always)]
    fn table_of(&self, page: usize) -> Option<usize> {
        let recent = &self.recent_pages[page % RECENT_PAGES];
        let (last, table) = recent.get();
        if last == page {
            return Some(table);
        }
        let table = *self.pages.get(&page)?;
        recent.set((page, table));
        Some(table)
    }

    /// The table and word index of `address`, its page's table made if it has none yet.
    #[inline(always)]
    fn entry(&mut self, address: Address) -> (&mut PageTable, usize) {
        let (page, word) = position(address);
        let table = match self.table_of(page) {
            Some(table) => table,
            None => self.new_table(page),
        };
        (&mut self.tables[table], word)
    }

    /// The table and word index of `address` if its page has a table.
    #[inline(always)]
    fn existing(&mut self, address: Address) -> Option<(&mut PageTable, usize)> {
        let (page, word) = position(address);
        let table = self.table_of(page)?;
        Some((&mut self.tables[table], word))
    }

    #[cold]
    #[inline(never)]
    fn new_table(&mut self, page: usize) -> usize {
        let table = self.tables.len();
        self.tables.push(PageTable {
            entries: vec![0; WORDS_PER_PAGE].into_boxed_slice(),
        });
        self.pages.insert(page, table);
        table
    }

    /// Names `address` with `id` (not 0); the id it named before, 0 if none.
    #[inline(always)]
    fn replace(&mut self, address: Address, id: u64) -> u64 {
        let (table, word) = self.entry(address);
        let old = std::mem::replace(&mut table.entries[word], id);
        self.entries += usize::from(old == 0);
        old
    }

    /// The id at `address`, which no longer names it (0 if none did).
    #[inline(always)]
    fn take(&mut self, address: Address) -> u64 {
        let Some((table, word)) = self.existing(address) else {
            return 0;
        };
        let old = std::mem::take(&mut table.entries[word]);
        self.entries -= usize::from(old != 0);
        old
    }

    /// The id of the object at `address`, if the map knows one there.
    #[inline]
    pub fn id(&self, address: Address) -> Option<u64> {
        let (page, word) = position(address);
        let id = self.tables[self.table_of(page)?].entries[word];
        (id != 0).then_some(id)
    }

    /// Names the object just allocated at `address` with a fresh id. The id of a dead object
    /// whose entry it replaced goes to `dead`.
    #[inline]
    pub fn allocated(&mut self, address: Address, dead: &mut Vec<u64>) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let old = self.replace(address, id);
        if old != 0 {
            dead.push(old);
        }
        id
    }

    /// Applies the moves of one or more collections, phase by phase in the order they ran
    /// (`phase_ends` as [`ObjectMoves`](crate::object_moves::ObjectMoves) gives them). Within a
    /// phase every `from` is resolved against the map as it was before the phase, then every
    /// `to` written: an address may be one object's `from` and another's `to`. Ids of dead
    /// objects whose entries a `to` replaced go to `dead`.
    pub fn apply_moves(&mut self, moves: &[Move], phase_ends: &[usize], dead: &mut Vec<u64>) {
        let mut start = 0;
        for &end in phase_ends {
            self.apply_phase(&moves[start..end], dead);
            start = end;
        }
        self.apply_phase(&moves[start..], dead);
    }

    fn apply_phase(&mut self, moves: &[Move], dead: &mut Vec<u64>) {
        let mut moved = std::mem::take(&mut self.moved);
        moved.clear();
        for &(from, to) in moves {
            let id = self.take(from);
            if id != 0 {
                moved.push((to, id));
            }
        }
        for &(to, id) in &moved {
            let old = self.replace(to, id);
            if old != 0 {
                dead.push(old);
            }
        }
        self.moved = moved;
    }

    /// Whether the map has grown enough past the live objects to be worth a prune.
    pub fn needs_prune(&self) -> bool {
        self.entries > 2 * self.live_after_prune + PRUNE_SLACK
    }

    /// Keeps only the entries at the addresses of `live`, a superset of the live objects
    /// (reachable, or still held by a weak handle; repeats allowed); the other ids go to `dead`,
    /// page by page in the order the map met the pages, and by address in a page (the same in
    /// every run of a program). Pages left with no entry give their table back.
    pub fn prune(&mut self, live: &[Address], dead: &mut Vec<u64>) {
        // The live entries taken out, every other one is dead, and the live ones go back: in
        // place, as a fresh map would fault in fresh tables at every prune.
        let mut moved = std::mem::take(&mut self.moved);
        moved.clear();
        for &address in live {
            let id = self.take(address);
            if id != 0 {
                moved.push((address, id));
            }
        }
        let mut used = vec![false; self.tables.len()];
        for &(address, _) in &moved {
            if let Some(table) = self.table_of(position(address).0) {
                used[table] = true;
            }
        }
        for table in &mut self.tables {
            for id in table.entries.iter_mut().filter(|id| **id != 0) {
                dead.push(std::mem::take(id));
            }
        }
        let mut kept = 0;
        let mut index = 0;
        self.tables.retain(|_| {
            let keep = used[index];
            index += 1;
            kept += usize::from(keep);
            keep
        });
        // The pages whose tables stay, numbered anew in the same order.
        let mut pages: Vec<(usize, usize)> = self
            .pages
            .drain()
            .filter(|&(_, table)| used[table])
            .collect();
        pages.sort_unstable_by_key(|&(_, table)| table);
        for (new_index, (page, _)) in pages.into_iter().enumerate() {
            self.pages.insert(page, new_index);
        }
        debug_assert_eq!(self.pages.len(), kept);
        for recent in &self.recent_pages {
            recent.set((usize::MAX, 0));
        }
        self.entries = 0;
        for &(address, id) in &moved {
            self.replace(address, id);
        }
        self.moved = moved;
        self.live_after_prune = self.entries;
    }

    pub fn len(&self) -> usize {
        self.entries
    }

    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(n: usize) -> Address {
        Address::new(n * 8)
    }

    #[test]
    fn moves_are_resolved_against_the_map_before_the_collection() {
        let mut map = HeapObjectsMap::default();
        let mut dead = Vec::new();
        let x = map.allocated(at(1), &mut dead);
        let y = map.allocated(at(3), &mut dead);
        // Y moves into the address X leaves, listed before X's move.
        map.apply_moves(&[(at(3), at(1)), (at(1), at(2))], &[], &mut dead);
        assert_eq!(map.id(at(1)), Some(y));
        assert_eq!(map.id(at(2)), Some(x));
        assert_eq!(map.id(at(3)), None);
        assert!(dead.is_empty());
    }

    #[test]
    fn an_object_moved_in_two_phases_keeps_its_id() {
        let mut map = HeapObjectsMap::default();
        let mut dead = Vec::new();
        let x = map.allocated(at(1), &mut dead);
        // Promoted from 1 to 5, then its page evacuated from 5 to 9, in one pause.
        map.apply_moves(&[(at(1), at(5)), (at(5), at(9))], &[1], &mut dead);
        assert_eq!(map.id(at(9)), Some(x));
        assert_eq!(map.len(), 1);
        assert!(dead.is_empty());
    }

    #[test]
    fn an_overwritten_entry_names_a_dead_object() {
        let mut map = HeapObjectsMap::default();
        let mut dead = Vec::new();
        let old = map.allocated(at(1), &mut dead);
        let moved = map.allocated(at(2), &mut dead);
        map.apply_moves(&[(at(2), at(1))], &[], &mut dead);
        assert_eq!(dead, vec![old]);
        let fresh = map.allocated(at(2), &mut dead);
        assert_ne!(fresh, old, "ids are never reused");
        assert_eq!(map.id(at(1)), Some(moved));
    }

    #[test]
    fn prune_keeps_only_live_addresses() {
        let mut map = HeapObjectsMap::default();
        let mut dead = Vec::new();
        let a = map.allocated(at(1), &mut dead);
        let b = map.allocated(at(2), &mut dead);
        map.prune(&[at(2), at(2)], &mut dead);
        assert_eq!(dead, vec![a]);
        assert_eq!(map.id(at(2)), Some(b));
        assert_eq!(map.len(), 1);
    }
}
