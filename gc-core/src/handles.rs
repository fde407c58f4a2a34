//! Handles: the mutator's only way to hold an object across an allocation.
//!
//! The strong roots are of three kinds, all in [`HandleTable`], which collectors scan and update
//! as one root set: [`Local`]s in handle scopes ([`local_handles`](crate::local_handles)), owned
//! [`Persistent`]s ([`persistent_handles`](crate::persistent_handles)), and the counted
//! [`Handle`]s of this module, which the first two replace. Any of them names an object to the
//! heap's methods through the sealed [`Rooted`] trait.
//!
//! A [`Handle`] is a counted strong root: an index into the handle table plus a generation, so a
//! released handle can never reach a reused entry. A [`WeakHandle`] names an object without
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

/// A strong root naming an object: a [`Local`], a [`&Persistent`](Persistent) or a [`Handle`].
/// Sealed: the heap's methods accept exactly these.
pub trait Rooted: sealed::Sealed {
    /// The object's address in `roots`' heap, or the error for a root of another heap.
    #[doc(hidden)]
    fn address_in(&self, roots: &HandleTable) -> Result<Address, HeapError>;
}

impl sealed::Sealed for Local<'_> {}
impl sealed::Sealed for &Persistent {}
impl sealed::Sealed for Handle {}

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

impl Rooted for Handle {
    #[inline(always)]
    fn address_in(&self, roots: &HandleTable) -> Result<Address, HeapError> {
        roots.get(*self).ok_or(HeapError::InvalidHandle(*self))
    }
}

/// A strong, counted root.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub struct Handle {
    index: u32,
    generation: u32,
}

/// A weak reference: cleared when its object is reclaimed.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub struct WeakHandle {
    index: u32,
    generation: u32,
}

impl fmt::Display for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}.{}", self.index, self.generation)
    }
}

impl fmt::Display for WeakHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "weak#{}.{}", self.index, self.generation)
    }
}

impl Handle {
    pub fn index(self) -> u32 {
        self.index
    }
}

#[derive(Clone, Copy)]
struct Entry {
    object: Address,
    /// Root count for strong entries, 1 for held weak entries; 0 when the entry is free.
    count: u32,
    generation: u32,
}

/// A table of entries with a free list; shared by both handle kinds.
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
            entry.count = 1;
            return (index, entry.generation);
        }
        let index = u32::try_from(self.entries.len()).expect("more than 2^32 handles");
        self.entries.push(Entry {
            object,
            count: 1,
            generation: 0,
        });
        (index, 0)
    }

    #[inline]
    fn entry(&self, index: u32, generation: u32) -> Option<&Entry> {
        self.entries
            .get(index as usize)
            .filter(|e| e.count > 0 && e.generation == generation)
    }

    #[inline]
    fn entry_mut(&mut self, index: u32, generation: u32) -> Option<&mut Entry> {
        self.entries
            .get_mut(index as usize)
            .filter(|e| e.count > 0 && e.generation == generation)
    }

    #[inline]
    fn free(&mut self, index: u32) {
        let entry = &mut self.entries[index as usize];
        entry.count = 0;
        entry.object = Address::NULL;
        entry.generation = entry.generation.wrapping_add(1);
        self.free.push(index);
        self.in_use -= 1;
    }

    fn live_entries(&self) -> impl Iterator<Item = (usize, &Entry)> {
        self.entries.iter().enumerate().filter(|(_, e)| e.count > 0)
    }
}

/// The strong roots of the heap: counted handles, persistent handles and local handles.
#[derive(Default)]
pub struct HandleTable {
    table: Table,
    /// Handles created while a scope is open, innermost scope last (V8's `HandleScope`).
    scoped: Vec<Handle>,
    open_scopes: usize,
    /// Shared with the scopes and persistent handles the mutator holds.
    pub(crate) locals: Rc<LocalHandles>,
    pub(crate) persistents: Rc<PersistentHandles>,
}

/// Where a handle scope began; see [`HandleTable::open_scope`].
#[derive(Debug)]
#[must_use = "a scope must be closed"]
pub struct ScopeMark(usize);

impl HandleTable {
    /// A new handle to `object` with a root count of one.
    #[inline]
    pub fn create(&mut self, object: Address) -> Handle {
        let (index, generation) = self.table.create(object);
        let handle = Handle { index, generation };
        if self.open_scopes > 0 {
            self.scoped.push(handle);
        }
        handle
    }

    /// Opens a scope: every handle created until it closes gets one root reference dropped when
    /// it closes.
    pub fn open_scope(&mut self) -> ScopeMark {
        self.open_scopes += 1;
        ScopeMark(self.scoped.len())
    }

    /// Closes the innermost scope, dropping the reference each handle created in it was born with
    /// (handles already released are skipped; a handle retained again outlives the scope).
    pub fn close_scope(&mut self, mark: ScopeMark) {
        self.open_scopes -= 1;
        let created: Vec<Handle> = self.scoped.drain(mark.0..).collect();
        for handle in created {
            let _ = self.release(handle);
        }
    }

    /// The object's address, or `None` for a stale handle.
    #[inline]
    pub fn get(&self, handle: Handle) -> Option<Address> {
        self.table
            .entry(handle.index, handle.generation)
            .map(|e| e.object)
    }

    pub fn count(&self, handle: Handle) -> Option<u32> {
        self.table
            .entry(handle.index, handle.generation)
            .map(|e| e.count)
    }

    /// Adds one root reference; `None` for a stale handle.
    pub fn retain(&mut self, handle: Handle) -> Option<()> {
        let entry = self.table.entry_mut(handle.index, handle.generation)?;
        entry.count = entry.count.checked_add(1)?;
        Some(())
    }

    /// Drops one root reference; the handle becomes stale when its count reaches zero. `None`
    /// for a stale handle.
    #[inline]
    pub fn release(&mut self, handle: Handle) -> Option<()> {
        let entry = self.table.entry_mut(handle.index, handle.generation)?;
        entry.count -= 1;
        if entry.count == 0 {
            self.table.free(handle.index);
        }
        Some(())
    }

    /// Number of live counted and persistent handles.
    pub fn len(&self) -> usize {
        self.table.in_use + self.persistents.len()
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

    /// Calls `f` with each rooted object: counted handles in handle-index order, then persistent
    /// handles in table order, then locals from the bottom of the stack (an order that depends
    /// only on the mutator's program, whatever the collector).
    pub fn for_each_root(&self, mut f: impl FnMut(Address)) {
        for (_, entry) in self.table.live_entries() {
            f(entry.object);
        }
        self.persistents.for_each(&mut f);
        self.locals.for_each(&mut f);
    }

    /// Lets a moving collector replace every root address.
    pub fn update(&mut self, mut f: impl FnMut(Address) -> Address) {
        for entry in self.table.entries.iter_mut().filter(|e| e.count > 0) {
            entry.object = f(entry.object);
        }
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
    /// Indices of the weak handles to young objects.
    young: Vec<u32>,
    /// Where each entry stands in `young`, or `NOT_YOUNG`.
    young_position: Vec<u32>,
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

const NOT_YOUNG: u32 = u32::MAX;

impl WeakHandleTable {
    /// A weak handle to `object`; `young` says the object is in new space.
    pub fn create(&mut self, object: Address, young: bool) -> WeakHandle {
        let (index, generation) = self.table.create(object);
        if self.young_position.len() < self.table.entries.len() {
            self.young_position
                .resize(self.table.entries.len(), NOT_YOUNG);
        }
        if young {
            self.young_position[index as usize] = self.young.len() as u32;
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
                if entry.count > 0 && !entry.object.is_null() && !settled(entry.object) {
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
            if entry.count == 0 || entry.object.is_null() {
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
        let position = std::mem::replace(&mut self.young_position[index as usize], NOT_YOUNG);
        if position == NOT_YOUNG {
            return;
        }
        self.young.swap_remove(position as usize);
        if let Some(&moved) = self.young.get(position as usize) {
            self.young_position[moved as usize] = position;
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
            .filter(|e| e.count > 0 && !e.object.is_null())
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
                self.young_position[index as usize] = kept as u32;
                kept += 1;
            } else {
                self.young_position[index as usize] = NOT_YOUNG;
            }
        }
        self.young.truncate(kept);
        cleared
    }

    /// Whether every weak handle whose object `is_young` is on the young list (for the
    /// verifier).
    pub fn young_list_covers(&self, is_young: impl Fn(Address) -> bool) -> bool {
        let listed = |index: usize| {
            let position = self.young_position[index];
            position != NOT_YOUNG && self.young.get(position as usize) == Some(&(index as u32))
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
    fn counted_roots_go_stale_at_zero_and_never_alias_reused_entries() {
        let mut table = HandleTable::default();
        let a = table.create(Address::new(0x100));
        table.retain(a).unwrap();
        assert_eq!(table.count(a), Some(2));
        table.release(a).unwrap();
        table.release(a).unwrap();
        assert_eq!(table.get(a), None);
        assert_eq!(table.release(a), None);
        let b = table.create(Address::new(0x200));
        assert_eq!(b.index(), a.index(), "entry reused");
        assert_eq!(table.get(a), None, "old handle stays stale");
        assert_eq!(table.get(b), Some(Address::new(0x200)));
        assert_eq!(table.len(), 1);
    }

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
