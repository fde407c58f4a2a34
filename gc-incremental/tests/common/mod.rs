//! A mutator that interleaves its operations with marking steps, checked against gc-core's
//! reference model after every operation and step.
//!
//! The mutator holds its objects as gc-core's testkit programs do: persistent handles (`Retain`
//! makes one, `Release` drops one) and locals in handle scopes (`OpenScope` opens a frame whose
//! new roots are its locals until its `CloseScope`, which may escape one into the parent). Each
//! operation runs in a scope of its own, so the locals it takes to use persistent handles' objects
//! go when it ends; its new root (an allocated or loaded object) escapes into the frame, or,
//! outside scopes, becomes a persistent handle. The model counts every persistent handle and
//! local as a root.
//!
//! Checked: the verifier passes (its tri-colour check included while marking); every object the
//! model reaches is alive; every object unreachable when a marking cycle starts is reclaimed
//! (its weak handle cleared) by the end of that cycle, or, under a young generation, by the end
//! of the next one (a scavenge while marking may promote a dead young object that a dead old
//! one still names, and promoted objects are grey: they float to the next cycle); a
//! stop-the-world collection reclaims them at once in both.

use std::time::Duration;

use gc_core::testkit::{Model, ModelValue};
use gc_core::{
    CollectionKind, Collector, Digest, EscapableHandleScope, GcKind, HandleScope, Heap, HeapConfig,
    Local, Persistent, Value, VerifyHeap, WeakHandle,
};
use gc_incremental::IncrementalConfig;
use proptest::prelude::*;

/// One mutator operation; indices are taken modulo the current roots (the persistent handles,
/// then the current frame's locals).
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
    /// Loads a slot; a reference becomes a new root.
    Load {
        host: usize,
        slot: usize,
    },
    /// `to.to_slot = from.from_slot`, through a temporary local in a scope of its own.
    Copy {
        from: usize,
        from_slot: usize,
        to: usize,
        to_slot: usize,
    },
    /// Makes a persistent handle to a root's object.
    Retain {
        root: usize,
    },
    /// Drops a persistent handle.
    Release {
        root: usize,
    },
    /// Opens a handle scope: until its `CloseScope`, new roots are its locals.
    OpenScope,
    /// Closes the innermost scope, escaping one of its roots into the parent when `escape` is
    /// set. Outside scopes it does nothing.
    CloseScope {
        escape: Option<usize>,
    },
    /// A young collection (a full one without a young generation).
    Scavenge,
    /// One step of the collector's incremental work; from idle it starts marking.
    Step,
}

/// Operations, with young collections weighted `scavenges` (out of about 50). Scopes are short
/// (a frame's locals stay roots until it closes) and copies frequent: a copy that loads a white
/// object from an object marking has not scanned yet and stores it into a black one is what
/// the marking barrier is for, and these weights make random programs do that about as often as
/// they did with counted handles.
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
        10 => (any::<usize>(), any::<usize>(), any::<usize>(), any::<usize>())
            .prop_map(|(from, from_slot, to, to_slot)| MutatorOp::Copy { from, from_slot, to, to_slot }),
        1 => any::<usize>().prop_map(|root| MutatorOp::Retain { root }),
        6 => any::<usize>().prop_map(|root| MutatorOp::Release { root }),
        1 => Just(MutatorOp::OpenScope),
        3 => proptest::option::of(any::<usize>()).prop_map(|escape| MutatorOp::CloseScope { escape }),
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
    /// The persistent handles and their model ids: the roots outside scopes.
    roots: Vec<(Persistent, usize)>,
    /// A weak handle per model object, to find it in the heap.
    ids: Vec<WeakHandle>,
    pending: Vec<PendingReclaim>,
    generational: bool,
    marking_cycles: usize,
}

type Check = Result<(), String>;

fn err(e: impl ToString) -> String {
    e.to_string()
}

fn pick(len: usize, index: usize) -> Option<usize> {
    (len > 0).then(|| index % len)
}

/// The operations still to play, with their positions for messages.
type Ops<'p> = std::iter::Peekable<std::iter::Enumerate<std::slice::Iter<'p, MutatorOp>>>;

/// The roots one operation can name besides the persistent handles (its frame's locals, its
/// own new one from `own` on), each with its model id, and the model ids of the locals it made to
/// use persistent handles' objects (`views`: roots while it runs).
struct Frame<'l> {
    locals: Vec<(Local<'l>, usize)>,
    own: usize,
    views: Vec<usize>,
}

/// How a frame ended: the local it escaped into its parent, and the `CloseScope` that closed it
/// (`None` at the end of the program).
struct Closed<'s, 'p> {
    escaped: Option<(Local<'s>, usize)>,
    by: Option<(usize, &'p MutatorOp)>,
}

/// The state an action's outcome is compared with.
struct Before {
    reachable: Vec<bool>,
    was_marking: bool,
    first_event: u64,
}

impl<C: Collector> Runner<C> {
    /// Plays the whole program. Outside scopes each operation runs in a frame of its own whose
    /// new root becomes a persistent handle; `OpenScope` runs a nested frame of locals until its
    /// `CloseScope`.
    fn run(&mut self, program: &[MutatorOp]) -> Check {
        let mut ops = program.iter().enumerate().peekable();
        while ops.peek().is_some() {
            let scopes = self.heap.handle_scopes();
            scopes.enter(|scope| {
                scope
                    .escapable(|frame_scope| self.run_frame(frame_scope, &[], &mut ops, 0))
                    .map(|_| ())
            })?;
        }
        Ok(())
    }

    /// Runs a frame in `scope` (opened by the caller) until its `CloseScope` or the end of the
    /// program, checking after every operation; a local escaped at the close comes back in the
    /// parent's scope. The parent checks the heap once the frame is closed.
    fn run_frame<'i, 's, 'p>(
        &mut self,
        scope: &mut EscapableHandleScope<'i, 's>,
        outer: &[(Local<'_>, usize)],
        ops: &mut Ops<'p>,
        depth: usize,
    ) -> Result<Closed<'s, 'p>, String> {
        // The roots the frame's operations can name besides the persistent handles: its
        // parents' locals, then its own from `own` on.
        let mut locals = outer.to_vec();
        let own = outer.len();
        let closed = loop {
            let Some((index, op)) = ops.next() else {
                break Closed {
                    escaped: None,
                    by: None,
                };
            };
            match *op {
                MutatorOp::OpenScope => {
                    // Opening a scope changes nothing in the heap: check and step before it.
                    self.after_op(self.before(), index, op)?;
                    let closed =
                        scope.escapable(|inner| self.run_frame(inner, &locals, ops, depth + 1))?;
                    if let Some((local, id)) = closed.escaped {
                        self.model.objects[id].roots += 1;
                        locals.push((local, id));
                    }
                    if let Some((index, op)) = closed.by {
                        self.after_op(self.before(), index, op)?;
                    }
                }
                MutatorOp::CloseScope { escape } if depth > 0 => {
                    let escaped = match (escape, pick(locals.len(), escape.unwrap_or(0))) {
                        (Some(_), Some(i)) => {
                            let (local, id) = locals[i];
                            Some((scope.escape(local), id))
                        }
                        _ => None,
                    };
                    break Closed {
                        escaped,
                        by: Some((index, op)),
                    };
                }
                _ => {
                    let before = self.before();
                    let made = scope
                        .escapable(|op_scope| self.run_op(op_scope, &locals, op))
                        .map_err(|e| format!("after operation {index} ({op:?}): {e}"))?;
                    if let Some((local, id)) = made {
                        self.model.objects[id].roots += 1;
                        locals.push((local, id));
                    }
                    self.after_op(before, index, op)?;
                }
            }
            if depth == 0 {
                // The outermost frame's one operation is done: it keeps what it made.
                for &(local, id) in &locals[own..] {
                    self.roots
                        .push((self.heap.persistent(local).map_err(err)?, id));
                    self.model.objects[id].roots += 1;
                }
                break Closed {
                    escaped: None,
                    by: None,
                };
            }
        };
        for &(_, id) in &locals[own..] {
            self.model.objects[id].roots -= 1;
        }
        Ok(closed)
    }

    /// Runs one operation in `scope`, a scope of its own, so that the locals it makes to use
    /// persistent handles' objects (and a copy's temporary) go when it ends; the one new root it
    /// may make (an allocated or loaded object) escapes into the frame's scope.
    fn run_op<'o, 's>(
        &mut self,
        scope: &mut EscapableHandleScope<'o, 's>,
        outer: &[(Local<'_>, usize)],
        op: &MutatorOp,
    ) -> Result<Option<(Local<'s>, usize)>, String> {
        let mut frame = Frame {
            locals: outer.to_vec(),
            own: outer.len(),
            views: Vec::new(),
        };
        self.step(scope, &mut frame, op)?;
        for &id in &frame.views {
            self.model.objects[id].roots -= 1;
        }
        let made = frame.locals.split_off(frame.own);
        if made.len() > 1 {
            return Err(format!("{} new roots from one operation", made.len()));
        }
        Ok(made.first().map(|&(local, id)| {
            self.model.objects[id].roots -= 1;
            (scope.escape(local), id)
        }))
    }

    fn step<'s: 'l, 'l>(
        &mut self,
        scope: &mut HandleScope<'s>,
        frame: &mut Frame<'l>,
        op: &MutatorOp,
    ) -> Check {
        match *op {
            MutatorOp::Allocate { slots, bytes } => self.allocate(scope, frame, slots, bytes),
            MutatorOp::Store { host, slot, value } => self.store(scope, frame, host, slot, value),
            MutatorOp::Load { host, slot } => self.load(scope, frame, host, slot),
            MutatorOp::Copy {
                from,
                from_slot,
                to,
                to_slot,
            } => self.copy(scope, frame, from, from_slot, to, to_slot),
            MutatorOp::Retain { root } => {
                if let Some((local, id)) = self.root(scope, frame, root)? {
                    self.roots
                        .push((self.heap.persistent(local).map_err(err)?, id));
                    self.model.objects[id].roots += 1;
                }
                Ok(())
            }
            MutatorOp::Release { root } => {
                if let Some(i) = pick(self.roots.len(), root) {
                    let (dropped, id) = self.roots.swap_remove(i);
                    drop(dropped);
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
            // Scope operations outside any scope do nothing.
            MutatorOp::OpenScope | MutatorOp::CloseScope { .. } => Ok(()),
        }
    }

    /// The `index`th root, counting the persistent handles and then the frame's locals, as a
    /// local: a persistent handle's object gets a new local in the frame (a view).
    fn root<'s: 'l, 'l>(
        &mut self,
        scope: &mut HandleScope<'s>,
        frame: &mut Frame<'l>,
        index: usize,
    ) -> Result<Option<(Local<'l>, usize)>, String> {
        let Some(i) = pick(self.roots.len() + frame.locals.len(), index) else {
            return Ok(None);
        };
        if let Some(i) = i.checked_sub(self.roots.len()) {
            return Ok(Some(frame.locals[i]));
        }
        let (persistent, id) = &self.roots[i];
        let local = self.heap.local(scope, persistent).map_err(err)?;
        self.model.objects[*id].roots += 1;
        frame.views.push(*id);
        Ok(Some((local, *id)))
    }

    fn allocate<'s: 'l, 'l>(
        &mut self,
        scope: &mut HandleScope<'s>,
        frame: &mut Frame<'l>,
        slots: u32,
        bytes: u32,
    ) -> Check {
        let ty = self.heap.intern_type("Node").map_err(err)?;
        let local = self
            .heap
            .allocate(scope, ty, slots.into(), bytes.into())
            .map_err(err)?;
        let id = self.model.allocate("Node", slots as usize, bytes as usize);
        self.ids.push(self.heap.downgrade(local).map_err(err)?);
        frame.locals.push((local, id));
        Ok(())
    }

    /// A root's object and one of its slots with the model's value there; `None` when there is
    /// no root or the object has no slots.
    fn host_slot<'s: 'l, 'l>(
        &mut self,
        scope: &mut HandleScope<'s>,
        frame: &mut Frame<'l>,
        host: usize,
        slot: usize,
    ) -> Result<Option<(Local<'l>, usize, usize, ModelValue)>, String> {
        let Some((host, id)) = self.root(scope, frame, host)? else {
            return Ok(None);
        };
        let Some(slot) = pick(self.model.objects[id].slots.len(), slot) else {
            return Ok(None);
        };
        Ok(Some((host, id, slot, self.model.objects[id].slots[slot])))
    }

    fn store<'s: 'l, 'l>(
        &mut self,
        scope: &mut HandleScope<'s>,
        frame: &mut Frame<'l>,
        host: usize,
        slot: usize,
        value: Option<usize>,
    ) -> Check {
        let Some((host, id, slot, _)) = self.host_slot(scope, frame, host, slot)? else {
            return Ok(());
        };
        let (value, model) = match value {
            Some(r) => {
                let (target, target_id) = self.root(scope, frame, r)?.ok_or("no root")?;
                (Value::Ref(target), ModelValue::Ref(target_id))
            }
            None => (Value::Null, ModelValue::Null),
        };
        self.heap.store(host, slot as u64, value).map_err(err)?;
        self.model.objects[id].slots[slot] = model;
        Ok(())
    }

    fn load<'s: 'l, 'l>(
        &mut self,
        scope: &mut HandleScope<'s>,
        frame: &mut Frame<'l>,
        host: usize,
        slot: usize,
    ) -> Check {
        let Some((host, _, slot, expected)) = self.host_slot(scope, frame, host, slot)? else {
            return Ok(());
        };
        match (
            self.heap.load(scope, host, slot as u64).map_err(err)?,
            expected,
        ) {
            (Value::Ref(target), ModelValue::Ref(target_id)) => {
                self.model.objects[target_id].roots += 1;
                frame.locals.push((target, target_id));
                Ok(())
            }
            (Value::Null, ModelValue::Null) => Ok(()),
            (heap, model) => Err(format!("slot {slot} holds {heap:?}, model {model:?}")),
        }
    }

    /// Copies a reference from one slot to another through a temporary local of the
    /// operation's scope. The host is one of the roots or, at the last index, the loaded object.
    fn copy<'s: 'l, 'l>(
        &mut self,
        scope: &mut HandleScope<'s>,
        frame: &mut Frame<'l>,
        from: usize,
        from_slot: usize,
        to: usize,
        to_slot: usize,
    ) -> Check {
        let Some((from, _, from_slot, expected)) = self.host_slot(scope, frame, from, from_slot)?
        else {
            return Ok(());
        };
        let roots = self.roots.len() + frame.locals.len();
        let host = match pick(roots + 1, to) {
            Some(i) if i < roots => self.root(scope, frame, i)?,
            _ => None,
        };
        let (loaded, target_id) = match (
            self.heap.load(scope, from, from_slot as u64).map_err(err)?,
            expected,
        ) {
            (Value::Ref(loaded), ModelValue::Ref(target_id)) => (loaded, target_id),
            (Value::Null, ModelValue::Null) => return Ok(()),
            (heap, model) => {
                return Err(format!("slot {from_slot} holds {heap:?}, model {model:?}"));
            }
        };
        let (host, id) = host.unwrap_or((loaded, target_id));
        let Some(slot) = pick(self.model.objects[id].slots.len(), to_slot) else {
            return Ok(());
        };
        self.heap.store(host, slot as u64, loaded).map_err(err)?;
        self.model.objects[id].slots[slot] = ModelValue::Ref(target_id);
        Ok(())
    }

    /// What an action's outcome is compared with.
    fn before(&self) -> Before {
        Before {
            reachable: self.model.reachable(),
            was_marking: self.heap.collector().is_marking(),
            first_event: self.heap.stats().gc_count,
        }
    }

    /// Checks the heap after operation `index`, then, while marking is on, runs a zero-budget
    /// marking step and checks again.
    fn after_op(&mut self, before: Before, index: usize, op: &MutatorOp) -> Check {
        self.check_after(before)
            .map_err(|e| format!("after operation {index} ({op:?}): {e}"))?;
        if self.heap.collector().is_marking() {
            self.checked(|r| {
                r.heap.collect_increment(Duration::ZERO);
                Ok(())
            })
            .map_err(|e| format!("in the step after operation {index} ({op:?}): {e}"))?;
        }
        Ok(())
    }

    /// Runs `action`, then checks the heap against the model and records a cycle's start.
    fn checked(&mut self, action: impl FnOnce(&mut Self) -> Check) -> Check {
        let before = self.before();
        action(self)?;
        self.check_after(before)
    }

    /// Checks the heap against the model after an action, and records a cycle's start.
    fn check_after(&mut self, before: Before) -> Check {
        self.heap.verify().map_err(err)?;
        if !before.was_marking && self.heap.collector().is_marking() {
            self.marking_cycles += 1;
            let started = self.cycle_start_event(before.first_event);
            let ids = (0..before.reachable.len())
                .filter(|&i| !before.reachable[i])
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
    check_interleaved_with(config(), collector, generational, program).map(|(cycles, _)| cycles)
}

/// [`check_interleaved`] on a heap of `config`; returns how many marking cycles started and the
/// digest of the live graph at the end.
pub fn check_interleaved_with<C: Collector>(
    config: HeapConfig,
    collector: C,
    generational: bool,
    program: &[MutatorOp],
) -> Result<(usize, Digest), String> {
    check_interleaved_inspecting(config, collector, generational, program, |_| {})
}

/// [`check_interleaved_with`], showing the collector to `inspect` at the end (when the checks
/// passed).
pub fn check_interleaved_inspecting<C: Collector>(
    config: HeapConfig,
    collector: C,
    generational: bool,
    program: &[MutatorOp],
    inspect: impl FnOnce(&C),
) -> Result<(usize, Digest), String> {
    let mut runner = Runner {
        heap: Heap::new(config, collector).map_err(err)?,
        model: Model::default(),
        roots: Vec::new(),
        ids: Vec::new(),
        pending: Vec::new(),
        generational,
        marking_cycles: 0,
    };
    runner.run(program)?;
    if runner.heap.stats().local_handles != 0 {
        return Err("locals are left after every scope closed".to_owned());
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
    inspect(runner.heap.collector());
    Ok((runner.marking_cycles, runner.heap.live_graph().digest))
}
