//! churn: a server's steady state. A rooted table of slots is filled, then its entries are
//! replaced again and again by new objects of random sizes (mostly small, some medium, a few
//! large-object-space sized), some owning external memory, some linking to another entry (so a
//! replaced object may live on through the newer ones), and some watched by weak handles kept in
//! a bounded ring, like a cache. The live set stays about constant while garbage pours out.
//!
//! The table is held by a persistent handle (the root the workload returns); each request runs in
//! a handle scope of its own, so its locals go when it is served.

use std::collections::VecDeque;

use gc_core::{
    Collector, HandleScope, Heap, HeapError, Local, Persistent, TypeId, Value, WeakHandle,
};

use super::WorkloadError;
use crate::rng::SplitMix64;

pub const DESCRIPTION: &str = "a rooted table whose entries are replaced by new objects of random sizes, some owning \
     external memory, some watched by weak handles";

const SEED: u64 = 0x6763_6c61_6263_6875;
const TABLE_SLOTS_PER_SCALE: u64 = 4096;
/// How many times each table slot is replaced, on average.
const REPLACEMENTS_PER_SLOT: u64 = 16;
/// Weak handles kept per unit of scale; the oldest is dropped when a new one comes.
const WEAK_HANDLES_PER_SCALE: usize = 64;
const KB: u64 = 1024;
/// SMIs hold 31 bits; step numbers wrap below this.
const SMI_LIMIT: u64 = 1 << 30;

pub fn run<C: Collector>(heap: &mut Heap<C>, scale: u32) -> Result<Vec<Persistent>, WorkloadError> {
    let mut churn = Churn::new(heap, scale)?;
    for step in 0..churn.table_slots * REPLACEMENTS_PER_SLOT {
        heap.handle_scope(|heap, scope| churn.replace_one(heap, scope, step))?;
    }
    // The table stays rooted: it is the workload's live graph.
    Ok(vec![churn.table])
}

struct Churn {
    rng: SplitMix64,
    entry: TypeId,
    table: Persistent,
    table_slots: u64,
    watched: VecDeque<WeakHandle>,
    watched_capacity: usize,
}

impl Churn {
    fn new<C: Collector>(heap: &mut Heap<C>, scale: u32) -> Result<Self, HeapError> {
        let table_slots = TABLE_SLOTS_PER_SCALE * u64::from(scale);
        let table_type = heap.intern_type("Table")?;
        let entry = heap.intern_type("Entry")?;
        let table = heap.handle_scope(|heap, scope| {
            let table = heap.allocate(scope, table_type, table_slots, 0)?;
            heap.persistent(table)
        })?;
        Ok(Churn {
            rng: SplitMix64::new(SEED),
            entry,
            table,
            table_slots,
            watched: VecDeque::new(),
            watched_capacity: WEAK_HANDLES_PER_SCALE * scale as usize,
        })
    }

    /// One request: a new object replaces a random table entry.
    fn replace_one<C: Collector>(
        &mut self,
        heap: &mut Heap<C>,
        scope: &mut HandleScope<'_>,
        step: u64,
    ) -> Result<(), HeapError> {
        let object = self.new_entry(heap, scope, step)?;
        if self.rng.one_in(32) {
            heap.set_external_bytes(object, self.rng.in_range(4 * KB, 64 * KB))?;
        }
        if self.rng.one_in(16) {
            self.watch(heap, object)?;
        }
        let slot = self.rng.below(self.table_slots);
        heap.store(&self.table, slot, object)
    }

    /// An entry of 0 to 2 slots: slot 0 holds the step number, slot 1 another table entry.
    fn new_entry<'s, C: Collector>(
        &mut self,
        heap: &mut Heap<C>,
        scope: &mut HandleScope<'s>,
        step: u64,
    ) -> Result<Local<'s>, HeapError> {
        let slots = self.rng.below(3);
        let bytes = self.payload_size();
        let object = heap.allocate(scope, self.entry, slots, bytes)?;
        if slots > 0 {
            // In range: below 2^30 by the modulus.
            heap.store(object, 0, Value::Smi((step % SMI_LIMIT) as i32))?;
        }
        if slots > 1 {
            self.link_to_random_entry(heap, scope, object, 1)?;
        }
        Ok(object)
    }

    fn link_to_random_entry<C: Collector>(
        &mut self,
        heap: &mut Heap<C>,
        scope: &mut HandleScope<'_>,
        object: Local<'_>,
        slot: u64,
    ) -> Result<(), HeapError> {
        let entry = self.rng.below(self.table_slots);
        let target = heap.load(scope, &self.table, entry)?;
        heap.store(object, slot, target)
    }

    /// Mostly small, some medium, one in 200 larger than a regular page holds.
    fn payload_size(&mut self) -> u64 {
        match self.rng.below(1000) {
            0..900 => self.rng.below(256),
            900..995 => self.rng.in_range(256, 4 * KB),
            _ => self.rng.in_range(4 * KB, 192 * KB),
        }
    }

    /// Keeps a weak handle to `object`, dropping the oldest one past the ring's capacity.
    /// Whether a dropped one was still alive depends on when collections ran, so it is not
    /// allowed to change what the workload does.
    fn watch<C: Collector>(
        &mut self,
        heap: &mut Heap<C>,
        object: Local<'_>,
    ) -> Result<(), HeapError> {
        self.watched.push_back(heap.downgrade(object)?);
        if self.watched.len() > self.watched_capacity {
            if let Some(oldest) = self.watched.pop_front() {
                heap.drop_weak(oldest)?;
            }
        }
        Ok(())
    }
}
