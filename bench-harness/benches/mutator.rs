//! Criterion benchmarks of the mutator API, each beside what a Rust programmer would use instead
//! (`Box`, `Rc`), in the same run.
//!
//! - `allocate_2_slots/*`: allocate a 2-slot object (24 bytes) into a local, 1024 to a scope;
//!   `box` is `Box::new([0u64; 3])` dropped at once, `rc` the same in an `Rc`. The heaps collect
//!   as they fill, so the collector's share is in the figure (amortized).
//! - `local/*`: make a local for an object that already has one (`heap.local`), 1024 to a scope;
//!   `rc_clone` is `Rc::clone` and its drop.
//! - `load/*`: load a reference slot into a new local; `rc_refcell` clones an `Rc` out of a
//!   `RefCell` and drops it.
//! - `load_store/*`: load a reference slot into a local and store it into another slot (the
//!   write barrier included); `rc_refcell` does the same through `Rc<RefCell<..>>`.
//! - `load_into/*`: load a reference slot into an existing local (no new local).
//! - `scope/open_close`: open and close an empty nested handle scope.
//! - `binary_trees_16/*`: the Benchmarks Game's binary-trees at depth 16 through the API (the
//!   `binary-trees` workload of `gclab run`), on every compiled-in collector, beside `Box` and `Rc`
//!   versions of the same program. `scripts/binary-trees-peers.sh` times depths 18 and 21 as
//!   whole runs, beside HotSpot and Node too.
//!
//! ```text
//! cargo bench -p bench-harness --bench mutator
//! cargo bench -p bench-harness --bench mutator -- binary_trees   # one group
//! ```

use std::cell::RefCell;
use std::hint::black_box;
use std::rc::Rc;
use std::time::{Duration, Instant};

use bench_harness::workloads::Workload;
use criterion::{Criterion, criterion_group, criterion_main};
use gclab::collectors::{CollectorChoice, CollectorVisitor};
use gclab::{Collector, HandleScope, Heap, HeapConfig, HeapError, Value, VerifyHeap};

/// Operations per handle scope in the per-operation benchmarks.
const PER_SCOPE: u64 = 1024;
const TREE_DEPTH: u32 = 16;

fn config() -> HeapConfig {
    HeapConfig {
        verify: VerifyHeap::OnRequest,
        ..HeapConfig::default()
    }
}

/// Times `op` `iters` times on `heap`, `PER_SCOPE` to a nested scope.
fn time_in_scopes<C: Collector>(
    heap: &mut Heap<C>,
    iters: u64,
    mut op: impl FnMut(&mut Heap<C>, &mut HandleScope<'_>),
) -> Duration {
    heap.handle_scope(|heap, scope| {
        let start = Instant::now();
        let mut done = 0;
        while done < iters {
            let n = PER_SCOPE.min(iters - done);
            scope.scope(|scope| {
                for _ in 0..n {
                    op(heap, scope);
                }
            });
            done += n;
        }
        start.elapsed()
    })
}

/// The per-operation benchmarks on one collector.
struct Operations<'c> {
    criterion: &'c mut Criterion,
}

impl CollectorVisitor for Operations<'_> {
    type Output = Result<(), HeapError>;

    fn visit<C: Collector>(self, collector: C) -> Self::Output {
        let name = C::CONSTRAINTS.name;
        let mut heap = Heap::new(config(), collector).expect("a valid configuration");
        let node = heap.intern_type("Node")?;
        let c = self.criterion;
        c.benchmark_group("allocate_2_slots")
            .bench_function(name, |b| {
                b.iter_custom(|iters| {
                    time_in_scopes(&mut heap, iters, |heap, scope| {
                        black_box(heap.allocate(scope, node, 2, 0).ok());
                    })
                })
            });
        heap.handle_scope(|heap, outer| -> Result<(), HeapError> {
            let parent = heap.allocate(outer, node, 2, 0)?;
            let child = heap.allocate(outer, node, 2, 0)?;
            heap.store(parent, 0, child)?;
            c.benchmark_group("local").bench_function(name, |b| {
                b.iter_custom(|iters| {
                    time_in_scopes(heap, iters, |heap, scope| {
                        black_box(heap.local(scope, parent).ok());
                    })
                })
            });
            c.benchmark_group("load").bench_function(name, |b| {
                b.iter_custom(|iters| {
                    time_in_scopes(heap, iters, |heap, scope| {
                        black_box(heap.load(scope, parent, 0).ok());
                    })
                })
            });
            c.benchmark_group("load_store").bench_function(name, |b| {
                b.iter_custom(|iters| {
                    time_in_scopes(heap, iters, |heap, scope| {
                        if let Ok(Value::Ref(loaded)) = heap.load(scope, parent, 0) {
                            black_box(heap.store(parent, 1, loaded).ok());
                        }
                    })
                })
            });
            let cursor = heap.local(outer, parent)?;
            c.benchmark_group("load_into").bench_function(name, |b| {
                b.iter(|| {
                    black_box(heap.load_into(cursor, parent, 0).ok());
                })
            });
            Ok(())
        })?;
        // The `gclab run` workload itself: depth 16 is its scale 16.
        c.benchmark_group("binary_trees_16")
            .sample_size(10)
            .bench_function(name, |b| {
                b.iter(|| {
                    black_box(
                        Workload::BinaryTrees
                            .run(&mut heap, 1 << (TREE_DEPTH - 12))
                            .ok(),
                    )
                })
            });
        Ok(())
    }
}

struct BoxNode(Option<(Box<BoxNode>, Box<BoxNode>)>);

fn box_tree(depth: u32) -> Box<BoxNode> {
    Box::new(BoxNode(
        (depth > 0).then(|| (box_tree(depth - 1), box_tree(depth - 1))),
    ))
}

fn box_count(tree: &BoxNode) -> u64 {
    1 + tree
        .0
        .as_ref()
        .map_or(0, |(l, r)| box_count(l) + box_count(r))
}

struct RcNode(Option<(Rc<RcNode>, Rc<RcNode>)>);

fn rc_tree(depth: u32) -> Rc<RcNode> {
    Rc::new(RcNode(
        (depth > 0).then(|| (rc_tree(depth - 1), rc_tree(depth - 1))),
    ))
}

fn rc_count(tree: &RcNode) -> u64 {
    1 + tree
        .0
        .as_ref()
        .map_or(0, |(l, r)| rc_count(l) + rc_count(r))
}

/// binary-trees with `make` and `count` for one memory-management strategy.
fn native_binary_trees<T>(max_depth: u32, make: fn(u32) -> T, count: fn(&T) -> u64) -> u64 {
    let mut checks = count(&make(max_depth + 1));
    let long_lived = make(max_depth);
    for depth in (4..=max_depth).step_by(2) {
        for _ in 0..1u64 << (max_depth - depth + 4) {
            checks += count(&make(depth));
        }
    }
    checks + count(&long_lived)
}

fn baselines(c: &mut Criterion) {
    c.benchmark_group("allocate_2_slots")
        .bench_function("box", |b| b.iter(|| black_box(Box::new([0u64; 3]))))
        .bench_function("rc", |b| b.iter(|| black_box(Rc::new([0u64; 3]))));
    let shared = Rc::new([0u64; 3]);
    c.benchmark_group("local")
        .bench_function("rc_clone", |b| b.iter(|| black_box(Rc::clone(&shared))));
    type Cell = RefCell<[Option<Rc<u64>>; 2]>;
    let parent: Rc<Cell> = Rc::new(RefCell::new([Some(Rc::new(1)), None]));
    c.benchmark_group("load").bench_function("rc_refcell", |b| {
        b.iter(|| black_box(parent.borrow()[0].clone()))
    });
    c.benchmark_group("load_store")
        .bench_function("rc_refcell", |b| {
            b.iter(|| {
                let loaded = parent.borrow()[0].clone();
                parent.borrow_mut()[1] = black_box(loaded);
            })
        });
    c.benchmark_group("binary_trees_16")
        .sample_size(10)
        .bench_function("box", |b| {
            b.iter(|| black_box(native_binary_trees(TREE_DEPTH, box_tree, |t| box_count(t))))
        })
        .bench_function("rc", |b| {
            b.iter(|| black_box(native_binary_trees(TREE_DEPTH, rc_tree, |t| rc_count(t))))
        });
}

fn scopes(c: &mut Criterion) {
    let Ok(choice) = CollectorChoice::best() else {
        return;
    };
    choice.visit(ScopeBench { criterion: c }).ok();
}

struct ScopeBench<'c> {
    criterion: &'c mut Criterion,
}

impl CollectorVisitor for ScopeBench<'_> {
    type Output = ();

    fn visit<C: Collector>(self, collector: C) {
        let Ok(mut heap) = Heap::new(config(), collector) else {
            return;
        };
        self.criterion
            .benchmark_group("scope")
            .bench_function("open_close", |b| {
                heap.handle_scope(|_, scope| {
                    b.iter(|| scope.scope(|inner| black_box(inner.stack_len())))
                })
            });
    }
}

fn operations(c: &mut Criterion) {
    for &choice in CollectorChoice::COMPILED_IN {
        if let Ok(Err(error)) = choice.visit(Operations { criterion: c }) {
            panic!("{choice}: {error}");
        }
    }
}

criterion_group!(benches, baselines, scopes, operations);
criterion_main!(benches);
