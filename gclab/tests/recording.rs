//! The trace recorder as an embedder sees it: what a small program records, the refusal to start
//! on a heap that already allocated, and write errors returned, never a panic.
#![cfg(feature = "marksweep")]

use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;

use gclab::{
    CollectionKind, Heap, HeapConfig, MarkSweep, RecordSink, RecordedEvent, RecordedValue,
    RecordingError, TraceRecorder, Value,
};

/// Keeps the events in memory, as text.
#[derive(Clone, Default)]
struct Events(Rc<RefCell<Vec<String>>>);

impl RecordSink for Events {
    fn record(&mut self, event: RecordedEvent<'_>) -> io::Result<()> {
        self.0.borrow_mut().push(format!("{event:?}"));
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.0.borrow_mut().push("finish".into());
        Ok(())
    }
}

fn heap() -> Heap<MarkSweep> {
    Heap::new(HeapConfig::default(), MarkSweep::new()).unwrap()
}

#[test]
fn a_small_program_records_its_allocations_stores_and_roots() {
    let mut heap = heap();
    let events = Events::default();
    heap.start_recording(Box::new(events.clone())).unwrap();
    let node = heap.intern_type("Node").unwrap();
    let kept = heap.handle_scope(|heap, scope| {
        let parent = heap.allocate(scope, node, 2, 0).unwrap();
        let child = heap.allocate(scope, node, 0, 8).unwrap();
        heap.store(parent, 0, child).unwrap();
        heap.store(parent, 1, Value::Smi(-7)).unwrap();
        heap.persistent(parent).unwrap()
    });
    heap.collect(CollectionKind::Full);
    drop(kept);
    let summary = heap.finish_recording().unwrap();
    let recorded = events.0.borrow().clone();
    let alloc = |id: u64, slots: u32, bytes: u32| {
        format!(
            "{:?}",
            RecordedEvent::Allocate {
                id,
                slots,
                bytes,
                type_name: Some("Node")
            }
        )
    };
    let store = |slot: u32, value: RecordedValue| {
        format!(
            "{:?}",
            RecordedEvent::Store {
                host: 1,
                slot,
                value
            }
        )
    };
    let expected = vec![
        alloc(1, 2, 0),
        alloc(2, 0, 8),
        store(0, RecordedValue::Object(2)),
        store(1, RecordedValue::Smi(-7)),
        // The persistent handle takes over the root of the parent's local (a drop and a new
        // root of one object in one sync cancel out), and the child's local goes.
        format!("{:?}", RecordedEvent::DropRoot(2)),
        format!("{:?}", RecordedEvent::Collect(CollectionKind::Full)),
        format!("{:?}", RecordedEvent::DropRoot(1)),
        "finish".to_string(),
    ];
    assert_eq!(recorded, expected);
    assert_eq!(summary.objects, 2);
    assert_eq!(summary.events, 7);
}

/// The trace's root count of each object, by id.
type Counts = std::collections::BTreeMap<u64, i64>;

/// The objects with roots at one `gc`, and their counts, by id.
type RootedAtGc = Vec<(u64, i64)>;

/// Counts the trace's roots per object, as a replay would, and what they were at each `gc`.
#[derive(Clone, Default)]
struct RootCounts(Rc<RefCell<(Counts, Vec<RootedAtGc>)>>);

impl RecordSink for RootCounts {
    fn record(&mut self, event: RecordedEvent<'_>) -> io::Result<()> {
        let (counts, at_gc) = &mut *self.0.borrow_mut();
        match event {
            RecordedEvent::Allocate { id, .. } | RecordedEvent::AddRoot(id) => {
                *counts.entry(id).or_default() += 1;
            }
            RecordedEvent::DropRoot(id) => *counts.entry(id).or_default() -= 1,
            RecordedEvent::Collect(_) => {
                at_gc.push(
                    counts
                        .iter()
                        .filter(|c| *c.1 != 0)
                        .map(|(&k, &v)| (k, v))
                        .collect(),
                );
            }
            _ => {}
        }
        assert!(
            counts.values().all(|&count| count >= 0),
            "a count below zero"
        );
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn roots_dropped_and_made_again_across_syncs_are_exact_at_a_collection() {
    let mut heap = heap();
    let counts = RootCounts::default();
    heap.start_recording(Box::new(counts.clone())).unwrap();
    let node = heap.intern_type("Node").unwrap();
    let kept = heap.handle_scope(|heap, outer| {
        let parent = heap.allocate(outer, node, 1, 0).unwrap();
        let child = heap.allocate(outer, node, 0, 0).unwrap();
        heap.store(parent, 0, child).unwrap();
        for _ in 0..10 {
            // Each pass drops the child's local and a fresh object's at its close, and makes a
            // local of the child again in the next: the drops wait, and the new roots take
            // them back.
            outer.scope(|inner| {
                let Value::Ref(again) = heap.load(inner, parent, 0).unwrap() else {
                    panic!("a reference");
                };
                let fresh = heap.allocate(inner, node, 1, 0).unwrap();
                heap.store(fresh, 0, again).unwrap();
            });
        }
        heap.persistent(parent).unwrap()
    });
    heap.collect(CollectionKind::Full);
    drop(kept);
    heap.collect(CollectionKind::Full);
    heap.finish_recording().unwrap();
    let (at_end, at_gc) = counts.0.borrow().clone();
    // At the first `gc` only the parent is rooted (its persistent handle), once; at the second
    // nothing is, and the end leaves nothing rooted either.
    assert_eq!(at_gc, vec![vec![(1, 1)], vec![]]);
    assert!(at_end.values().all(|&count| count == 0));
}

#[test]
fn recording_starts_only_on_a_fresh_heap() {
    let mut heap = heap();
    heap.handle_scope(|heap, scope| {
        heap.allocate(scope, gclab::TypeId::UNLABELLED, 0, 0)
            .unwrap();
    });
    let error = heap
        .start_recording(Box::new(Events::default()))
        .unwrap_err();
    assert!(matches!(error, RecordingError::HeapNotFresh), "{error}");
    assert!(matches!(
        heap.finish_recording(),
        Err(RecordingError::NotRecording)
    ));
}

/// A writer that takes `room` bytes, then fails as a full disk does.
struct FullAfter {
    room: usize,
}

impl Write for FullAfter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.len() > self.room {
            return Err(io::Error::from(io::ErrorKind::StorageFull));
        }
        self.room -= buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_write_error_is_returned_not_a_panic() {
    let mut heap = heap();
    let recorder = TraceRecorder::new(FullAfter { room: 1000 }).unwrap();
    heap.start_recording(Box::new(recorder)).unwrap();
    let node = heap.intern_type("Node").unwrap();
    // Far more than the writer's buffer: the error comes while the program runs.
    for _ in 0..50_000 {
        heap.handle_scope(|heap, scope| {
            let object = heap.allocate(scope, node, 1, 0).unwrap();
            heap.store(object, 0, Value::Smi(1)).unwrap();
        });
    }
    assert!(heap.recording_error().is_some());
    match heap.finish_recording() {
        Err(RecordingError::Io(error)) => assert_eq!(error.kind(), io::ErrorKind::StorageFull),
        other => panic!("expected the write error, got {other:?}"),
    }
}

#[test]
fn a_closed_writer_at_the_start_is_an_error() {
    let error = TraceRecorder::new(FullAfter { room: 0 })
        .err()
        .expect("an error");
    assert_eq!(error.kind(), io::ErrorKind::StorageFull);
}
