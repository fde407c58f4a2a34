//! A program that asks for a full collection every few allocations (as Node programs do under
//! `--expose-gc`) keeps its committed memory in proportion to what lives, on every collector: a
//! list grown one pair at a time, `gc` every three allocations. Before survivors were promoted
//! packed, the generational plans handed each new-space page to old space whole at every full
//! collection and ended with 252 MiB committed for 100 KB live.

use gc_core::HeapConfig;
use gc_trace::{GcRequest, OwnedRecord, Record, TraceValue};
use gclab::collectors::CollectorChoice;

mod common;

const PAIRS: u64 = 3000;

fn list_with_frequent_gc() -> Vec<OwnedRecord> {
    let mut records = Vec::new();
    let mut push = |record: Record<'_>| records.push(OwnedRecord::from(record));
    push(Record::Alloc {
        id: 0,
        slots: 1,
        bytes: 0,
        type_label: Some("Head"),
    });
    let mut tail = (0, 0);
    for id in 1..=PAIRS {
        push(Record::Alloc {
            id,
            slots: 2,
            bytes: 16,
            type_label: Some("Pair"),
        });
        push(Record::Write {
            id: tail.0,
            slot: tail.1,
            value: TraceValue::Object(id),
        });
        push(Record::DropRoot { id });
        tail = (id, 1);
        if id % 3 == 0 {
            push(Record::Gc(GcRequest::Full));
        }
    }
    records
}

#[test]
#[cfg_attr(miri, ignore = "a thousand full collections")]
fn committed_memory_follows_the_live_data_on_every_collector() {
    let records = list_with_frequent_gc();
    for &choice in CollectorChoice::COMPILED_IN {
        let report = common::replay_on(choice, &records, HeapConfig::default());
        assert_eq!(report.live.objects, PAIRS + 1, "{choice}");
        assert_eq!(
            report.gc_by_kind.iter().map(|&(_, n)| n).sum::<u64>(),
            PAIRS / 3,
            "{choice}: one pause per `gc`"
        );
        assert!(
            report.peak_committed_bytes < 8 << 20,
            "{choice}: {} bytes committed at the peak",
            report.peak_committed_bytes
        );
    }
}
