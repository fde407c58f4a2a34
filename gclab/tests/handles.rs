//! The embedding API's roots on every compiled-in collector: locals in handle scopes, escapes,
//! persistent handles, slot access without roots, and the misuse each is built to reject.

use gclab::collectors::{CollectorChoice, HeapVisitor, run_with};
use gclab::{
    CollectionKind, Collector, HandleScope, Heap, HeapConfig, HeapError, Local, Persistent,
    SlotContent, TypeId, Value, WeakHandle,
};

fn config() -> HeapConfig {
    HeapConfig::for_testing()
}

/// Cells in the lists the tests build (fewer under Miri, which runs every collector too).
const CELLS: i32 = if cfg!(miri) { 40 } else { 1000 };

/// Runs `$test`, a generic `fn(Heap<C>)`, on a fresh heap of every compiled-in collector.
macro_rules! on_every_collector {
    ($test:ident) => {{
        struct Visit;
        impl HeapVisitor for Visit {
            type Output = ();
            fn visit<C: Collector>(self, heap: Heap<C>) {
                println!("{}", C::CONSTRAINTS.name);
                $test(heap)
            }
        }
        for &choice in CollectorChoice::COMPILED_IN {
            run_with(choice, config(), Visit).expect("a compiled-in collector");
        }
    }};
}

fn collect_both<C: Collector>(heap: &mut Heap<C>) {
    heap.collect(CollectionKind::Young);
    heap.collect(CollectionKind::Full);
}

/// A list of `n` cells holding 0..n, rooted by the returned local (only the head is a local).
fn list<'s, C: Collector>(
    heap: &mut Heap<C>,
    scope: &mut HandleScope<'s>,
    cell: TypeId,
    n: i32,
) -> Result<Local<'s>, HeapError> {
    let head = heap.allocate(scope, cell, 2, 0)?;
    scope.scope(|inner| -> Result<(), HeapError> {
        let tail = heap.local(inner, head)?;
        for value in 0..n {
            heap.store(tail, 0, Value::Smi(value))?;
            if value + 1 < n {
                let next = heap.allocate(inner, cell, 2, 0)?;
                heap.store(tail, 1, next)?;
                heap.load_into(tail, tail, 1)?;
            }
        }
        Ok(())
    })?;
    Ok(head)
}

/// The values of the list at `head`, walked with one local.
fn values<C: Collector>(heap: &Heap<C>, scope: &mut HandleScope<'_>, head: Local<'_>) -> Vec<i32> {
    scope.scope(|scope| {
        let cursor = heap.local(scope, head).unwrap();
        let mut seen = Vec::new();
        loop {
            match heap.read(cursor, 0).unwrap() {
                SlotContent::Smi(n) => seen.push(n),
                other => panic!("cell holds {other:?}"),
            }
            if heap.load_into(cursor, cursor, 1).unwrap() != SlotContent::Reference {
                return seen;
            }
        }
    })
}

fn locals_keep_objects_through_collections<C: Collector>(mut heap: Heap<C>) {
    let cell = heap.intern_type("Cell").unwrap();
    heap.handle_scope(|heap, scope| {
        let head = list(heap, scope, cell, CELLS).unwrap();
        assert_eq!(scope.stack_len(), 1, "the list's inner scope closed");
        collect_both(heap);
        heap.verify().unwrap();
        assert_eq!(values(heap, scope, head), (0..CELLS).collect::<Vec<_>>());
        assert_eq!(heap.live_graph().objects, CELLS as u64);
    });
    heap.collect(CollectionKind::Full);
    assert_eq!(
        heap.live_graph().objects,
        0,
        "the scope's end unrooted the list"
    );
    assert_eq!(heap.stats().local_handles, 0);
}

#[test]
fn locals_keep_objects_through_collections_on_every_collector() {
    on_every_collector!(locals_keep_objects_through_collections);
}

/// A weak handle to a new object that only `scope` roots.
fn temporary<C: Collector>(
    heap: &mut Heap<C>,
    scope: &mut HandleScope<'_>,
    t: TypeId,
) -> WeakHandle {
    let local = heap.allocate(scope, t, 0, 8).unwrap();
    heap.downgrade(local).unwrap()
}

fn scopes_free_exactly_their_own_locals<C: Collector>(mut heap: Heap<C>) {
    let t = heap.intern_type("T").unwrap();
    heap.handle_scope(|heap, outer| {
        let kept = temporary(heap, outer, t);
        let (inner_only, escaped) = outer.escapable(|inner| {
            let dropped = temporary(heap, inner, t);
            let survivor = heap.allocate(inner, t, 0, 8).unwrap();
            let weak = heap.downgrade(survivor).unwrap();
            inner.escape(survivor);
            (dropped, weak)
        });
        collect_both(heap);
        assert!(
            heap.is_alive(kept).unwrap(),
            "the outer scope's local is open"
        );
        assert!(
            heap.is_alive(escaped).unwrap(),
            "the escaped local is the outer scope's"
        );
        assert!(
            !heap.is_alive(inner_only).unwrap(),
            "the inner scope's local closed"
        );
        assert_eq!(outer.stack_len(), 2);
    });
}

#[test]
fn scopes_free_exactly_their_own_locals_on_every_collector() {
    on_every_collector!(scopes_free_exactly_their_own_locals);
}

fn persistent_handles_own_their_root<C: Collector>(mut heap: Heap<C>) {
    let t = heap.intern_type("T").unwrap();
    let (first, weak) = heap.handle_scope(|heap, scope| {
        let local = heap
            .allocate_with_bytes(scope, t, 1, b"persistent")
            .unwrap();
        (
            heap.persistent(local).unwrap(),
            heap.downgrade(local).unwrap(),
        )
    });
    let second = first.clone();
    collect_both(&mut heap);
    assert_eq!(heap.payload(&first).unwrap(), b"persistent");
    drop(first);
    collect_both(&mut heap);
    assert!(heap.is_alive(weak).unwrap(), "the clone still roots it");
    assert_eq!(heap.stats().handles, 1);
    drop(second);
    collect_both(&mut heap);
    assert!(!heap.is_alive(weak).unwrap());
    assert_eq!(heap.stats().handles, 0);
}

#[test]
fn persistent_handles_own_their_root_on_every_collector() {
    on_every_collector!(persistent_handles_own_their_root);
}

/// A runtime that keeps its heap in a field, opens scopes without borrowing it, and returns
/// early with errors from inside them.
struct Runtime<C: Collector> {
    heap: Heap<C>,
    pair: TypeId,
    globals: Vec<Persistent>,
}

#[derive(Debug, PartialEq)]
enum EvalError {
    Heap(HeapError),
    NotAPair,
}

impl From<HeapError> for EvalError {
    fn from(error: HeapError) -> Self {
        EvalError::Heap(error)
    }
}

impl<C: Collector> Runtime<C> {
    fn run(&mut self, depth: u32, fail: bool) -> Result<i32, EvalError> {
        self.heap.handle_scopes().enter(|scope| {
            let tree = self.make(scope, depth)?;
            if fail {
                // An early return from deep inside: every local in flight goes with the scope.
                return self.sum(scope, tree, true);
            }
            self.globals.push(self.heap.persistent(tree)?);
            self.sum(scope, tree, false)
        })
    }

    fn make<'s>(
        &mut self,
        scope: &mut HandleScope<'s>,
        depth: u32,
    ) -> Result<Local<'s>, EvalError> {
        let pair = self.heap.allocate(scope, self.pair, 2, 0)?;
        for slot in 0..2 {
            if depth == 0 {
                self.heap.store(pair, slot, Value::Smi(1))?;
            } else {
                let child = scope.scope(|inner| -> Result<(), EvalError> {
                    let child = self.make(inner, depth - 1)?;
                    Ok(self.heap.store(pair, slot, child)?)
                });
                child?;
            }
        }
        Ok(pair)
    }

    fn sum(
        &self,
        scope: &mut HandleScope<'_>,
        tree: Local<'_>,
        fail: bool,
    ) -> Result<i32, EvalError> {
        scope.scope(|scope| {
            let mut total = 0;
            for slot in 0..2 {
                total += match self.heap.load(scope, tree, slot)? {
                    Value::Smi(_) if fail => return Err(EvalError::NotAPair),
                    Value::Smi(n) => n,
                    Value::Ref(child) => self.sum(scope, child, fail)?,
                    Value::Null => return Err(EvalError::NotAPair),
                };
            }
            Ok(total)
        })
    }
}

fn a_runtime_leaks_no_root_on_error_paths<C: Collector>(mut heap: Heap<C>) {
    let pair = heap.intern_type("Pair").unwrap();
    let mut runtime = Runtime {
        heap,
        pair,
        globals: Vec::new(),
    };
    assert_eq!(runtime.run(6, false), Ok(128));
    for _ in 0..10 {
        assert_eq!(runtime.run(6, true), Err(EvalError::NotAPair));
    }
    let stats = runtime.heap.stats();
    assert_eq!((stats.local_handles, stats.handles), (0, 1));
    runtime.heap.collect(CollectionKind::Full);
    assert_eq!(
        runtime.heap.live_graph().objects,
        127,
        "only the global tree is live"
    );
    runtime.globals.clear();
    runtime.heap.collect(CollectionKind::Full);
    assert_eq!(runtime.heap.live_graph().objects, 0);
}

#[test]
fn a_runtime_leaks_no_root_on_error_paths_on_every_collector() {
    on_every_collector!(a_runtime_leaks_no_root_on_error_paths);
}

fn slots_are_read_without_roots<C: Collector>(mut heap: Heap<C>) {
    let (pair, string) = (
        heap.intern_type("Pair").unwrap(),
        heap.intern_type("String").unwrap(),
    );
    heap.handle_scope(|heap, scope| {
        let host = heap.allocate(scope, pair, 3, 0).unwrap();
        let text = heap.allocate_with_bytes(scope, string, 0, b"abc").unwrap();
        heap.store(host, 0, text).unwrap();
        heap.store(host, 1, Value::Smi(-7)).unwrap();
        let before = scope.stack_len();
        assert_eq!(heap.read(host, 0), Ok(SlotContent::Reference));
        assert_eq!(heap.read(host, 1), Ok(SlotContent::Smi(-7)));
        assert_eq!(heap.read(host, 2), Ok(SlotContent::Null));
        assert_eq!(heap.slot_type(host, 0), Ok(Some(string)));
        assert_eq!(heap.slot_type(host, 1), Ok(None));
        assert_eq!(heap.slot_refers_to(host, 0, text), Ok(true));
        assert_eq!(heap.slot_refers_to(host, 0, host), Ok(false));
        assert_eq!(heap.type_of(text), Ok(string));
        assert_eq!(scope.stack_len(), before, "no read made a root");
        assert_eq!(
            heap.read(host, 3),
            Err(HeapError::SlotOutOfRange { slot: 3, slots: 3 })
        );
        assert_eq!(
            heap.store(host, 1, Value::Smi(1 << 30)),
            Err(HeapError::SmiOutOfRange(1 << 30))
        );
        let loaded = heap.load(scope, host, 0).unwrap().as_local().unwrap();
        assert!(heap.same_object(loaded, text).unwrap());
        assert_eq!(heap.payload(loaded).unwrap(), b"abc");
    });
}

#[test]
fn slots_are_read_without_roots_on_every_collector() {
    on_every_collector!(slots_are_read_without_roots);
}

fn a_scope_opened_inside_makes_the_outer_one_unusable_until_it_closes<C: Collector>(
    mut heap: Heap<C>,
) {
    let t = heap.intern_type("T").unwrap();
    let scopes = heap.handle_scopes();
    scopes.enter(|outer| {
        scopes.enter(|inner| {
            assert_eq!(
                heap.allocate(outer, t, 0, 0),
                Err(HeapError::NotInnermostScope)
            );
            assert!(heap.allocate(inner, t, 0, 0).is_ok());
        });
        assert!(heap.allocate(outer, t, 0, 0).is_ok());
    });
    assert_eq!(heap.stats().local_handles, 0);
}

#[test]
fn a_scope_opened_inside_makes_the_outer_one_unusable_on_every_collector() {
    on_every_collector!(a_scope_opened_inside_makes_the_outer_one_unusable_until_it_closes);
}

#[cfg(feature = "marksweep")]
mod two_heaps {
    use super::*;
    use gclab::MarkSweep;

    fn heap() -> (Heap<MarkSweep>, TypeId) {
        let mut heap = Heap::new(config(), MarkSweep::new()).unwrap();
        let t = heap.intern_type("T").unwrap();
        (heap, t)
    }

    #[test]
    fn a_scope_of_another_heap_makes_no_local() {
        let (mut mine, t) = heap();
        let (theirs, _) = heap();
        theirs.handle_scopes().enter(|their_scope| {
            mine.handle_scope(|mine, _| {
                assert_eq!(
                    mine.allocate(their_scope, t, 0, 0),
                    Err(HeapError::NotInnermostScope)
                );
            })
        });
        assert_eq!(mine.stats().local_handles, 0);
    }

    #[test]
    fn a_persistent_handle_of_another_heap_is_refused() {
        let (mut mine, t) = heap();
        let (mut theirs, _) = heap();
        let their_root = theirs.handle_scope(|theirs, scope| {
            let local = theirs.allocate(scope, t, 1, 0).unwrap();
            theirs.persistent(local).unwrap()
        });
        assert_eq!(mine.shape(&their_root), Err(HeapError::ForeignPersistent));
        mine.handle_scope(|mine, scope| {
            let host = mine.allocate(scope, t, 1, 0).unwrap();
            assert_eq!(
                mine.store(host, 0, &their_root),
                Err(HeapError::ForeignPersistent)
            );
        });
        drop(theirs);
        // A persistent handle may outlive its heap; dropping it then is harmless.
        drop(their_root);
    }

    /// Debug builds tag locals with their heap; release builds index the heap's own stack, which
    /// is memory-safe but may name another object of that heap (the module docs say so).
    #[cfg(debug_assertions)]
    #[test]
    fn a_local_of_another_heap_is_caught_in_debug_builds() {
        let (mut mine, t) = heap();
        let (mut theirs, _) = heap();
        mine.handle_scope(|mine, my_scope| {
            let _mine = mine.allocate(my_scope, t, 1, 0).unwrap();
            theirs.handle_scope(|theirs, their_scope| {
                let their_local = theirs.allocate(their_scope, t, 1, 0).unwrap();
                assert_eq!(mine.read(their_local, 0), Err(HeapError::ForeignLocal));
                assert_eq!(mine.shape(their_local), Err(HeapError::ForeignLocal));
            });
        });
    }
}
