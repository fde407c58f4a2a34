//! Persistent handles: roots that outlive handle scopes (V8's `Global`).
//!
//! A [`Persistent`] owns one entry of its heap's persistent table and frees it when dropped, so a
//! root can be neither released twice nor leaked on an error path: ownership does what the
//! counted `retain`/`release` pairs left to the programmer. Cloning makes a second entry for the
//! same object. A `Persistent` may outlive its heap (the table is shared through an `Rc`); it then
//! names nothing any heap will accept.
//!
//! Invariant: every non-null entry is the address of a live object, kept by collectors (they scan
//! and update the table as roots); a free entry is null and on the free list. Accesses to the
//! table follow rule P6 of the crate docs (short borrows that call out to nothing).

use std::cell::{Cell, UnsafeCell};
use std::fmt;
use std::rc::Rc;

use crate::address::Address;
use crate::error::HeapError;

/// The persistent roots of one heap.
#[derive(Default)]
pub struct PersistentHandles {
    entries: UnsafeCell<Vec<Address>>,
    free: UnsafeCell<Vec<u32>>,
    in_use: Cell<usize>,
    /// While a heap recorder is attached: the roots made and released since it last looked
    /// (handles are cloned and dropped without the heap). One predictable branch otherwise.
    recording: Cell<bool>,
    changes: UnsafeCell<Vec<RootChange>>,
}

/// A persistent root made or released, for a heap recorder
/// ([`mutator_recording`](crate::mutator_recording)). The address is the object's when it
/// happened; the recorder looks before the next collection can move it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum RootChange {
    Added(Address),
    Released(Address),
}

impl PersistentHandles {
    /// A new persistent handle to `object`, an object start this heap keeps (P2).
    pub(crate) fn create(self: &Rc<Self>, object: Address) -> Persistent {
        debug_assert!(!object.is_null());
        // SAFETY: short exclusive borrows that call out to nothing (rule P6).
        let (entries, free) = unsafe { (&mut *self.entries.get(), &mut *self.free.get()) };
        let index = match free.pop() {
            Some(index) => {
                entries[index as usize] = object;
                index
            }
            None => {
                entries.push(object);
                u32::try_from(entries.len() - 1).expect("more than 2^32 persistent handles")
            }
        };
        self.in_use.set(self.in_use.get() + 1);
        self.log(RootChange::Added(object));
        Persistent {
            index,
            table: Rc::clone(self),
        }
    }

    /// The object `handle` names, if it belongs to this table.
    #[inline]
    pub(crate) fn address(&self, handle: &Persistent) -> Result<Address, HeapError> {
        if !std::ptr::eq(Rc::as_ptr(&handle.table), self) {
            return Err(HeapError::ForeignPersistent);
        }
        Ok(self.get(handle.index))
    }

    #[inline]
    fn get(&self, index: u32) -> Address {
        // SAFETY: a short shared borrow; no exclusive borrow is live (rule P6).
        unsafe { (&*self.entries.get())[index as usize] }
    }

    fn release(&self, index: u32) {
        // SAFETY: short exclusive borrows that call out to nothing (rule P6).
        let (entries, free) = unsafe { (&mut *self.entries.get(), &mut *self.free.get()) };
        let object = std::mem::replace(&mut entries[index as usize], Address::NULL);
        free.push(index);
        self.in_use.set(self.in_use.get() - 1);
        self.log(RootChange::Released(object));
    }

    #[inline(always)]
    fn log(&self, change: RootChange) {
        if self.recording.get() {
            // SAFETY: a short exclusive borrow that calls out to nothing (rule P6).
            unsafe { (&mut *self.changes.get()).push(change) };
        }
    }

    /// Starts or stops keeping root changes for a recorder (starting forgets older ones).
    pub(crate) fn set_recording(&self, on: bool) {
        self.recording.set(on);
        // SAFETY: a short exclusive borrow that calls out to nothing (rule P6).
        unsafe { (&mut *self.changes.get()).clear() };
    }

    /// Whether a root was made or released since the last `take_changes`.
    #[inline]
    pub(crate) fn has_changes(&self) -> bool {
        // SAFETY: a short shared borrow; no exclusive borrow is live (rule P6).
        unsafe { !(&*self.changes.get()).is_empty() }
    }

    /// The root changes since the last call, into `into` (its old content dropped).
    pub(crate) fn take_changes(&self, into: &mut Vec<RootChange>) {
        into.clear();
        // SAFETY: a short exclusive borrow that calls out to nothing (rule P6).
        std::mem::swap(into, unsafe { &mut *self.changes.get() });
    }

    /// Number of live persistent handles.
    pub fn len(&self) -> usize {
        self.in_use.get()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn entry(&self, index: usize) -> Option<Address> {
        // SAFETY: a short shared borrow; no exclusive borrow is live (rule P6).
        unsafe { (&*self.entries.get()).get(index).copied() }
    }

    /// Calls `f` with each rooted object, in table order.
    pub fn for_each(&self, mut f: impl FnMut(Address)) {
        let mut index = 0;
        // The length is read again each time: `f` is not ours (rule P6).
        while let Some(address) = self.entry(index) {
            if !address.is_null() {
                f(address);
            }
            index += 1;
        }
    }

    /// Lets a moving collector replace every persistent root.
    pub fn update(&self, mut f: impl FnMut(Address) -> Address) {
        let mut index = 0;
        while let Some(address) = self.entry(index) {
            if !address.is_null() {
                let moved = f(address);
                // SAFETY: a short exclusive borrow that calls out to nothing (rule P6).
                unsafe { (&mut *self.entries.get())[index] = moved };
            }
            index += 1;
        }
    }
}

/// A strong root that lives until it is dropped; made by
/// [`Heap::persistent`](crate::Heap::persistent).
pub struct Persistent {
    index: u32,
    table: Rc<PersistentHandles>,
}

impl Persistent {
    /// The entry's position in its heap's table (for messages and tests).
    pub fn index(&self) -> u32 {
        self.index
    }
}

impl Clone for Persistent {
    /// A second persistent handle to the same object.
    fn clone(&self) -> Self {
        self.table.create(self.table.get(self.index))
    }
}

impl Drop for Persistent {
    fn drop(&mut self) {
        self.table.release(self.index);
    }
}

impl fmt::Debug for Persistent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Persistent(#{})", self.index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roots(table: &PersistentHandles) -> Vec<Address> {
        let mut seen = Vec::new();
        table.for_each(|a| seen.push(a));
        seen
    }

    #[test]
    fn dropping_frees_the_entry_for_reuse() {
        let table = Rc::new(PersistentHandles::default());
        let a = table.create(Address::new(0x100));
        let b = table.create(Address::new(0x200));
        assert_eq!(table.len(), 2);
        let a_index = a.index();
        drop(a);
        assert_eq!(roots(&table), vec![Address::new(0x200)]);
        let c = table.create(Address::new(0x300));
        assert_eq!(c.index(), a_index, "entry reused");
        assert_eq!(table.address(&b), Ok(Address::new(0x200)));
        assert_eq!(table.address(&c), Ok(Address::new(0x300)));
    }

    #[test]
    fn clones_are_separate_roots() {
        let table = Rc::new(PersistentHandles::default());
        let a = table.create(Address::new(0x100));
        let b = a.clone();
        drop(a);
        assert_eq!(table.len(), 1);
        assert_eq!(table.address(&b), Ok(Address::new(0x100)));
    }

    #[test]
    fn another_tables_handle_is_refused() {
        let mine = Rc::new(PersistentHandles::default());
        let theirs = Rc::new(PersistentHandles::default());
        let handle = theirs.create(Address::new(0x100));
        assert_eq!(mine.address(&handle), Err(HeapError::ForeignPersistent));
    }

    #[test]
    fn a_handle_may_outlive_its_table_owner() {
        let table = Rc::new(PersistentHandles::default());
        let handle = table.create(Address::new(0x100));
        drop(table);
        drop(handle);
    }

    #[test]
    fn update_moves_roots() {
        let table = Rc::new(PersistentHandles::default());
        let a = table.create(Address::new(0x100));
        table.update(|old| Address::new(old.raw() * 2));
        assert_eq!(table.address(&a), Ok(Address::new(0x200)));
    }
}
