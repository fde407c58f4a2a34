//! A short mutator program under stress mode (a collection at every allocation) on every
//! compiled-in collector, checked against the reference model: small enough for Miri, which runs
//! it on `PageSourceKind::Allocator` pages through every collector's marking, sweeping, scavenging
//! (copying, forwarding) and compaction (`cargo +nightly miri test -p bench-harness --test
//! stress_miri`).
#![cfg(feature = "marksweep")]

use std::num::NonZeroU32;

use gc_core::testkit::{Op, OpValue, check_program};
use gc_core::{CollectionKind, Collector, Digest, HeapConfig};
use gclab::collectors::{CollectorChoice, CollectorVisitor};

fn allocate(type_index: usize, slots: u32, bytes: u32) -> Op {
    Op::Allocate {
        type_index,
        slots,
        bytes,
    }
}

fn store(host: usize, slot: usize, value: OpValue) -> Op {
    Op::Store { host, slot, value }
}

/// A list and a tree that lose and regain parts, a weak handle, payload, external memory, and
/// explicit collections of both kinds, between forced ones. (No large object: Miri writes and
/// hashes every payload byte at every check; gc-marksweep's collection tests take large objects
/// through Miri.)
fn program() -> Vec<Op> {
    vec![
        allocate(0, 2, 16),
        allocate(0, 2, 8),
        store(0, 0, OpValue::Root(1)),
        allocate(1, 0, 40),
        store(1, 1, OpValue::Root(2)),
        Op::WritePayload { root: 2, seed: 7 },
        Op::Release { root: 1 },
        Op::Downgrade { root: 1 },
        allocate(2, 3, 0),
        store(2, 2, OpValue::Smi(-5)),
        store(2, 0, OpValue::Root(0)),
        Op::Collect {
            kind: CollectionKind::Young,
        },
        Op::Release { root: 1 },
        allocate(3, 1, 3000),
        Op::SetExternal {
            root: 3,
            bytes: 4096,
        },
        store(3, 0, OpValue::Root(0)),
        Op::Load { host: 0, slot: 0 },
        Op::Upgrade { weak: 0 },
        allocate(0, 4, 24),
        Op::Release { root: 0 },
        Op::Collect {
            kind: CollectionKind::Full,
        },
        allocate(1, 0, 8),
        Op::DropWeak { weak: 0 },
        Op::Release { root: 2 },
        allocate(0, 1, 0),
    ]
}

struct Check;

impl CollectorVisitor for Check {
    type Output = Result<Digest, String>;

    fn visit<C: Collector>(self, collector: C) -> Self::Output {
        let config = HeapConfig {
            stress_interval: Some(NonZeroU32::MIN),
            ..HeapConfig::for_testing()
        };
        check_program(config, collector, &program())
            .map_err(|error| format!("{}: {error}", C::CONSTRAINTS.name))
    }
}

/// (The digests are not compared between collectors: the program upgrades a weak handle, whose
/// result may differ between a generational collector's young collection and a full one.)
#[test]
fn a_short_program_under_stress_keeps_the_model_graph_on_every_collector() {
    assert!(!CollectorChoice::COMPILED_IN.is_empty());
    for &choice in CollectorChoice::COMPILED_IN {
        match choice.visit(Check) {
            Ok(Ok(_digest)) => {}
            Ok(Err(disagreement)) => panic!("{disagreement}"),
            Err(error) => panic!("{choice}: {error}"),
        }
    }
}
