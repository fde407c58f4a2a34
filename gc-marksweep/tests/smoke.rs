use gc_core::{CollectionKind, Heap, HeapConfig, Value};
use gc_marksweep::MarkSweep;

#[test]
fn smoke() {
    let mut heap = Heap::new(HeapConfig::for_testing(), MarkSweep::new()).unwrap();
    let node = heap.intern_type("Node").unwrap();
    let root = heap.allocate(node, 1, 0).unwrap();
    let mut prev = heap.allocate(node, 1, 0).unwrap();
    heap.store(root, 0, Value::Ref(prev)).unwrap();
    for i in 0..200_000u64 {
        let n = heap.allocate(node, 1, i % 40).unwrap();
        if i % 3 == 0 {
            heap.store(prev, 0, Value::Ref(n)).unwrap();
            heap.release(prev).unwrap();
            prev = n;
        } else {
            heap.release(n).unwrap();
        }
    }
    heap.collect(CollectionKind::Full);
    let g = heap.live_graph();
    println!("{g:?} {:?}", heap.stats());
    for e in heap.events() {
        println!("{}", gc_core::trace_gc_line(e, 1, 1));
    }
    assert_eq!(g.objects, 2 + 66667);
}
