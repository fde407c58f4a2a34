//! The mutator's view of the heap: [`Heap`], generic over its collector.
//!
//! The mutator names objects only through roots ([`Local`]s in handle scopes and [`Persistent`]
//! handles) and [`WeakHandle`]s, never by address, so a collector may move any object at any
//! allocation; every store goes through the write barrier ([`write_barrier`]). Every method checks
//! its arguments (roots of another heap, stale weak handles, slots out of range, SMIs out of range)
//! and returns a [`HeapError`] without changing anything when they are wrong.

use std::rc::Rc;
use std::time::Duration;

mod recorded_paths;

pub use crate::heap_core::{AllocationCounters, HeapCore, PauseScope};
pub use crate::value::{SlotContent, StoreValue, Value};
pub use recorded_paths::{RecordedCheckpoint, RecordingError};

use crate::address::Address;
use crate::collector::{CollectionKind, Collector, CollectorConstraints, Progress};
use crate::config::{ConfigError, HeapConfig, VerifyHeap};
use crate::digest::{LiveGraph, live_graph};
use crate::error::HeapError;
use crate::event::{GcEvent, GcReason};
use crate::gc_tracer::GcListener;
use crate::handles::{Rooted, WeakHandle};
use crate::heap_walk::{WalkedObject, root_keys, walk_live, weak_targets};
use crate::leak_detector::{LeakDetector, MemoryWatchListener};
use crate::local_handles::{HandleScope, HandleScopes, Local};
use crate::mutator_recording::MutatorRecording;
use crate::object::{HeapObject, MAX_OBJECT_SIZE, ObjectShape};
use crate::persistent_handles::Persistent;
use crate::retaining_path::{ObjectKey, PathStep, retaining_paths};
use crate::slot::Slot;
use crate::stress::{self, StressAction};
use crate::tagged::{Decoded, TaggedWord};
use crate::type_table::{MAX_TYPES, NodeType, TypeId};
use crate::verifier::{VerifyError, VerifySummary, verify_heap};
use crate::write_barrier;

/// A snapshot of the heap's size and activity.
#[derive(Clone, Debug, PartialEq)]
pub struct HeapStats {
    pub used_bytes: usize,
    pub committed_bytes: usize,
    pub peak_committed_bytes: usize,
    pub pooled_bytes: usize,
    pub external_bytes: u64,
    pub allocation_limit: usize,
    /// Counted and persistent handles.
    pub handles: usize,
    /// Local handles in the open scopes.
    pub local_handles: usize,
    pub weak_handles: usize,
    pub allocated_objects: u64,
    pub allocated_bytes: u64,
    pub gc_count: u64,
    pub total_pause: Duration,
}

pub struct Heap<C: Collector> {
    // Dropped first: a collector's threads that read the heap while the mutator runs (a
    // concurrent marker) are stopped and joined before the core gives its pages back (P1).
    collector: C,
    core: HeapCore,
    /// The heap recorder, while one is attached: the recorded paths of the mutator's operations
    /// test this once (see [`mutator_recording`](crate::mutator_recording)).
    recording: Option<Box<MutatorRecording>>,
}

impl<C: Collector> Heap<C> {
    pub fn new(config: HeapConfig, collector: C) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Heap {
            core: HeapCore::new(config),
            collector,
            recording: None,
        })
    }

    pub fn constraints(&self) -> CollectorConstraints {
        C::CONSTRAINTS
    }

    /// The heap's internals, for collectors' tests and tools that inspect pages.
    ///
    /// # Safety
    /// Read only what the view offers, and use no page, object or address taken from it after
    /// the borrow ends: the next heap operation may free or move them (rules P1, P2).
    pub unsafe fn core(&self) -> &HeapCore {
        &self.core
    }

    pub fn config(&self) -> &HeapConfig {
        &self.core.config
    }

    pub fn collector(&self) -> &C {
        &self.collector
    }

    /// The id of a type label, interned on first use.
    pub fn intern_type(&mut self, name: &str) -> Result<TypeId, HeapError> {
        self.core
            .types
            .intern(name)
            .ok_or(HeapError::TooManyTypes(MAX_TYPES))
    }

    pub fn type_name(&self, id: TypeId) -> &str {
        self.core.types.name(id)
    }

    /// Gives objects of type `id` the node type `node_type` in heap snapshots (a string type
    /// as `string`, a function type as `closure` ...), instead of the default for the label
    /// ([`NodeType::of_label`]).
    pub fn set_node_type(&mut self, id: TypeId, node_type: NodeType) {
        self.core.types.set_node_type(id, node_type);
    }

    /// The node type heap snapshots give objects of type `id`.
    pub fn node_type(&self, id: TypeId) -> NodeType {
        self.core.types.node_type(id)
    }

    /// Allocates an object with `slots` null reference slots and `bytes` zeroed payload bytes,
    /// rooted by a new local in `scope`. May collect.
    ///
    /// The fast path is a bump of the allocation area, the header and slots written, two counters
    /// and a local pushed; everything else (the collector's slow path, verification after a
    /// collection, stress mode, a recorder) is in a separate function, out of line.
    #[inline]
    pub fn allocate<'s>(
        &mut self,
        scope: &mut HandleScope<'s>,
        type_id: TypeId,
        slots: u64,
        bytes: u64,
    ) -> Result<Local<'s>, HeapError> {
        let shape = self.checked_shape(type_id, slots, bytes)?;
        let size = shape.size();
        // Not in stress mode, nor while recording (both tested directly: a flag derived from
        // them made the fast path no faster).
        if self.core.config.stress_interval.is_none()
            && self.recording.is_none()
            && size <= self.core.lab.max_object_size()
        {
            if let Some(address) = self.core.lab.allocate(size) {
                // SAFETY: the LAB handed us `size` unused bytes of a live page (P1).
                let object = unsafe { self.initialize(address, &shape) };
                return self.core.handles.locals.create(scope, object.address());
            }
        }
        self.allocate_off_fast_path(scope, shape)
    }

    /// The one call the fast path makes when it cannot bump: with two (the recorded and the
    /// unrecorded slow path) the compiler merged their results and the fast path's in a stack
    /// slot, and the fast path paid a store and a reload of its result (0.5 ns of 3).
    #[cold]
    #[inline(never)]
    fn allocate_off_fast_path<'s>(
        &mut self,
        scope: &mut HandleScope<'s>,
        shape: ObjectShape,
    ) -> Result<Local<'s>, HeapError> {
        match self.recording.is_some() {
            true => self.allocate_recorded(scope, shape),
            false => self.allocate_slow(scope, shape),
        }
    }

    /// Allocates an object with `slots` null reference slots whose payload is a copy of `bytes`
    /// (a string's characters, say), rooted by a new local in `scope`. May collect.
    pub fn allocate_with_bytes<'s>(
        &mut self,
        scope: &mut HandleScope<'s>,
        type_id: TypeId,
        slots: u64,
        bytes: &[u8],
    ) -> Result<Local<'s>, HeapError> {
        let local = self.allocate(scope, type_id, slots, bytes.len() as u64)?;
        self.payload_mut(local)?.copy_from_slice(bytes);
        Ok(local)
    }

    /// The shape of an object of `type_id` with `slots` slots and `bytes` payload bytes, or the
    /// error for an unknown type or an object too large.
    #[inline(always)]
    fn checked_shape(
        &self,
        type_id: TypeId,
        slots: u64,
        bytes: u64,
    ) -> Result<ObjectShape, HeapError> {
        if type_id.index() as usize >= self.core.types.len() {
            return Err(HeapError::UnknownType(type_id.index()));
        }
        ObjectShape::new(type_id, slots, bytes).ok_or(HeapError::ObjectTooLarge {
            slots,
            bytes,
            max: MAX_OBJECT_SIZE,
        })
    }

    /// Formats the new object at `address` and counts it.
    ///
    /// # Safety
    /// `address` starts `shape.size()` unused bytes of a live page (P1).
    #[inline(always)]
    unsafe fn initialize(&mut self, address: Address, shape: &ObjectShape) -> HeapObject {
        // SAFETY: the caller's contract.
        let object = unsafe { HeapObject::initialize(address, shape) };
        if C::CONSTRAINTS.post_allocation {
            self.collector.post_allocation(&mut self.core, object);
        }
        self.core.counters.record_allocation(shape.size());
        object
    }

    /// Allocation off the fast path: a large object, a full allocation area (the collector's slow
    /// path, which may collect; verification after it if it did), or stress mode.
    #[cold]
    #[inline(never)]
    fn allocate_slow<'s>(
        &mut self,
        scope: &mut HandleScope<'s>,
        shape: ObjectShape,
    ) -> Result<Local<'s>, HeapError> {
        let size = shape.size();
        let gc_count = self.core.tracer.gc_count();
        let in_lab = if size <= self.core.lab.max_object_size() {
            self.core.lab.allocate(size)
        } else {
            None
        };
        let address = match in_lab {
            Some(address) => address,
            None => self.collector.allocate_slow(&mut self.core, size)?,
        };
        // SAFETY: the LAB or the collector's slow path handed us `size` unused bytes of a live
        // page (P1).
        let object = unsafe { self.initialize(address, &shape) };
        let local = self.core.handles.locals.create(scope, object.address());
        // A scope that may not make locals fails after the object exists: it is unreachable and
        // the next collection frees it.
        self.verify_if_collected(gc_count);
        if let Some(interval) = self.core.config.stress_interval {
            self.stress(interval);
        }
        local
    }

    /// Runs `body` in a handle scope: the locals it makes live until it returns. For a heap that
    /// is a field of a larger struct, [`Heap::handle_scopes`] opens scopes without borrowing the
    /// heap.
    #[inline]
    pub fn handle_scope<R>(
        &mut self,
        body: impl for<'s> FnOnce(&mut Self, &mut HandleScope<'s>) -> R,
    ) -> R {
        let scopes = self.handle_scopes();
        scopes.enter(|scope| body(self, scope))
    }

    /// Opens this heap's handle scopes without borrowing the heap:
    /// `self.heap.handle_scopes().enter(|s| self.eval(s, ..))`.
    pub fn handle_scopes(&self) -> HandleScopes {
        HandleScopes::new(Rc::clone(&self.core.handles.locals))
    }

    /// A new local in `scope` for the object `object` names (a persistent handle's, say).
    #[inline]
    pub fn local<'s>(
        &self,
        scope: &mut HandleScope<'s>,
        object: impl Rooted,
    ) -> Result<Local<'s>, HeapError> {
        let address = self.object(&object)?.address();
        self.core.handles.locals.create(scope, address)
    }

    /// A persistent handle to the object `object` names: a root until it is dropped.
    pub fn persistent(&mut self, object: impl Rooted) -> Result<Persistent, HeapError> {
        let address = self.object(&object)?.address();
        Ok(self.core.handles.persistents.create(address))
    }

    #[inline(always)]
    fn object(&self, root: &impl Rooted) -> Result<HeapObject, HeapError> {
        let address = root.address_in(&self.core.handles)?;
        // SAFETY: every root's address is a live object start (P2).
        Ok(unsafe { HeapObject::from_address(address) })
    }

    #[inline(always)]
    fn checked_slot(object: HeapObject, slot: u64) -> Result<Slot, HeapError> {
        object
            .checked_slot(slot)
            .map_err(|slots| HeapError::SlotOutOfRange { slot, slots })
    }

    /// Stores `value` into slot `slot` of `host`, through the write barrier. `value` is a
    /// [`Value`], a [`Local`] or a `&`[`Persistent`].
    #[inline]
    pub fn store(
        &mut self,
        host: impl Rooted,
        slot: u64,
        value: impl StoreValue,
    ) -> Result<(), HeapError> {
        if self.recording.is_some() {
            return self.store_recorded(host, slot, value);
        }
        let object = self.object(&host)?;
        let slot = Self::checked_slot(object, slot)?;
        let word = value.slot_word(&self.core.handles)?;
        write_barrier::store(&mut self.collector, &mut self.core, object, slot, word);
        Ok(())
    }

    /// The store, as `store` does it without a recorder; the object and the word stored.
    #[inline]
    fn store_unrecorded(
        &mut self,
        host: impl Rooted,
        slot: u64,
        value: impl StoreValue,
    ) -> Result<(HeapObject, TaggedWord), HeapError> {
        let object = self.object(&host)?;
        let checked = Self::checked_slot(object, slot)?;
        let word = value.slot_word(&self.core.handles)?;
        write_barrier::store(&mut self.collector, &mut self.core, object, checked, word);
        Ok((object, word))
    }

    /// Loads slot `slot` of `host`; a reference comes back as a new local in `scope`.
    #[inline]
    pub fn load<'s>(
        &self,
        scope: &mut HandleScope<'s>,
        host: impl Rooted,
        slot: u64,
    ) -> Result<Value<'s>, HeapError> {
        Ok(match self.slot_word(&host, slot)?.decode() {
            Decoded::Pointer(target) => Value::Ref(self.core.handles.locals.create(scope, target)?),
            Decoded::Smi(smi) => Value::Smi(smi.value()),
            Decoded::Null => Value::Null,
        })
    }

    /// Loads slot `slot` of `host` into the existing local `target` when it holds a reference
    /// (`target`, and every copy of it, then names that object); leaves `target` as it was
    /// otherwise. Says what the slot held. Walking a list this way takes no new local per step.
    #[inline]
    pub fn load_into(
        &self,
        target: Local<'_>,
        host: impl Rooted,
        slot: u64,
    ) -> Result<SlotContent, HeapError> {
        Ok(match self.slot_word(&host, slot)?.decode() {
            Decoded::Pointer(address) => {
                self.core.handles.locals.overwrite(target, address)?;
                SlotContent::Reference
            }
            Decoded::Smi(smi) => SlotContent::Smi(smi.value()),
            Decoded::Null => SlotContent::Null,
        })
    }

    /// Reads slot `slot` of `host` without creating a root (a mutator read that keeps nothing
    /// alive): what kind of value it holds.
    #[inline]
    pub fn read(&self, host: impl Rooted, slot: u64) -> Result<SlotContent, HeapError> {
        Ok(match self.slot_word(&host, slot)?.decode() {
            Decoded::Pointer(_) => SlotContent::Reference,
            Decoded::Smi(smi) => SlotContent::Smi(smi.value()),
            Decoded::Null => SlotContent::Null,
        })
    }

    /// Whether slot `slot` of `host` refers to the object `object` names, without a root.
    pub fn slot_refers_to(
        &self,
        host: impl Rooted,
        slot: u64,
        object: impl Rooted,
    ) -> Result<bool, HeapError> {
        let word = self.slot_word(&host, slot)?;
        Ok(word.as_pointer() == Some(self.object(&object)?.address()))
    }

    /// The type of the object slot `slot` of `host` refers to, without a root; `None` for null or
    /// a small integer.
    pub fn slot_type(&self, host: impl Rooted, slot: u64) -> Result<Option<TypeId>, HeapError> {
        let word = self.slot_word(&host, slot)?;
        // SAFETY: a reachable object's pointer slot holds a live object start (P2).
        Ok(word
            .as_pointer()
            .map(|target| unsafe { HeapObject::from_address(target) }.type_id()))
    }

    #[inline(always)]
    fn slot_word(&self, host: &impl Rooted, slot: u64) -> Result<TaggedWord, HeapError> {
        Ok(Self::checked_slot(self.object(host)?, slot)?.load())
    }

    /// Whether two roots name the same object.
    pub fn same_object(&self, a: impl Rooted, b: impl Rooted) -> Result<bool, HeapError> {
        Ok(self.object(&a)? == self.object(&b)?)
    }

    pub fn shape(&self, object: impl Rooted) -> Result<ObjectShape, HeapError> {
        Ok(self.object(&object)?.shape())
    }

    /// The object's type label.
    #[inline]
    pub fn type_of(&self, object: impl Rooted) -> Result<TypeId, HeapError> {
        Ok(self.object(&object)?.type_id())
    }

    /// The object's raw payload bytes.
    pub fn payload(&self, object: impl Rooted) -> Result<&[u8], HeapError> {
        let object = self.object(&object)?;
        let (start, len) = (object.payload_address(), object.payload_len() as usize);
        // SAFETY: the payload lies inside a live object (P2); the borrow of `self` keeps the heap
        // from collecting or writing while the slice lives (P3).
        Ok(unsafe { std::slice::from_raw_parts(start.as_mut_ptr(), len) })
    }

    pub fn payload_mut(&mut self, object: impl Rooted) -> Result<&mut [u8], HeapError> {
        let object = self.object(&object)?;
        let (start, len) = (object.payload_address(), object.payload_len() as usize);
        // SAFETY: as in `payload`; the exclusive borrow makes this the only access (P3).
        Ok(unsafe { std::slice::from_raw_parts_mut(start.as_mut_ptr(), len) })
    }

    /// Declares that the object now owns `bytes` of off-heap memory (replacing what it owned),
    /// released when the object is reclaimed.
    pub fn set_external_bytes(&mut self, object: impl Rooted, bytes: u64) -> Result<(), HeapError> {
        let object = self.object(&object)?;
        self.core.external.set(object.address(), bytes);
        if let Some(recording) = self.recording.as_deref_mut() {
            recording.sync_roots(&mut self.core);
            recording.external(object, bytes);
        }
        Ok(())
    }

    pub fn external_bytes(&self, object: impl Rooted) -> Result<u64, HeapError> {
        Ok(self.core.external.of(self.object(&object)?.address()))
    }

    /// A weak handle to the object `object` names.
    pub fn downgrade(&mut self, object: impl Rooted) -> Result<WeakHandle, HeapError> {
        let object = self.object(&object)?;
        let young = C::CONSTRAINTS.generational && object.is_in_new_space();
        Ok(self.core.weak_handles.create(object.address(), young))
    }

    /// A new local in `scope` for the weak handle's object, or `None` if it was reclaimed.
    pub fn upgrade<'s>(
        &self,
        scope: &mut HandleScope<'s>,
        weak: WeakHandle,
    ) -> Result<Option<Local<'s>>, HeapError> {
        let target = self
            .core
            .weak_handles
            .get(weak)
            .ok_or(HeapError::InvalidWeakHandle(weak))?;
        target
            .map(|address| self.core.handles.locals.create(scope, address))
            .transpose()
    }

    /// Whether the weak handle's object is still alive.
    pub fn is_alive(&self, weak: WeakHandle) -> Result<bool, HeapError> {
        let target = self
            .core
            .weak_handles
            .get(weak)
            .ok_or(HeapError::InvalidWeakHandle(weak))?;
        Ok(target.is_some())
    }

    /// Whether the weak handle still refers to the object `object` names.
    pub fn refers_to(&self, weak: WeakHandle, object: impl Rooted) -> Result<bool, HeapError> {
        let target = self
            .core
            .weak_handles
            .get(weak)
            .ok_or(HeapError::InvalidWeakHandle(weak))?;
        Ok(target == Some(self.object(&object)?.address()))
    }

    /// The key of the weak handle's object, or `None` if it was reclaimed. Keys identify objects
    /// only until the heap next allocates or collects.
    pub fn object_key(&self, weak: WeakHandle) -> Result<Option<ObjectKey>, HeapError> {
        let target = self
            .core
            .weak_handles
            .get(weak)
            .ok_or(HeapError::InvalidWeakHandle(weak))?;
        Ok(target.map(ObjectKey::of))
    }

    /// For each weak handle, one shortest chain of references from a root to its object (rooted
    /// object first, the object itself last), or `None` when the object was reclaimed or no root
    /// reaches it. One search of the live graph serves the whole batch.
    pub fn retaining_paths(
        &self,
        targets: &[WeakHandle],
    ) -> Result<Vec<Option<Vec<PathStep>>>, HeapError> {
        let mut addresses = Vec::with_capacity(targets.len());
        for &weak in targets {
            let target = self
                .core
                .weak_handles
                .get(weak)
                .ok_or(HeapError::InvalidWeakHandle(weak))?;
            addresses.push(target.unwrap_or(Address::NULL));
        }
        Ok(retaining_paths(&self.core, &addresses))
    }

    pub fn drop_weak(&mut self, weak: WeakHandle) -> Result<(), HeapError> {
        self.core
            .weak_handles
            .drop_handle(weak)
            .ok_or(HeapError::InvalidWeakHandle(weak))
    }

    /// Runs a collection now, for the reason `Explicit`.
    pub fn collect(&mut self, kind: CollectionKind) {
        if let Some(recording) = self.recording.as_deref_mut() {
            recording.sync_roots(&mut self.core);
            recording.collect(kind);
        }
        self.collect_for(kind, GcReason::Explicit);
    }

    pub fn collect_for(&mut self, kind: CollectionKind, reason: GcReason) {
        self.sync_recorded_roots();
        self.run_collection(kind, reason);
    }

    /// A collection, with no recorder's roots to bring up to date first (stress mode's, in an
    /// allocation that did).
    fn run_collection(&mut self, kind: CollectionKind, reason: GcReason) {
        let gc_count = self.core.tracer.gc_count();
        self.collector.collect(&mut self.core, kind, reason);
        self.verify_if_collected(gc_count);
    }

    /// Does up to `budget` of the collector's incremental work.
    pub fn collect_increment(&mut self, budget: Duration) -> Progress {
        self.sync_recorded_roots();
        self.run_increment(budget)
    }

    fn run_increment(&mut self, budget: Duration) -> Progress {
        let gc_count = self.core.tracer.gc_count();
        let progress = self.collector.step(&mut self.core, budget);
        self.verify_if_collected(gc_count);
        progress
    }

    /// Stress mode's work after an allocation, the new object rooted: a forced collection every
    /// `interval` allocations, else a zero-budget marking step while an incremental collector
    /// marks.
    #[cold]
    fn stress(&mut self, interval: std::num::NonZeroU32) {
        match stress::action_after(interval, self.core.counters.allocated_objects) {
            StressAction::Collect(kind) => self.run_collection(kind, GcReason::Stress),
            StressAction::Nothing if C::CONSTRAINTS.incremental && self.collector.is_marking() => {
                self.run_increment(Duration::ZERO);
            }
            StressAction::Nothing => {}
        }
    }

    /// Runs the heap verifier.
    pub fn verify(&mut self) -> Result<VerifySummary, VerifyError> {
        self.core.lab.make_iterable();
        self.collector.make_iterable(&mut self.core);
        verify_heap(&self.core, &self.collector)
    }

    #[inline]
    fn verify_if_collected(&mut self, gc_count_before: u64) {
        if self.core.tracer.gc_count() != gc_count_before
            && (self.core.config.verify == VerifyHeap::AfterEachGc
                || self.core.config.stress_interval.is_some())
        {
            self.verify_or_panic();
        }
    }

    /// A failed verification is a collector bug, so it panics, as V8's heap verifier aborts.
    #[cold]
    fn verify_or_panic(&mut self) {
        if let Err(error) = self.verify() {
            panic!("{error} (after GC #{})", self.core.tracer.gc_count() - 1);
        }
    }

    /// The live graph as the strong handles reach it, with its address-independent digest.
    pub fn live_graph(&self) -> LiveGraph {
        live_graph(&self.core)
    }

    /// Calls `visit` with every object the strong handles reach, breadth-first from the roots in
    /// handle-table order (an order that depends only on the mutator's program), each once, with
    /// its references in slot order. Heap snapshots are written from this walk. The keys it shows
    /// match [`Heap::object_key`], [`Heap::root_keys`] and [`Heap::weak_handle_targets`] until the
    /// heap next allocates or collects.
    pub fn walk_live(&self, visit: impl FnMut(&WalkedObject<'_>)) {
        walk_live(&self.core, visit)
    }

    /// The distinct objects the strong handles root, in handle-table order.
    pub fn root_keys(&self) -> Vec<ObjectKey> {
        root_keys(&self.core)
    }

    /// The distinct objects the live weak handles still refer to, in handle-table order (objects
    /// a collection has not yet found dead included).
    pub fn weak_handle_targets(&self) -> Vec<ObjectKey> {
        weak_targets(&self.core)
    }

    /// Every pause so far.
    pub fn events(&self) -> &[GcEvent] {
        self.core.tracer.events()
    }

    /// Calls `listener` with every future pause.
    pub fn on_gc_event(&mut self, listener: GcListener) {
        self.core.tracer.add_listener(listener);
    }

    /// Calls `listener` with memwatch's `stats` record after every future full collection, and
    /// with a `leak` report when the heap after full collections grew five times in a row (see
    /// [`leak_detector`](crate::leak_detector)).
    pub fn on_memory_watch(&mut self, mut listener: MemoryWatchListener) {
        let mut detector = LeakDetector::new();
        self.on_gc_event(Box::new(move |event| {
            detector.observe(event, &mut *listener)
        }));
    }

    pub fn stats(&self) -> HeapStats {
        let core = &self.core;
        HeapStats {
            used_bytes: core.used_bytes(),
            committed_bytes: core.committed_bytes(),
            peak_committed_bytes: core.memory.peak_committed(),
            pooled_bytes: core.memory.pooled(),
            external_bytes: core.external.total(),
            allocation_limit: core.growing.allocation_limit(),
            handles: core.handles.len(),
            local_handles: core.handles.locals_len(),
            weak_handles: core.weak_handles.len(),
            allocated_objects: core.counters.allocated_objects,
            allocated_bytes: core.counters.allocated_bytes,
            gc_count: core.tracer.gc_count(),
            total_pause: core.tracer.total_pause(),
        }
    }
}
