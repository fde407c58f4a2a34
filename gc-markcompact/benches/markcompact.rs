//! Criterion benchmarks of mark-compact's pause against the bytes it moves.
//!
//! Measured: `compaction_pause/{marksweep,markcompact}/MB`: one `heap.collect(Full)` of a heap
//! of 24-byte objects filling `MB * 10` megabytes of pages, of which every tenth object is
//! reachable (one list through them, rooted by a persistent handle), so that every page is 90%
//! garbage. Mark-compact
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
use gc_core::{CollectionKind, Collector, Heap, HeapConfig, Persistent, VerifyHeap};
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

/// A heap with `live_mb` megabytes of reachable objects, one in ten of those allocated, and the
/// persistent handle that roots them (the head of their list).
fn fragmented_heap<C: Collector>(collector: C, live_mb: usize) -> (Heap<C>, Persistent) {
    let mut heap = Heap::new(config(), collector).unwrap();
    let node = heap.intern_type("Node").unwrap();
    let head = heap.handle_scope(|heap, scope| {
        let head = heap.allocate(scope, node, 2, 0).unwrap();
        let tail = heap.allocate(scope, node, 2, 0).unwrap();
        heap.store(head, 0, tail).unwrap();
        for i in 0..live_mb * MB / OBJECT_BYTES * 10 {
            // Each object's own local goes with its scope; every tenth is linked at the tail,
            // and `tail` moves on to it.
            scope.scope(|inner| {
                let object = heap.allocate(inner, node, 2, 0).unwrap();
                if i % 10 == 0 {
                    heap.store(tail, 0, object).unwrap();
                    heap.load_into(tail, tail, 0).unwrap();
                }
            });
        }
        heap.persistent(head).unwrap()
    });
    (heap, head)
}

fn compaction_pause(c: &mut Criterion) {
    let mut group = c.benchmark_group("compaction_pause");
    group.sampling_mode(SamplingMode::Flat).sample_size(10);
    for live_mb in [1, 4, 16] {
        let (mut check, check_root) = fragmented_heap(
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
        drop((check, check_root));
        group.bench_function(format!("markcompact/{live_mb}"), |b| {
            b.iter_batched(
                || {
                    fragmented_heap(
                        MarkCompact::with_policy(CompactionPolicy::stress_every_page()),
                        live_mb,
                    )
                },
                |(mut heap, root)| {
                    heap.collect(CollectionKind::Full);
                    black_box((heap, root))
                },
                BatchSize::PerIteration,
            )
        });
        group.bench_function(format!("marksweep/{live_mb}"), |b| {
            b.iter_batched(
                || fragmented_heap(MarkSweep::new(), live_mb),
                |(mut heap, root)| {
                    heap.collect(CollectionKind::Full);
                    black_box((heap, root))
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, compaction_pause);
criterion_main!(benches);
