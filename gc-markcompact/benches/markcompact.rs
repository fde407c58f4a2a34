//! Criterion benchmarks of mark-compact's pause against the bytes it moves.
//!
//! Measured: `compaction_pause/{marksweep,markcompact}/MB`: one `heap.collect(Full)` of a heap
//! of 24-byte objects filling `MB * 10` megabytes of pages, of which every tenth object is
//! reachable (one rooted list through them), so that every page is 90% garbage. Mark-compact
//! runs with every page an evacuation candidate (`CompactionPolicy::stress_every_page`), so it
//! moves the whole live tenth, `MB` megabytes, into fresh pages and gives the old ones back;
//! mark-sweep on the same heap shows what marking and sweeping alone cost. The heap is built
//! outside the timing, once per iteration. The verifier is off; it runs once per size,
//! outside the timing, after a collection of a separate heap, which also prints the bytes moved
//! and the pages evacuated that the pause reported.
//!
//! ```text
//! cargo bench -p gc-markcompact --bench markcompact
//! ```

use std::hint::black_box;

use criterion::{BatchSize, Criterion, SamplingMode, criterion_group, criterion_main};
use gc_core::{CollectionKind, Collector, Heap, HeapConfig, Value, VerifyHeap};
use gc_markcompact::{CompactionPolicy, MarkCompact};
use gc_marksweep::MarkSweep;

const OBJECT_BYTES: usize = 24;
const MB: usize = 1 << 20;

fn config() -> HeapConfig {
    HeapConfig {
        initial_allocation_limit: 1 << 33,
        max_heap_bytes: 1 << 34,
        verify: VerifyHeap::OnRequest,
        ..HeapConfig::default()
    }
}

/// A heap with `live_mb` megabytes of reachable objects, one in ten of those allocated.
fn fragmented_heap<C: Collector>(collector: C, live_mb: usize) -> Heap<C> {
    let mut heap = Heap::new(config(), collector).unwrap();
    let node = heap.intern_type("Node").unwrap();
    let head = heap.allocate(node, 2, 0).unwrap();
    let mut tail = heap.allocate(node, 2, 0).unwrap();
    heap.store(head, 0, Value::Ref(tail)).unwrap();
    for i in 0..live_mb * MB / OBJECT_BYTES * 10 {
        let object = heap.allocate(node, 2, 0).unwrap();
        if i % 10 == 0 {
            heap.store(tail, 0, Value::Ref(object)).unwrap();
            heap.release(tail).unwrap();
            tail = object;
        } else {
            heap.release(object).unwrap();
        }
    }
    heap
}

fn compaction_pause(c: &mut Criterion) {
    let mut group = c.benchmark_group("compaction_pause");
    group.sampling_mode(SamplingMode::Flat).sample_size(10);
    for live_mb in [1, 4, 16] {
        let mut check = fragmented_heap(
            MarkCompact::with_policy(CompactionPolicy::stress_every_page()),
            live_mb,
        );
        check.collect(CollectionKind::Full);
        check.verify().expect("the heap verifies after compaction");
        let event = check.events().last().unwrap();
        eprintln!(
            "{live_mb} MB live: moved {} bytes, evacuated {} pages, committed {} -> {} bytes, pause {:?}",
            event.outcome.moved_bytes,
            event.outcome.evacuated_pages,
            event.committed_before,
            event.committed_after,
            event.duration
        );
        drop(check);
        group.bench_function(format!("markcompact/{live_mb}"), |b| {
            b.iter_batched(
                || {
                    fragmented_heap(
                        MarkCompact::with_policy(CompactionPolicy::stress_every_page()),
                        live_mb,
                    )
                },
                |mut heap| {
                    heap.collect(CollectionKind::Full);
                    black_box(heap)
                },
                BatchSize::PerIteration,
            )
        });
        group.bench_function(format!("marksweep/{live_mb}"), |b| {
            b.iter_batched(
                || fragmented_heap(MarkSweep::new(), live_mb),
                |mut heap| {
                    heap.collect(CollectionKind::Full);
                    black_box(heap)
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, compaction_pause);
criterion_main!(benches);
