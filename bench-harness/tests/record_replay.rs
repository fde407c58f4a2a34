//! The trace recorder against the replay: random mutator programs run with gclab's recorder on,
//! on every compiled-in collector (under stress mode, so that scavenges, promotions and, with a
//! compaction stress policy, full compactions move objects between the operations), and the
//! trace they write is replayed on every collector. The replay stopped where the recording took
//! its checkpoint must hold the same live graph (`Heap::live_graph_by_trace_ids` against
//! `Heap::recorded_checkpoint`), and the whole trace must replay without error.
//!
//! This lives in bench-harness because the replay does: gclab cannot depend on it.
#![cfg(all(feature = "marksweep", feature = "markcompact", feature = "scavenge"))]

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use bench_harness::replay::{ReplayOptions, StopAt, ThinkTime, replay, replay_until};
use gc_core::PAGE_SIZE;
use gc_core::testkit::small_heap;
use gc_markcompact::{CompactionPolicy, CompactionStress};
use gc_scavenge::{SlotSetRememberedSet, YoungGenerationConfig};
use gc_trace::binary_reader::BinaryReader;
use gclab::collectors::{CollectorChoice, HeapVisitor, run_with};
use gclab::{
    CollectionKind, Collector, Generational, HandleScope, Heap, HeapConfig, LiveGraph, MarkCompact,
    MarkSweep, Persistent, RecordedCheckpoint, TraceRecorder, TypeId, Value,
};
use proptest::prelude::*;

/// What a slot is given: nothing, a small integer, or the object of a root.
#[derive(Clone, Debug)]
enum Val {
    Null,
    Smi(i32),
    Root(usize),
}

/// One mutator operation; `usize`s pick a root modulo how many there are.
#[derive(Clone, Debug)]
enum Op {
    /// A new object, kept as a persistent root or left to its scope's end.
    Alloc {
        slots: u8,
        bytes: u8,
        label: u8,
        keep: bool,
    },
    Store {
        host: usize,
        slot: u8,
        value: Val,
    },
    /// A new object stored into a root's slot, its local dropped with the scope.
    Link {
        host: usize,
        slot: u8,
        slots: u8,
    },
    /// A slot's object loaded into a local, kept as a persistent root if asked.
    Load {
        host: usize,
        slot: u8,
        keep: bool,
    },
    /// A list walk with `load_into` along slot 0, storing what it reached into the root.
    Walk {
        host: usize,
        steps: u8,
    },
    /// An escapable scope hands a new object out, stored into a root's slot.
    Escape {
        host: usize,
        slot: u8,
    },
    Drop {
        root: usize,
    },
    Clone {
        root: usize,
    },
    External {
        root: usize,
        bytes: u16,
    },
    Collect {
        full: bool,
    },
}

fn val() -> impl Strategy<Value = Val> {
    prop_oneof![
        Just(Val::Null),
        (-1000i32..1000).prop_map(Val::Smi),
        any::<usize>().prop_map(Val::Root),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u8..4, 0u8..48, 0u8..3, any::<bool>())
            .prop_map(|(slots, bytes, label, keep)| Op::Alloc { slots, bytes, label, keep }),
        5 => (any::<usize>(), 0u8..4, val()).prop_map(|(host, slot, value)| Op::Store { host, slot, value }),
        5 => (any::<usize>(), 0u8..4, 0u8..3).prop_map(|(host, slot, slots)| Op::Link { host, slot, slots }),
        2 => (any::<usize>(), 0u8..4, any::<bool>()).prop_map(|(host, slot, keep)| Op::Load { host, slot, keep }),
        1 => (any::<usize>(), 1u8..6).prop_map(|(host, steps)| Op::Walk { host, steps }),
        1 => (any::<usize>(), 0u8..4).prop_map(|(host, slot)| Op::Escape { host, slot }),
        2 => any::<usize>().prop_map(|root| Op::Drop { root }),
        1 => any::<usize>().prop_map(|root| Op::Clone { root }),
        1 => (any::<usize>(), 0u16..4096).prop_map(|(root, bytes)| Op::External { root, bytes }),
        1 => any::<bool>().prop_map(|full| Op::Collect { full }),
    ]
}

/// The program's state: its persistent roots and its type labels.
struct Mutator<'h, C: Collector> {
    heap: &'h mut Heap<C>,
    roots: Vec<Persistent>,
    labels: Vec<TypeId>,
}

/// The root `pick` names, if there is any root.
fn pick_root(roots: &[Persistent], pick: usize) -> Option<&Persistent> {
    (!roots.is_empty()).then(|| &roots[pick % roots.len()])
}

/// Slot `slot` of the root's object, if it has one.
fn slot_of<C: Collector>(heap: &Heap<C>, root: &Persistent, slot: u8) -> Option<u64> {
    let slots = u64::from(heap.shape(root).ok()?.slots);
    (u64::from(slot) < slots).then_some(u64::from(slot))
}

impl<C: Collector> Mutator<'_, C> {
    fn run(&mut self, op: &Op) {
        match *op {
            Op::Alloc {
                slots,
                bytes,
                label,
                keep,
            } => {
                let type_id = self.labels[usize::from(label)];
                let heap = &mut *self.heap;
                let kept = heap.handle_scope(|heap, scope| {
                    let local = heap
                        .allocate(scope, type_id, slots.into(), bytes.into())
                        .expect("allocate");
                    heap.payload_mut(local).expect("payload").fill(bytes);
                    keep.then(|| heap.persistent(local).expect("persistent"))
                });
                self.roots.extend(kept);
            }
            Op::Store {
                host,
                slot,
                ref value,
            } => self.store(host, slot, value),
            Op::Link { host, slot, slots } => self.link(host, slot, slots),
            Op::Load { host, slot, keep } => self.load(host, slot, keep),
            Op::Walk { host, steps } => self.walk(host, steps),
            Op::Escape { host, slot } => self.escape(host, slot),
            Op::Drop { root } => {
                if !self.roots.is_empty() {
                    let index = root % self.roots.len();
                    self.roots.swap_remove(index);
                }
            }
            Op::Clone { root } => {
                if let Some(root) = pick_root(&self.roots, root) {
                    let clone = root.clone();
                    self.roots.push(clone);
                }
            }
            Op::External { root, bytes } => {
                if let Some(root) = pick_root(&self.roots, root) {
                    self.heap
                        .set_external_bytes(root, bytes.into())
                        .expect("external");
                }
            }
            Op::Collect { full } => self.heap.collect(match full {
                true => CollectionKind::Full,
                false => CollectionKind::Young,
            }),
        }
    }

    fn store(&mut self, host: usize, slot: u8, value: &Val) {
        let Some(host) = pick_root(&self.roots, host) else {
            return;
        };
        let Some(slot) = slot_of(self.heap, host, slot) else {
            return;
        };
        match *value {
            Val::Null => self.heap.store(host, slot, Value::Null),
            Val::Smi(n) => self.heap.store(host, slot, Value::Smi(n)),
            Val::Root(pick) => {
                let target = &self.roots[pick % self.roots.len()];
                self.heap.store(host, slot, target)
            }
        }
        .expect("store");
    }

    fn link(&mut self, host: usize, slot: u8, slots: u8) {
        let Some(host) = pick_root(&self.roots, host) else {
            return;
        };
        let Some(slot) = slot_of(self.heap, host, slot) else {
            return;
        };
        let type_id = self.labels[0];
        self.heap.handle_scope(|heap, scope| {
            let child = heap
                .allocate(scope, type_id, slots.into(), 8)
                .expect("allocate");
            heap.store(host, slot, child).expect("store");
        });
    }

    fn load(&mut self, host: usize, slot: u8, keep: bool) {
        let Some(host) = pick_root(&self.roots, host) else {
            return;
        };
        let Some(slot) = slot_of(self.heap, host, slot) else {
            return;
        };
        let kept = self.heap.handle_scope(|heap, scope| {
            let value = heap.load(scope, host, slot).expect("load");
            let local = value.as_local()?;
            keep.then(|| heap.persistent(local).expect("persistent"))
        });
        self.roots.extend(kept);
    }

    fn walk(&mut self, host: usize, steps: u8) {
        let Some(host) = pick_root(&self.roots, host) else {
            return;
        };
        if slot_of(self.heap, host, 0).is_none() {
            return;
        }
        self.heap.handle_scope(|heap, scope| {
            let cursor = heap.local(scope, host).expect("local");
            for _ in 0..steps {
                let has_slot = heap.shape(cursor).expect("shape").slots > 0;
                if !has_slot
                    || heap.load_into(cursor, cursor, 0).expect("load_into")
                        != gclab::SlotContent::Reference
                {
                    break;
                }
            }
            heap.store(host, 0, cursor).expect("store");
        });
    }

    fn escape(&mut self, host: usize, slot: u8) {
        let Some(host) = pick_root(&self.roots, host) else {
            return;
        };
        let Some(slot) = slot_of(self.heap, host, slot) else {
            return;
        };
        let type_id = self.labels[1];
        let heap = &mut *self.heap;
        heap.handle_scopes().enter(|outer: &mut HandleScope<'_>| {
            let escaped = outer.escapable(|inner| {
                let object = heap.allocate(inner, type_id, 1, 0).expect("allocate");
                heap.allocate(inner, type_id, 0, 16).expect("garbage");
                inner.escape(object)
            });
            heap.store(host, slot, escaped).expect("store");
        });
    }
}

/// Runs a program with the recorder on; returns the checkpoint taken before its roots go.
struct Record<'p> {
    program: &'p [Op],
    path: &'p Path,
}

impl HeapVisitor for Record<'_> {
    type Output = RecordedCheckpoint;

    fn visit<C: Collector>(self, heap: Heap<C>) -> RecordedCheckpoint {
        record(heap, self.program, self.path)
    }
}

fn record<C: Collector>(mut heap: Heap<C>, program: &[Op], path: &Path) -> RecordedCheckpoint {
    let recorder = TraceRecorder::create(path).expect("trace file");
    heap.start_recording(Box::new(recorder)).expect("recording");
    let labels = ["Node", "Box", ""]
        .iter()
        .map(|name| heap.intern_type(name).expect("type"))
        .collect();
    let mut mutator = Mutator {
        heap: &mut heap,
        roots: Vec::new(),
        labels,
    };
    for op in program {
        mutator.run(op);
    }
    let checkpoint = mutator.heap.recorded_checkpoint().expect("checkpoint");
    mutator.roots.clear();
    heap.finish_recording().expect("finish");
    checkpoint
}

/// Replays the trace to `stop` records and takes the live graph as the trace names it.
struct ReplayTo<'p> {
    path: &'p Path,
    stop: u64,
}

impl HeapVisitor for ReplayTo<'_> {
    type Output = Result<LiveGraph, String>;

    fn visit<C: Collector>(self, mut heap: Heap<C>) -> Self::Output {
        let bytes = std::fs::read(self.path).map_err(|e| e.to_string())?;
        let mut source = BinaryReader::new("recorded", &bytes).map_err(|e| e.to_string())?;
        let graph = replay_until(
            &mut heap,
            &mut source,
            StopAt::Line(self.stop),
            |heap, ids| heap.live_graph_by_trace_ids(|key| ids.get(&key).copied()),
        )
        .map_err(|e| e.to_string())?
        .map_err(|last| format!("the trace ended at record {last}"))?;
        Ok(graph)
    }
}

/// Replays the whole trace: it must be valid to the end, where no root is left.
struct ReplayAll<'p> {
    path: &'p Path,
}

impl HeapVisitor for ReplayAll<'_> {
    type Output = Result<(), String>;

    fn visit<C: Collector>(self, mut heap: Heap<C>) -> Self::Output {
        let bytes = std::fs::read(self.path).map_err(|e| e.to_string())?;
        let mut source = BinaryReader::new("recorded", &bytes).map_err(|e| e.to_string())?;
        let options = ReplayOptions {
            think: ThinkTime::Skip,
            ..ReplayOptions::default()
        };
        let report = replay(&mut heap, &mut source, options).map_err(|e| e.to_string())?;
        match report.live.objects {
            0 => Ok(()),
            n => Err(format!("{n} objects live after the last root went")),
        }
    }
}

fn trace_path(tag: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(format!("{tag}.gctb"));
    (dir, path)
}

/// Stress mode every `interval` allocations; an even interval scavenges on two threads (the
/// parallel scavenger's moves), an odd one on one (the serial scavenger's).
fn stressed(interval: u32) -> HeapConfig {
    HeapConfig {
        stress_interval: NonZeroU32::new(interval),
        gc_threads: if interval % 2 == 0 { 2 } else { 1 },
        ..small_heap()
    }
}

/// Replays `path` up to the checkpoint on every collector; each must see the recorded graph.
fn replays_alike(path: &Path, checkpoint: &RecordedCheckpoint) -> Result<(), TestCaseError> {
    let stop = checkpoint.events + TraceRecorder::<std::fs::File>::METADATA_RECORDS;
    for &choice in CollectorChoice::COMPILED_IN {
        let graph = run_with(choice, small_heap(), ReplayTo { path, stop })
            .map_err(|e| TestCaseError::fail(e.to_string()))?
            .map_err(|e| TestCaseError::fail(format!("{choice:?}: {e}")))?;
        prop_assert_eq!(&graph, &checkpoint.live, "replayed on {:?}", choice);
        run_with(choice, small_heap(), ReplayAll { path })
            .map_err(|e| TestCaseError::fail(e.to_string()))?
            .map_err(|e| TestCaseError::fail(format!("{choice:?}: {e}")))?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn a_recorded_program_replays_to_the_same_graph(
        program in prop::collection::vec(op(), 1..120),
        interval in 3u32..12,
    ) {
        for &choice in CollectorChoice::COMPILED_IN {
            let (_dir, path) = trace_path("random");
            let checkpoint = run_with(choice, stressed(interval), Record { program: &program, path: &path })
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            replays_alike(&path, &checkpoint)?;
        }
    }

    #[test]
    fn a_program_recorded_under_compaction_of_every_page_replays_to_the_same_graph(
        program in prop::collection::vec(op(), 1..120),
        interval in 3u32..12,
    ) {
        let policy = CompactionPolicy { stress: CompactionStress::EveryPage, ..CompactionPolicy::default() };
        let (_dir, path) = trace_path("compacted");
        let heap = Heap::new(stressed(interval), MarkCompact::with_policy(policy)).expect("heap");
        let checkpoint = record(heap, &program, &path);
        replays_alike(&path, &checkpoint)?;
        let (_dir, path) = trace_path("gen-compacted");
        let collector = Generational::new(MarkCompact::with_policy(policy));
        let heap = Heap::new(stressed(interval), collector).expect("heap");
        let checkpoint = record(heap, &program, &path);
        replays_alike(&path, &checkpoint)?;
    }

    /// Scavenges on two threads whatever the young bytes: the parallel scavenger's moves.
    #[test]
    fn a_program_recorded_under_parallel_scavenges_replays_to_the_same_graph(
        program in prop::collection::vec(op(), 1..160),
        interval in 3u32..12,
        survivals in 0u8..3,
    ) {
        let young = YoungGenerationConfig {
            initial_semispace_bytes: 3 * PAGE_SIZE,
            max_semispace_bytes: 6 * PAGE_SIZE,
            bytes_per_scavenging_thread: 0,
            survivals_before_promotion: survivals,
            ..YoungGenerationConfig::default()
        };
        let config = HeapConfig { gc_threads: 2, ..stressed(interval) };
        let (_dir, path) = trace_path("parallel");
        let collector = Generational::with(MarkSweep::new(), SlotSetRememberedSet::default(), young);
        let checkpoint = record(Heap::new(config, collector).expect("heap"), &program, &path);
        replays_alike(&path, &checkpoint)?;
    }
}
