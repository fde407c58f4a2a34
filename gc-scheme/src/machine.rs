//! The machine: runs compiled [`Node`]s over environments in the heap, with proper tail calls.
//!
//! Each non-tail call of a closure is one Rust call of [`Interp::run`] in a handle scope of its
//! own, so the Rust stack mirrors the Scheme continuation; the binary runs the machine on a
//! thread with a large stack (see `session.rs`), and [`Interp::run`] refuses to nest deeper
//! than the stack holds. Tail calls return [`Flow::Tail`] to the enclosing `run`, which loops
//! in a fresh handle scope per iteration: a loop of any length keeps a constant number of
//! locals and Rust frames. The invariant that makes a collection at any allocation safe: every
//! value the machine holds is a local of an open scope, and what one loop iteration hands the
//! next (its environment, or the final value) passes through a heap cell, not a dead local.

use std::collections::HashMap;
use std::io::Write;
use std::rc::Rc;
use std::time::Instant;

use gclab::{Collector, HandleScope, Heap, Local, Persistent, Value};

use crate::builtins::{self, Primitive};
use crate::compiler::{self, Code, Lambda, Linker, Node};
use crate::errors::{Error, ErrorKind, Result};
use crate::reader::{Datum, Reader};
use crate::values::{Kind, Table, TableName, Types, new_table, payload_u32, payload_u64};

/// What evaluating a form in tail position leaves to do.
pub enum Flow<'s> {
    Value(Value<'s>),
    /// Run `code`'s body in environment `env`: a call in tail position.
    Tail(Code, Local<'s>),
}

/// What one iteration of `run`'s loop produced.
enum Step<'s> {
    Done(Value<'s>),
    Again(Code, Local<'s>),
}

/// The values every program shares, one object each.
pub struct Specials {
    pub true_: Persistent,
    pub false_: Persistent,
    pub unspecified: Persistent,
    pub eof: Persistent,
    /// Where an escaping continuation leaves its value while the Rust stack unwinds to its
    /// `call/cc`.
    pub escape: Persistent,
}

/// Where `read` takes its data from.
pub enum Input {
    Text(String),
    /// Standard input, read whole at the first `read`.
    Stdin,
}

/// The interpreter: the heap, and the runtime's tables in it.
pub struct Interp<C: Collector> {
    pub heap: Heap<C>,
    pub types: Types,
    pub kinds: Vec<Kind>,
    pub specials: Specials,
    pub constants: Table,
    pub globals: Table,
    pub symbols: Table,
    pub symbol_index: HashMap<String, u32>,
    global_index: HashMap<String, u32>,
    pub global_names: Vec<String>,
    global_defined: Vec<bool>,
    /// For each global, the primitive it holds, if any: a call of a global primitive skips
    /// loading the procedure object. Kept in step with every store into a global.
    global_prims: Vec<Option<u32>>,
    code: Vec<Code>,
    macros: HashMap<String, Rc<crate::macros::Macro>>,
    prims: Vec<Primitive<C>>,
    active_escapes: Vec<u64>,
    next_escape: u64,
    depth: usize,
    pub max_depth: usize,
    pub out: Box<dyn Write + Send>,
    input: Input,
    /// The ports the program opened, and the current ones.
    pub ports: crate::ports::Ports,
    pub started: Instant,
}

/// A `Value` of one scope as a `Value` of another, for the kinds that hold no local.
fn immediate<'b>(value: Value<'_>) -> Option<Value<'b>> {
    match value {
        Value::Null => Some(Value::Null),
        Value::Smi(n) => Some(Value::Smi(n)),
        Value::Ref(_) => None,
    }
}

fn internal(what: &str) -> Error {
    Error::runtime(format!("internal error: {what}"))
}

impl<C: Collector> Interp<C> {
    pub fn new(
        mut heap: Heap<C>,
        out: Box<dyn Write + Send>,
        input: Input,
        max_depth: usize,
    ) -> Result<Self> {
        let (types, kinds) = Types::intern(&mut heap)?;
        let specials = make_specials(&mut heap, &types)?;
        let constants = new_table(&mut heap, types.table)?;
        let globals = new_table(&mut heap, types.table)?;
        let symbols = new_table(&mut heap, types.table)?;
        let mut interp = Interp {
            heap,
            types,
            kinds,
            specials,
            constants,
            globals,
            symbols,
            symbol_index: HashMap::new(),
            global_index: HashMap::new(),
            global_names: Vec::new(),
            global_defined: Vec::new(),
            global_prims: Vec::new(),
            code: Vec::new(),
            macros: HashMap::new(),
            prims: Vec::new(),
            active_escapes: Vec::new(),
            next_escape: 0,
            depth: 0,
            max_depth,
            out,
            input,
            ports: crate::ports::Ports::default(),
            started: Instant::now(),
        };
        interp.install_primitives()?;
        Ok(interp)
    }

    fn install_primitives(&mut self) -> Result<()> {
        for primitive in builtins::primitives::<C>() {
            let id = self.prims.len() as u32;
            let name = primitive.name;
            self.prims.push(primitive);
            let scopes = self.heap.handle_scopes();
            scopes.enter(|s| -> Result<()> {
                let object =
                    self.heap
                        .allocate_with_bytes(s, self.types.primitive, 0, &id.to_le_bytes())?;
                self.define_global(name, Value::Ref(object))
            })?;
        }
        Ok(())
    }

    pub fn define_global(&mut self, name: &str, value: Value<'_>) -> Result<()> {
        let index = self.global(name)?;
        self.set_global(index, value)
    }

    /// Stores `value` into global `index`, which is then defined.
    fn set_global(&mut self, index: u32, value: Value<'_>) -> Result<()> {
        self.heap
            .store(&self.globals.object, u64::from(index), value)?;
        let primitive = match value {
            Value::Ref(object) if self.heap.type_of(object)? == self.types.primitive => {
                Some(payload_u32(self.heap.payload(object)?)?)
            }
            _ => None,
        };
        if let Some(slot) = self.global_prims.get_mut(index as usize) {
            *slot = primitive;
        }
        if let Some(defined) = self.global_defined.get_mut(index as usize) {
            *defined = true;
        }
        Ok(())
    }

    /// Drops the runtime's roots and hands back the heap.
    pub fn into_heap(self) -> Heap<C> {
        self.heap
    }

    /// Reads, compiles and runs every form of `source`.
    pub fn run_source(&mut self, source: &str) -> Result<()> {
        let forms = Reader::read_all(source)?;
        for form in &forms {
            let node = compiler::compile_toplevel(self, form)?;
            let scopes = self.heap.handle_scopes();
            scopes.enter(|s| -> Result<()> {
                let env = self.heap.allocate(s, self.types.env, 1, 0)?;
                self.eval(s, &node, env)?;
                Ok(())
            })?;
        }
        self.out
            .flush()
            .map_err(|e| Error::new(ErrorKind::Io(e.to_string())))
    }

    /// Evaluates `node` in `env` to a value.
    pub fn eval<'s>(
        &mut self,
        s: &mut HandleScope<'s>,
        node: &Node,
        env: Local<'_>,
    ) -> Result<Value<'s>> {
        match node {
            Node::Fixnum(n) => Ok(Value::Smi(*n)),
            Node::Nil => Ok(Value::Null),
            Node::Bool(b) => self.boolean(s, *b),
            Node::Unspecified => self.unspecified(s),
            Node::Quote(index) => {
                Ok(self
                    .heap
                    .load(s, &self.constants.object, u64::from(*index))?)
            }
            Node::Local { depth: 0, index } => Ok(self.heap.load(s, env, u64::from(*index) + 1)?),
            Node::Local { depth, index } => {
                let frame = self.frame(s, env, *depth)?;
                Ok(self.heap.load(s, frame, u64::from(*index) + 1)?)
            }
            Node::Global(index) => self.global_ref(s, *index),
            Node::SetLocal {
                depth,
                index,
                value,
            } => {
                let value = self.eval(s, value, env)?;
                let slot = u64::from(*index) + 1;
                if *depth == 0 {
                    self.heap.store(env, slot, value)?;
                } else {
                    let frame = self.frame(s, env, *depth)?;
                    self.heap.store(frame, slot, value)?;
                }
                self.unspecified(s)
            }
            Node::SetGlobal(index, value) => {
                let value = self.eval(s, value, env)?;
                if !self
                    .global_defined
                    .get(*index as usize)
                    .copied()
                    .unwrap_or(false)
                {
                    return Err(self.unbound(*index));
                }
                self.set_global(*index, value)?;
                self.unspecified(s)
            }
            Node::DefineGlobal(index, value) => {
                let value = self.eval(s, value, env)?;
                self.set_global(*index, value)?;
                self.unspecified(s)
            }
            Node::Lambda(id) => self.make_closure(s, *id, env),
            _ => match self.eval_tail(s, node, env)? {
                Flow::Value(value) => Ok(value),
                Flow::Tail(code, env) => self.run(s, code, env),
            },
        }
    }

    /// Evaluates `node` in tail position: a call there comes back as [`Flow::Tail`].
    pub fn eval_tail<'s>(
        &mut self,
        s: &mut HandleScope<'s>,
        node: &Node,
        env: Local<'_>,
    ) -> Result<Flow<'s>> {
        match node {
            Node::If(parts) => {
                let [test, then, otherwise] = &**parts;
                let test = self.eval(s, test, env)?;
                if self.truthy(test)? {
                    self.eval_tail(s, then, env)
                } else {
                    self.eval_tail(s, otherwise, env)
                }
            }
            Node::Seq(nodes) => {
                let Some((last, init)) = nodes.split_last() else {
                    return Ok(Flow::Value(self.unspecified(s)?));
                };
                for node in init {
                    self.eval(s, node, env)?;
                }
                self.eval_tail(s, last, env)
            }
            Node::Let {
                frame_size,
                inits,
                body,
            } => {
                let frame = self
                    .heap
                    .allocate(s, self.types.env, *frame_size as u64 + 1, 0)?;
                self.heap.store(frame, 0, env)?;
                for (index, init) in inits.iter().enumerate() {
                    let value = self.eval(s, init, env)?;
                    self.heap.store(frame, index as u64 + 1, value)?;
                }
                self.eval_tail(s, body, frame)
            }
            Node::And(nodes) => self.and_or(s, nodes, env, false),
            Node::Or(nodes) => self.and_or(s, nodes, env, true),
            Node::Call { callee, args, line } => self
                .call(s, callee, args, env)
                .map_err(|e| e.or_line(*line)),
            other => Ok(Flow::Value(self.eval(s, other, env)?)),
        }
    }

    /// `and` (stops at the first false value) or `or` (at the first true one).
    fn and_or<'s>(
        &mut self,
        s: &mut HandleScope<'s>,
        nodes: &[Node],
        env: Local<'_>,
        or: bool,
    ) -> Result<Flow<'s>> {
        let Some((last, init)) = nodes.split_last() else {
            return Ok(Flow::Value(self.boolean(s, !or)?));
        };
        for node in init {
            let value = self.eval(s, node, env)?;
            if self.truthy(value)? == or {
                return Ok(Flow::Value(value));
            }
        }
        self.eval_tail(s, last, env)
    }

    fn call<'s>(
        &mut self,
        s: &mut HandleScope<'s>,
        callee: &Node,
        args: &[Node],
        env: Local<'_>,
    ) -> Result<Flow<'s>> {
        // Most calls have few arguments: those take no allocation.
        const INLINE: usize = 6;
        if let Node::Global(index) = callee {
            if let Some(&Some(primitive)) = self.global_prims.get(*index as usize) {
                if args.len() <= INLINE {
                    let mut values = [Value::Null; INLINE];
                    for (value, arg) in values.iter_mut().zip(args) {
                        *value = self.eval(s, arg, env)?;
                    }
                    let values = &values[..args.len()];
                    return Ok(Flow::Value(self.call_primitive_id(s, primitive, values)?));
                }
            }
        }
        let function = self.eval(s, callee, env)?;
        if args.len() <= INLINE {
            let mut values = [Value::Null; INLINE];
            for (value, arg) in values.iter_mut().zip(args) {
                *value = self.eval(s, arg, env)?;
            }
            return self.apply_tail(s, function, &values[..args.len()]);
        }
        let mut values = Vec::with_capacity(args.len());
        for arg in args {
            values.push(self.eval(s, arg, env)?);
        }
        self.apply_tail(s, function, &values)
    }

    /// The frame `depth` (at least 1) levels up from `env`.
    #[inline]
    fn frame<'s>(&self, s: &mut HandleScope<'s>, env: Local<'_>, depth: u16) -> Result<Local<'s>> {
        let Value::Ref(mut frame) = self.heap.load(s, env, 0)? else {
            return Err(internal("environment chain too short"));
        };
        for _ in 1..depth {
            frame = match self.heap.load(s, frame, 0)? {
                Value::Ref(parent) => parent,
                _ => return Err(internal("environment chain too short")),
            };
        }
        Ok(frame)
    }

    fn global_ref<'s>(&self, s: &mut HandleScope<'s>, index: u32) -> Result<Value<'s>> {
        if !self
            .global_defined
            .get(index as usize)
            .copied()
            .unwrap_or(false)
        {
            return Err(self.unbound(index));
        }
        Ok(self.heap.load(s, &self.globals.object, u64::from(index))?)
    }

    fn unbound(&self, index: u32) -> Error {
        let name = self
            .global_names
            .get(index as usize)
            .cloned()
            .unwrap_or_default();
        Error::new(ErrorKind::Unbound(name))
    }

    fn make_closure<'s>(
        &mut self,
        s: &mut HandleScope<'s>,
        id: u32,
        env: Local<'_>,
    ) -> Result<Value<'s>> {
        let closure = self
            .heap
            .allocate_with_bytes(s, self.types.closure, 1, &id.to_le_bytes())?;
        self.heap.store(closure, 0, env)?;
        Ok(Value::Ref(closure))
    }

    /// The code of closure `closure`.
    pub fn closure_code(&self, closure: Local<'_>) -> Result<Code> {
        let id = payload_u32(self.heap.payload(closure)?)?;
        self.code
            .get(id as usize)
            .cloned()
            .ok_or_else(|| internal("unknown code id"))
    }

    /// Calls `function` with `args`, to completion.
    pub fn apply<'s>(
        &mut self,
        s: &mut HandleScope<'s>,
        function: Value<'s>,
        args: &[Value<'s>],
    ) -> Result<Value<'s>> {
        match self.apply_tail(s, function, args)? {
            Flow::Value(value) => Ok(value),
            Flow::Tail(code, env) => self.run(s, code, env),
        }
    }

    /// Calls `function` with `args` from tail position: a closure's body is left to the caller's
    /// loop as [`Flow::Tail`].
    pub fn apply_tail<'s>(
        &mut self,
        s: &mut HandleScope<'s>,
        function: Value<'s>,
        args: &[Value<'s>],
    ) -> Result<Flow<'s>> {
        let Value::Ref(object) = function else {
            return Err(self.not_procedure(function));
        };
        let type_id = self.heap.type_of(object)?;
        if type_id == self.types.closure {
            let code = self.closure_code(object)?;
            let env = self.bind(s, &code, object, args)?;
            Ok(Flow::Tail(code, env))
        } else if type_id == self.types.primitive {
            Ok(Flow::Value(self.call_primitive(s, object, args)?))
        } else if type_id == self.types.continuation {
            Err(self.throw(s, object, args))
        } else {
            Err(self.not_procedure(function))
        }
    }

    fn not_procedure(&self, value: Value<'_>) -> Error {
        Error::new(ErrorKind::WrongType {
            procedure: "application".into(),
            expected: "a procedure",
            got: self.show(value),
        })
    }

    fn call_primitive<'s>(
        &mut self,
        s: &mut HandleScope<'s>,
        object: Local<'s>,
        args: &[Value<'s>],
    ) -> Result<Value<'s>> {
        let id = payload_u32(self.heap.payload(object)?)?;
        self.call_primitive_id(s, id, args)
    }

    fn call_primitive_id<'s>(
        &mut self,
        s: &mut HandleScope<'s>,
        id: u32,
        args: &[Value<'s>],
    ) -> Result<Value<'s>> {
        let primitive = self
            .prims
            .get(id as usize)
            .ok_or_else(|| internal("unknown primitive"))?;
        let (name, min, max, function) = (
            primitive.name,
            primitive.min,
            primitive.max,
            primitive.function,
        );
        if args.len() < min || max.is_some_and(|max| args.len() > max) {
            let expected = match max {
                Some(max) if max == min => format!("{min}"),
                Some(max) => format!("{min} to {max}"),
                None => format!("at least {min}"),
            };
            return Err(arity_error(name, expected, args.len()));
        }
        function(self, s, args)
    }

    /// A new environment for `code` called with `args`, under `closure`'s environment.
    fn bind<'s>(
        &mut self,
        s: &mut HandleScope<'s>,
        code: &Lambda,
        closure: Local<'s>,
        args: &[Value<'s>],
    ) -> Result<Local<'s>> {
        let required = code.required;
        if args.len() < required || (!code.rest && args.len() > required) {
            let expected = if code.rest {
                format!("at least {required}")
            } else {
                format!("{required}")
            };
            return Err(arity_error(&code.name, expected, args.len()));
        }
        let env = self
            .heap
            .allocate(s, self.types.env, code.frame_size as u64 + 1, 0)?;
        let parent = self.heap.load(s, closure, 0)?;
        self.heap.store(env, 0, parent)?;
        for (index, &arg) in args[..required].iter().enumerate() {
            if arg != Value::Null {
                self.heap.store(env, index as u64 + 1, arg)?;
            }
        }
        if code.rest {
            let rest = self.list(s, &args[required..])?;
            self.heap.store(env, required as u64 + 1, rest)?;
        }
        Ok(env)
    }

    /// Runs `code`'s body in `env`, and every tail call it makes, to a value.
    pub fn run<'s>(
        &mut self,
        s: &mut HandleScope<'s>,
        code: Code,
        env: Local<'s>,
    ) -> Result<Value<'s>> {
        if self.depth >= self.max_depth {
            return Err(Error::new(ErrorKind::TooDeep(self.max_depth)));
        }
        self.depth += 1;
        let result = self.run_loop(s, code, env);
        self.depth -= 1;
        result
    }

    fn run_loop<'s>(
        &mut self,
        s: &mut HandleScope<'s>,
        code: Code,
        env: Local<'s>,
    ) -> Result<Value<'s>> {
        // Most calls finish without a tail call: one scope, the value escaping from it.
        let first = s.escapable(|i| -> Result<Step<'s>> {
            Ok(match self.eval_tail(i, &code.body, env)? {
                Flow::Value(Value::Ref(local)) => Step::Done(Value::Ref(i.escape(local))),
                Flow::Value(value) => {
                    Step::Done(immediate(value).ok_or_else(|| internal("value"))?)
                }
                Flow::Tail(next, env) => Step::Again(next, i.escape(env)),
            })
        })?;
        let (mut code, env) = match first {
            Step::Done(value) => return Ok(value),
            Step::Again(code, env) => (code, env),
        };
        // A loop: each iteration's scope ends before the next, so what it hands on goes through
        // `holder`.
        let holder = self.heap.allocate(s, self.types.cell, 1, 0)?;
        self.heap.store(holder, 0, env)?;
        loop {
            let next = s.scope(|i| -> Result<Option<Code>> {
                let Value::Ref(env) = self.heap.load(i, holder, 0)? else {
                    return Err(internal("lost environment"));
                };
                match self.eval_tail(i, &code.body, env)? {
                    Flow::Value(value) => {
                        self.heap.store(holder, 0, value)?;
                        Ok(None)
                    }
                    Flow::Tail(next, env) => {
                        self.heap.store(holder, 0, env)?;
                        Ok(Some(next))
                    }
                }
            })?;
            match next {
                Some(next) => code = next,
                None => return Ok(self.heap.load(s, holder, 0)?),
            }
        }
    }

    /// `call/cc`, escape-only: `function` gets a continuation that, called while this `call/cc`
    /// is active, makes it return the value given.
    pub fn call_cc<'s>(
        &mut self,
        s: &mut HandleScope<'s>,
        function: Value<'s>,
    ) -> Result<Value<'s>> {
        let id = self.next_escape;
        self.next_escape += 1;
        let k = self
            .heap
            .allocate_with_bytes(s, self.types.continuation, 0, &id.to_le_bytes())?;
        let active = self.active_escapes.len();
        self.active_escapes.push(id);
        let result = self.apply(s, function, &[Value::Ref(k)]);
        self.active_escapes.truncate(active);
        match result {
            Err(Error {
                kind: ErrorKind::Escape(target),
                ..
            }) if target == id => {
                let value = self.heap.load(s, &self.specials.escape, 0)?;
                self.heap.store(&self.specials.escape, 0, Value::Null)?;
                Ok(value)
            }
            other => other,
        }
    }

    /// Calls continuation `k`: the error that unwinds to its `call/cc`.
    fn throw<'s>(&mut self, s: &mut HandleScope<'s>, k: Local<'s>, args: &[Value<'s>]) -> Error {
        let thrown = (|| -> Result<Error> {
            let id = payload_u64(self.heap.payload(k)?)?;
            if !self.active_escapes.contains(&id) {
                return Ok(Error::runtime(
                    "a continuation was called outside its extent (call/cc is escape-only)",
                ));
            }
            let value = match args {
                [one] => *one,
                _ => Value::Ref(self.object_of(s, self.types.values, args)?),
            };
            self.heap.store(&self.specials.escape, 0, value)?;
            Ok(Error::new(ErrorKind::Escape(id)))
        })();
        thrown.unwrap_or_else(|e| e)
    }

    /// The next datum of the input as a heap value, or the eof object.
    /// The input not read yet (standard input is read whole the first time).
    pub fn input_text(&mut self) -> Result<&mut String> {
        if let Input::Stdin = self.input {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                .map_err(|e| Error::new(ErrorKind::Io(e.to_string())))?;
            self.input = Input::Text(text);
        }
        match &mut self.input {
            Input::Text(text) => Ok(text),
            Input::Stdin => Err(internal("input")),
        }
    }

    /// Datum `datum` as a heap value.
    pub fn datum_value<'s>(&mut self, s: &mut HandleScope<'s>, datum: &Datum) -> Result<Value<'s>> {
        match datum {
            Datum::Int(n) => self.make_int(s, *n),
            Datum::Float(f) => self.make_float(s, *f),
            Datum::Bool(b) => self.boolean(s, *b),
            Datum::Char(c) => self.make_char(s, *c),
            Datum::Str(text) => self.make_string(s, text),
            Datum::Sym(name) => self.intern(s, name),
            Datum::List(items, tail, _) => {
                let tail = match tail {
                    Some(tail) => self.datum_value(s, tail)?,
                    None => Value::Null,
                };
                let mut values = Vec::with_capacity(items.len());
                for item in items {
                    values.push(self.datum_value(s, item)?);
                }
                self.list_with_tail(s, &values, tail)
            }
            Datum::Vector(items) => {
                let mut values = Vec::with_capacity(items.len());
                for item in items {
                    values.push(self.datum_value(s, item)?);
                }
                Ok(Value::Ref(self.object_of(s, self.types.vector, &values)?))
            }
        }
    }
}

pub fn arity_error(name: &str, expected: String, got: usize) -> Error {
    let procedure = if name.is_empty() {
        "anonymous procedure".to_string()
    } else {
        name.to_string()
    };
    Error::new(ErrorKind::Arity {
        procedure,
        expected,
        got,
    })
}

fn make_specials<C: Collector>(heap: &mut Heap<C>, types: &Types) -> Result<Specials> {
    let scopes = heap.handle_scopes();
    scopes.enter(|s| -> Result<Specials> {
        let mut one = |type_id, slots| -> Result<Persistent> {
            let object = heap.allocate(s, type_id, slots, 0)?;
            Ok(heap.persistent(object)?)
        };
        Ok(Specials {
            true_: one(types.true_, 0)?,
            false_: one(types.false_, 0)?,
            unspecified: one(types.unspecified, 0)?,
            eof: one(types.eof, 0)?,
            escape: one(types.cell, 1)?,
        })
    })
}

impl<C: Collector> Linker for Interp<C> {
    fn constant(&mut self, datum: &Datum) -> Result<u32> {
        let scopes = self.heap.handle_scopes();
        scopes.enter(|s| -> Result<u32> {
            let value = self.datum_value(s, datum)?;
            self.table_push(TableName::Constants, value)
        })
    }

    fn global(&mut self, name: &str) -> Result<u32> {
        if let Some(&index) = self.global_index.get(name) {
            return Ok(index);
        }
        let index = self.table_push(TableName::Globals, Value::Null)?;
        self.global_index.insert(name.to_string(), index);
        self.global_names.push(name.to_string());
        self.global_defined.push(false);
        self.global_prims.push(None);
        Ok(index)
    }

    fn macros(&mut self) -> &mut HashMap<String, Rc<crate::macros::Macro>> {
        &mut self.macros
    }

    fn add_code(&mut self, lambda: Lambda) -> u32 {
        self.code.push(Rc::new(lambda));
        (self.code.len() - 1) as u32
    }
}
