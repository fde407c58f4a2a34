//! A mutator that interleaves its operations with marking steps, checked against gc-core's
//! reference model after every operation and step.
//!
//! Checked: the verifier passes (its tri-colour check included while marking); every object the
//! model reaches is alive; every object unreachable when a marking cycle starts is reclaimed
//! (its weak handle cleared) by the end of that cycle, or, under a young generation, by the end
//! of the next one (a scavenge while marking may promote a dead young object that a dead old
//! one still names, and promoted objects are grey: they float to the next cycle); a
//! stop-the-world collection reclaims them at once in both.

#![allow(dead_code)]

use std::time::Duration;

use gc_core::testkit::{Model, ModelValue};
use gc_core::{
    CollectionKind, Collector, GcKind, Handle, Heap, HeapConfig, VerifyHeap, WeakHandle,
};
use gc_incremental::IncrementalConfig;
use proptest::prelude::*;

/// One mutator operation; indices are taken modulo the current roots.
#[derive(Clone, Debug)]
pub enum MutatorOp {
    Allocate {
        slots: u32,
        bytes: u32,
    },
    Store {
        host: usize,
        slot: usize,
        value: Option<usize>,
    },
    Load {
        host: usize,
        slot: usize,
    },
    /// `to.to_slot = from.from_slot`, through a temporary handle released at once.
    Copy {
        from: usize,
        from_slot: usize,
        to: usize,
        to_slot: usize,
    },
    Release {
        root: usize,
    },
    /// A young collection (a full one without a young generation).
    Scavenge,
    /// One step of the collector's incremental work; from idle it starts marking.
    Step,
}

/// Operations, with young collections weighted `scavenges` (out of about 40).
pub fn op_strategy(scavenges: u32) -> impl Strategy<Value = MutatorOp> {
    let size = prop_oneof![
        12 => (0u32..5, 0u32..64),
        3 => (0u32..24, 0u32..1024),
        1 => (0u32..3, 9_000u32..12_000),
    ];
    prop_oneof![
        10 => size.prop_map(|(slots, bytes)| MutatorOp::Allocate { slots, bytes }),
        14 => (any::<usize>(), any::<usize>(), proptest::option::weighted(0.85, any::<usize>()))
            .prop_map(|(host, slot, value)| MutatorOp::Store { host, slot, value }),
        4 => (any::<usize>(), any::<usize>()).prop_map(|(host, slot)| MutatorOp::Load { host, slot }),
        6 => (any::<usize>(), any::<usize>(), any::<usize>(), any::<usize>())
            .prop_map(|(from, from_slot, to, to_slot)| MutatorOp::Copy { from, from_slot, to, to_slot }),
        8 => any::<usize>().prop_map(|root| MutatorOp::Release { root }),
        scavenges => Just(MutatorOp::Scavenge),
        2 => Just(MutatorOp::Step),
    ]
}

pub fn program_strategy(len: std::ops::Range<usize>) -> impl Strategy<Value = Vec<MutatorOp>> {
    proptest::collection::vec(op_strategy(1), len)
}

/// Programs that scavenge often, so that many objects are promoted (the marking barrier only
/// sees stores between old objects).
pub fn promoting_program_strategy(
    len: std::ops::Range<usize>,
) -> impl Strategy<Value = Vec<MutatorOp>> {
    proptest::collection::vec(op_strategy(6), len)
}

/// Fine-grained steps, so that the mutator runs between small increments of marking.
pub fn fine_steps() -> IncrementalConfig {
    IncrementalConfig {
        step_budget: Duration::ZERO,
        step_interval: 4 * 1024,
        min_step_bytes: 16,
    }
}

/// A heap that collects every few dozen kilobytes; the runner verifies it itself, so that a
/// failure is an error and not a panic.
pub fn config() -> HeapConfig {
    HeapConfig {
        verify: VerifyHeap::OnRequest,
        ..gc_core::testkit::small_heap()
    }
}

/// Objects unreachable when a marking cycle started, and the first event after the start.
struct PendingReclaim {
    ids: Vec<usize>,
    first_event: u64,
}

struct Runner<C: Collector> {
    heap: Heap<C>,
    model: Model,
    roots: Vec<(Handle, usize)>,
    ids: Vec<WeakHandle>,
    pending: Vec<PendingReclaim>,
    generational: bool,
    marking_cycles: usize,
}

type Check = Result<(), String>;

fn err(e: impl ToString) -> String {
    e.to_string()
}

impl<C: Collector> Runner<C> {
    fn apply(&mut self, op: &MutatorOp) -> Check {
        match *op {
            MutatorOp::Allocate { slots, bytes } => self.allocate(slots, bytes),
            MutatorOp::Store { host, slot, value } => self.store(host, slot, value),
            MutatorOp::Load { host, slot } => self.load(host, slot),
            MutatorOp::Copy {
                from,
                from_slot,
                to,
                to_slot,
            } => self.copy(from, from_slot, to, to_slot),
            MutatorOp::Release { root } => {
                if !self.roots.is_empty() {
                    let (handle, id) = self.roots.swap_remove(root % self.roots.len());
                    self.heap.release(handle).map_err(err)?;
                    self.model.objects[id].roots -= 1;
                }
                Ok(())
            }
            MutatorOp::Scavenge => {
                self.heap.collect(CollectionKind::Young);
                Ok(())
            }
            MutatorOp::Step => {
                self.heap.collect_increment(Duration::ZERO);
                Ok(())
            }
        }
    }

    fn allocate(&mut self, slots: u32, bytes: u32) -> Check {
        let ty = self.heap.intern_type("Node").map_err(err)?;
        let handle = self
            .heap
            .allocate(ty, slots.into(), bytes.into())
            .map_err(err)?;
        let id = self.model.allocate("Node", slots as usize, bytes as usize);
        self.ids.push(self.heap.downgrade(handle).map_err(err)?);
        self.roots.push((handle, id));
        Ok(())
    }

    fn store(&mut self, host: usize, slot: usize, value: Option<usize>) -> Check {
        if self.roots.is_empty() {
            return Ok(());
        }
        let (handle, id) = self.roots[host % self.roots.len()];
        let slots = self.model.objects[id].slots.len();
        if slots == 0 {
            return Ok(());
        }
        let slot = slot % slots;
        let (value, model) = match value {
            Some(r) => {
                let (target, target_id) = self.roots[r % self.roots.len()];
                (gc_core::Value::Ref(target), ModelValue::Ref(target_id))
            }
            None => (gc_core::Value::Null, ModelValue::Null),
        };
        self.heap.store(handle, slot as u64, value).map_err(err)?;
        self.model.objects[id].slots[slot] = model;
        Ok(())
    }

    fn load(&mut self, host: usize, slot: usize) -> Check {
        if self.roots.is_empty() {
            return Ok(());
        }
        let (handle, id) = self.roots[host % self.roots.len()];
        let slots = self.model.objects[id].slots.len();
        if slots == 0 {
            return Ok(());
        }
        let slot = slot % slots;
        if let (gc_core::Value::Ref(target), ModelValue::Ref(target_id)) = (
            self.heap.load(handle, slot as u64).map_err(err)?,
            self.model.objects[id].slots[slot],
        ) {
            self.model.objects[target_id].roots += 1;
            self.roots.push((target, target_id));
        }
        Ok(())
    }

    fn copy(&mut self, from: usize, from_slot: usize, to: usize, to_slot: usize) -> Check {
        let roots_before = self.roots.len();
        self.load(from, from_slot)?;
        if self.roots.len() == roots_before {
            return Ok(());
        }
        let loaded = self.roots.len() - 1;
        self.store(to, to_slot, Some(loaded))?;
        let (handle, id) = self.roots.pop().ok_or("no loaded root")?;
        self.heap.release(handle).map_err(err)?;
        self.model.objects[id].roots -= 1;
        Ok(())
    }

    /// Runs `action`, then checks the heap against the model and records a cycle's start.
    fn checked(&mut self, action: impl FnOnce(&mut Self) -> Check) -> Check {
        let reachable_before = self.model.reachable();
        let was_marking = self.heap.collector().is_marking();
        let first_event = self.heap.stats().gc_count;
        action(self)?;
        self.heap.verify().map_err(err)?;
        if !was_marking && self.heap.collector().is_marking() {
            self.marking_cycles += 1;
            let started = self.cycle_start_event(first_event);
            let ids = (0..reachable_before.len())
                .filter(|&i| !reachable_before[i])
                .collect();
            self.pending.push(PendingReclaim {
                ids,
                first_event: started,
            });
        }
        self.check_reachable_alive()?;
        self.check_reclaimed()
    }

    /// The sequence number of the event that started marking in the last action.
    fn cycle_start_event(&self, first_event: u64) -> u64 {
        self.heap
            .events()
            .iter()
            .rev()
            .find(|e| e.sequence >= first_event && e.kind == GcKind::MarkingStep)
            .map_or(first_event, |e| e.sequence)
    }

    fn check_reachable_alive(&self) -> Check {
        let reachable = self.model.reachable();
        for (id, &live) in reachable.iter().enumerate() {
            if live && !self.heap.is_alive(self.ids[id]).map_err(err)? {
                return Err(format!("reachable object {id} was reclaimed"));
            }
        }
        Ok(())
    }

    /// Whether the cycle that started at `first_event` is over by the rules of the module docs.
    fn deadline_passed(&self, first_event: u64) -> bool {
        let needed = if self.generational { 2 } else { 1 };
        let mut finalizations = 0;
        for event in self
            .heap
            .events()
            .iter()
            .filter(|e| e.sequence > first_event)
        {
            match event.kind {
                GcKind::MarkSweep | GcKind::MarkCompact => return true,
                GcKind::MarkingFinalize => {
                    finalizations += 1;
                    if finalizations == needed {
                        return true;
                    }
                }
                _ => {}
            }
        }
        false
    }

    fn check_reclaimed(&mut self) -> Check {
        let mut still = Vec::new();
        for pending in std::mem::take(&mut self.pending) {
            if !self.deadline_passed(pending.first_event) {
                still.push(pending);
                continue;
            }
            for &id in &pending.ids {
                if self.heap.is_alive(self.ids[id]).map_err(err)? {
                    let events: Vec<String> = self
                        .heap
                        .events()
                        .iter()
                        .filter(|e| e.sequence >= pending.first_event)
                        .map(|e| format!("{}:{}", e.sequence, e.kind.key()))
                        .collect();
                    return Err(format!(
                        "object {id}, unreachable when marking started, survived its cycle \
                         (events since: {})",
                        events.join(" ")
                    ));
                }
            }
        }
        self.pending = still;
        Ok(())
    }
}

/// Plays `program` on a heap of `collector`, with a zero-budget marking step after every
/// operation while marking is on, checking everything the module docs say. Returns how many
/// marking cycles started.
pub fn check_interleaved<C: Collector>(
    collector: C,
    generational: bool,
    program: &[MutatorOp],
) -> Result<usize, String> {
    let mut runner = Runner {
        heap: Heap::new(config(), collector).map_err(err)?,
        model: Model::default(),
        roots: Vec::new(),
        ids: Vec::new(),
        pending: Vec::new(),
        generational,
        marking_cycles: 0,
    };
    for (index, op) in program.iter().enumerate() {
        runner
            .checked(|r| r.apply(op))
            .map_err(|e| format!("after operation {index} ({op:?}): {e}"))?;
        if runner.heap.collector().is_marking() {
            runner
                .checked(|r| {
                    r.heap.collect_increment(Duration::ZERO);
                    Ok(())
                })
                .map_err(|e| format!("in the step after operation {index} ({op:?}): {e}"))?;
        }
    }
    // Finish the cycle in steps, then check once more after a full collection.
    for _ in 0..10_000 {
        if !runner.heap.collector().is_marking() {
            break;
        }
        runner
            .checked(|r| {
                r.heap.collect_increment(Duration::ZERO);
                Ok(())
            })
            .map_err(|e| format!("finishing the cycle: {e}"))?;
    }
    runner
        .checked(|r| {
            r.heap.collect(CollectionKind::Full);
            Ok(())
        })
        .map_err(|e| format!("after the final full collection: {e}"))?;
    let reachable = runner.model.reachable();
    for (id, &live) in reachable.iter().enumerate() {
        if !live && runner.heap.is_alive(runner.ids[id]).map_err(err)? {
            return Err(format!(
                "unreachable object {id} survived a full collection"
            ));
        }
    }
    Ok(runner.marking_cycles)
}
