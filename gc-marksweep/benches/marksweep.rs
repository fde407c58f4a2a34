//! Criterion benchmarks of gclab's allocation fast path and of mark-sweep's full collection.
//!
//! Measured:
//! - `allocation/gclab_alloc_local_24B`: allocate a 2-slot object (24 bytes) into a local, 1024
//!   to a nested handle scope (closing the scope drops their roots; its cost is in the figure),
//!   on a `NoGc` heap whose limits are far away, so no collection runs; a fresh heap is built for
//!   every chunk of 2^20 objects, outside the timed loop (page commits and first-touch page
//!   faults are inside it, as in a real fresh heap).
//! - `allocation/marksweep_alloc_local_24B`: the same on one long-lived `MarkSweep` heap with
//!   the default limits, so the time per object is amortized over the collections it triggers.
//! - `allocation/box_new_24B`: `Box::new([0u64; 3])` dropped at once (the system allocator).
//! - `allocation/box_new_24B_kept`: the same boxes kept in a `Vec` (capacity reserved outside the
//!   timed loop) and freed outside it, like a heap that never frees.
//! - `full_gc/marksweep_1M_small_objects`: one `heap.collect(CollectionKind::Full)` of a heap
//!   whose one million 24-byte objects are all live (1000 lists of 1000 nodes, each rooted by a
//!   persistent handle), marked on one thread.
//! - `full_gc/marksweep_1M_small_objects_2_gc_threads`: the same, marked by two threads.
//! - `full_gc/marksweep_1M_objects_90pct_garbage`: one full collection of a heap freshly filled
//!   with one million 24-byte objects of which 10% are reachable (built outside the timing).
//!
//! The heap verifier is off (`VerifyHeap::OnRequest`); it runs once, outside the timing, to
//! check each full-GC heap. Run with:
//!
//! ```text
//! cargo bench -p gc-marksweep --bench marksweep
//! cargo bench -p gc-marksweep --bench marksweep -- full_gc   # one group only
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, SamplingMode, criterion_group, criterion_main};
use gc_core::testkit::NoGc;
use gc_core::{CollectionKind, Collector, Heap, HeapConfig, Persistent, TypeId, Value, VerifyHeap};
use gc_marksweep::MarkSweep;

const GIB: usize = 1024 * 1024 * 1024;
/// Bytes of an object with 2 slots and no payload: a header word and two slot words.
const OBJECT_BYTES: usize = 24;
/// Objects allocated on one fresh `NoGc` heap before it is dropped.
const CHUNK: u64 = 1 << 20;
const LISTS: usize = 1000;
const LIST_LENGTH: usize = 1000;
const OBJECTS: usize = LISTS * LIST_LENGTH;
/// Allocations per nested handle scope in the allocation benchmarks, as in gclab's
/// `benches/mutator.rs`.
const PER_SCOPE: u64 = 1024;

/// The default configuration with the verifier off.
fn bench_config() -> HeapConfig {
    HeapConfig {
        verify: VerifyHeap::OnRequest,
        ..HeapConfig::default()
    }
}

/// A configuration under whose limits a million-object heap never collects on its own.
fn no_gc_config() -> HeapConfig {
    HeapConfig {
        max_heap_bytes: 8 * GIB,
        initial_allocation_limit: 4 * GIB,
        ..bench_config()
    }
}

/// Runs `timed(n)` for chunks of at most `CHUNK` objects until `iters` are done; each call builds
/// its own fresh state and returns only the time of its allocation loop.
fn in_chunks(iters: u64, mut timed: impl FnMut(u64) -> Duration) -> Duration {
    let mut total = Duration::ZERO;
    let mut remaining = iters;
    while remaining > 0 {
        let n = remaining.min(CHUNK);
        remaining -= n;
        total += timed(n);
    }
    total
}

/// Allocates `n` 2-slot objects into locals, `PER_SCOPE` to a nested handle scope (as gclab's
/// `time_in_scopes`), and returns the time it took; the objects are garbage once their scope
/// closes.
fn time_allocations<C: Collector>(heap: &mut Heap<C>, ty: TypeId, n: u64) -> Duration {
    heap.handle_scope(|heap, scope| {
        let start = Instant::now();
        let mut done = 0;
        while done < n {
            let batch = PER_SCOPE.min(n - done);
            scope.scope(|scope| {
                for _ in 0..batch {
                    black_box(heap.allocate(scope, ty, 2, 0).unwrap());
                }
            });
            done += batch;
        }
        start.elapsed()
    })
}

/// A list of `LIST_LENGTH` 2-slot nodes, each linked in front of the previous one and holding
/// its index as a small integer, rooted by the returned persistent handle. After each node,
/// `garbage_per_node` unreachable nodes are allocated.
fn rooted_list<C: Collector>(
    heap: &mut Heap<C>,
    ty: TypeId,
    garbage_per_node: usize,
) -> Persistent {
    heap.handle_scope(|heap, scope| {
        let mut head = None;
        for i in 0..LIST_LENGTH {
            // The new node escapes into the list's scope; the garbage goes with the inner one.
            head = Some(scope.escapable(|inner| {
                let node = heap.allocate(inner, ty, 2, 0).unwrap();
                if let Some(next) = head {
                    heap.store(node, 0, next).unwrap();
                }
                heap.store(node, 1, Value::Smi(i as i32)).unwrap();
                for _ in 0..garbage_per_node {
                    heap.allocate(inner, ty, 2, 0).unwrap();
                }
                inner.escape(node)
            }));
        }
        heap.persistent(head.expect("a list has nodes")).unwrap()
    })
}

/// Returns the used bytes after one full collection, after checking the heap with the verifier.
fn collect_and_verify<C: Collector>(heap: &mut Heap<C>) -> usize {
    heap.collect(CollectionKind::Full);
    heap.verify()
        .expect("heap verifies after a full collection");
    heap.stats().used_bytes
}

fn allocation(c: &mut Criterion) {
    let mut group = c.benchmark_group("allocation");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));

    group.bench_function("gclab_alloc_local_24B", |b| {
        b.iter_custom(|iters| {
            in_chunks(iters, |n| {
                let mut heap = Heap::new(no_gc_config(), NoGc).unwrap();
                let ty = heap.intern_type("Node").unwrap();
                let elapsed = time_allocations(&mut heap, ty, n);
                assert_eq!(heap.stats().gc_count, 0);
                elapsed
            })
        });
    });

    let mut heap = Heap::new(bench_config(), MarkSweep::new()).unwrap();
    let ty = heap.intern_type("Node").unwrap();
    group.bench_function("marksweep_alloc_local_24B", |b| {
        b.iter_custom(|iters| time_allocations(&mut heap, ty, iters));
    });
    let stats = heap.stats();
    eprintln!(
        "marksweep_alloc_local_24B: {} objects allocated, {} GCs, total pause {:?} \
         ({:.3} ns per object), committed {} bytes",
        stats.allocated_objects,
        stats.gc_count,
        stats.total_pause,
        stats.total_pause.as_nanos() as f64 / stats.allocated_objects as f64,
        stats.committed_bytes,
    );
    drop(heap);

    group.bench_function("box_new_24B", |b| {
        b.iter(|| drop(black_box(Box::new(black_box([0u64; 3])))));
    });

    group.bench_function("box_new_24B_kept", |b| {
        b.iter_custom(|iters| {
            in_chunks(iters, |n| {
                let mut kept: Vec<Box<[u64; 3]>> = Vec::with_capacity(n as usize);
                let start = Instant::now();
                for _ in 0..n {
                    kept.push(Box::new(black_box([0u64; 3])));
                }
                let elapsed = start.elapsed();
                drop(black_box(kept));
                elapsed
            })
        });
    });

    group.finish();
}

/// A heap and the persistent handles that root its lists.
type RootedHeap = (Heap<MarkSweep>, Vec<Persistent>);

/// A heap of `LISTS` rooted lists of `LIST_LENGTH` nodes: one million live objects, marked on
/// `gc_threads` threads.
fn all_live_heap(gc_threads: usize) -> RootedHeap {
    let config = HeapConfig {
        gc_threads,
        ..bench_config()
    };
    let mut heap = Heap::new(config, MarkSweep::new()).unwrap();
    let ty = heap.intern_type("Node").unwrap();
    let roots = (0..LISTS).map(|_| rooted_list(&mut heap, ty, 0)).collect();
    (heap, roots)
}

/// A heap freshly filled with one million objects of which 10% are reachable (100 rooted lists
/// of 1000 nodes), each live node followed by nine garbage nodes, with no collection yet.
fn mostly_garbage_heap() -> RootedHeap {
    let mut heap = Heap::new(no_gc_config(), MarkSweep::new()).unwrap();
    let ty = heap.intern_type("Node").unwrap();
    let roots = (0..LISTS / 10)
        .map(|_| rooted_list(&mut heap, ty, 9))
        .collect();
    (heap, roots)
}

fn full_gc(c: &mut Criterion) {
    // Check both shapes once, outside the timing.
    let (mut heap, _roots) = all_live_heap(1);
    assert_eq!(collect_and_verify(&mut heap), OBJECTS * OBJECT_BYTES);
    let (mut garbage, garbage_roots) = mostly_garbage_heap();
    assert_eq!(garbage.stats().gc_count, 0);
    assert_eq!(garbage.stats().used_bytes, OBJECTS * OBJECT_BYTES);
    assert_eq!(
        collect_and_verify(&mut garbage),
        OBJECTS / 10 * OBJECT_BYTES
    );
    drop((garbage, garbage_roots));

    let mut group = c.benchmark_group("full_gc");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));

    let events_before = heap.events().len();
    group.bench_function("marksweep_1M_small_objects", |b| {
        b.iter(|| heap.collect(CollectionKind::Full));
    });
    let mut pauses: Vec<Duration> = heap.events()[events_before..]
        .iter()
        .map(|event| event.duration)
        .collect();
    pauses.sort();
    if let (Some(min), Some(max)) = (pauses.first(), pauses.last()) {
        eprintln!(
            "marksweep_1M_small_objects: {} GC events, pause min {:?} median {:?} max {:?}",
            pauses.len(),
            min,
            pauses[pauses.len() / 2],
            max,
        );
    }
    assert_eq!(heap.stats().used_bytes, OBJECTS * OBJECT_BYTES);
    drop(heap);

    // The same heap marked by two threads (parallel marking, crossbeam-deque work stealing).
    let (mut heap, _roots) = all_live_heap(2);
    assert_eq!(collect_and_verify(&mut heap), OBJECTS * OBJECT_BYTES);
    group.bench_function("marksweep_1M_small_objects_2_gc_threads", |b| {
        b.iter(|| heap.collect(CollectionKind::Full));
    });
    drop(heap);

    group.bench_function("marksweep_1M_objects_90pct_garbage", |b| {
        b.iter_batched(
            mostly_garbage_heap,
            |(mut heap, roots)| {
                heap.collect(CollectionKind::Full);
                (heap, roots)
            },
            BatchSize::PerIteration,
        );
    });

    group.finish();
}

criterion_group!(benches, allocation, full_gc);
criterion_main!(benches);
