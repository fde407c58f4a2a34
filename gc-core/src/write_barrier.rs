//! The write barrier: the one entry point every store into a slot goes through.
//!
//! The fast path is V8's: a store matters only if the host's page says pointers *from* it are
//! interesting and the value's page says pointers *to* it are interesting. A generational heap
//! flags old pages "from" and new pages "to"; incremental marking flags every page both ways while
//! it runs. Only then is the collector's slow path called. A collector whose constraints need no
//! barrier compiles the check away.

use crate::collector::{BarrierKind, Collector};
use crate::heap::HeapCore;
use crate::object::HeapObject;
use crate::page::{PageFlags, PageRef};
use crate::slot::Slot;
use crate::tagged::TaggedWord;

/// Stores `value` into `slot` of `host` and runs the barrier. Crate-private: `value` must be
/// null, an SMI or a live object (P2), which only the heap's checked `store` knows.
#[inline(always)]
pub(crate) fn store<C: Collector>(
    collector: &mut C,
    core: &mut HeapCore,
    host: HeapObject,
    slot: Slot,
    value: TaggedWord,
) {
    // SAFETY: the heap built `value` from null, an SMI or a root's live object (P2), and the
    // barrier runs below. A concurrent marker may read the slot now: the release store makes the
    // object `value` names (its header, its black mark) visible to its acquire load.
    unsafe {
        if C::CONSTRAINTS.concurrent {
            slot.store_release(value)
        } else {
            slot.store(value)
        }
    };
    if C::CONSTRAINTS.barrier == BarrierKind::None {
        return;
    }
    let Some(target) = value.as_pointer() else {
        return;
    };
    // SAFETY: `host` is a live object start (P2), so masking finds its page.
    let host_page = unsafe { PageRef::containing(host.address()) };
    if !host_page
        .flags()
        .intersects(PageFlags::POINTERS_FROM_HERE_ARE_INTERESTING)
    {
        return;
    }
    // SAFETY: a pointer stored by the mutator comes from a handle: a live object start (P2).
    let target_page = unsafe { PageRef::containing(target) };
    if target_page
        .flags()
        .intersects(PageFlags::POINTERS_TO_HERE_ARE_INTERESTING)
    {
        // SAFETY: as above, `target` is a live object start (P2).
        let value = unsafe { HeapObject::from_address(target) };
        // SAFETY: the slot is a slot of the live `host`, and it now holds `value` (P2).
        unsafe { collector.write_barrier_slow(core, host, slot.address(), value) };
    }
}
