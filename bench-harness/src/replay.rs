//! Replays a trace on a heap: every record becomes the mutator operation it describes.
//!
//! The id table maps each trace id to a *weak* handle, so it keeps nothing alive: an object lives
//! exactly as long as the trace's roots (one [`Persistent`] handle per id whose root count is
//! positive, dropped when the count falls to zero) and slots reach it, on every collector alike.
//! Ids leave the table at `d`, so its size follows the objects the trace has not declared dead,
//! not the length of the trace. Touching an id whose weak handle a collection cleared is the
//! trace's error [`Problem::Reclaimed`].
//!
//! A record that needs a root it does not have (an allocation, the object a `w` stores, any
//! record on an object the trace does not root) runs in a handle scope of its own, which holds its
//! locals until the record is done; a rooted object is named by its persistent handle, with no
//! local.
//!
//! At the end nothing is dropped (the trace's roots go only when the replay returns): one more
//! full collection (not counted among the trace's pauses) makes the live figures comparable
//! between collectors. With `check_deaths`, each `d` whose object is still reachable at the next
//! full collection is a [`Leak`], reported with one path from a root to it. Under incremental
//! marking the collection that must have reclaimed it comes later (see `death_lag`).

// A `Problem` has `String` variants, so one built eagerly by `ok_or` is dropped on every success:
// on the hot path that cost 14% more instructions in a binary replay (callgrind). Hence `ok_or_else`.
#![expect(
    clippy::unnecessary_lazy_evaluations,
    reason = "a `Problem` built eagerly is dropped on every success, on the hot path"
)]

use std::cell::RefCell;
use std::io::IsTerminal;
use std::rc::Rc;
use std::time::{Duration, Instant};

use gc_core::{
    CollectionKind, Collector, GcEvent, GcKind, HandleScope, HandleScopes, Heap, HeapError,
    LiveGraph, Local, ObjectKey, PathStep, Persistent, TypeId, Value, WeakHandle,
};
use hashbrown::HashMap;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::pauses::PauseSummary;
use gc_trace::checker::Checker;
use gc_trace::{GcRequest, Position, Problem, Record, TraceError, TraceSource, TraceValue};

/// How a replay runs.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplayOptions {
    /// Report every `d` whose object is still reachable at the next full collection.
    pub check_deaths: bool,
    /// Show a progress bar on standard error when it is a terminal.
    pub progress: bool,
    /// What `t` records do.
    pub think: ThinkTime,
}

/// What the replay does with `t NANOS` records (the program computing without the heap).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ThinkTime {
    /// Spin for each `t`, up to `budget` in all; past it the rest is skipped, with one warning on
    /// standard error. A small hostile file could otherwise ask for hours.
    Spin { budget: Duration },
    /// Skip every `t` (`--no-think`): the mutator's heap work alone.
    Skip,
}

impl ThinkTime {
    /// The bound on a replay's total think time unless the user gives another (`--max-think`).
    pub const DEFAULT_BUDGET: Duration = Duration::from_secs(60);
}

impl Default for ThinkTime {
    fn default() -> Self {
        ThinkTime::Spin {
            budget: Self::DEFAULT_BUDGET,
        }
    }
}

/// The think time a replay spent and the think time it skipped.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct ThinkReport {
    pub spun: Duration,
    /// Asked for by `t` records but not spent: all of it under [`ThinkTime::Skip`], what went
    /// past the budget under [`ThinkTime::Spin`].
    pub skipped: Duration,
}

/// What a replay did.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplayReport {
    pub collector: &'static str,
    /// The threads the heap's collections could use (`HeapConfig::gc_threads`).
    pub gc_threads: usize,
    /// Event records replayed (metadata excluded).
    pub events: u64,
    pub allocated_objects: u64,
    pub allocated_bytes: u64,
    /// The live graph after the final full collection.
    pub live: LiveGraph,
    /// Pauses during the trace (the final full collection excluded), by kind key.
    pub gc_by_kind: Vec<(&'static str, u64)>,
    pub pauses: PauseSummary,
    /// Wall time of the replay, pauses included, final collection excluded.
    pub replay_time: Duration,
    pub peak_committed_bytes: usize,
    pub final_committed_bytes: usize,
    /// Free pages the heap keeps mapped for reuse after the final collection (not committed to
    /// any space, but still memory the process holds).
    pub final_pooled_bytes: usize,
    /// With `check_deaths`: the objects declared dead that were still reachable.
    pub leaks: Option<Vec<Leak>>,
    /// The `t` records' time, spent and skipped.
    pub think: ThinkReport,
}

impl ReplayReport {
    /// Events per second of mutator time (wall time minus the pauses and the think time spent).
    pub fn mutator_events_per_second(&self) -> f64 {
        let mutator = self
            .replay_time
            .saturating_sub(self.pauses.total)
            .saturating_sub(self.think.spun);
        self.events as f64 / mutator.as_secs_f64().max(1e-9)
    }
}

/// An object the trace declared dead (`d`) that a root still reaches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Leak {
    pub id: u64,
    /// Where the trace said `d`.
    pub declared_dead_at: String,
    /// From a rooted object to the leaked one.
    pub path: Vec<PathEntry>,
}

/// One object on a leak's path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PathEntry {
    /// The object's trace id; `None` for an object whose id the trace has since reused.
    pub id: Option<u64>,
    #[serde(rename = "type")]
    pub type_name: String,
    /// The slot holding the next object of the path; `None` for the leaked object.
    pub slot: Option<u32>,
}

/// Replays `source` on `heap`.
pub fn replay<C: Collector, S: TraceSource>(
    heap: &mut Heap<C>,
    source: &mut S,
    options: ReplayOptions,
) -> Result<ReplayReport, TraceError> {
    let (mut replay, log) = Replay::listening(heap, options);
    let progress = options.progress.then(|| progress_bar(source)).flatten();
    let started = Instant::now();
    let mut records: u64 = 0;
    while replay.step(source)? {
        records += 1;
        if records % PROGRESS_EVERY == 0 {
            if let Some(bar) = &progress {
                bar.set_position(source.progress().0);
            }
        }
    }
    let replay_time = started.elapsed();
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    log.borrow_mut().recording = false;
    replay
        .finish(replay_time)
        .map_err(|problem| source.error_at_last(problem))
}

const PROGRESS_EVERY: u64 = 1 << 16;

fn progress_bar<S: TraceSource>(source: &S) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = match source.progress().1 {
        Some(total) => ProgressBar::new(total).with_style(
            ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {elapsed} (eta {eta})")
                .ok()?,
        ),
        None => ProgressBar::new_spinner(),
    };
    Some(bar)
}

/// The pauses a replay saw, from the heap's event listener.
#[derive(Debug)]
struct PauseLog {
    durations: Vec<Duration>,
    by_kind: Vec<(&'static str, u64)>,
    full_collections: u64,
    /// Full collections that marked the whole heap in one pause.
    stop_the_world_collections: u64,
    /// Off for the harness's own final collection.
    recording: bool,
}

impl Default for PauseLog {
    fn default() -> Self {
        PauseLog {
            durations: Vec::new(),
            by_kind: Vec::new(),
            full_collections: 0,
            stop_the_world_collections: 0,
            recording: true,
        }
    }
}

impl PauseLog {
    fn record(&mut self, event: &GcEvent) {
        if event.kind.is_full() {
            self.full_collections += 1;
            if event.kind != GcKind::MarkingFinalize {
                self.stop_the_world_collections += 1;
            }
        }
        if !self.recording {
            return;
        }
        self.durations.push(event.duration);
        let key = event.kind.key();
        match self.by_kind.iter_mut().find(|(k, _)| *k == key) {
            Some((_, count)) => *count += 1,
            None => self.by_kind.push((key, 1)),
        }
    }
}

/// What the replay knows of a live id.
#[derive(Debug)]
struct Object {
    weak: WeakHandle,
    /// Present while the trace's root count is positive.
    strong: Option<Persistent>,
}

impl Object {
    /// A local in `scope` for the object: from its persistent handle when the trace roots it,
    /// else from its weak handle (`Reclaimed` when a collection took the object).
    #[inline]
    fn local<'s, C: Collector>(
        &self,
        heap: &Heap<C>,
        scope: &mut HandleScope<'s>,
        id: u64,
    ) -> Result<Local<'s>, Problem> {
        match &self.strong {
            Some(root) => heap.local(scope, root).map_err(Problem::Heap),
            None => upgrade(heap, scope, id, self.weak),
        }
    }
}

/// A local in `scope` for the object of `weak`, which trace id `id` names; `Reclaimed` when a
/// collection took it.
#[inline]
fn upgrade<'s, C: Collector>(
    heap: &Heap<C>,
    scope: &mut HandleScope<'s>,
    id: u64,
    weak: WeakHandle,
) -> Result<Local<'s>, Problem> {
    heap.upgrade(scope, weak)
        .map_err(Problem::Heap)?
        .ok_or_else(|| Problem::Reclaimed(id))
}

/// A `d` waiting for the next full collection to tell whether its object died.
#[derive(Clone, Debug)]
struct PendingDeath {
    id: u64,
    weak: WeakHandle,
    position: Position,
    /// The full-collection count by which the object must be reclaimed.
    due: u64,
    /// Stop-the-world collections before the `d`: any later one must reclaim it.
    stop_the_world_before: u64,
}

/// How many full collections after a `d` the object may survive, still unreachable: none for
/// a stop-the-world collector. Incremental marking lets an object that dies while marking is on
/// float to the next cycle; under a young generation, one that dies before marking may float
/// one cycle more (a scavenge while marking promotes it, grey, through a dead old object's
/// remembered slot).
fn death_lag<C: Collector>() -> u64 {
    match (C::CONSTRAINTS.incremental, C::CONSTRAINTS.generational) {
        (false, _) => 1,
        (true, false) => 2,
        (true, true) => 3,
    }
}

struct Replay<'h, C: Collector> {
    heap: &'h mut Heap<C>,
    /// The heap's handle scopes: each record that needs locals opens one.
    scopes: HandleScopes,
    ids: Checker<Object>,
    /// The roots of ids the trace declared dead while it still rooted them: they stay in the heap
    /// (the object is then reachable, and a leak when deaths are checked).
    abandoned_roots: Vec<Persistent>,
    types: HashMap<Box<str>, TypeId>,
    /// The type of the last labelled allocation.
    last_type: Option<TypeId>,
    events: u64,
    check_deaths: bool,
    /// Keep the ids of objects declared dead while they live (for snapshots: a leaked object
    /// keeps its id), without reporting them.
    remember_dead: bool,
    pending: Vec<PendingDeath>,
    leaks: Vec<Leak>,
    log: Rc<RefCell<PauseLog>>,
    /// Full collections already looked at for pending deaths.
    full_collections_seen: u64,
    think: Thinker,
}

impl<'h, C: Collector> Replay<'h, C> {
    /// A replay on `heap`, with a listener logging the heap's pauses.
    fn listening(heap: &'h mut Heap<C>, options: ReplayOptions) -> (Self, Rc<RefCell<PauseLog>>) {
        let log = Rc::new(RefCell::new(PauseLog::default()));
        let listener_log = Rc::clone(&log);
        heap.on_gc_event(Box::new(move |event| {
            listener_log.borrow_mut().record(event)
        }));
        (Self::new(heap, options, Rc::clone(&log)), log)
    }

    fn new(heap: &'h mut Heap<C>, options: ReplayOptions, log: Rc<RefCell<PauseLog>>) -> Self {
        Replay {
            think: Thinker::new(options.think),
            scopes: heap.handle_scopes(),
            heap,
            ids: Checker::new(),
            abandoned_roots: Vec::new(),
            types: HashMap::new(),
            last_type: None,
            events: 0,
            check_deaths: options.check_deaths,
            remember_dead: false,
            pending: Vec::new(),
            leaks: Vec::new(),
            log,
            full_collections_seen: 0,
        }
    }

    /// Reads and applies the next record; `false` after the last one.
    #[inline]
    fn step<S: TraceSource>(&mut self, source: &mut S) -> Result<bool, TraceError> {
        // The record is used where the reader left it, by reference: moving it out of the
        // result would copy it through memory with wider loads than the reader's stores (a
        // store-forwarding stall that cost a fifth of the replay's time).
        let next = source.next_record();
        let record = match next {
            Ok(Some(ref record)) => record,
            Ok(None) => return Ok(false),
            Err(error) => return Err(error),
        };
        let result = match *record {
            Record::Dead { id } => {
                let position = source.position();
                self.dead(id, position)
            }
            _ => self.apply(record),
        };
        result.map_err(|problem| source.error_at_last(problem))?;
        Ok(true)
    }

    #[inline]
    fn apply(&mut self, record: &Record<'_>) -> Result<(), Problem> {
        if !record.is_event() {
            return self.ids.check(record);
        }
        self.events += 1;
        self.ids.saw_event();
        match *record {
            Record::Alloc {
                id,
                slots,
                bytes,
                type_label,
            } => self.allocate(id, slots, bytes, type_label),
            Record::Write { id, slot, value } => self.write(id, slot, value),
            Record::Read { id, slot } => {
                let host = &self.ids.slot_entry(id, slot)?.data;
                let (heap, slot) = (&*self.heap, u64::from(slot));
                match &host.strong {
                    Some(root) => heap.read(root, slot).map(drop).map_err(Problem::Heap),
                    None => self.scopes.enter(|scope| {
                        let host = upgrade(heap, scope, id, host.weak)?;
                        heap.read(host, slot).map(drop).map_err(Problem::Heap)
                    }),
                }
            }
            Record::AddRoot { id } => self.add_root(id),
            Record::DropRoot { id } => self.drop_root(id),
            Record::Gc(request) => {
                self.heap.collect(match request {
                    GcRequest::Full => CollectionKind::Full,
                    GcRequest::Minor => CollectionKind::Young,
                });
                self.check_pending_deaths()
            }
            Record::Think { nanos } => {
                self.think.think(Duration::from_nanos(nanos));
                Ok(())
            }
            Record::External { id, bytes } => {
                let host = &self.ids.entry(id)?.data;
                let heap = &mut *self.heap;
                match &host.strong {
                    Some(root) => heap.set_external_bytes(root, bytes).map_err(Problem::Heap),
                    None => self.scopes.enter(|scope| {
                        let host = upgrade(heap, scope, id, host.weak)?;
                        heap.set_external_bytes(host, bytes).map_err(Problem::Heap)
                    }),
                }
            }
            // `d` goes through `Replay::dead`, which knows its position.
            Record::Meta { .. } | Record::Dead { .. } => self.ids.check(record),
        }
    }

    fn allocate(
        &mut self,
        id: u64,
        slots: u32,
        bytes: u32,
        label: Option<&str>,
    ) -> Result<(), Problem> {
        if self.ids.contains(id) {
            return Err(Problem::AlreadyLive(id));
        }
        let type_id = self.type_id(label)?;
        let heap = &mut *self.heap;
        // The new object's one root is a persistent handle; the local it is made through goes
        // with the scope.
        let object = self.scopes.enter(|scope| -> Result<Object, Problem> {
            let local = heap
                .allocate(scope, type_id, u64::from(slots), u64::from(bytes))
                .map_err(|error| match error {
                    HeapError::OutOfMemory(oom) => Problem::HeapLimit(oom),
                    HeapError::ObjectTooLarge { .. } => {
                        Problem::ObjectTooLarge { id, slots, bytes }
                    }
                    other => Problem::Heap(other),
                })?;
            Ok(Object {
                weak: heap.downgrade(local).map_err(Problem::Heap)?,
                strong: Some(heap.persistent(local).map_err(Problem::Heap)?),
            })
        })?;
        self.ids.allocate(id, slots, object)?;
        self.check_pending_deaths()
    }

    fn type_id(&mut self, label: Option<&str>) -> Result<TypeId, Problem> {
        let Some(label) = label else {
            return Ok(TypeId::UNLABELLED);
        };
        // Runs of allocations share a label: one comparison spares a hash and a probe. The
        // heap keeps the name, so nothing is allocated when labels alternate.
        if let Some(id) = self.last_type {
            if self.heap.type_name(id) == label {
                return Ok(id);
            }
        }
        let id = self.intern(label)?;
        self.last_type = Some(id);
        Ok(id)
    }

    fn intern(&mut self, label: &str) -> Result<TypeId, Problem> {
        if let Some(&id) = self.types.get(label) {
            return Ok(id);
        }
        let id = self
            .heap
            .intern_type(label)
            .map_err(|_| Problem::TooManyTypes(self.types.len()))?;
        self.types.insert(label.into(), id);
        Ok(id)
    }

    fn write(&mut self, id: u64, slot: u32, value: TraceValue) -> Result<(), Problem> {
        match value {
            TraceValue::Null => self.write_value(id, slot, Value::Null),
            TraceValue::Smi(n) => self.write_value(id, slot, Value::Smi(n)),
            TraceValue::Object(target) => self.write_reference(id, slot, target),
        }
    }

    /// `w ID SLOT null` or `w ID SLOT iN`.
    fn write_value(&mut self, id: u64, slot: u32, value: Value<'_>) -> Result<(), Problem> {
        let host = &self.ids.slot_entry(id, slot)?.data;
        let (heap, slot) = (&mut *self.heap, u64::from(slot));
        match &host.strong {
            Some(root) => heap.store(root, slot, value).map_err(Problem::Heap),
            None => self.scopes.enter(|scope| {
                let host = upgrade(heap, scope, id, host.weak)?;
                heap.store(host, slot, value).map_err(Problem::Heap)
            }),
        }
    }

    /// `w ID SLOT TARGET`. The checker lends one entry at a time, so the target is held by a local
    /// while the host's entry is looked at.
    fn write_reference(&mut self, id: u64, slot: u32, target_id: u64) -> Result<(), Problem> {
        let (heap, ids) = (&mut *self.heap, &mut self.ids);
        self.scopes.enter(|scope| {
            // The value is checked before the host, as the checker does: both must be live. A
            // reclaimed host is reported before a reclaimed target.
            let target = ids.entry(target_id)?.data.local(heap, scope, target_id);
            let host = &ids.slot_entry(id, slot)?.data;
            let slot = u64::from(slot);
            match &host.strong {
                Some(root) => heap.store(root, slot, target?),
                None => {
                    let host = upgrade(heap, scope, id, host.weak)?;
                    heap.store(host, slot, target?)
                }
            }
            .map_err(Problem::Heap)
        })
    }

    fn add_root(&mut self, id: u64) -> Result<(), Problem> {
        if self.ids.add_root(id)? > 1 {
            return Ok(());
        }
        let object = &mut self.ids.entry(id)?.data;
        let heap = &mut *self.heap;
        let root = self.scopes.enter(|scope| {
            let local = upgrade(heap, scope, id, object.weak)?;
            heap.persistent(local).map_err(Problem::Heap)
        })?;
        object.strong = Some(root);
        Ok(())
    }

    fn drop_root(&mut self, id: u64) -> Result<(), Problem> {
        if self.ids.drop_root(id)? > 0 {
            return Ok(());
        }
        // Dropping the persistent handle removes the root.
        self.ids.entry(id)?.data.strong = None;
        Ok(())
    }

    /// `d ID`: the id leaves the table. A root the trace still holds stays in the heap (the
    /// object is then reachable, and a leak when deaths are checked).
    fn dead(&mut self, id: u64, position: Position) -> Result<(), Problem> {
        self.events += 1;
        self.ids.saw_event();
        let entry = self.ids.dead(id)?;
        let weak = entry.data.weak;
        if let Some(root) = entry.data.strong {
            self.abandoned_roots.push(root);
        }
        if self.check_deaths || self.remember_dead {
            let log = self.log.borrow();
            self.pending.push(PendingDeath {
                id,
                weak,
                position,
                due: log.full_collections + death_lag::<C>(),
                stop_the_world_before: log.stop_the_world_collections,
            });
            Ok(())
        } else {
            self.heap.drop_weak(weak).map_err(Problem::Heap)
        }
    }

    /// After a full collection, the pending deaths are looked at: with death checks, every one
    /// whose object survived it is a leak; without, those whose objects it reclaimed are
    /// forgotten. Called at every allocation, so it costs one comparison when no full collection
    /// ran since the last look.
    #[inline]
    fn check_pending_deaths(&mut self) -> Result<(), Problem> {
        let (full_collections, stop_the_world) = {
            let log = self.log.borrow();
            (log.full_collections, log.stop_the_world_collections)
        };
        if full_collections == self.full_collections_seen {
            return Ok(());
        }
        // A death is judged only by a full collection after its `d`: the count moves on even
        // while nothing is pending.
        self.full_collections_seen = full_collections;
        if self.pending.is_empty() {
            return Ok(());
        }
        match self.check_deaths {
            true => self.report_leaks(full_collections, stop_the_world),
            false => self.forget_reclaimed(),
        }
    }

    /// The pending deaths a full collection must have reclaimed: the survivors are leaks.
    fn report_leaks(&mut self, full_collections: u64, stop_the_world: u64) -> Result<(), Problem> {
        let mut survivors = Vec::new();
        for death in std::mem::take(&mut self.pending) {
            if death.due > full_collections && death.stop_the_world_before == stop_the_world {
                self.pending.push(death);
                continue;
            }
            match self.heap.is_alive(death.weak).map_err(Problem::Heap)? {
                true => survivors.push(death),
                false => self.heap.drop_weak(death.weak).map_err(Problem::Heap)?,
            }
        }
        if survivors.is_empty() {
            return Ok(());
        }
        let weaks: Vec<WeakHandle> = survivors.iter().map(|d| d.weak).collect();
        let paths = self.heap.retaining_paths(&weaks).map_err(Problem::Heap)?;
        let names = self.object_ids(&survivors)?;
        for (death, path) in survivors.into_iter().zip(paths) {
            let path = path.unwrap_or_default();
            self.leaks.push(Leak {
                id: death.id,
                declared_dead_at: death.position.to_string(),
                path: path
                    .iter()
                    .map(|step| self.path_entry(step, &names))
                    .collect(),
            });
            self.heap.drop_weak(death.weak).map_err(Problem::Heap)?;
        }
        Ok(())
    }

    /// Without death checks, the remembered deaths whose objects a collection reclaimed are
    /// forgotten (so the list follows the leaked objects, not the trace).
    fn forget_reclaimed(&mut self) -> Result<(), Problem> {
        let mut kept = Vec::with_capacity(self.pending.len());
        for death in std::mem::take(&mut self.pending) {
            match self.heap.is_alive(death.weak).map_err(Problem::Heap)? {
                true => kept.push(death),
                false => self.heap.drop_weak(death.weak).map_err(Problem::Heap)?,
            }
        }
        self.pending = kept;
        Ok(())
    }

    /// The trace id of every live object the replay can name: the live ids, then the objects
    /// declared dead that still live (a leak), unless their id was since allocated again.
    fn trace_ids(&self) -> Result<HashMap<ObjectKey, u64>, Problem> {
        let mut names = HashMap::new();
        let mut named = hashbrown::HashSet::new();
        for (id, entry) in self.ids.iter() {
            named.insert(id);
            if let Some(key) = self
                .heap
                .object_key(entry.data.weak)
                .map_err(Problem::Heap)?
            {
                names.insert(key, id);
            }
        }
        for death in self.pending.iter().rev() {
            if !named.insert(death.id) {
                continue;
            }
            if let Some(key) = self.heap.object_key(death.weak).map_err(Problem::Heap)? {
                names.insert(key, death.id);
            }
        }
        Ok(names)
    }

    /// The trace id of every object the replay can name: live ids and the deaths in question.
    fn object_ids(&self, deaths: &[PendingDeath]) -> Result<HashMap<ObjectKey, u64>, Problem> {
        let mut names = HashMap::new();
        let known = self.ids.iter().map(|(id, entry)| (id, entry.data.weak));
        for (id, weak) in known.chain(deaths.iter().map(|d| (d.id, d.weak))) {
            if let Some(key) = self.heap.object_key(weak).map_err(Problem::Heap)? {
                names.insert(key, id);
            }
        }
        Ok(names)
    }

    fn path_entry(&self, step: &PathStep, names: &HashMap<ObjectKey, u64>) -> PathEntry {
        PathEntry {
            id: names.get(&step.object).copied(),
            type_name: self.heap.type_name(step.type_id).to_owned(),
            slot: step.slot,
        }
    }

    /// The final full collection, the last look at pending deaths, and the figures.
    fn finish(mut self, replay_time: Duration) -> Result<ReplayReport, Problem> {
        let stats = self.heap.stats();
        let (durations, gc_by_kind) = {
            let log = self.log.borrow();
            (log.durations.clone(), log.by_kind.clone())
        };
        crate::runner::final_collection(self.heap);
        self.check_pending_deaths()?;
        let final_stats = self.heap.stats();
        Ok(ReplayReport {
            collector: C::CONSTRAINTS.name,
            gc_threads: self.heap.config().gc_threads,
            events: self.events,
            allocated_objects: stats.allocated_objects,
            allocated_bytes: stats.allocated_bytes,
            live: self.heap.live_graph(),
            gc_by_kind,
            pauses: PauseSummary::of_durations(durations),
            replay_time,
            peak_committed_bytes: final_stats.peak_committed_bytes,
            final_committed_bytes: final_stats.committed_bytes,
            final_pooled_bytes: final_stats.pooled_bytes,
            leaks: self.check_deaths.then_some(self.leaks),
            think: self.think.report,
        })
    }
}

/// Where [`replay_until`] stops.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum StopAt {
    /// After the record on this line of a text trace (the record with this index, metadata
    /// counted, in a binary one).
    Line(u64),
    /// After the last record.
    End,
}

/// Replays `source` on `heap` up to `stop`, then calls `visit` with the heap and the trace id of
/// each object it can name (what a heap snapshot needs). Nothing is collected at the stop.
/// `Ok(Err(last))` when the trace ends (at line or record `last`) before the stop line.
pub fn replay_until<C: Collector, S: TraceSource, R>(
    heap: &mut Heap<C>,
    source: &mut S,
    stop: StopAt,
    visit: impl FnOnce(&Heap<C>, &HashMap<ObjectKey, u64>) -> R,
) -> Result<Result<R, u64>, TraceError> {
    let options = ReplayOptions {
        think: ThinkTime::Skip,
        ..ReplayOptions::default()
    };
    let (mut replay, _log) = Replay::listening(heap, options);
    replay.remember_dead = true;
    let mut last_line = 0;
    loop {
        if let StopAt::Line(line) = stop {
            if last_line >= line {
                break;
            }
        }
        if !replay.step(source)? {
            break;
        }
        last_line = match source.position() {
            Position::Line(line) => line,
            Position::Record { index, .. } => index,
            Position::File => last_line,
        };
    }
    if let StopAt::Line(line) = stop {
        if last_line < line {
            return Ok(Err(last_line));
        }
    }
    let names = replay
        .trace_ids()
        .map_err(|problem| source.error_at_last(problem))?;
    Ok(Ok(visit(replay.heap, &names)))
}

/// Spends the `t` records' time as [`ThinkTime`] says, and counts it.
#[derive(Debug)]
struct Thinker {
    policy: ThinkTime,
    report: ThinkReport,
}

impl Thinker {
    fn new(policy: ThinkTime) -> Self {
        Thinker {
            policy,
            report: ThinkReport::default(),
        }
    }

    fn think(&mut self, asked: Duration) {
        let ThinkTime::Spin { budget } = self.policy else {
            self.report.skipped += asked;
            return;
        };
        let left = budget.saturating_sub(self.report.spun);
        let spent = asked.min(left);
        if spent < asked && self.report.skipped.is_zero() {
            eprintln!(
                "gclab: warning: the trace's think time (`t` records) passed the bound of {:.3} s; \
                 the rest is skipped (raise the bound with --max-think, skip all with --no-think)",
                budget.as_secs_f64()
            );
        }
        spin(spent);
        self.report.spun += spent;
        self.report.skipped += asked - spent;
    }
}

/// `t NANOS`: the program computes without touching the heap. A busy wait, as computation is;
/// sleeping would let the scheduler stretch short waits.
fn spin(duration: Duration) {
    let end = Instant::now() + duration;
    while Instant::now() < end {
        std::hint::spin_loop();
    }
}
