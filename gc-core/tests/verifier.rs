//! The verifier finds broken heaps: each test breaks one invariant on purpose.

use gc_core::collector_api::{Address, HeapObject, TaggedWord};
use gc_core::testkit::NoGc;
use gc_core::{Heap, HeapConfig, Persistent};

/// A heap whose two objects `a` and `b` are both rooted (by the returned persistent handles) and
/// `a`'s slot refers to `b`; their addresses.
fn heap_with_two_objects() -> (Heap<NoGc>, [Persistent; 2], Address, Address) {
    let mut heap = Heap::new(HeapConfig::for_testing(), NoGc).unwrap();
    let ty = heap.intern_type("").unwrap();
    let roots = heap.handle_scope(|heap, scope| {
        let a = heap.allocate(scope, ty, 1, 0).unwrap();
        let b = heap.allocate(scope, ty, 1, 0).unwrap();
        heap.store(a, 0, b).unwrap();
        [a, b].map(|local| heap.persistent(local).unwrap())
    });
    // SAFETY: NoGc never frees or moves, so these addresses stay valid for the test (P1, P2).
    let core = unsafe { heap.core() };
    let [a, b] = [&roots[0], &roots[1]].map(|root| core.handles.address(root).unwrap());
    assert!(heap.verify().is_ok());
    (heap, roots, a, b)
}

#[test]
fn a_slot_pointing_inside_an_object_is_reported() {
    let (mut heap, _roots, a, b) = heap_with_two_objects();
    // SAFETY: `a` is a live object start, rooted by a persistent handle (P2).
    let object = unsafe { HeapObject::from_address(a) };
    // SAFETY: breaks P2 on purpose; only the verifier reads the heap afterwards.
    unsafe { object.set_slot_raw(0, TaggedWord::from_address(b.add(8))) };
    let error = heap.verify().unwrap_err().to_string();
    assert!(
        error.contains(&format!(
            "points at {}, which is not an object start",
            b.add(8)
        )),
        "{error}"
    );
}

#[test]
fn a_mark_bit_outside_marking_is_reported() {
    let (mut heap, _roots, a, _) = heap_with_two_objects();
    // SAFETY: `a` is an object start on this live page (P1, P2); the mark bit outside marking
    // breaks P5 on purpose, and only the verifier reads the heap afterwards.
    unsafe { heap.core().old_space.pages()[0].mark(a) };
    let error = heap.verify().unwrap_err().to_string();
    assert!(
        error.contains("has 1 mark bits set outside marking"),
        "{error}"
    );
}

#[test]
fn a_lost_object_still_referenced_is_reported() {
    let (mut heap, _roots, _, b) = heap_with_two_objects();
    // SAFETY: `b` is a 16-byte live object on a live page (P1, P2); a filler of its size keeps
    // the page walkable but loses an object that a persistent handle and a slot still name:
    // breaks P2 on purpose, and only the verifier reads the heap afterwards.
    unsafe { gc_core::object::write_filler(b, 16) };
    let error = heap.verify().unwrap_err().to_string();
    assert!(
        error.contains(&format!("points at {b}, which is not an object start")),
        "{error}"
    );
}

#[test]
fn an_unmarked_object_reached_on_a_page_waiting_for_sweeping_is_reported() {
    let (mut heap, _roots, a, b) = heap_with_two_objects();
    // SAFETY: the page is live and holds both objects (P1, P2); flagging it as lazy sweeping
    // does after a marking that reached only `a` plays the collector (P5) to make the broken
    // state under test.
    let page = unsafe {
        let page = heap.core().old_space.pages()[0];
        page.set_flags(gc_core::collector_api::PageFlags::NEEDS_SWEEPING);
        page.mark(a);
        page
    };
    let error = heap.verify().unwrap_err().to_string();
    assert!(
        error.contains(&format!("points at {b}, which is not an object start")),
        "{error}"
    );
    // Marked as well, `b` is live, and the marks are allowed on a page waiting for sweeping.
    // SAFETY: as above.
    unsafe { page.mark(b) };
    assert!(heap.verify().is_ok());
}
