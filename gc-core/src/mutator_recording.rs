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
//! loads make locals), so the recording keeps a mirror of the local stack (`mirror`, the id of
//! each slot's object and the address it had) and, before each recorded operation, brings it
//! up to date from the logs the handle tables keep while recording
//! (`MutatorRecording::sync_roots`). Drops wait in a table of their own
//! (`pending_drops.rs`), where a new root of the same object takes them
//! back.
//!
//! Invariants:
//! - After `sync_roots`, the trace's root counts are the heap's handles plus the drops still
//!   pending (`pending`): `mirror` is the local stack slot for slot, and every
//!   persistent handle was counted once. The trace may root more than the heap, never less: new
//!   roots are written before drops, and every object a handle was made for since the last sync
//!   was reachable, through slots no store has changed since, from a root the trace still
//!   counts, so each `+` names a reachable object. The pending drops are written before a `d`,
//!   an explicit `gc`, a checkpoint and the end, where the trace's roots must be exact.
//! - Every collection runs after a `sync_roots` (the logs hold addresses, which a collection
//!   would make stale), and its moves are applied (`catch_up`) before the next id lookup.
//! - `mirror[i].address` is the address slot `i` held when `mirror[i].id` was last set, or
//!   after a collection its object's address now, or an address no object has: so a slot that
//!   holds the same address at the next sync holds the same object, and keeps its id without a
//!   lookup (an address is reused only after a collection, which `catch_up` sees first).
//! - A `d` is written only for an object a collection reclaimed: its address was reused, or a walk
//!   of the live graph after a collection no longer reaches it (nor does a weak handle).
//! - The first error of the sink is kept and nothing more is written; the embedder gets it when
//!   recording stops. Recording never panics on an I/O error.

use std::io;

use crate::address::Address;
use crate::collector::CollectionKind;
use crate::heap_core::HeapCore;
use crate::heap_objects_map::HeapObjectsMap;
use crate::heap_walk::walk_live;
use crate::object::HeapObject;
use crate::object_moves::Move;
use crate::pending_drops::{Pending, PendingDrops};
use crate::persistent_handles::RootChange;
use crate::tagged::{Decoded, TaggedWord};
use crate::type_table::TypeId;

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

    /// The event [`RecordedEvent::Allocate`], with the type's id besides its name: a sink that
    /// turns names into something of its own (a trace's label table) may keep that by id, as a
    /// type id names one type, with one name, for the heap's whole life. By default, `record`.
    fn record_allocation(
        &mut self,
        id: u64,
        slots: u32,
        bytes: u32,
        _type_id: TypeId,
        type_name: Option<&str>,
    ) -> io::Result<()> {
        self.record(RecordedEvent::Allocate {
            id,
            slots,
            bytes,
            type_name,
        })
    }

    /// The event [`RecordedEvent::Store`]. By default, `record`; the frequent events have a
    /// method each, so that a sink that writes them tens of millions of times (a trace writer)
    /// takes no dispatch on the event's kind.
    #[inline]
    fn record_store(&mut self, host: u64, slot: u32, value: RecordedValue) -> io::Result<()> {
        self.record(RecordedEvent::Store { host, slot, value })
    }

    /// The event [`RecordedEvent::AddRoot`]. By default, `record`.
    #[inline]
    fn record_add_root(&mut self, id: u64) -> io::Result<()> {
        self.record(RecordedEvent::AddRoot(id))
    }

    /// The event [`RecordedEvent::DropRoot`]. By default, `record`.
    #[inline]
    fn record_drop_root(&mut self, id: u64) -> io::Result<()> {
        self.record(RecordedEvent::DropRoot(id))
    }

    /// The event [`RecordedEvent::Dead`]. By default, `record`.
    #[inline]
    fn record_dead(&mut self, id: u64) -> io::Result<()> {
        self.record(RecordedEvent::Dead(id))
    }

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
    /// Each local stack slot as the trace counts it (see `sync_locals`).
    mirror: Vec<MirrorSlot>,
    error: Option<io::Error>,
    summary: RecordingSummary,
    /// The tracer's collection count when moves were last applied.
    collections_seen: u64,
    // Buffers reused between syncs.
    /// The roots a sync found made: the local slot (`NOT_LOCAL` for a persistent handle) and
    /// the object's address.
    added: Vec<(u32, Address)>,
    /// Drops of roots whose address is unknown: written after the sync's new roots.
    drops_now: Vec<u64>,
    dead: Vec<u64>,
    overwritten: Vec<u32>,
    root_changes: Vec<RootChange>,
    moves: Vec<Move>,
    phase_ends: Vec<usize>,
    live: Vec<Address>,
    /// Pending drops: roots the program dropped that the trace still counts, per object, listed
    /// in the order the objects got them (written in this order, the same in every run of a
    /// program). Written only when the trace's roots must be exact (see `flush_drops`), and
    /// taken back by a new root of the same object meanwhile. An interpreter drops and remakes
    /// locals of the same objects all the time (deriv: 83 % of its new roots take a drop
    /// back). The trace then roots an object a little longer than the program did (at most
    /// until the next collection or `MAX_PENDING_DROPS` drops), which a trace may.
    pending: PendingDrops,
    /// The ids of recent allocations, by address (direct-mapped, `RECENT_SLOTS` of them), for
    /// the stores that follow an allocation into the new object or of it: they find the id
    /// without the map, whose entries are a word per heap word. Valid until the next collection
    /// (which may move objects and reuse addresses), whose catch-up empties it.
    recent: Box<[(Address, u64)]>,
    /// How often an object got a first pending drop since the last flush (again after its drops
    /// were all taken back): the flush comes when this passes `MAX_PENDING_DROPS`.
    pending_firsts: usize,
}

/// A slot of the local stack as the recording last saw it.
#[derive(Copy, Clone, Debug)]
struct MirrorSlot {
    /// The address the slot held at the last sync (see the module docs).
    address: Address,
    /// The id of its object (0 for a null slot).
    id: u64,
}

/// The slot of `added` for a persistent handle's root.
const NOT_LOCAL: u32 = u32::MAX;

/// An address no object starts at (objects are word-aligned), for a mirror slot whose address
/// is unknown.
const NO_OBJECT: Address = Address::new(1);

/// Deaths found at reused addresses that wait before they are written (a collection's catch-up
/// writes them too).
const DEATHS_BATCH: usize = 4096;

/// Entries of `MutatorRecording::recent` (a power of two).
const RECENT_SLOTS: usize = 256;

/// The entry of `MutatorRecording::recent` for `address`.
#[inline(always)]
fn recent_slot(address: Address) -> usize {
    (address.raw() >> 3) & (RECENT_SLOTS - 1)
}

/// Objects whose root drops may wait before they are written (counted by `pending_firsts`: an
/// object that was taken back and dropped again counts twice).
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
            mirror: Vec::new(),
            error: None,
            summary: RecordingSummary {
                events: 0,
                objects: 0,
            },
            collections_seen: core.tracer.gc_count(),
            added: Vec::new(),
            drops_now: Vec::new(),
            dead: Vec::new(),
            overwritten: Vec::new(),
            root_changes: Vec::new(),
            moves: Vec::new(),
            phase_ends: Vec::new(),
            live: Vec::new(),
            pending: PendingDrops::default(),
            pending_firsts: 0,
            recent: vec![(Address::NULL, 0); RECENT_SLOTS].into_boxed_slice(),
        }
    }

    /// Stops: the last root changes written, the sink finished, the logs switched off.
    pub(crate) fn stop(mut self, core: &mut HeapCore) -> io::Result<RecordingSummary> {
        self.sync_roots(core);
        self.flush_drops();
        self.write_deaths();
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
        self.emit_with(|sink| sink.record(event));
    }

    /// Hands one event to the sink through `write` (one of its methods), unless an error
    /// stopped the recording.
    #[inline(always)]
    fn emit_with(&mut self, write: impl FnOnce(&mut dyn RecordSink) -> io::Result<()>) {
        if self.error.is_none() {
            self.summary.events += 1;
            if let Err(error) = write(&mut *self.sink) {
                self.error = Some(error);
            }
        }
    }

    /// The id of the object at `address`, from the recent allocations if it is one of them,
    /// else as [`Self::id_of`] finds it.
    #[inline(always)]
    fn id_of_recent(&mut self, address: Address) -> u64 {
        let (held, id) = self.recent[recent_slot(address)];
        match held == address {
            true => id,
            false => self.id_of(address),
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
    ///
    /// The tests that nothing changed are inlined into the recorded operations: most of them
    /// follow one that synced, with no scope closed or handle made since.
    #[inline]
    pub(crate) fn sync_roots(&mut self, core: &mut HeapCore) {
        self.catch_up(core);
        if core.handles.locals.unchanged_since_taken(self.mirror.len())
            && !core.handles.persistents.has_changes()
        {
            return;
        }
        self.sync_changed_roots(core);
    }

    #[inline(never)]
    fn sync_changed_roots(&mut self, core: &mut HeapCore) {
        // Drops first, as pending (`sync_locals` and `sync_persistents` release the roots they
        // find dropped at once, and collect the new ones): a root of the same object made since
        // the last sync then takes one back.
        self.sync_locals(core);
        if core.handles.persistents.has_changes() {
            self.sync_persistents(core);
        }
        for index in 0..self.added.len() {
            let (slot, address) = self.added[index];
            let id = match self.pending.take_back(address) {
                Some(id) => id,
                None => match self.objects.id(address) {
                    Some(id) => {
                        self.emit_with(|sink| sink.record_add_root(id));
                        id
                    }
                    None => self.id_of(address),
                },
            };
            if slot != NOT_LOCAL {
                self.mirror[slot as usize].id = id;
            }
        }
        self.added.clear();
        // New roots are written before drops (see the module docs).
        if !self.drops_now.is_empty() {
            for index in 0..self.drops_now.len() {
                let id = self.drops_now[index];
                self.emit_with(|sink| sink.record_drop_root(id));
            }
            self.drops_now.clear();
        }
        if self.pending_firsts > MAX_PENDING_DROPS {
            self.flush_drops();
        }
    }

    /// A root of the object at `address` (`NO_OBJECT` if unknown), id `id`, was dropped: a
    /// pending drop, or one written after the sync's new roots if it cannot wait (an unknown
    /// address, as no new root can name it; a full count).
    #[inline(always)]
    fn release(&mut self, address: Address, id: u64) {
        let pending = match address == NO_OBJECT || address.is_null() {
            true => Pending::Full,
            false => self.pending.drop_pending(address, id),
        };
        match pending {
            Pending::First => self.pending_firsts += 1,
            Pending::More => {}
            Pending::Full => self.drops_now.push(id),
        }
    }

    /// Writes the pending drops (in the order they came, so that a run writes the same trace
    /// every time). Call it before anything that must see the trace's roots exact, or that
    /// moves objects or reuses addresses: a collection's deaths and moves, an explicit
    /// collection, a checkpoint, the end.
    pub(crate) fn flush_drops(&mut self) {
        self.pending_firsts = 0;
        if self.pending.is_empty() {
            return;
        }
        let mut pending = std::mem::take(&mut self.pending);
        pending.drain(|id, count| {
            // No id: an object the map never knew (after an error of the recording).
            if id != 0 {
                for _ in 0..count {
                    self.emit_with(|sink| sink.record_drop_root(id));
                }
            }
        });
        self.pending = pending;
    }

    fn sync_locals(&mut self, core: &HeapCore) {
        let locals = &core.handles.locals;
        let mut overwritten = std::mem::take(&mut self.overwritten);
        let low_water = locals.take_recorder_log(&mut overwritten);
        let old_len = self.mirror.len();
        let cut = (low_water as usize).min(old_len);
        for &index in &overwritten {
            if (index as usize) < cut {
                self.resync_slot(core, index as usize);
            }
        }
        self.overwritten = overwritten;
        // From the cut up every slot may have been dropped and made again, but an interpreter
        // mostly makes the local it dropped again, for the same object in the same place: a
        // slot that holds the address it held at the last sync holds the same object (no
        // collection ran since, see `refresh_local_addresses`), and keeps its root.
        let len = locals.len();
        for index in cut..old_len.min(len) {
            self.resync_slot(core, index);
        }
        if len < old_len {
            for index in len..old_len {
                let MirrorSlot { address, id } = self.mirror[index];
                if id != 0 {
                    self.release(address, id);
                }
            }
            self.mirror.truncate(len);
        }
        for index in old_len..len {
            let address = locals.slot(index as u32).unwrap_or(Address::NULL);
            // The id comes when the sync takes the new roots (`sync_roots`).
            self.mirror.push(MirrorSlot { address, id: 0 });
            if !address.is_null() {
                self.added.push((index as u32, address));
            }
        }
    }

    /// A slot of the mirror whose local may have changed (overwritten, or made again above a
    /// scope's close): if it holds another address, its old root goes and its new one comes.
    fn resync_slot(&mut self, core: &HeapCore, index: usize) {
        let address = core
            .handles
            .locals
            .slot(index as u32)
            .unwrap_or(Address::NULL);
        let MirrorSlot {
            address: old_address,
            id: old,
        } = self.mirror[index];
        if address == old_address {
            return;
        }
        self.mirror[index].address = address;
        // After a collection the old address may be unknown: the same object keeps its root.
        if old_address == NO_OBJECT && !address.is_null() && self.objects.id(address) == Some(old) {
            return;
        }
        if old != 0 {
            self.release(old_address, old);
        }
        self.mirror[index].id = 0;
        if !address.is_null() {
            self.added.push((index as u32, address));
        }
    }

    /// After a collection, which may have moved the locals' objects: the mirror's addresses
    /// made those of the slots again. Slots below the log's low water hold what they held at
    /// the last sync (the collection ran after it, and the next sync resyncs the overwritten
    /// ones by id); the ones above may hold anything, and get an address no object has, which
    /// no slot can equal.
    fn refresh_local_addresses(&mut self, core: &HeapCore) {
        let locals = &core.handles.locals;
        let unchanged = (locals.recorder_low_water() as usize).min(locals.len());
        for (index, slot) in self.mirror.iter_mut().enumerate() {
            slot.address = match index < unchanged {
                true => locals.slot(index as u32).unwrap_or(Address::NULL),
                false => NO_OBJECT,
            };
        }
    }

    fn sync_persistents(&mut self, core: &HeapCore) {
        let mut changes = std::mem::take(&mut self.root_changes);
        core.handles.persistents.take_changes(&mut changes);
        for &change in &changes {
            match change {
                RootChange::Added(address) => self.added.push((NOT_LOCAL, address)),
                RootChange::Released(address) => {
                    let id = self.id_of(address);
                    self.release(address, id);
                }
            }
        }
        self.root_changes = changes;
    }

    /// After a collection: its moves applied to the map, and the deaths it revealed written.
    /// Cheap when nothing collected since the last call.
    #[inline]
    pub(crate) fn catch_up(&mut self, core: &mut HeapCore) {
        let collections = core.tracer.gc_count();
        if collections == self.collections_seen && core.object_moves.is_empty() {
            return;
        }
        self.catch_up_collection(core, collections);
    }

    #[cold]
    #[inline(never)]
    fn catch_up_collection(&mut self, core: &mut HeapCore, collections: u64) {
        self.collections_seen = collections;
        self.recent.fill((Address::NULL, 0));
        self.flush_drops();
        debug_assert!(self.pending.is_empty(), "drops pending across a collection");
        self.refresh_local_addresses(core);
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
        let mut live = std::mem::take(&mut self.live);
        walk_live(core, |object| live.push(object.key.address()));
        // An object only a weak handle holds may still be upgraded into a root: not dead yet.
        core.weak_handles
            .for_each_target(|address| live.push(address));
        self.objects.prune(&live, &mut self.dead);
        live.clear();
        self.live = live;
    }

    fn write_deaths(&mut self) {
        if self.dead.is_empty() {
            return;
        }
        // A dead object is unreachable: the trace counts no root of it before its `d`, as a
        // collection's catch-up wrote every pending drop before the map met a reused address
        // or a move.
        let dead = std::mem::take(&mut self.dead);
        for &id in &dead {
            self.emit_with(|sink| sink.record_dead(id));
        }
        self.dead = dead;
        self.dead.clear();
    }

    /// Records the allocation of `object`, whose local is the newest slot of the stack; call it
    /// right after the allocation (which may have collected).
    pub(crate) fn allocated(&mut self, core: &mut HeapCore, object: HeapObject) {
        self.catch_up(core);
        let id = self.objects.allocated(object.address(), &mut self.dead);
        self.recent[recent_slot(object.address())] = (object.address(), id);
        // Deaths found at reused addresses wait, to be written together: one between every two
        // allocations would cut the run of small id deltas the allocations' ids make (deriv:
        // 15 % more trace), and a `d` may come any time after the death.
        if self.dead.len() >= DEATHS_BATCH {
            self.write_deaths();
        }
        self.summary.objects += 1;
        self.mirror.push(MirrorSlot {
            address: object.address(),
            id,
        });
        let type_id = object.type_id();
        let name = core.types.name(type_id);
        if self.error.is_none() {
            self.summary.events += 1;
            let written = self.sink.record_allocation(
                id,
                object.slot_count(),
                object.payload_len(),
                type_id,
                (!name.is_empty()).then_some(name),
            );
            if let Err(error) = written {
                self.error = Some(error);
            }
        }
    }

    /// Records a store of `word` into slot `slot` of `host` (the roots already synced).
    pub(crate) fn stored(&mut self, host: HeapObject, slot: u32, word: TaggedWord) {
        let host = self.id_of_recent(host.address());
        let value = match word.decode() {
            Decoded::Null => RecordedValue::Null,
            Decoded::Smi(smi) => RecordedValue::Smi(smi.value()),
            Decoded::Pointer(target) => RecordedValue::Object(self.id_of_recent(target)),
        };
        self.emit_with(|sink| sink.record_store(host, slot, value));
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
