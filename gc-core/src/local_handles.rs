//! Local handles in handle scopes, as V8 has them (`HandleScope`, `Local`,
//! `EscapableHandleScope`): the cheap roots a mutator holds while it works.
//!
//! A [`Local`] is an index into the heap's stack of local root slots. Creating one pushes the
//! object's address (one store and a length bump), reading through one is one bounds-checked load,
//! and closing a scope truncates the stack back to where it stood when the scope opened (no
//! allocation, nothing freed one by one). Collectors scan the slots below the top as roots, and
//! moving collectors update them in place.
//!
//! ## What the types guarantee
//!
//! - **A local cannot outlive its scope**, at compile time: scopes are closures
//!   ([`Heap::handle_scope`](crate::Heap::handle_scope), [`HandleScope::scope`],
//!   [`HandleScopes::enter`]) whose scope and locals carry a lifetime the closure may not let
//!   escape. Only [`EscapableHandleScope::escape`] moves a value out, into the enclosing scope.
//! - **Scopes close in LIFO order** by construction: a scope ends when its closure returns (or
//!   unwinds), and a nested scope borrows its parent mutably, so the parent makes no locals while
//!   the child is open.
//! - **A local is created in the innermost open scope of its own heap**: checked at every creation
//!   (a comparison of the scope's depth and its heap), so a scope of another heap, or an outer scope captured by
//!   a scope re-entered through [`HandleScopes`], is an error rather than a local that a closing
//!   inner scope would drop.
//! - **A local of one heap used with another heap** is not rejected at compile time (heaps carry no
//!   brand lifetime, so that a heap can be a plain field of a runtime's struct). It is memory-safe
//!   in every build: a local only indexes the stack of the heap it is used with, whose slots below
//!   the top all hold live objects, and an index past the top is
//!   [`HeapError::ForeignLocal`](crate::HeapError::ForeignLocal). Debug builds also tag each local
//!   with its heap and report a local of another heap as that error.
//!
//! ## Misuse the compiler rejects
//!
//! A local cannot leave its scope's closure:
//!
//! ```compile_fail,E0521
//! # use gc_core::{Heap, HeapConfig, Local, testkit::NoGc};
//! let mut heap = Heap::new(HeapConfig::for_testing(), NoGc::default()).unwrap();
//! let node = heap.intern_type("Node").unwrap();
//! let mut kept: Option<Local<'_>> = None;
//! heap.handle_scope(|heap, scope| {
//!     kept = Some(heap.allocate(scope, node, 0, 0).unwrap());
//! });
//! ```
//!
//! nor a nested scope's:
//!
//! ```compile_fail,E0521
//! # use gc_core::{Heap, HeapConfig, testkit::NoGc};
//! # let mut heap = Heap::new(HeapConfig::for_testing(), NoGc::default()).unwrap();
//! # let node = heap.intern_type("Node").unwrap();
//! heap.handle_scope(|heap, outer| {
//!     let mut kept = heap.allocate(outer, node, 0, 0).unwrap();
//!     outer.scope(|inner| {
//!         kept = heap.allocate(inner, node, 0, 0).unwrap();
//!     });
//! });
//! ```
//!
//! An outer scope makes no locals while a nested one is open:
//!
//! ```compile_fail,E0499
//! # use gc_core::{Heap, HeapConfig, testkit::NoGc};
//! # let mut heap = Heap::new(HeapConfig::for_testing(), NoGc::default()).unwrap();
//! # let node = heap.intern_type("Node").unwrap();
//! heap.handle_scope(|heap, outer| {
//!     outer.scope(|_inner| {
//!         heap.allocate(outer, node, 0, 0).unwrap();
//!     });
//! });
//! ```
//!
//! A payload slice borrows the heap, so no allocation (which may move or free the object) can
//! happen while it is held:
//!
//! ```compile_fail,E0502
//! # use gc_core::{Heap, HeapConfig, testkit::NoGc};
//! # let mut heap = Heap::new(HeapConfig::for_testing(), NoGc::default()).unwrap();
//! # let string = heap.intern_type("String").unwrap();
//! heap.handle_scope(|heap, scope| {
//!     let text = heap.allocate_with_bytes(scope, string, 0, b"hello").unwrap();
//!     let bytes = heap.payload(text).unwrap();
//!     heap.allocate(scope, string, 0, 8).unwrap();
//!     assert_eq!(bytes[0], b'h');
//! });
//! ```
//!
//! ## Safety
//!
//! The stack lives in an `Rc` shared by the heap and by every [`HandleScopes`] taken from it, so
//! that scopes can be opened without borrowing the heap (a heap that is a field of the runtime's
//! struct). It is single-threaded (`Rc`, `UnsafeCell`: `!Send`, `!Sync`), and every access to the
//! slot vector is one short borrow inside a method of [`LocalHandles`] that calls no code of
//! anyone else while it holds the borrow (rule P6 of the crate docs).

use std::cell::{Cell, UnsafeCell};
use std::marker::PhantomData;
use std::rc::Rc;

use crate::address::Address;

/// The stack of local root slots of one heap.
pub struct LocalHandles {
    slots: UnsafeCell<Vec<Address>>,
    /// How many scopes are open: the innermost one's depth (0 when none is). Scopes close in the
    /// order they opened (each is a closure's extent), so at any time the open scopes have the
    /// depths 1 to `depth`, one each: a scope's depth identifies it among the open ones.
    depth: Cell<u32>,
    /// What a heap recorder has not seen yet (see [`RecorderLog`]).
    recorder_log: RecorderLog,
    /// Tags this heap's locals in debug builds, to report a local used with another heap.
    #[cfg(debug_assertions)]
    tag: u32,
}

/// The changes to the local stack that happen without the heap, kept for a heap recorder
/// ([`mutator_recording`](crate::mutator_recording)) while one is attached: scopes close and
/// escapes and loads overwrite slots outside any recorded operation. With no recorder attached
/// each of them costs one predictable branch on `recording`.
#[derive(Default)]
struct RecorderLog {
    recording: Cell<bool>,
    /// The lowest stack length a scope close left since the recorder last looked (`u32::MAX`
    /// when none closed): every slot from there up may have changed.
    low_water: Cell<u32>,
    /// Slots below the top overwritten since the recorder last looked.
    overwritten: UnsafeCell<Vec<u32>>,
}

impl Default for LocalHandles {
    fn default() -> Self {
        LocalHandles {
            slots: UnsafeCell::new(Vec::new()),
            depth: Cell::new(0),
            recorder_log: RecorderLog::default(),
            #[cfg(debug_assertions)]
            tag: next_tag(),
        }
    }
}

#[cfg(debug_assertions)]
fn next_tag() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl LocalHandles {
    /// Number of local slots in use (in every open scope).
    #[inline]
    pub fn len(&self) -> usize {
        // SAFETY: a short shared borrow; no mutable borrow is live (rule P6).
        unsafe { (&*self.slots.get()).len() }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Starts or stops keeping the changes a recorder needs; starting resets them, with every
    /// slot above `seen` as not yet seen.
    pub(crate) fn set_recording(&self, on: bool, seen: u32) {
        self.recorder_log.recording.set(on);
        self.recorder_log.low_water.set(seen);
        // SAFETY: a short exclusive borrow that calls out to nothing (rule P6).
        unsafe { (&mut *self.recorder_log.overwritten.get()).clear() };
    }

    /// The lowest stack length since the last call (`u32::MAX` if no scope closed), and the
    /// overwritten slots, into `overwritten` (its old content dropped); both are reset.
    pub(crate) fn take_recorder_log(&self, overwritten: &mut Vec<u32>) -> u32 {
        overwritten.clear();
        // SAFETY: a short exclusive borrow that calls out to nothing (rule P6).
        std::mem::swap(overwritten, unsafe {
            &mut *self.recorder_log.overwritten.get()
        });
        self.recorder_log.low_water.replace(u32::MAX)
    }

    /// The lowest stack length a scope close left since the last `take_recorder_log`
    /// (`u32::MAX` if none closed), the log left as it is.
    pub(crate) fn recorder_low_water(&self) -> u32 {
        self.recorder_log.low_water.get()
    }

    /// Whether the recorder log holds nothing since the last `take_recorder_log`, and the stack
    /// is `len` slots long: then the recorder's mirror is still exact.
    #[inline]
    pub(crate) fn unchanged_since_taken(&self, len: usize) -> bool {
        self.recorder_log.low_water.get() == u32::MAX
            // SAFETY: a short shared borrow; no exclusive borrow is live (rule P6).
            && unsafe { (&*self.recorder_log.overwritten.get()).is_empty() }
            && self.len() == len
    }

    #[inline(always)]
    fn log_overwrite(&self, index: u32) {
        if self.recorder_log.recording.get() {
            // SAFETY: a short exclusive borrow that calls out to nothing (rule P6).
            unsafe { (&mut *self.recorder_log.overwritten.get()).push(index) };
        }
    }

    /// The address in slot `index` (null for a reserved, unescaped slot), or `None` past the top.
    #[inline]
    pub(crate) fn slot(&self, index: u32) -> Option<Address> {
        self.get(index)
    }

    /// The address in slot `index`, or `None` past the top.
    #[inline]
    fn get(&self, index: u32) -> Option<Address> {
        // SAFETY: a short shared borrow; no mutable borrow is live (rule P6).
        unsafe { (&*self.slots.get()).get(index as usize).copied() }
    }

    #[inline]
    fn set(&self, index: u32, address: Address) -> Option<()> {
        // SAFETY: a short exclusive borrow that calls out to nothing (rule P6).
        let slots = unsafe { &mut *self.slots.get() };
        *slots.get_mut(index as usize)? = address;
        Some(())
    }

    /// Pushes a slot; its index.
    #[inline]
    fn push(&self, address: Address) -> u32 {
        // SAFETY: a short exclusive borrow that calls out to nothing (rule P6).
        let slots = unsafe { &mut *self.slots.get() };
        let index = slots.len();
        slots.push(address);
        // A stack of 2^32 locals (32 GiB) cannot be allocated on the machines this runs on, and
        // the push above would have failed first; truncation would only misname a slot.
        index as u32
    }

    #[inline]
    fn truncate(&self, len: usize) {
        // SAFETY: a short exclusive borrow that calls out to nothing (rule P6).
        unsafe { (&mut *self.slots.get()).truncate(len) }
    }

    /// Calls `f` with each local root, bottom of the stack first. (A slot reserved for an escape
    /// holds null until the escape and is skipped.)
    pub fn for_each(&self, mut f: impl FnMut(Address)) {
        let mut index = 0;
        // The length is read again each time: `f` is not ours (rule P6).
        while let Some(address) = self.get(index) {
            if !address.is_null() {
                f(address);
            }
            index += 1;
        }
    }

    /// Lets a moving collector replace every local root.
    pub fn update(&self, mut f: impl FnMut(Address) -> Address) {
        let mut index = 0;
        while let Some(address) = self.get(index) {
            if !address.is_null() {
                let moved = f(address);
                self.set(index, moved);
            }
            index += 1;
        }
    }

    /// Runs `body` in a new scope nested in the current innermost one.
    #[inline]
    fn enter<R>(&self, body: impl FnOnce(&mut HandleScope<'_>) -> R) -> R {
        let depth = self.depth.get() + 1;
        self.depth.set(depth);
        let mut scope = HandleScope {
            locals: self,
            depth,
            _invariant: PhantomData,
        };
        // Closes the scope on every way out, unwinding included.
        let _close = CloseOnDrop {
            locals: self,
            mark: self.len(),
        };
        body(&mut scope)
    }

    /// The local for `address`, created in `scope`, which must be this heap's innermost scope.
    #[inline]
    pub(crate) fn create<'s>(
        &self,
        scope: &HandleScope<'s>,
        address: Address,
    ) -> Result<Local<'s>, crate::HeapError> {
        if !self.is_innermost(scope) {
            return Err(crate::HeapError::NotInnermostScope);
        }
        Ok(self.local_at(self.push(address)))
    }

    /// Whether `scope` is this heap's innermost open scope (depths tell the open scopes of one
    /// heap apart, and the pointer comparison tells heaps apart).
    #[inline(always)]
    fn is_innermost(&self, scope: &HandleScope<'_>) -> bool {
        scope.depth == self.depth.get() && std::ptr::eq(scope.locals, self)
    }

    #[inline(always)]
    fn local_at<'s>(&self, index: u32) -> Local<'s> {
        Local {
            index,
            #[cfg(debug_assertions)]
            tag: self.tag,
            _scope: PhantomData,
        }
    }

    /// The object `local` names; `ForeignLocal` for an index past the top (a local of another
    /// heap, or of a scope a misuse closed early).
    #[inline]
    pub(crate) fn address(&self, local: Local<'_>) -> Result<Address, crate::HeapError> {
        #[cfg(debug_assertions)]
        if local.tag != self.tag {
            return Err(crate::HeapError::ForeignLocal);
        }
        self.get(local.index).ok_or(crate::HeapError::ForeignLocal)
    }

    /// Makes `local` name `address` (loading into an existing local).
    #[inline]
    pub(crate) fn overwrite(
        &self,
        local: Local<'_>,
        address: Address,
    ) -> Result<(), crate::HeapError> {
        #[cfg(debug_assertions)]
        if local.tag != self.tag {
            return Err(crate::HeapError::ForeignLocal);
        }
        self.set(local.index, address)
            .ok_or(crate::HeapError::ForeignLocal)?;
        self.log_overwrite(local.index);
        Ok(())
    }
}

/// Truncates the stack back to where a scope began, and makes its parent innermost again.
struct CloseOnDrop<'a> {
    locals: &'a LocalHandles,
    mark: usize,
}

impl Drop for CloseOnDrop<'_> {
    #[inline]
    fn drop(&mut self) {
        self.locals.truncate(self.mark);
        self.locals.depth.set(self.locals.depth.get() - 1);
        let log = &self.locals.recorder_log;
        if log.recording.get() {
            // The stack holds fewer than 2^32 slots (see `push`).
            log.low_water.set(log.low_water.get().min(self.mark as u32));
        }
    }
}

/// A root slot on the heap's local stack, usable while scope `'s` is open. `Copy`: copies name
/// the same slot, so [`Heap::load_into`](crate::Heap::load_into) changes what all of them name.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub struct Local<'s> {
    index: u32,
    #[cfg(debug_assertions)]
    tag: u32,
    _scope: PhantomData<&'s ()>,
}

impl Local<'_> {
    /// The slot's position on the stack (for messages and tests).
    pub fn index(self) -> u32 {
        self.index
    }
}

/// An open handle scope: locals made with it live until its closure returns.
///
/// Made by [`Heap::handle_scope`](crate::Heap::handle_scope), [`HandleScopes::enter`],
/// [`HandleScope::scope`] and [`HandleScope::escapable`]; it exists only inside their closures.
pub struct HandleScope<'s> {
    locals: &'s LocalHandles,
    depth: u32,
    /// `'s` is the scope's brand: invariant, so a scope's locals never pass for another's.
    _invariant: PhantomData<fn(&'s ()) -> &'s ()>,
}

impl<'s> HandleScope<'s> {
    /// Runs `body` in a nested scope: locals made inside it are dropped when it returns. This
    /// scope cannot make locals meanwhile (the child borrows it).
    #[inline]
    pub fn scope<R>(&mut self, body: impl for<'i> FnOnce(&mut HandleScope<'i>) -> R) -> R {
        self.locals.enter(body)
    }

    /// Runs `body` in a nested scope from which one local may be moved into this scope with
    /// [`EscapableHandleScope::escape`] (V8's `EscapableHandleScope`): the escaped value's slot is
    /// reserved in this scope before the child opens.
    ///
    /// # Panics
    /// If this scope is not its heap's innermost open scope: only possible when a scope was
    /// opened through [`HandleScopes::enter`] inside this one and is still open.
    pub fn escapable<R>(
        &mut self,
        body: impl for<'i> FnOnce(&mut EscapableHandleScope<'i, 's>) -> R,
    ) -> R {
        let reserved = match self.locals.create(self, Address::NULL) {
            Ok(local) => local,
            Err(error) => panic!("HandleScope::escapable: {error}"),
        };
        self.locals.enter(|inner| {
            let mut escapable = EscapableHandleScope {
                inner: HandleScope {
                    locals: inner.locals,
                    depth: inner.depth,
                    _invariant: PhantomData,
                },
                reserved,
                escaped: false,
            };
            body(&mut escapable)
        })
    }

    /// Number of locals on the heap's stack (this scope's and its parents').
    pub fn stack_len(&self) -> usize {
        self.locals.len()
    }
}

/// A scope from which one local escapes into the enclosing scope `'s`. Dereferences to the
/// [`HandleScope`] it is, to make locals with.
pub struct EscapableHandleScope<'i, 's> {
    inner: HandleScope<'i>,
    reserved: Local<'s>,
    escaped: bool,
}

impl<'i, 's> EscapableHandleScope<'i, 's> {
    /// Moves `local`'s object into the enclosing scope: the returned local lives as long as that
    /// scope. `local` may be of this scope or of any scope still open.
    ///
    /// # Panics
    /// On a second call (V8 checks the same): the slot reserved for the escape is taken, and
    /// overwriting it would change what the first escaped local names.
    pub fn escape(&mut self, local: Local<'_>) -> Local<'s> {
        assert!(!self.escaped, "EscapableHandleScope::escape called twice");
        let locals = self.inner.locals;
        let address = match locals.address(local) {
            Ok(address) => address,
            Err(error) => panic!("EscapableHandleScope::escape: {error}"),
        };
        locals.set(self.reserved.index, address);
        locals.log_overwrite(self.reserved.index);
        self.escaped = true;
        self.reserved
    }
}

impl<'i> std::ops::Deref for EscapableHandleScope<'i, '_> {
    type Target = HandleScope<'i>;

    fn deref(&self) -> &HandleScope<'i> {
        &self.inner
    }
}

impl<'i> std::ops::DerefMut for EscapableHandleScope<'i, '_> {
    fn deref_mut(&mut self) -> &mut HandleScope<'i> {
        &mut self.inner
    }
}

/// Opens handle scopes of one heap without borrowing the heap, for a runtime that keeps its heap
/// in a field of its own struct: `self.heap.handle_scopes().enter(|s| self.eval(s, ..))`.
/// Cheap to clone (an `Rc`).
#[derive(Clone)]
pub struct HandleScopes {
    locals: Rc<LocalHandles>,
}

impl HandleScopes {
    pub(crate) fn new(locals: Rc<LocalHandles>) -> Self {
        HandleScopes { locals }
    }

    /// Runs `body` in a new scope, nested in whatever scope of this heap is open.
    #[inline]
    pub fn enter<R>(&self, body: impl for<'s> FnOnce(&mut HandleScope<'s>) -> R) -> R {
        self.locals.enter(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(n: usize) -> Address {
        Address::new(n * 8)
    }

    #[test]
    fn scopes_truncate_the_stack_and_restore_their_parent() {
        let locals = LocalHandles::default();
        locals.enter(|outer| {
            let a = locals.create(outer, address(1)).unwrap();
            outer.scope(|inner| {
                let b = locals.create(inner, address(2)).unwrap();
                assert_eq!(locals.address(b), Ok(address(2)));
                assert_eq!(locals.len(), 2);
            });
            assert_eq!(locals.len(), 1);
            assert_eq!(locals.address(a), Ok(address(1)));
            let c = locals.create(outer, address(3)).unwrap();
            assert_eq!(c.index(), 1, "the inner scope's slot is reused");
        });
        assert!(locals.is_empty());
        assert_eq!(locals.depth.get(), 0);
    }

    #[test]
    fn a_scope_closes_when_its_closure_unwinds() {
        let locals = LocalHandles::default();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            locals.enter(|scope| {
                locals.create(scope, address(1)).unwrap();
                panic!("interrupted");
            })
        }));
        assert!(result.is_err());
        assert!(locals.is_empty());
        assert_eq!(locals.depth.get(), 0);
    }

    #[test]
    fn only_the_innermost_scope_makes_locals() {
        let locals = Rc::new(LocalHandles::default());
        let scopes = HandleScopes::new(locals.clone());
        scopes.enter(|outer| {
            scopes.enter(|inner| {
                assert_eq!(
                    locals.create(outer, address(1)),
                    Err(crate::HeapError::NotInnermostScope)
                );
                assert!(locals.create(inner, address(2)).is_ok());
            });
            assert!(locals.create(outer, address(3)).is_ok());
        });
    }

    #[test]
    fn a_scope_of_another_stack_is_refused() {
        let mine = LocalHandles::default();
        let theirs = LocalHandles::default();
        // Both stacks' first scopes have depth 1: the pointer comparison tells them apart.
        theirs.enter(|scope| {
            mine.enter(|_| {
                assert_eq!(
                    mine.create(scope, address(1)),
                    Err(crate::HeapError::NotInnermostScope)
                );
            })
        });
    }

    #[test]
    fn escape_moves_one_value_into_the_parent() {
        let locals = LocalHandles::default();
        locals.enter(|outer| {
            let kept = outer.escapable(|inner| {
                let temp = locals.create(inner, address(7)).unwrap();
                locals.create(inner, address(8)).unwrap();
                inner.escape(temp)
            });
            assert_eq!(locals.len(), 1, "only the escaped slot is left");
            assert_eq!(locals.address(kept), Ok(address(7)));
        });
    }

    #[test]
    #[should_panic(expected = "escape called twice")]
    fn escaping_twice_panics() {
        let locals = LocalHandles::default();
        locals.enter(|outer| {
            outer.escapable(|inner| {
                let temp = locals.create(inner, address(7)).unwrap();
                inner.escape(temp);
                inner.escape(temp);
            })
        });
    }

    #[test]
    fn update_and_overwrite_change_slots_in_place() {
        let locals = LocalHandles::default();
        locals.enter(|scope| {
            let a = locals.create(scope, address(1)).unwrap();
            let b = locals.create(scope, address(2)).unwrap();
            locals.update(|old| Address::new(old.raw() + 0x100));
            assert_eq!(locals.address(a), Ok(Address::new(0x108)));
            locals.overwrite(b, address(5)).unwrap();
            let mut seen = Vec::new();
            locals.for_each(|a| seen.push(a));
            assert_eq!(seen, vec![Address::new(0x108), address(5)]);
        });
    }
}
