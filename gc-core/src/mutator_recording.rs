//! Recording the mutator: what a heap recorder sees of every operation, in the terms of a trace.
//!
//! The heap calls into a [`MutatorRecording`] from its recorded paths (allocation, stores,
//! external memory, explicit collections; see [`Heap::start_recording`](crate::Heap::start_recording))
//! and the recording turns each operation into [`RecordedEvent`]s naming objects by the stable
//! ids of a [`HeapObjectsMap`], handed to a [`RecordSink`] (gclab's trace recorder writes them as
//! a trace). Roots are counted as a trace counts them: each local or persistent handle is one
//! root reference (`+`) until its scope closes or it is dropped (`-`).
//!
//! Handles change without the heap (scopes close, persistent handles are cloned and dropped,
//! loads make locals), so the recording keeps a mirror of the local stack (`local_ids`, the id of
//! each slot's object) and, before each recorded operation, brings it up to date from the logs
//! the handle tables keep while recording (`MutatorRecording::sync_roots`).
//!
//! Invariants:
//! - After `sync_roots`, the trace's root counts are the heap's handles plus the drops still
//!   pending (`pending_drops`): `local_ids` is the local stack slot for slot, and every
//!   persistent handle was counted once. The trace may root more than the heap, never less: new
//!   roots are written before drops, and every object a handle was made for since the last sync
//!   was reachable, through slots no store has changed since, from a root the trace still
//!   counts, so each `+` names a reachable object. The pending drops are written before a `d`,
//!   an explicit `gc`, a checkpoint and the end, where the trace's roots must be exact.
//! - Every collection runs after a `sync_roots` (the logs hold addresses, which a collection
//!   would make stale), and its moves are applied (`catch_up`) before the next id lookup.
//! - A `d` is written only for an object a collection reclaimed: its address was reused, or a walk
//!   of the live graph after a collection no longer reaches it (nor does a weak handle).
//! - The first error of the sink is kept and nothing more is written; the embedder gets it when
//!   recording stops. Recording never panics on an I/O error.

use std::io;

use hashbrown::{HashMap, HashSet};

use crate::address::Address;
use crate::collector::CollectionKind;
use crate::heap_core::HeapCore;
use crate::heap_objects_map::HeapObjectsMap;
use crate::heap_walk::walk_live;
use crate::object::HeapObject;
use crate::object_moves::Move;
use crate::persistent_handles::RootChange;
use crate::tagged::{Decoded, TaggedWord};

/// What a slot was given, with objects named by id.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RecordedValue {
    Null,
    Smi(i32),
    Object(u64),
}

/// One mutator operation, as a trace records it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RecordedEvent<'a> {
    /// A new object, rooted once (by the local it was made through). `type_name` is `None` for an
    /// unlabelled type.
    Allocate {
        id: u64,
        slots: u32,
        bytes: u32,
        type_name: Option<&'a str>,
    },
    Store {
        host: u64,
        slot: u32,
        value: RecordedValue,
    },
    AddRoot(u64),
    DropRoot(u64),
    External {
        id: u64,
        bytes: u64,
    },
    Collect(CollectionKind),
    /// The object was reclaimed: it is unreachable.
    Dead(u64),
}

/// Where a recording's events go.
pub trait RecordSink {
    fn record(&mut self, event: RecordedEvent<'_>) -> io::Result<()>;

    /// Ends the output (an end marker, a flush). Called once, when recording stops.
    fn finish(&mut self) -> io::Result<()>;
}

/// What a finished recording wrote.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RecordingSummary {
    /// Events handed to the sink.
    pub events: u64,
    /// Objects allocated while recording.
    pub objects: u64,
}

/// A heap recorder's state; see the module docs.
pub struct MutatorRecording {
    sink: Box<dyn RecordSink>,
    objects: HeapObjectsMap,
    /// The id of each local stack slot's object (0 for a null slot).
    local_ids: Vec<u64>,
    error: Option<io::Error>,
    summary: RecordingSummary,
    /// The tracer's collection count when moves were last applied.
    collections_seen: u64,
    // Buffers reused between syncs.
    added: Vec<u64>,
    released: Vec<u64>,
    dead: Vec<u64>,
    overwritten: Vec<u32>,
    root_changes: Vec<RootChange>,
    moves: Vec<Move>,
    phase_ends: Vec<usize>,
    /// Roots the program dropped that the trace still counts, by object: written only when the
    /// trace's roots must be exact (see `flush_drops`), and taken back by a new root of the same
    /// object meanwhile. An interpreter drops and remakes locals of the same objects all the
    /// time; this keeps about half of its `+` and `-` records out of the trace (deriv: 1.65 M
    /// records become 0.96 M). The trace then roots an object a little longer than the program
    /// did (at most until the next collection or `MAX_PENDING_DROPS` drops), which a trace may.
    pending_drops: HashMap<u64, u32>,
}

/// Distinct objects whose root drops may wait before they are written.
const MAX_PENDING_DROPS: usize = 4096;

impl MutatorRecording {
    /// A recording of a heap that has allocated nothing yet, starting now.
    pub(crate) fn start(core: &mut HeapCore, sink: Box<dyn RecordSink>) -> Self {
        core.handles.locals.set_recording(true, 0);
        core.handles.persistents.set_recording(true);
        core.object_moves.set_enabled(true);
        MutatorRecording {
            sink,
            objects: HeapObjectsMap::default(),
            local_ids: Vec::new(),
            error: None,
            summary: RecordingSummary {
                events: 0,
                objects: 0,
            },
            collections_seen: core.tracer.gc_count(),
            added: Vec::new(),
            released: Vec::new(),
            dead: Vec::new(),
            overwritten: Vec::new(),
            root_changes: Vec::new(),
            moves: Vec::new(),
            phase_ends: Vec::new(),
            pending_drops: HashMap::new(),
        }
    }

    /// Stops: the last root changes written, the sink finished, the logs switched off.
    pub(crate) fn stop(mut self, core: &mut HeapCore) -> io::Result<RecordingSummary> {
        self.sync_roots(core);
        self.flush_drops();
        core.handles.locals.set_recording(false, u32::MAX);
        core.handles.persistents.set_recording(false);
        core.object_moves.set_enabled(false);
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        self.sink.finish()?;
        Ok(self.summary)
    }

    /// The first error the sink returned, if any.
    pub(crate) fn error(&self) -> Option<&io::Error> {
        self.error.as_ref()
    }

    fn emit(&mut self, event: RecordedEvent<'_>) {
        if self.error.is_none() {
            self.summary.events += 1;
            if let Err(error) = self.sink.record(event) {
                self.error = Some(error);
            }
        }
    }

    /// An id for an object the map should know; a missing one (an object made before the
    /// recording started) stops the recording with an error rather than write a wrong trace.
    fn id_of(&mut self, address: Address) -> u64 {
        match self.objects.id(address) {
            Some(id) => id,
            None => {
                self.error.get_or_insert_with(|| {
                    io::Error::other(format!(
                        "the recorder met an object it never saw allocated (at {address})"
                    ))
                });
                0
            }
        }
    }

    /// Brings the trace's roots up to the heap's handles (see the module docs); call it before
    /// every recorded operation and before anything that may collect.
    pub(crate) fn sync_roots(&mut self, core: &mut HeapCore) {
        self.catch_up(core);
        // Most operations follow one that synced, with no scope closed or handle made since.
        if core
            .handles
            .locals
            .unchanged_since_taken(self.local_ids.len())
            && !core.handles.persistents.has_changes()
        {
            return;
        }
        self.sync_locals(core);
        self.sync_persistents(core);
        let (added, released) = (
            std::mem::take(&mut self.added),
            std::mem::take(&mut self.released),
        );
        for &id in &added {
            self.add_root(id);
        }
        for &id in &released {
            *self.pending_drops.entry(id).or_insert(0) += 1;
        }
        (self.added, self.released) = (added, released);
        self.added.clear();
        self.released.clear();
        if self.pending_drops.len() > MAX_PENDING_DROPS {
            self.flush_drops();
        }
    }

    /// A new root: it takes back a drop still pending for the object, or is written.
    fn add_root(&mut self, id: u64) {
        match self.pending_drops.get_mut(&id) {
            Some(count) if *count > 1 => *count -= 1,
            Some(_) => {
                self.pending_drops.remove(&id);
            }
            None => self.emit(RecordedEvent::AddRoot(id)),
        }
    }

    /// Writes the pending drops (in id order, so that a run writes the same trace every time).
    /// Call it before anything that must see the trace's roots exact: a collection's deaths,
    /// an explicit collection, a checkpoint, the end.
    pub(crate) fn flush_drops(&mut self) {
        if self.pending_drops.is_empty() {
            return;
        }
        let mut drops: Vec<(u64, u32)> = self.pending_drops.drain().collect();
        drops.sort_unstable();
        for (id, count) in drops {
            for _ in 0..count {
                self.emit(RecordedEvent::DropRoot(id));
            }
        }
    }

    fn sync_locals(&mut self, core: &HeapCore) {
        let locals = &core.handles.locals;
        let mut overwritten = std::mem::take(&mut self.overwritten);
        let low_water = locals.take_recorder_log(&mut overwritten);
        let cut = (low_water as usize).min(self.local_ids.len());
        for &index in &overwritten {
            if (index as usize) < cut {
                self.resync_slot(core, index);
            }
        }
        self.overwritten = overwritten;
        for id in self.local_ids.drain(cut..) {
            if id != 0 {
                self.released.push(id);
            }
        }
        let mut index = cut as u32;
        while let Some(address) = locals.slot(index) {
            let id = self.root_id(address);
            self.local_ids.push(id);
            index += 1;
        }
    }

    /// A slot below the cut that an escape or a load overwrote: its old root goes, its new one
    /// comes.
    fn resync_slot(&mut self, core: &HeapCore, index: u32) {
        let address = core.handles.locals.slot(index).unwrap_or(Address::NULL);
        let old = self.local_ids[index as usize];
        let new = match address.is_null() {
            true => 0,
            false => self.id_of(address),
        };
        if old != new {
            if old != 0 {
                self.released.push(old);
            }
            if new != 0 {
                self.added.push(new);
            }
            self.local_ids[index as usize] = new;
        }
    }

    /// The id of a new root at `address` (0 for a null slot), counted as added.
    fn root_id(&mut self, address: Address) -> u64 {
        if address.is_null() {
            return 0;
        }
        let id = self.id_of(address);
        self.added.push(id);
        id
    }

    fn sync_persistents(&mut self, core: &HeapCore) {
        let mut changes = std::mem::take(&mut self.root_changes);
        core.handles.persistents.take_changes(&mut changes);
        for &change in &changes {
            match change {
                RootChange::Added(address) => {
                    let id = self.id_of(address);
                    self.added.push(id);
                }
                RootChange::Released(address) => {
                    let id = self.id_of(address);
                    self.released.push(id);
                }
            }
        }
        self.root_changes = changes;
    }

    /// After a collection: its moves applied to the map, and the deaths it revealed written.
    /// Cheap when nothing collected since the last call.
    pub(crate) fn catch_up(&mut self, core: &mut HeapCore) {
        let collections = core.tracer.gc_count();
        if collections == self.collections_seen && core.object_moves.is_empty() {
            return;
        }
        self.collections_seen = collections;
        self.flush_drops();
        self.apply_moves(core);
        if self.objects.needs_prune() {
            self.prune(core);
        }
        self.write_deaths();
    }

    fn apply_moves(&mut self, core: &mut HeapCore) {
        let (mut moves, mut phase_ends) = (
            std::mem::take(&mut self.moves),
            std::mem::take(&mut self.phase_ends),
        );
        core.object_moves.take(&mut moves, &mut phase_ends);
        self.objects
            .apply_moves(&moves, &phase_ends, &mut self.dead);
        (self.moves, self.phase_ends) = (moves, phase_ends);
    }

    /// Forgets the objects the live graph (and the weak handles) no longer reach.
    fn prune(&mut self, core: &HeapCore) {
        let mut live: HashSet<Address> = HashSet::new();
        walk_live(core, |object| {
            live.insert(object.key.address());
        });
        // An object only a weak handle holds may still be upgraded into a root: not dead yet.
        core.weak_handles.for_each_target(|address| {
            live.insert(address);
        });
        self.objects.prune(&live, &mut self.dead);
    }

    fn write_deaths(&mut self) {
        if self.dead.is_empty() {
            return;
        }
        // A dead object is unreachable: no drop of a root may still be pending before its `d`.
        self.flush_drops();
        let dead = std::mem::take(&mut self.dead);
        for &id in &dead {
            self.emit(RecordedEvent::Dead(id));
        }
        self.dead = dead;
        self.dead.clear();
    }

    /// Records the allocation of `object`, whose local is the newest slot of the stack; call it
    /// right after the allocation (which may have collected).
    pub(crate) fn allocated(&mut self, core: &mut HeapCore, object: HeapObject) {
        self.catch_up(core);
        let id = self.objects.allocated(object.address(), &mut self.dead);
        self.write_deaths();
        self.summary.objects += 1;
        self.local_ids.push(id);
        let type_id = object.type_id();
        let name = core.types.name(type_id);
        self.emit(RecordedEvent::Allocate {
            id,
            slots: object.slot_count(),
            bytes: object.payload_len(),
            type_name: (!name.is_empty()).then_some(name),
        });
    }

    /// Records a store of `word` into slot `slot` of `host` (the roots already synced).
    pub(crate) fn stored(&mut self, host: HeapObject, slot: u32, word: TaggedWord) {
        let host = self.id_of(host.address());
        let value = match word.decode() {
            Decoded::Null => RecordedValue::Null,
            Decoded::Smi(smi) => RecordedValue::Smi(smi.value()),
            Decoded::Pointer(target) => RecordedValue::Object(self.id_of(target)),
        };
        self.emit(RecordedEvent::Store { host, slot, value });
    }

    pub(crate) fn external(&mut self, object: HeapObject, bytes: u64) {
        let id = self.id_of(object.address());
        self.emit(RecordedEvent::External { id, bytes });
    }

    pub(crate) fn collect(&mut self, kind: CollectionKind) {
        self.flush_drops();
        self.emit(RecordedEvent::Collect(kind));
    }

    /// Events handed to the sink so far.
    pub(crate) fn events(&self) -> u64 {
        self.summary.events
    }

    /// The id of the object at `address`, for a digest ordered by ids.
    pub(crate) fn known_id(&self, address: Address) -> Option<u64> {
        self.objects.id(address)
    }
}
