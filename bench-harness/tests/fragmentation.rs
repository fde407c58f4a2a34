//! The fragmentation workload (`gclab gen fragment`) replayed on mark-sweep and on mark-compact:
//! the same live graph (equal digests), and mark-compact ends with at most 60% of mark-sweep's
//! committed memory, because it moves the scattered survivors together and gives the emptied
//! pages back. `gen-markcompact` keeps the same graph too.
#![cfg(all(feature = "marksweep", feature = "markcompact"))]

use bench_harness::generators::Generator;
use bench_harness::replay::{ReplayOptions, ReplayReport, replay};
use gc_core::{Collector, Heap, HeapConfig};
use gc_trace::{MemorySource, OwnedRecord};
use gclab::{MarkCompact, MarkSweep};

fn replay_on<C: Collector>(records: &[OwnedRecord], collector: C) -> ReplayReport {
    let mut heap = Heap::new(HeapConfig::for_testing(), collector).unwrap();
    let mut source = MemorySource::new("fragment", records);
    let options = ReplayOptions {
        check_deaths: false,
        progress: false,
        ..ReplayOptions::default()
    };
    replay(&mut heap, &mut source, options).unwrap_or_else(|error| panic!("{error}"))
}

#[test]
#[cfg_attr(miri, ignore = "tens of megabytes of heap")]
fn markcompact_ends_with_at_most_60_percent_of_marksweeps_committed_memory() {
    let args: Vec<String> = ["--objects", "60000", "--churn", "120000", "--seed", "3"]
        .iter()
        .map(|word| word.to_string())
        .collect();
    let mut records = Vec::new();
    Generator::Fragment.generate(&args, &mut records).unwrap();

    let sweep = replay_on(&records, MarkSweep::new());
    let compact = replay_on(&records, MarkCompact::new());

    assert_eq!(compact.live.digest, sweep.live.digest);
    assert!(
        compact
            .gc_by_kind
            .iter()
            .any(|&(kind, n)| kind == "mark-compact" && n > 0),
        "{:?}",
        compact.gc_by_kind
    );
    let (swept, compacted) = (sweep.final_committed_bytes, compact.final_committed_bytes);
    assert!(
        compacted * 10 <= swept * 6,
        "markcompact {compacted} bytes, marksweep {swept} bytes"
    );
    #[cfg(feature = "scavenge")]
    {
        let generational = replay_on(&records, gclab::Generational::new(MarkCompact::new()));
        assert_eq!(generational.live.digest, sweep.live.digest);
    }
}
