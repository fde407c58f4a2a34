//! Handles: the mutator's only way to hold an object across an allocation.
//!
//! The strong roots are of two kinds, both in [`HandleTable`], which collectors scan and update as
//! one root set: [`Local`]s in handle scopes ([`local_handles`](crate::local_handles)) and owned
//! [`Persistent`]s ([`persistent_handles`](crate::persistent_handles)). Either names an object to
//! the heap's methods through the sealed [`Rooted`] trait.
//!
//! A [`WeakHandle`] is an index into the weak-handle table plus a generation, so a dropped weak
//! handle can never reach a reused entry. It names an object without
//! keeping it alive; collectors clear it when the object dies. Both tables hold the object's
//! current address and are updated by collectors that move objects, which is what lets the
//! mutator stay ignorant of addresses. Invariant: every address in either table is the start of
//! a live object (checked by the verifier).

use std::fmt;
use std::rc::Rc;

use crate::address::Address;
use crate::error::HeapError;
use crate::local_handles::{Local, LocalHandles};
use crate::persistent_handles::{Persistent, PersistentHandles};

mod sealed {
    pub trait Sealed {}
}

/// A strong root naming an object: a [`Local`] or a [`&Persistent`](Persistent).
/// Sealed: the heap's methods accept exactly these.
pub trait Rooted: sealed::Sealed {
    /// The object's address in `roots`' heap, or the error for a root of another heap.
    #[doc(hidden)]
    fn address_in(&self, roots: &HandleTable) -> Result<Address, HeapError>;
}

impl sealed::Sealed for Local<'_> {}
impl sealed::Sealed for &Persistent {}

impl Rooted for Local<'_> {
    #[inline(always)]
    fn address_in(&self, roots: &HandleTable) -> Result<Address, HeapError> {
        roots.locals.address(*self)
    }
}

impl Rooted for &Persistent {
    #[inline(always)]
    fn address_in(&self, roots: &HandleTable) -> Result<Address, HeapError> {
        roots.persistents.address(self)
    }
}

/// A weak reference: cleared when its object is reclaimed.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub struct WeakHandle {
    index: u32,
    generation: u32,
}

impl fmt::Display for WeakHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "weak#{}.{}", self.index, self.generation)
    }
}

/// One weak handle's entry: 16 bytes, so that creating or dropping a handle touches one cache
/// line (a replay drops weak handles in no order, and each line is a miss).
#[derive(Clone, Copy)]
struct Entry {
    object: Address,
    generation: u32,
    /// [`FREE`], [`NOT_YOUNG`] while held, or the entry's position in the young list.
    state: u32,
}

/// The state of an entry no weak handle holds.
const FREE: u32 = u32::MAX;
/// The state of a held entry that is not on the young list.
const NOT_YOUNG: u32 = u32::MAX - 1;

impl Entry {
    #[inline]
    fn held(&self) -> bool {
        self.state != FREE
    }
}

/// A table of entries with a free list.
#[derive(Default)]
struct Table {
    entries: Vec<Entry>,
    free: Vec<u32>,
    in_use: usize,
}

impl Table {
    #[inline]
    fn create(&mut self, object: Address) -> (u32, u32) {
        self.in_use += 1;
        if let Some(index) = self.free.pop() {
            let entry = &mut self.entries[index as usize];
            entry.object = object;
            entry.state = NOT_YOUNG;
            return (index, entry.generation);
        }
        // Below `NOT_YOUNG`, so that a young-list position is never mistaken for a state.
        let index = u32::try_from(self.entries.len())
            .ok()
            .filter(|&index| index < NOT_YOUNG)
            .expect("fewer than 2^32 - 2 weak handles");
        self.entries.push(Entry {
            object,
            generation: 0,
            state: NOT_YOUNG,
        });
        (index, 0)
    }

    #[inline]
    fn entry(&self, index: u32, generation: u32) -> Option<&Entry> {
        self.entries
            .get(index as usize)
            .filter(|e| e.held() && e.generation == generation)
    }

    #[inline]
    fn free(&mut self, index: u32) {
        let entry = &mut self.entries[index as usize];
        entry.state = FREE;
        entry.object = Address::NULL;
        entry.generation = entry.generation.wrapping_add(1);
        self.free.push(index);
        self.in_use -= 1;
    }

    fn live_entries(&self) -> impl Iterator<Item = (usize, &Entry)> {
        self.entries.iter().enumerate().filter(|(_, e)| e.held())
    }
}

/// The strong roots of the heap: persistent handles and local handles, shared with the scopes
/// and persistent handles the mutator holds.
#[derive(Default)]
pub struct HandleTable {
    pub(crate) locals: Rc<LocalHandles>,
    pub(crate) persistents: Rc<PersistentHandles>,
}

impl HandleTable {
    /// Number of live persistent handles.
    pub fn len(&self) -> usize {
        self.persistents.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The address of the object `root` names (for collectors' tests and tools that look at
    /// where objects are).
    pub fn address(&self, root: impl Rooted) -> Result<Address, HeapError> {
        root.address_in(self)
    }

    /// Number of local handles in the open scopes.
    pub fn locals_len(&self) -> usize {
        self.locals.len()
    }

    /// Calls `f` with each rooted object: persistent handles in table order, then locals from the
    /// bottom of the stack (an order that depends only on the mutator's program, whatever the
    /// collector).
    pub fn for_each_root(&self, mut f: impl FnMut(Address)) {
        self.persistents.for_each(&mut f);
        self.locals.for_each(&mut f);
    }

    /// Lets a moving collector replace every root address.
    pub fn update(&mut self, mut f: impl FnMut(Address) -> Address) {
        self.persistents.update(&mut f);
        self.locals.update(&mut f);
    }
}

/// The weak references of the heap.
///
/// Invariant: every weak handle whose object is in new space is on the young list (V8 keeps such
/// a list of young weak handles too), so a scavenge processes the young ones without walking the
/// whole table: weak handles to old objects cost a scavenge nothing. A handle leaves the list when
/// it is dropped, or at a scavenge once its object is no longer young, so the list is never
/// longer than the young objects with weak handles (and those cleared since the last scavenge).
#[derive(Default)]
pub struct WeakHandleTable {
    table: Table,
    /// Indices of the weak handles to young objects (each entry's `state` is its position here).
    young: Vec<u32>,
    /// Incremental marking's look at the weak handles ahead of its finalization, while it runs.
    prescan: Option<Prescan>,
}

/// The weak handles a marking cycle has looked at before its finalization pause. An entry
/// before `cursor` whose object was marked then cannot die in this cycle (marking only adds
/// marks, and old objects do not move while it runs); `pending` holds the others (unmarked
/// then, or created since), which the finalization pause decides, with the entries from
/// `cursor` on. So the pause walks the pending handles, not the whole table.
#[derive(Default)]
struct Prescan {
    cursor: usize,
    pending: Vec<u32>,
}

/// Entries looked at between two reads of the clock.
const PRESCAN_CHUNK: usize = 1024;

impl WeakHandleTable {
    /// A weak handle to `object`; `young` says the object is in new space.
    pub fn create(&mut self, object: Address, young: bool) -> WeakHandle {
        let (index, generation) = self.table.create(object);
        if young {
            self.table.entries[index as usize].state = self.young.len() as u32;
            self.young.push(index);
        }
        if let Some(prescan) = &mut self.prescan {
            prescan.pending.push(index);
        }
        WeakHandle { index, generation }
    }

    /// While incremental marking runs: looks at weak handles (a chunk at least, then more until
    /// `deadline`), keeping aside those whose object is not `settled` (marked for good in this
    /// cycle). Returns whether every handle has been looked at. Starts a pre-scan if none is on.
    pub fn prescan_until(
        &mut self,
        deadline: std::time::Instant,
        settled: impl Fn(Address) -> bool,
    ) -> bool {
        let prescan = self.prescan.get_or_insert_with(Prescan::default);
        let entries = &self.table.entries;
        loop {
            let end = (prescan.cursor + PRESCAN_CHUNK).min(entries.len());
            for (index, entry) in entries.iter().enumerate().take(end).skip(prescan.cursor) {
                if entry.held() && !entry.object.is_null() && !settled(entry.object) {
                    prescan.pending.push(index as u32);
                }
            }
            prescan.cursor = end;
            if end == entries.len() {
                return true;
            }
            if std::time::Instant::now() >= deadline {
                return false;
            }
        }
    }

    /// Forgets the pre-scan (marking was abandoned): the next `process` walks every handle.
    pub fn abandon_prescan(&mut self) {
        self.prescan = None;
    }

    /// [`WeakHandleTable::process`] for the finalization of the marking cycle that pre-scanned:
    /// only the pending handles and those after the pre-scan's cursor are mapped by `f` (all of
    /// them without a pre-scan). `f` must not move objects. Ends the pre-scan.
    pub fn process_after_prescan(
        &mut self,
        mut f: impl FnMut(Address) -> Option<Address>,
    ) -> usize {
        let Some(prescan) = self.prescan.take() else {
            return self.process(f);
        };
        let mut cleared = 0;
        let rest = prescan.cursor as u32..self.table.entries.len() as u32;
        for index in prescan.pending.into_iter().chain(rest) {
            let entry = &mut self.table.entries[index as usize];
            if !entry.held() || entry.object.is_null() {
                continue;
            }
            if f(entry.object).is_none() {
                entry.object = Address::NULL;
                cleared += 1;
            }
        }
        cleared
    }

    fn leave_young_list(&mut self, index: u32) {
        let position = std::mem::replace(&mut self.table.entries[index as usize].state, NOT_YOUNG);
        if position == NOT_YOUNG {
            return;
        }
        self.young.swap_remove(position as usize);
        if let Some(&moved) = self.young.get(position as usize) {
            self.table.entries[moved as usize].state = position;
        }
    }

    /// `Some(Some(address))` while the object lives, `Some(None)` once a collection cleared it,
    /// `None` for a stale weak handle.
    pub fn get(&self, handle: WeakHandle) -> Option<Option<Address>> {
        let entry = self.table.entry(handle.index, handle.generation)?;
        Some((!entry.object.is_null()).then_some(entry.object))
    }

    /// Forgets the weak handle; `None` when it was already stale.
    pub fn drop_handle(&mut self, handle: WeakHandle) -> Option<()> {
        self.table.entry(handle.index, handle.generation)?;
        self.leave_young_list(handle.index);
        self.table.free(handle.index);
        Some(())
    }

    pub fn len(&self) -> usize {
        self.table.in_use
    }

    pub fn is_empty(&self) -> bool {
        self.table.in_use == 0
    }

    /// After marking: `f` maps each referenced object to its (possibly new) address, or `None`
    /// when it died, which clears the weak handle. Returns how many were cleared.
    pub fn process(&mut self, mut f: impl FnMut(Address) -> Option<Address>) -> usize {
        let mut cleared = 0;
        for entry in self
            .table
            .entries
            .iter_mut()
            .filter(|e| e.held() && !e.object.is_null())
        {
            match f(entry.object) {
                Some(address) => entry.object = address,
                None => {
                    entry.object = Address::NULL;
                    cleared += 1;
                }
            }
        }
        cleared
    }

    /// A scavenge's half of [`WeakHandleTable::process`]: only the weak handles on the young
    /// list are mapped by `f`; those whose objects stay young (`is_young`) stay on the list.
    /// Returns how many were cleared.
    pub fn process_young(
        &mut self,
        mut f: impl FnMut(Address) -> Option<Address>,
        is_young: impl Fn(Address) -> bool,
    ) -> usize {
        let mut cleared = 0;
        let mut kept = 0;
        for position in 0..self.young.len() {
            let index = self.young[position];
            let entry = &mut self.table.entries[index as usize];
            let stays = !entry.object.is_null()
                && is_young(entry.object)
                && match f(entry.object) {
                    Some(address) => {
                        entry.object = address;
                        is_young(address)
                    }
                    None => {
                        entry.object = Address::NULL;
                        cleared += 1;
                        false
                    }
                };
            if stays {
                self.young[kept] = index;
                entry.state = kept as u32;
                kept += 1;
            } else {
                entry.state = NOT_YOUNG;
            }
        }
        self.young.truncate(kept);
        cleared
    }

    /// Whether every weak handle whose object `is_young` is on the young list (for the
    /// verifier).
    pub fn young_list_covers(&self, is_young: impl Fn(Address) -> bool) -> bool {
        let listed = |index: usize| {
            let position = self.table.entries[index].state;
            position < NOT_YOUNG && self.young.get(position as usize) == Some(&(index as u32))
        };
        self.table
            .live_entries()
            .filter(|(_, entry)| !entry.object.is_null() && is_young(entry.object))
            .all(|(index, _)| listed(index))
    }

    /// Calls `f` with each object a live weak handle still refers to.
    pub fn for_each_target(&self, mut f: impl FnMut(Address)) {
        for (_, entry) in self.table.live_entries() {
            if !entry.object.is_null() {
                f(entry.object);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_handles_clear_and_update() {
        let mut table = WeakHandleTable::default();
        let a = table.create(Address::new(0x100), false);
        let b = table.create(Address::new(0x200), false);
        let cleared = table.process(|o| (o == Address::new(0x100)).then_some(Address::new(0x300)));
        assert_eq!(cleared, 1);
        assert_eq!(table.get(a), Some(Some(Address::new(0x300))));
        assert_eq!(table.get(b), Some(None));
        table.drop_handle(b).unwrap();
        assert_eq!(table.get(b), None);
        assert_eq!(table.drop_handle(b), None);
    }

    /// Addresses below 0x1000 play new space here.
    fn young(address: Address) -> bool {
        address.raw() < 0x1000
    }

    #[test]
    fn a_scavenge_maps_only_the_young_weak_handles() {
        let mut table = WeakHandleTable::default();
        let old = table.create(Address::new(0x8000), false);
        let survivor = table.create(Address::new(0x100), true);
        let promoted = table.create(Address::new(0x200), true);
        let dead = table.create(Address::new(0x300), true);
        // Dropped, then its entry made again for another young object.
        let dropped = table.create(Address::new(0x400), true);
        table.drop_handle(dropped).unwrap();
        let reused = table.create(Address::new(0x500), true);
        assert_eq!(reused.index, dropped.index);
        let mut seen = Vec::new();
        let forward = |o: Address| {
            seen.push(o.raw());
            match o.raw() {
                0x100 => Some(Address::new(0x900)),
                0x200 => Some(Address::new(0x9000)),
                0x500 => Some(Address::new(0x600)),
                _ => None,
            }
        };
        assert_eq!(table.process_young(forward, young), 1);
        seen.sort_unstable();
        assert_eq!(
            seen,
            vec![0x100, 0x200, 0x300, 0x500],
            "neither old nor dropped is visited"
        );
        assert_eq!(table.get(old), Some(Some(Address::new(0x8000))));
        assert_eq!(table.get(survivor), Some(Some(Address::new(0x900))));
        assert_eq!(table.get(promoted), Some(Some(Address::new(0x9000))));
        assert_eq!(table.get(dead), Some(None));
        assert_eq!(table.get(reused), Some(Some(Address::new(0x600))));
        // Only the handles still young stay listed.
        assert_eq!(table.young.len(), 2);
        assert!(table.young_list_covers(young));
    }
}
