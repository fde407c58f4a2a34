//! The heap verifier (V8's `--verify-heap`, MMTk's sanity GC): walks every page and checks every
//! invariant the collectors rely on.
//!
//! Checked: every page is owned by the memory allocator and walks cleanly from its area start to
//! its allocation top (no object crosses it, no forwarding pointer is left); every slot of every
//! object on a swept page, and of every reachable object, points at the start of a live object;
//! mark bits are clear outside marking, except on pages waiting for lazy sweeping; the free list
//! lists only fillers of swept old-space pages, each once, and its byte count is right; handles,
//! weak handles and external-memory owners point at live objects; used bytes equal the bytes of
//! objects; then the collector's own checks.
//!
//! A page flagged `NEEDS_SWEEPING` (lazy sweeping) still holds the dead objects of the last
//! marking, whose slots may point at memory freed since: on such a page only marked objects are
//! live, the others are neither checked nor accepted as the target of a slot or handle.

use hashbrown::{HashMap, HashSet};
use thiserror::Error;

use crate::address::Address;
use crate::collector::Collector;
use crate::heap_core::HeapCore;
use crate::object::{HeaderKind, HeapObject};
use crate::page::{PageFlags, PageRef};

/// A broken invariant, described for a person debugging a collector.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("heap verification failed: {0}")]
pub struct VerifyError(pub String);

/// What the verifier walked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifySummary {
    pub pages: usize,
    pub objects: usize,
    pub object_bytes: usize,
    pub filler_bytes: usize,
}

fn fail<T>(message: String) -> Result<T, VerifyError> {
    Err(VerifyError(message))
}

#[derive(Default)]
struct HeapMap {
    objects: HashSet<Address>,
    fillers: HashMap<Address, (usize, PageRef)>,
    swept_objects: Vec<HeapObject>,
    summary: VerifySummary,
    unswept_pages: usize,
}

/// Verifies the heap. The caller has made every allocation area walkable.
pub(crate) fn verify_heap<C: Collector>(
    core: &HeapCore,
    collector: &C,
) -> Result<VerifySummary, VerifyError> {
    let mut map = HeapMap::default();
    let mut pages = Vec::new();
    pages.extend_from_slice(core.old_space.pages());
    pages.extend_from_slice(core.lo_space.pages());
    // SAFETY: the pages are used only in this call, which borrows the heap: nothing can resize
    // or collect meanwhile (P1).
    unsafe { collector.for_each_extra_page(&mut |page| pages.push(page)) };
    for page in pages {
        walk_page(core, page, collector.is_marking(), &mut map)?;
    }
    check_free_list(core, &map)?;
    for object in &map.swept_objects {
        check_slots(*object, &map.objects)?;
    }
    check_roots(core, &map.objects)?;
    check_reachable(core, &map.objects)?;
    if map.unswept_pages == 0 && core.used_bytes() != map.summary.object_bytes {
        return fail(format!(
            "used bytes are {} but objects take {}",
            core.used_bytes(),
            map.summary.object_bytes
        ));
    }
    collector.verify(core)?;
    Ok(map.summary)
}

fn walk_page(
    core: &HeapCore,
    page: PageRef,
    marking: bool,
    map: &mut HeapMap,
) -> Result<(), VerifyError> {
    if !core.memory.owns(page.start()) {
        return fail(format!(
            "{page:?} is in a space but not owned by the memory allocator"
        ));
    }
    let swept = !page.flags().contains(PageFlags::NEEDS_SWEEPING);
    if !marking && swept && !page.mark_bitmap().is_clean() {
        return fail(format!(
            "{page:?} has {} mark bits set outside marking",
            page.mark_bitmap().count()
        ));
    }
    map.unswept_pages += usize::from(!swept);
    let large = page.flags().contains(PageFlags::LARGE_PAGE);
    let mut end = page.area_start();
    let mut count = 0;
    // SAFETY: `Heap::verify`, the only caller, made every allocation area walkable first.
    for (address, kind) in unsafe { page.cells() } {
        if address != end {
            return fail(format!("{page:?}: a zero-sized header before {address}"));
        }
        match kind {
            HeaderKind::Forwarded(to) => {
                return fail(format!(
                    "{page:?}: object {address} is forwarded to {to} outside a GC"
                ));
            }
            HeaderKind::Filler(size) => {
                map.fillers.insert(address, (size, page));
                map.summary.filler_bytes += size;
                end = address.add(size);
            }
            HeaderKind::Object => {
                // SAFETY: the walk found an object header at this address of a live page (P1).
                let object = unsafe { HeapObject::from_address(address) };
                end = address.add(object.size());
                map.summary.objects += 1;
                map.summary.object_bytes += object.size();
                if swept {
                    map.objects.insert(address);
                    map.swept_objects.push(object);
                } else if page.is_marked(address) {
                    map.objects.insert(address);
                }
            }
        }
        count += 1;
    }
    if end != page.allocation_top() || end > page.area_end() {
        return fail(format!(
            "{page:?}: the last object ends at {end}, but the allocation top is {} and the area ends at {}",
            page.allocation_top(),
            page.area_end()
        ));
    }
    if large && count != 1 {
        return fail(format!(
            "large {page:?} holds {count} cells instead of one object"
        ));
    }
    map.summary.pages += 1;
    Ok(())
}

fn check_free_list(core: &HeapCore, map: &HeapMap) -> Result<(), VerifyError> {
    let mut seen = HashSet::new();
    let mut total = 0;
    let mut error = None;
    core.old_space.free_list().for_each_block(|block, size| {
        total += size;
        let problem = match map.fillers.get(&block) {
            _ if !seen.insert(block) => Some("is listed twice"),
            None => Some("is not a filler of a walked page"),
            Some(&(filler, _)) if filler != size => Some("has a filler of another size"),
            Some(&(_, page)) if page.owner() != crate::page::SpaceId::OldSpace => {
                Some("is not in old space")
            }
            Some(&(_, page)) if page.flags().contains(PageFlags::NEEDS_SWEEPING) => {
                Some("is on a page waiting to be swept")
            }
            Some(_) => None,
        };
        if let (Some(problem), None) = (problem, &error) {
            error = Some(format!("free-list block {block} of {size} bytes {problem}"));
        }
    });
    if let Some(error) = error {
        return fail(error);
    }
    if total != core.old_space.free_list().available() {
        return fail(format!(
            "free list counts {} bytes but lists {total}",
            core.old_space.free_list().available()
        ));
    }
    Ok(())
}

fn check_slots(object: HeapObject, objects: &HashSet<Address>) -> Result<(), VerifyError> {
    let mut bad = None;
    object.for_each_pointer(|slot, target| {
        if bad.is_none() && !objects.contains(&target) {
            bad = Some((slot, target));
        }
    });
    match bad {
        Some((slot, target)) => fail(format!(
            "slot {slot} of object {} points at {target}, which is not an object start",
            object.address()
        )),
        None => Ok(()),
    }
}

fn check_roots(core: &HeapCore, objects: &HashSet<Address>) -> Result<(), VerifyError> {
    let mut bad = None;
    core.handles.for_each_root(|a| {
        if !objects.contains(&a) {
            bad.get_or_insert(format!(
                "a handle points at {a}, which is not an object start"
            ));
        }
    });
    core.weak_handles.for_each_target(|a| {
        if !objects.contains(&a) {
            bad.get_or_insert(format!(
                "a weak handle points at {a}, which is not an object start"
            ));
        }
    });
    if bad.is_none() {
        // SAFETY: every weak target was just found to be an object start (P2).
        let young = |a| unsafe { HeapObject::from_address(a) }.is_in_new_space();
        if !core.weak_handles.young_list_covers(young) {
            bad = Some("a weak handle to a young object is not on the young list".to_owned());
        }
    }
    for (owner, bytes) in core.external.owners() {
        if !objects.contains(&owner) {
            bad.get_or_insert(format!(
                "{bytes} external bytes belong to {owner}, which is not an object"
            ));
        }
    }
    bad.map_or(Ok(()), fail)
}

fn check_reachable(core: &HeapCore, objects: &HashSet<Address>) -> Result<(), VerifyError> {
    let mut visited = HashSet::new();
    let mut stack = Vec::new();
    core.handles.for_each_root(|a| stack.push(a));
    while let Some(address) = stack.pop() {
        if !visited.insert(address) {
            continue;
        }
        // SAFETY: check_roots and the checks below admit only object starts onto the stack (P2).
        let object = unsafe { HeapObject::from_address(address) };
        check_slots(object, objects)?;
        object.for_each_pointer(|_, target| stack.push(target));
    }
    Ok(())
}
