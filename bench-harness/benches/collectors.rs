//! Each compiled-in collector on the small built-in workloads (`binary-trees`, `churn`,
//! `linked-list` at scale 1): the whole run on a fresh heap, collections included, so that a
//! regression in any collector's pauses or allocation paths shows in `cargo bench`. The
//! collectors come from `CollectorChoice::COMPILED_IN`: a new one is benchmarked with no change
//! here.

use bench_harness::runner::{RunOptions, TraceGc, run_workload};
use bench_harness::workloads::Workload;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use gc_core::HeapConfig;
use gclab::collectors::{CollectorChoice, compiled_in_constraints};

fn workloads(c: &mut Criterion) {
    let options = RunOptions {
        scale: 1,
        trace_gc: TraceGc::Off,
        heap_id: 1,
    };
    let names = compiled_in_constraints().into_iter().map(|c| c.name);
    let choices = CollectorChoice::COMPILED_IN.iter().copied().zip(names);
    for workload in Workload::ALL {
        let mut group = c.benchmark_group(workload.name());
        group.sample_size(20);
        for (choice, name) in choices.clone() {
            group.bench_function(BenchmarkId::from_parameter(name), |b| {
                b.iter(|| {
                    run_workload(choice, HeapConfig::default(), workload, options)
                        .expect("a built-in workload runs at scale 1")
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, workloads);
criterion_main!(benches);
