//! Random mutator programs, and a runner that plays one on a heap and on the [`Model`] side by
//! side, checking after every collection that the heap holds exactly the model's live graph.
//!
//! Operands are indices into the program's current roots and weak handles, taken modulo their
//! number, so every generated program is valid and shrinks well. After a full collection the
//! set of live objects must equal the model's reachable set; after a young one every reachable
//! object must be alive (unreachable old objects may wait for a full collection). In both cases
//! each reachable object's type, slots, payload and external bytes must match, and weak handles
//! must be cleared exactly for the objects that were reclaimed.

use proptest::prelude::*;

use super::model::{Model, ModelValue};
use crate::address::round_up;
use crate::collector::{CollectionKind, Collector};
use crate::config::HeapConfig;
use crate::digest::Digest;
use crate::error::{HeapError, OutOfMemory};
use crate::handles::WeakHandle;
use crate::heap::Heap;
use crate::local_handles::{EscapableHandleScope, HandleScope, Local};
use crate::page::{AREA_OFFSET, MAX_REGULAR_OBJECT_SIZE, PAGE_SIZE};
use crate::persistent_handles::Persistent;
use crate::value::{SlotContent, Value};

const TYPES: [&str; 4] = ["Node", "Leaf", "Array", "String"];

/// A slot value in a program: null, an SMI, or the object of the `n`th current root.
#[derive(Copy, Clone, Debug)]
pub enum OpValue {
    Null,
    Smi(i32),
    Root(usize),
}

/// One mutator operation.
#[derive(Clone, Debug)]
pub enum Op {
    Allocate {
        type_index: usize,
        slots: u32,
        bytes: u32,
    },
    Store {
        host: usize,
        slot: usize,
        value: OpValue,
    },
    /// Loads a slot; a reference becomes a new root.
    Load {
        host: usize,
        slot: usize,
    },
    /// Loads a slot into one of the current scope's own locals.
    LoadInto {
        target: usize,
        host: usize,
        slot: usize,
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
    Downgrade {
        root: usize,
    },
    Upgrade {
        weak: usize,
    },
    DropWeak {
        weak: usize,
    },
    SetExternal {
        root: usize,
        bytes: u64,
    },
    WritePayload {
        root: usize,
        seed: u8,
    },
    Collect {
        kind: CollectionKind,
    },
}

fn size_strategy() -> impl Strategy<Value = (u32, u32)> {
    prop_oneof![
        20 => (0u32..6, 0u32..64),
        4 => (0u32..40, 0u32..2048),
        1 => (0u32..4, 140_000u32..300_000),
        1 => (70_000u32..70_010, 0u32..16),
    ]
}

fn value_strategy() -> impl Strategy<Value = OpValue> {
    prop_oneof![
        1 => Just(OpValue::Null),
        1 => (-(1i32 << 30)..(1i32 << 30)).prop_map(OpValue::Smi),
        6 => any::<usize>().prop_map(OpValue::Root),
    ]
}

/// One random operation, weighted towards allocation and stores as real programs are.
pub fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        12 => (0..TYPES.len(), size_strategy())
            .prop_map(|(type_index, (slots, bytes))| Op::Allocate { type_index, slots, bytes }),
        14 => (any::<usize>(), any::<usize>(), value_strategy())
            .prop_map(|(host, slot, value)| Op::Store { host, slot, value }),
        3 => (any::<usize>(), any::<usize>()).prop_map(|(host, slot)| Op::Load { host, slot }),
        1 => (any::<usize>(), any::<usize>(), any::<usize>())
            .prop_map(|(target, host, slot)| Op::LoadInto { target, host, slot }),
        2 => Just(Op::OpenScope),
        2 => proptest::option::of(any::<usize>()).prop_map(|escape| Op::CloseScope { escape }),
        2 => any::<usize>().prop_map(|root| Op::Retain { root }),
        10 => any::<usize>().prop_map(|root| Op::Release { root }),
        2 => any::<usize>().prop_map(|root| Op::Downgrade { root }),
        1 => any::<usize>().prop_map(|weak| Op::Upgrade { weak }),
        1 => any::<usize>().prop_map(|weak| Op::DropWeak { weak }),
        1 => (any::<usize>(), 0u64..1 << 20).prop_map(|(root, bytes)| Op::SetExternal { root, bytes }),
        1 => (any::<usize>(), any::<u8>()).prop_map(|(root, seed)| Op::WritePayload { root, seed }),
        1 => Just(Op::Collect { kind: CollectionKind::Full }),
        1 => Just(Op::Collect { kind: CollectionKind::Young }),
    ]
}

pub fn program_strategy(len: std::ops::Range<usize>) -> impl Strategy<Value = Vec<Op>> {
    proptest::collection::vec(op_strategy(), len)
}

/// A heap and the model, side by side.
struct Runner<C: Collector> {
    heap: Heap<C>,
    model: Model,
    /// The persistent handles and their model ids: the roots outside scopes.
    roots: Vec<(Persistent, usize)>,
    /// The program's weak handles and their model ids.
    weaks: Vec<(WeakHandle, usize)>,
    /// A weak handle per model object, to find it in the heap (an id table that keeps nothing
    /// alive).
    ids: Vec<WeakHandle>,
    policy: OutOfMemoryPolicy,
    out_of_memory: usize,
}

/// Whether a program may run into the heap limit.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum OutOfMemoryPolicy {
    /// Any `OutOfMemory` fails the check.
    Fail,
    /// A legitimate `OutOfMemory` (no page fits under the limit any more) skips the allocation;
    /// the heap must go on exactly as the model does.
    Tolerate,
}

/// What a checked program ended with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramOutcome {
    /// The final live graph's digest.
    pub digest: Digest,
    /// Allocations refused with a legitimate `OutOfMemory`.
    pub out_of_memory: usize,
}

type Check = Result<(), String>;

fn pick(len: usize, index: usize) -> Option<usize> {
    (len > 0).then(|| index % len)
}

fn text(error: HeapError) -> String {
    error.to_string()
}

/// The operations still to play, with their positions for messages.
type Ops<'p> = std::iter::Peekable<std::iter::Enumerate<std::slice::Iter<'p, Op>>>;

/// The locals of one scope frame and those of its parents (copied in when it opened), each with
/// its model id. `own` is where this frame's own locals begin.
struct Frame<'l> {
    locals: Vec<(Local<'l>, usize)>,
    own: usize,
}

impl<C: Collector> Runner<C> {
    /// Plays the whole program. Outside scopes each operation runs in a scope of its own whose
    /// new roots become persistent handles; `OpenScope` runs a nested frame of locals until its
    /// `CloseScope`.
    fn run(&mut self, program: &[Op]) -> Check {
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
    /// program; a local escaped at the close comes back in the parent's scope.
    fn run_frame<'i, 's>(
        &mut self,
        scope: &mut EscapableHandleScope<'i, 's>,
        outer: &[(Local<'_>, usize)],
        ops: &mut Ops<'_>,
        depth: usize,
    ) -> Result<Option<(Local<'s>, usize)>, String> {
        let mut frame = Frame {
            locals: outer.to_vec(),
            own: outer.len(),
        };
        let escaped = loop {
            let Some((index, op)) = ops.next() else {
                break None;
            };
            let at = |e: String| format!("after operation {index} ({op:?}): {e}");
            match *op {
                Op::OpenScope => {
                    let escaped = scope
                        .escapable(|inner| self.run_frame(inner, &frame.locals, ops, depth + 1))?;
                    if let Some((local, id)) = escaped {
                        self.model.objects[id].roots += 1;
                        frame.locals.push((local, id));
                    }
                }
                Op::CloseScope { escape } if depth > 0 => {
                    let escaped = match pick(frame.locals.len(), escape.unwrap_or(0)) {
                        Some(i) if escape.is_some() => {
                            let (local, id) = frame.locals[i];
                            Some((scope.escape(local), id))
                        }
                        _ => None,
                    };
                    break escaped;
                }
                _ => self.step(scope, &mut frame, op).map_err(at)?,
            }
            if depth == 0 {
                // The outermost frame's one operation is done: it keeps what it made.
                let own = frame.locals.split_off(frame.own);
                for (local, id) in own {
                    self.roots
                        .push((self.heap.persistent(local).map_err(text)?, id));
                    self.model.objects[id].roots += 1;
                    frame.locals.push((local, id));
                }
                break None;
            }
        };
        for &(_, id) in &frame.locals[frame.own..] {
            self.model.objects[id].roots -= 1;
        }
        Ok(escaped)
    }

    fn step<'s: 'l, 'l>(
        &mut self,
        scope: &mut HandleScope<'s>,
        frame: &mut Frame<'l>,
        op: &Op,
    ) -> Check {
        match *op {
            Op::Allocate {
                type_index,
                slots,
                bytes,
            } => self.allocate(scope, frame, type_index, slots, bytes)?,
            Op::Store { host, slot, value } => self.store(scope, frame, host, slot, value)?,
            Op::Load { host, slot } => self.load(scope, frame, host, slot)?,
            Op::LoadInto { target, host, slot } => {
                self.load_into(scope, frame, target, host, slot)?
            }
            Op::Retain { root } => {
                if let Some((local, id)) = self.root(scope, frame, root)? {
                    self.roots
                        .push((self.heap.persistent(local).map_err(text)?, id));
                    self.model.objects[id].roots += 1;
                }
            }
            Op::Release { root } => {
                if let Some(i) = pick(self.roots.len(), root) {
                    let (_dropped, id) = self.roots.swap_remove(i);
                    self.model.objects[id].roots -= 1;
                }
            }
            Op::Downgrade { root } => {
                if let Some((local, id)) = self.root(scope, frame, root)? {
                    self.weaks
                        .push((self.heap.downgrade(local).map_err(text)?, id));
                }
            }
            Op::Upgrade { weak } => self.upgrade(scope, frame, weak)?,
            Op::DropWeak { weak } => {
                if let Some(i) = pick(self.weaks.len(), weak) {
                    let (handle, _) = self.weaks.swap_remove(i);
                    self.heap.drop_weak(handle).map_err(text)?;
                }
            }
            Op::SetExternal { root, bytes } => {
                if let Some((local, id)) = self.root(scope, frame, root)? {
                    self.heap.set_external_bytes(local, bytes).map_err(text)?;
                    self.model.objects[id].external = bytes;
                }
            }
            Op::WritePayload { root, seed } => self.write_payload(scope, frame, root, seed)?,
            Op::Collect { kind } => {
                self.heap.collect(kind);
                self.check(kind)?;
            }
            // Scope operations outside any scope do nothing.
            Op::OpenScope | Op::CloseScope { .. } => {}
        }
        Ok(())
    }

    /// The `index`th root, counting the persistent handles and then the frame's locals, as a
    /// local: a persistent handle's object gets a new local in the frame.
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
        let local = self.heap.local(scope, persistent).map_err(text)?;
        self.model.objects[*id].roots += 1;
        frame.locals.push((local, *id));
        Ok(Some((local, *id)))
    }

    fn allocate<'s: 'l, 'l>(
        &mut self,
        scope: &mut HandleScope<'s>,
        frame: &mut Frame<'l>,
        type_index: usize,
        slots: u32,
        bytes: u32,
    ) -> Check {
        let name = TYPES[type_index % TYPES.len()];
        let type_id = self.heap.intern_type(name).map_err(text)?;
        let local = match self
            .heap
            .allocate(scope, type_id, slots.into(), bytes.into())
        {
            Ok(local) => local,
            Err(HeapError::OutOfMemory(error)) if self.policy == OutOfMemoryPolicy::Tolerate => {
                return self.tolerate(&error);
            }
            Err(error) => return Err(error.to_string()),
        };
        let id = self.model.allocate(name, slots as usize, bytes as usize);
        self.ids.push(self.heap.downgrade(local).map_err(text)?);
        frame.locals.push((local, id));
        Ok(())
    }

    /// An `OutOfMemory` is legitimate only when not even one more page of the size the request
    /// needs fits under the limit; the model is left as it was, since the heap must be too.
    fn tolerate(&mut self, error: &OutOfMemory) -> Check {
        let page = if error.requested > MAX_REGULAR_OBJECT_SIZE {
            round_up(AREA_OFFSET + error.requested, 4096)
        } else {
            PAGE_SIZE
        };
        if error.committed + page <= error.limit {
            return Err(format!(
                "{error}, although a page of {page} bytes still fits"
            ));
        }
        self.out_of_memory += 1;
        Ok(())
    }

    fn store<'s: 'l, 'l>(
        &mut self,
        scope: &mut HandleScope<'s>,
        frame: &mut Frame<'l>,
        host: usize,
        slot: usize,
        value: OpValue,
    ) -> Check {
        let Some((host, id)) = self.root(scope, frame, host)? else {
            return Ok(());
        };
        let Some(slot) = pick(self.model.objects[id].slots.len(), slot) else {
            return Ok(());
        };
        let (value, model_value) = match value {
            OpValue::Null => (Value::Null, ModelValue::Null),
            OpValue::Smi(n) => (Value::Smi(n), ModelValue::Smi(n)),
            OpValue::Root(r) => match self.root(scope, frame, r)? {
                Some((target, target_id)) => (Value::Ref(target), ModelValue::Ref(target_id)),
                None => return Ok(()),
            },
        };
        self.heap.store(host, slot as u64, value).map_err(text)?;
        self.model.objects[id].slots[slot] = model_value;
        Ok(())
    }

    /// The model's slot `slot` of a root's object, with the root; `None` when there is no root
    /// or the object has no slots.
    fn host_slot<'s: 'l, 'l>(
        &mut self,
        scope: &mut HandleScope<'s>,
        frame: &mut Frame<'l>,
        host: usize,
        slot: usize,
    ) -> Result<Option<(Local<'l>, usize, ModelValue)>, String> {
        let Some((host, id)) = self.root(scope, frame, host)? else {
            return Ok(None);
        };
        let Some(slot) = pick(self.model.objects[id].slots.len(), slot) else {
            return Ok(None);
        };
        Ok(Some((host, slot, self.model.objects[id].slots[slot])))
    }

    fn load<'s: 'l, 'l>(
        &mut self,
        scope: &mut HandleScope<'s>,
        frame: &mut Frame<'l>,
        host: usize,
        slot: usize,
    ) -> Check {
        let Some((host, slot, expected)) = self.host_slot(scope, frame, host, slot)? else {
            return Ok(());
        };
        let loaded = self.heap.load(scope, host, slot as u64).map_err(text)?;
        match (loaded, expected) {
            (Value::Ref(target), ModelValue::Ref(target_id)) => {
                self.model.objects[target_id].roots += 1;
                frame.locals.push((target, target_id));
                Ok(())
            }
            (Value::Null, ModelValue::Null) => Ok(()),
            (Value::Smi(a), ModelValue::Smi(b)) if a == b => Ok(()),
            (heap, model) => Err(format!("slot {slot} holds {heap:?}, model {model:?}")),
        }
    }

    /// Loads a slot into one of the frame's own locals: when the slot holds a reference, the
    /// local's old object loses that root and the loaded one gains it.
    fn load_into<'s: 'l, 'l>(
        &mut self,
        scope: &mut HandleScope<'s>,
        frame: &mut Frame<'l>,
        target: usize,
        host: usize,
        slot: usize,
    ) -> Check {
        let Some((host, slot, expected)) = self.host_slot(scope, frame, host, slot)? else {
            return Ok(());
        };
        let Some(t) = pick(frame.locals.len() - frame.own, target) else {
            return Ok(());
        };
        let (local, old_id) = frame.locals[frame.own + t];
        let content = self
            .heap
            .load_into(local, host, slot as u64)
            .map_err(text)?;
        match (content, expected) {
            (SlotContent::Reference, ModelValue::Ref(new_id)) => {
                self.model.objects[old_id].roots -= 1;
                self.model.objects[new_id].roots += 1;
                frame.locals[frame.own + t].1 = new_id;
                Ok(())
            }
            (SlotContent::Null, ModelValue::Null) => Ok(()),
            (SlotContent::Smi(a), ModelValue::Smi(b)) if a == b => Ok(()),
            (heap, model) => Err(format!("slot {slot} holds {heap:?}, model {model:?}")),
        }
    }

    /// A weak handle whose object the heap still has may be upgraded even if the model finds it
    /// unreachable (it was not collected yet): the model then resurrects it, as the program does.
    fn upgrade<'s: 'l, 'l>(
        &mut self,
        scope: &mut HandleScope<'s>,
        frame: &mut Frame<'l>,
        weak: usize,
    ) -> Check {
        let Some(i) = pick(self.weaks.len(), weak) else {
            return Ok(());
        };
        let (weak, id) = self.weaks[i];
        let reachable = self.model.reachable()[id];
        match self.heap.upgrade(scope, weak).map_err(text)? {
            Some(local) => {
                self.model.objects[id].roots += 1;
                frame.locals.push((local, id));
                Ok(())
            }
            None if reachable => Err(format!("weak handle to reachable object {id} was cleared")),
            None => Ok(()),
        }
    }

    fn write_payload<'s: 'l, 'l>(
        &mut self,
        scope: &mut HandleScope<'s>,
        frame: &mut Frame<'l>,
        root: usize,
        seed: u8,
    ) -> Check {
        let Some((local, id)) = self.root(scope, frame, root)? else {
            return Ok(());
        };
        let payload = self.heap.payload_mut(local).map_err(text)?;
        for (i, byte) in payload.iter_mut().enumerate() {
            *byte = seed.wrapping_add(i as u8);
        }
        self.model.objects[id].payload.copy_from_slice(payload);
        Ok(())
    }

    /// Compares the heap with the model after a collection of `kind`.
    fn check(&mut self, kind: CollectionKind) -> Check {
        self.heap.verify().map_err(|e| e.to_string())?;
        let reachable = self.model.reachable();
        for (id, &live) in reachable.iter().enumerate() {
            let alive = self
                .heap
                .is_alive(self.ids[id])
                .map_err(|e| e.to_string())?;
            if live && !alive {
                return Err(format!("reachable object {id} was reclaimed"));
            }
            if !live && alive && kind == CollectionKind::Full {
                return Err(format!(
                    "unreachable object {id} survived a full collection"
                ));
            }
            if live {
                self.check_object(id)?;
            }
        }
        for &(weak, id) in &self.weaks {
            let alive = self.heap.is_alive(weak).map_err(|e| e.to_string())?;
            if alive
                != self
                    .heap
                    .is_alive(self.ids[id])
                    .map_err(|e| e.to_string())?
            {
                return Err(format!("weak handles to object {id} disagree"));
            }
        }
        let expected: u64 = (0..reachable.len()).filter(|&i| reachable[i]).count() as u64;
        let graph = self.heap.live_graph();
        if graph.objects != expected {
            return Err(format!(
                "live graph has {} objects, model {expected}",
                graph.objects
            ));
        }
        Ok(())
    }

    fn check_object(&mut self, id: usize) -> Check {
        let scopes = self.heap.handle_scopes();
        scopes.enter(|scope| {
            let local = self
                .heap
                .upgrade(scope, self.ids[id])
                .map_err(text)?
                .ok_or("gone")?;
            self.compare_object(scope, local, id)
        })
    }

    fn compare_object(
        &mut self,
        scope: &mut HandleScope<'_>,
        local: Local<'_>,
        id: usize,
    ) -> Check {
        let object = &self.model.objects[id];
        let shape = self.heap.shape(local).map_err(text)?;
        let name = self.heap.type_name(shape.type_id);
        if name != object.type_name || shape.slots as usize != object.slots.len() {
            return Err(format!(
                "object {id} is a {name} of {} slots, model {object:?}",
                shape.slots
            ));
        }
        if self.heap.payload(local).map_err(text)? != object.payload.as_slice() {
            return Err(format!("payload of object {id} differs from the model"));
        }
        if self.heap.external_bytes(local).map_err(text)? != object.external {
            return Err(format!(
                "external bytes of object {id} differ from the model"
            ));
        }
        for slot in 0..object.slots.len() {
            let expected = self.model.objects[id].slots[slot];
            // Each slot is read twice: once without a root, once as a local in a nested scope.
            let read = self.heap.read(local, slot as u64).map_err(text)?;
            let same = scope.scope(|scope| -> Result<bool, String> {
                let loaded = self.heap.load(scope, local, slot as u64).map_err(text)?;
                Ok(SlotContent::from(loaded) == read
                    && match (loaded, expected) {
                        (Value::Ref(target), ModelValue::Ref(target_id)) => {
                            self.heap
                                .refers_to(self.ids[target_id], target)
                                .map_err(text)?
                                && self
                                    .heap
                                    .slot_refers_to(local, slot as u64, target)
                                    .map_err(text)?
                        }
                        (loaded, ModelValue::Null) => loaded == Value::Null,
                        (loaded, ModelValue::Smi(n)) => loaded == Value::Smi(n),
                        (_, ModelValue::Ref(_)) => false,
                    })
            })?;
            if !same {
                return Err(format!(
                    "slot {slot} of object {id} differs from the model ({expected:?})"
                ));
            }
        }
        Ok(())
    }
}

/// The environment variable that puts every checked program under stress mode: `GCLAB_STRESS=N`
/// forces a collection every N allocations (see [`crate::stress`]), so any property suite built
/// on [`check_program`] runs under stress without a change of its own.
pub const STRESS_ENV: &str = "GCLAB_STRESS";

/// `config` with the stress interval `GCLAB_STRESS` asks for, unless it sets its own.
fn with_stress_from_env(mut config: HeapConfig) -> Result<HeapConfig, String> {
    if config.stress_interval.is_some() {
        return Ok(config);
    }
    if let Ok(text) = std::env::var(STRESS_ENV) {
        config.stress_interval = Some(parse_stress(&text)?);
    }
    Ok(config)
}

fn parse_stress(text: &str) -> Result<std::num::NonZeroU32, String> {
    text.trim().parse().map_err(|_| {
        format!("{STRESS_ENV}={text:?}: expected a number of allocations from 1 to 4294967295")
    })
}

/// Plays `program` on a fresh heap with `collector` and on the model, checking after every
/// explicit collection and after a final full one. Returns the final live graph's digest, which
/// must be the same for every collector. The error names the operation that went wrong.
pub fn check_program<C: Collector>(
    config: HeapConfig,
    collector: C,
    program: &[Op],
) -> Result<Digest, String> {
    check_program_with(config, collector, program, OutOfMemoryPolicy::Fail).map(|o| o.digest)
}

/// [`check_program`], with a choice of what reaching the heap limit means.
pub fn check_program_with<C: Collector>(
    config: HeapConfig,
    collector: C,
    program: &[Op],
    policy: OutOfMemoryPolicy,
) -> Result<ProgramOutcome, String> {
    let config = with_stress_from_env(config)?;
    let heap = Heap::new(config, collector).map_err(|e| e.to_string())?;
    let mut runner = Runner {
        heap,
        model: Model::default(),
        roots: Vec::new(),
        weaks: Vec::new(),
        ids: Vec::new(),
        policy,
        out_of_memory: 0,
    };
    runner.run(program)?;
    if runner.heap.stats().local_handles != 0 {
        return Err("locals are left after every scope closed".to_owned());
    }
    runner.heap.collect(CollectionKind::Full);
    runner
        .check(CollectionKind::Full)
        .map_err(|e| format!("after the final full collection: {e}"))?;
    Ok(ProgramOutcome {
        digest: runner.heap.live_graph().digest,
        out_of_memory: runner.out_of_memory,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stress_variable_takes_a_positive_count() {
        assert_eq!(parse_stress(" 3\n").map(|n| n.get()), Ok(3));
        for bad in ["0", "", "-1", "x", "4294967296"] {
            let message = parse_stress(bad).expect_err(bad);
            assert!(message.starts_with("GCLAB_STRESS="), "{message}");
        }
    }
}
