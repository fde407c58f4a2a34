//! The verifier finds broken heaps: each test breaks one invariant on purpose.

use gc_core::testkit::NoGc;
use gc_core::{Address, Heap, HeapConfig, HeapObject, TaggedWord, Value};

fn heap_with_two_objects() -> (Heap<NoGc>, Address, Address) {
    let mut heap = Heap::new(HeapConfig::for_testing(), NoGc).unwrap();
    let ty = heap.intern_type("").unwrap();
    let a = heap.allocate(ty, 1, 0).unwrap();
    let b = heap.allocate(ty, 1, 0).unwrap();
    heap.store(a, 0, Value::Ref(b)).unwrap();
    let mut roots = Vec::new();
    // SAFETY: NoGc never frees or moves, so these addresses stay valid for the test.
    unsafe { heap.core() }
        .handles
        .for_each_root(|r| roots.push(r));
    assert!(heap.verify().is_ok());
    (heap, roots[0], roots[1])
}

#[test]
fn a_slot_pointing_inside_an_object_is_reported() {
    let (mut heap, a, b) = heap_with_two_objects();
    // SAFETY: `a` is a live object start from the handle table.
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
    let (mut heap, a, _) = heap_with_two_objects();
    // SAFETY: `a` is an object start on this page; the broken invariant is the test's point.
    unsafe { heap.core().old_space.pages()[0].mark(a) };
    let error = heap.verify().unwrap_err().to_string();
    assert!(
        error.contains("has 1 mark bits set outside marking"),
        "{error}"
    );
}

#[test]
fn a_lost_object_still_referenced_is_reported() {
    let (mut heap, _, b) = heap_with_two_objects();
    // SAFETY: `b` is a 16-byte live object; a filler of its size keeps the page walkable but
    // loses an object that a handle and a slot still name.
    unsafe { gc_core::object::write_filler(b, 16) };
    let error = heap.verify().unwrap_err().to_string();
    assert!(
        error.contains(&format!("points at {b}, which is not an object start")),
        "{error}"
    );
}

#[test]
fn an_unmarked_object_reached_on_a_page_waiting_for_sweeping_is_reported() {
    let (mut heap, a, b) = heap_with_two_objects();
    // SAFETY: the page holds both objects; flagging it as lazy sweeping does after a marking
    // that reached only `a` is the broken state under test.
    let page = unsafe {
        let page = heap.core().old_space.pages()[0];
        page.set_flags(gc_core::PageFlags::NEEDS_SWEEPING);
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
