//! Criterion benchmarks of the young generation.
//!
//! Measured:
//! - `scavenge/survival_{1,10,50}pct`: one young collection of a 16 MiB new space freshly filled
//!   with 32-byte objects (2 slots, 8 payload bytes) of which 1%, 10% or 50% are reachable, as
//!   100 rooted linked lists; survivors are copied within new space (first survival). The heap
//!   is built outside the timing, and both semispaces have been used once before (so the copy
//!   does not fault in fresh pages). Throughput is the surviving bytes copied per second.
//! - `scavenge/memcpy_{1,10,50}pct`: `copy_nonoverlapping` of the same number of bytes between
//!   two buffers, for the copy throughput's ceiling on this machine (warm in cache for the
//!   smaller sizes: an upper bound).
//! - `remembered_set/{slot_set,store_buffer}/old_to_new_stores`: a store-heavy loop: allocate a
//!   young object and store it into a slot of an old (pretenured) array of 4096 slots, walking
//!   the slots with a stride, so that every store records an old-to-new slot; scavenges run
//!   from allocation and empty the set as objects get promoted.
//! - `remembered_set/{slot_set,store_buffer,marksweep}/top_down_tree`: GCBench's top-down tree
//!   (the parent allocated before its children, then the children stored into it) of depth 16,
//!   built and dropped; parents promoted while their children are young make the old-to-new
//!   stores. `marksweep` is the same without generations, for scale.
//!
//! The heap verifier is off. Run with `cargo bench -p gc-scavenge --bench scavenge`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use gc_core::collector_api::RememberedSet;
use gc_core::{
    CollectionKind, Collector, GcKind, HandleScope, Heap, HeapConfig, Local, Persistent, TypeId,
    VerifyHeap,
};
use gc_marksweep::MarkSweep;
use gc_scavenge::{Generational, SlotSetRememberedSet, StoreBuffer, YoungGenerationConfig};

const MB: usize = 1024 * 1024;
const OBJECT_BYTES: usize = 32;
/// Objects that fill a 16 MiB semispace's survivor budget with room to spare.
const OBJECTS: usize = 15 * MB / OBJECT_BYTES;
const LISTS: usize = 100;

fn bench_config() -> HeapConfig {
    HeapConfig {
        verify: VerifyHeap::OnRequest,
        ..HeapConfig::default()
    }
}

/// `gen-marksweep` with remembered set `remembered`; semispaces of a fixed size, or (`None`)
/// the default sizing, 1 MiB growing to 16 MiB.
fn plan<R: RememberedSet>(remembered: R, semispace: Option<usize>) -> Generational<MarkSweep, R> {
    let mut config = YoungGenerationConfig::default();
    if let Some(bytes) = semispace {
        config.initial_semispace_bytes = bytes;
        config.max_semispace_bytes = bytes;
    }
    Generational::with(MarkSweep::new(), remembered, config)
}

/// A heap whose 16 MiB new space holds `OBJECTS` objects, `percent`% of them reachable, and the
/// persistent handles to the lists' heads that make them so.
fn filled_new_space(percent: usize) -> (Heap<Generational<MarkSweep>>, Vec<Persistent>) {
    let mut heap = Heap::new(
        bench_config(),
        plan(SlotSetRememberedSet::default(), Some(16 * MB)),
    )
    .unwrap();
    let ty = heap.intern_type("Node").unwrap();
    // Two scavenges of garbage first, so both semispaces are faulted in, as in a running
    // program: the measured scavenge copies into memory that was used before.
    while heap.stats().gc_count < 2 {
        heap.handle_scope(|heap, scope| heap.allocate(scope, ty, 2, 8).map(|_| ()))
            .unwrap();
    }
    let mut heads: Vec<Option<Persistent>> = vec![None; LISTS];
    for i in 0..OBJECTS {
        heap.handle_scope(|heap, scope| {
            let node = heap.allocate(scope, ty, 2, 8).unwrap();
            if i * percent % 100 < percent {
                let list = &mut heads[i % LISTS];
                if let Some(next) = list.take() {
                    heap.store(node, 0, &next).unwrap();
                }
                *list = Some(heap.persistent(node).unwrap());
            }
        });
    }
    assert_eq!(
        heap.stats().gc_count,
        2,
        "new space must not have filled up"
    );
    (heap, heads.into_iter().flatten().collect())
}

fn survivor_bytes(percent: usize) -> usize {
    (0..OBJECTS).filter(|i| i * percent % 100 < percent).count() * OBJECT_BYTES
}

fn scavenge(c: &mut Criterion) {
    let mut group = c.benchmark_group("scavenge");
    // Each iteration needs a freshly filled 16 MiB new space (~20 ms to build): tiny time
    // targets make criterion run one iteration per sample.
    group
        .sample_size(15)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_millis(1));
    for percent in [1, 10, 50] {
        let bytes = survivor_bytes(percent);
        // Check the shape once, outside the timing.
        let (mut heap, heads) = filled_new_space(percent);
        heap.collect(CollectionKind::Young);
        heap.verify().expect("heap verifies after the scavenge");
        let event = heap.events().last().unwrap();
        assert_eq!(event.outcome.moved_bytes, bytes);
        eprintln!(
            "survival {percent}%: {bytes} bytes survive; one scavenge paused {:?}",
            event.duration
        );
        drop((heap, heads));

        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function(format!("survival_{percent}pct"), |b| {
            b.iter_batched(
                || filled_new_space(percent),
                |(mut heap, heads)| {
                    heap.collect(CollectionKind::Young);
                    (heap, heads)
                },
                BatchSize::PerIteration,
            );
        });
    }
    group.finish();
    let mut group = c.benchmark_group("scavenge");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for percent in [1, 10, 50] {
        let bytes = survivor_bytes(percent);
        group.throughput(Throughput::Bytes(bytes as u64));
        let source = vec![1u8; bytes];
        let mut target = vec![0u8; bytes];
        group.bench_function(format!("memcpy_{percent}pct"), |b| {
            b.iter(|| {
                // SAFETY: two distinct buffers of `bytes` bytes.
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        black_box(source.as_ptr()),
                        target.as_mut_ptr(),
                        bytes,
                    )
                };
                black_box(&mut target);
            });
        });
    }
    group.finish();
}

const ARRAY_SLOTS: u64 = 4096;

/// An old array of `ARRAY_SLOTS` slots (32 KiB: over the young limit, so pretenured).
fn old_array<C: Collector>(heap: &mut Heap<C>, ty: TypeId) -> Persistent {
    heap.handle_scope(|heap, scope| {
        let array = heap.allocate(scope, ty, ARRAY_SLOTS, 0).unwrap();
        heap.persistent(array).unwrap()
    })
}

fn old_to_new_stores<R: RememberedSet + Default>(c: &mut Criterion, name: &str) {
    let mut heap = Heap::new(bench_config(), plan(R::default(), None)).unwrap();
    let ty = heap.intern_type("Node").unwrap();
    let array = old_array(&mut heap, ty);
    let mut i = 0u64;
    c.bench_function(&format!("remembered_set/{name}/old_to_new_stores"), |b| {
        b.iter(|| {
            i = (i + 7919) % ARRAY_SLOTS;
            heap.handle_scope(|heap, scope| {
                let young = heap.allocate(scope, ty, 1, 0).unwrap();
                heap.store(&array, i, young).unwrap();
            });
        });
    });
    let stats = heap.stats();
    eprintln!(
        "{name}: {} GCs, total pause {:?}, remembered slots now {}",
        stats.gc_count,
        stats.total_pause,
        heap.collector().remembered_set().len()
    );
}

/// GCBench's `Populate`: children allocated after their parent, then stored into it. Each
/// child's local lives in a scope of its own, closed once its subtree is built.
fn populate<C: Collector>(
    heap: &mut Heap<C>,
    scope: &mut HandleScope<'_>,
    ty: TypeId,
    depth: u32,
    node: Local<'_>,
) {
    if depth == 0 {
        return;
    }
    for slot in 0..2 {
        scope.scope(|inner| {
            let child = heap.allocate(inner, ty, 2, 0).unwrap();
            heap.store(node, slot, child).unwrap();
            populate(heap, inner, ty, depth - 1, child);
        });
    }
}

fn top_down_tree<C: Collector>(c: &mut Criterion, name: &str, mut heap: Heap<C>) {
    let ty = heap.intern_type("Node").unwrap();
    c.bench_function(&format!("remembered_set/{name}/top_down_tree"), |b| {
        b.iter(|| {
            heap.handle_scope(|heap, scope| {
                let root = heap.allocate(scope, ty, 2, 0).unwrap();
                populate(heap, scope, ty, 16, root);
            });
        });
    });
    let stats = heap.stats();
    let scavenges = heap
        .events()
        .iter()
        .filter(|e| e.kind == GcKind::Scavenge)
        .count();
    let promoted: usize = heap.events().iter().map(|e| e.outcome.promoted_bytes).sum();
    eprintln!(
        "{name}: {} MB allocated, {} GCs ({scavenges} scavenges, {} MB promoted), total pause {:?}",
        stats.allocated_bytes >> 20,
        stats.gc_count,
        promoted >> 20,
        stats.total_pause,
    );
}

fn remembered_sets(c: &mut Criterion) {
    old_to_new_stores::<SlotSetRememberedSet>(c, "slot_set");
    old_to_new_stores::<StoreBuffer>(c, "store_buffer");
    let heap = |r| Heap::new(bench_config(), plan(r, None)).unwrap();
    top_down_tree(c, "slot_set", heap(SlotSetRememberedSet::default()));
    let heap = Heap::new(bench_config(), plan(StoreBuffer::default(), None)).unwrap();
    top_down_tree(c, "store_buffer", heap);
    top_down_tree(
        c,
        "marksweep",
        Heap::new(bench_config(), MarkSweep::new()).unwrap(),
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = scavenge, remembered_sets
}
criterion_main!(benches);
