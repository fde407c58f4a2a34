//! How Scheme values live in the gclab heap, and the helpers that make and take them apart.
//!
//! A value is a [`gclab::Value`]: `Null` is the empty list, an SMI is a fixnum, and everything
//! else is a reference to a heap object whose type label says what it is ([`Kind`]). Objects
//! keep references in slots (a pair's car and cdr, a vector's elements, a closure's
//! environment) and raw data in payload bytes (a flonum's 8 bytes, a string's characters as
//! 4-byte code points, a symbol's UTF-8 name, a closure's code id). The invariant: Rust code
//! holds a heap value only as a local of an open handle scope or a persistent handle, so a
//! collection at any allocation finds it.

use gclab::{Collector, HandleScope, Heap, HeapError, Local, Persistent, TypeId, Value};

use crate::errors::{Error, Result};
use crate::machine::Interp;

/// What a value is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    Nil,
    Fixnum,
    Pair,
    Vector,
    String,
    Symbol,
    Char,
    Flonum,
    Int64,
    Closure,
    Primitive,
    Continuation,
    True,
    False,
    Unspecified,
    Eof,
    Env,
    Record,
    RecordType,
    Values,
    Promise,
    Port,
    /// The runtime's own tables and cells, never seen by a program.
    Internal,
}

/// The heap type labels of every kind of object.
pub struct Types {
    pub pair: TypeId,
    pub vector: TypeId,
    pub string: TypeId,
    pub symbol: TypeId,
    pub char: TypeId,
    pub flonum: TypeId,
    pub int64: TypeId,
    pub closure: TypeId,
    pub primitive: TypeId,
    pub continuation: TypeId,
    pub true_: TypeId,
    pub false_: TypeId,
    pub unspecified: TypeId,
    pub eof: TypeId,
    pub env: TypeId,
    pub record: TypeId,
    pub record_type: TypeId,
    pub values: TypeId,
    pub promise: TypeId,
    pub port: TypeId,
    pub table: TypeId,
    pub cell: TypeId,
}

impl Types {
    /// Interns every label, and the table from a label's index to its kind.
    pub fn intern<C: Collector>(heap: &mut Heap<C>) -> Result<(Types, Vec<Kind>)> {
        let mut kinds = Vec::new();
        let mut t = |name: &str, kind: Kind| -> std::result::Result<TypeId, HeapError> {
            let id = heap.intern_type(name)?;
            let index = id.index() as usize;
            if kinds.len() <= index {
                kinds.resize(index + 1, Kind::Internal);
            }
            kinds[index] = kind;
            Ok(id)
        };
        let types = Types {
            pair: t("Pair", Kind::Pair)?,
            vector: t("Vector", Kind::Vector)?,
            string: t("String", Kind::String)?,
            symbol: t("Symbol", Kind::Symbol)?,
            char: t("Char", Kind::Char)?,
            flonum: t("Flonum", Kind::Flonum)?,
            int64: t("Int64", Kind::Int64)?,
            closure: t("Closure", Kind::Closure)?,
            primitive: t("Primitive", Kind::Primitive)?,
            continuation: t("Continuation", Kind::Continuation)?,
            true_: t("True", Kind::True)?,
            false_: t("False", Kind::False)?,
            unspecified: t("Unspecified", Kind::Unspecified)?,
            eof: t("Eof", Kind::Eof)?,
            env: t("Environment", Kind::Env)?,
            record: t("Record", Kind::Record)?,
            record_type: t("RecordType", Kind::RecordType)?,
            values: t("Values", Kind::Values)?,
            promise: t("Promise", Kind::Promise)?,
            port: t("Port", Kind::Port)?,
            table: t("Table", Kind::Internal)?,
            cell: t("Cell", Kind::Internal)?,
        };
        Ok((types, kinds))
    }
}

/// A number taken out of the heap.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum Num {
    Int(i64),
    Flo(f64),
}

impl Num {
    pub fn to_f64(self) -> f64 {
        match self {
            Num::Int(n) => n as f64,
            Num::Flo(f) => f,
        }
    }
}

/// A growable table of values in one heap object, held by a persistent handle: the constants,
/// the globals, the symbols. Growing copies it into a larger object.
pub struct Table {
    pub object: Persistent,
    pub len: u32,
}

/// Reads a little-endian u32 at the start of a payload.
pub fn payload_u32(bytes: &[u8]) -> Result<u32> {
    bytes
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes)
        .ok_or_else(|| Error::runtime("internal error: short payload"))
}

pub fn payload_u64(bytes: &[u8]) -> Result<u64> {
    bytes
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_le_bytes)
        .ok_or_else(|| Error::runtime("internal error: short payload"))
}

impl<C: Collector> Interp<C> {
    pub fn kind(&self, value: Value<'_>) -> Result<Kind> {
        Ok(match value {
            Value::Null => Kind::Nil,
            Value::Smi(_) => Kind::Fixnum,
            Value::Ref(local) => {
                let id = self.heap.type_of(local)?;
                self.kinds
                    .get(id.index() as usize)
                    .copied()
                    .unwrap_or(Kind::Internal)
            }
        })
    }

    /// `value`, rooted again in scope `s` (a value of an enclosing scope, passed to code that
    /// works in `s`).
    pub fn reroot<'s>(&self, s: &mut HandleScope<'s>, value: Value<'_>) -> Result<Value<'s>> {
        Ok(match value {
            Value::Ref(local) => Value::Ref(self.heap.local(s, local)?),
            Value::Null => Value::Null,
            Value::Smi(n) => Value::Smi(n),
        })
    }

    /// Scheme truth: everything but `#f`.
    #[inline]
    pub fn truthy(&self, value: Value<'_>) -> Result<bool> {
        Ok(match value {
            Value::Ref(local) => self.heap.type_of(local)? != self.types.false_,
            _ => true,
        })
    }

    pub fn boolean<'s>(&self, s: &mut HandleScope<'s>, b: bool) -> Result<Value<'s>> {
        let which = if b {
            &self.specials.true_
        } else {
            &self.specials.false_
        };
        Ok(Value::Ref(self.heap.local(s, which)?))
    }

    pub fn unspecified<'s>(&self, s: &mut HandleScope<'s>) -> Result<Value<'s>> {
        Ok(Value::Ref(self.heap.local(s, &self.specials.unspecified)?))
    }

    pub fn eof<'s>(&self, s: &mut HandleScope<'s>) -> Result<Value<'s>> {
        Ok(Value::Ref(self.heap.local(s, &self.specials.eof)?))
    }

    pub fn cons<'s>(
        &mut self,
        s: &mut HandleScope<'s>,
        car: Value<'s>,
        cdr: Value<'s>,
    ) -> Result<Value<'s>> {
        let pair = self.heap.allocate(s, self.types.pair, 2, 0)?;
        self.heap.store(pair, 0, car)?;
        self.heap.store(pair, 1, cdr)?;
        Ok(Value::Ref(pair))
    }

    /// The list of `items` ending in `tail`.
    pub fn list_with_tail<'s>(
        &mut self,
        s: &mut HandleScope<'s>,
        items: &[Value<'s>],
        tail: Value<'s>,
    ) -> Result<Value<'s>> {
        let mut list = tail;
        for &item in items.iter().rev() {
            list = self.cons(s, item, list)?;
        }
        Ok(list)
    }

    pub fn list<'s>(&mut self, s: &mut HandleScope<'s>, items: &[Value<'s>]) -> Result<Value<'s>> {
        self.list_with_tail(s, items, Value::Null)
    }

    /// The pair `value`, or a wrong-type error naming `procedure`.
    pub fn pair<'s>(&self, value: Value<'s>, procedure: &str) -> Result<Local<'s>> {
        match value {
            Value::Ref(local) if self.heap.type_of(local)? == self.types.pair => Ok(local),
            _ => Err(self.wrong_type(procedure, "a pair", value)),
        }
    }

    pub fn car<'s>(&self, s: &mut HandleScope<'s>, value: Value<'s>) -> Result<Value<'s>> {
        let pair = self.pair(value, "car")?;
        Ok(self.heap.load(s, pair, 0)?)
    }

    pub fn cdr<'s>(&self, s: &mut HandleScope<'s>, value: Value<'s>) -> Result<Value<'s>> {
        let pair = self.pair(value, "cdr")?;
        Ok(self.heap.load(s, pair, 1)?)
    }

    /// The elements of the proper list `list`.
    pub fn list_items<'s>(
        &self,
        s: &mut HandleScope<'s>,
        list: Value<'s>,
        procedure: &str,
    ) -> Result<Vec<Value<'s>>> {
        let mut items = Vec::new();
        let mut rest = list;
        while rest != Value::Null {
            let pair = self
                .pair(rest, procedure)
                .map_err(|_| self.wrong_type(procedure, "a proper list", list))?;
            items.push(self.heap.load(s, pair, 0)?);
            rest = self.heap.load(s, pair, 1)?;
        }
        Ok(items)
    }

    /// An object of type `type_id` whose slots are `items`.
    pub fn object_of<'s>(
        &mut self,
        s: &mut HandleScope<'s>,
        type_id: TypeId,
        items: &[Value<'s>],
    ) -> Result<Local<'s>> {
        let object = self.heap.allocate(s, type_id, items.len() as u64, 0)?;
        for (index, &item) in items.iter().enumerate() {
            if item != Value::Null {
                self.heap.store(object, index as u64, item)?;
            }
        }
        Ok(object)
    }

    pub fn slot_count(&self, object: Local<'_>) -> Result<u64> {
        Ok(u64::from(self.heap.shape(object)?.slots))
    }

    pub fn make_int<'s>(&mut self, s: &mut HandleScope<'s>, n: i64) -> Result<Value<'s>> {
        if let Some(smi) = Value::smi(n) {
            return Ok(smi);
        }
        let bytes = n.to_le_bytes();
        Ok(Value::Ref(self.heap.allocate_with_bytes(
            s,
            self.types.int64,
            0,
            &bytes,
        )?))
    }

    pub fn make_float<'s>(&mut self, s: &mut HandleScope<'s>, f: f64) -> Result<Value<'s>> {
        let bytes = f.to_bits().to_le_bytes();
        Ok(Value::Ref(self.heap.allocate_with_bytes(
            s,
            self.types.flonum,
            0,
            &bytes,
        )?))
    }

    pub fn make_num<'s>(&mut self, s: &mut HandleScope<'s>, n: Num) -> Result<Value<'s>> {
        match n {
            Num::Int(n) => self.make_int(s, n),
            Num::Flo(f) => self.make_float(s, f),
        }
    }

    /// The number `value` is, or `None` for a value that is no number.
    #[inline]
    pub fn num(&self, value: Value<'_>) -> Result<Option<Num>> {
        Ok(match value {
            Value::Smi(n) => Some(Num::Int(n.into())),
            Value::Null => None,
            Value::Ref(local) => {
                let id = self.heap.type_of(local)?;
                if id == self.types.flonum {
                    let bits = payload_u64(self.heap.payload(local)?)?;
                    Some(Num::Flo(f64::from_bits(bits)))
                } else if id == self.types.int64 {
                    let bits = payload_u64(self.heap.payload(local)?)?;
                    Some(Num::Int(bits as i64))
                } else {
                    None
                }
            }
        })
    }

    pub fn make_string<'s>(&mut self, s: &mut HandleScope<'s>, text: &str) -> Result<Value<'s>> {
        let bytes: Vec<u8> = text
            .chars()
            .flat_map(|c| u32::from(c).to_le_bytes())
            .collect();
        Ok(Value::Ref(self.heap.allocate_with_bytes(
            s,
            self.types.string,
            0,
            &bytes,
        )?))
    }

    /// The characters of string `local`.
    pub fn string_chars(&self, local: Local<'_>) -> Result<Vec<char>> {
        Ok(self
            .heap
            .payload(local)?
            .chunks_exact(4)
            .map(|b| {
                let code = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER)
            })
            .collect())
    }

    pub fn make_char<'s>(&mut self, s: &mut HandleScope<'s>, c: char) -> Result<Value<'s>> {
        let bytes = u32::from(c).to_le_bytes();
        Ok(Value::Ref(self.heap.allocate_with_bytes(
            s,
            self.types.char,
            0,
            &bytes,
        )?))
    }

    pub fn char_of(&self, local: Local<'_>) -> Result<char> {
        let code = payload_u32(self.heap.payload(local)?)?;
        Ok(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER))
    }

    pub fn symbol_name(&self, local: Local<'_>) -> Result<String> {
        Ok(String::from_utf8_lossy(self.heap.payload(local)?).into_owned())
    }

    /// The interned symbol `name`: one object per name, kept in the symbol table.
    pub fn intern<'s>(&mut self, s: &mut HandleScope<'s>, name: &str) -> Result<Value<'s>> {
        if let Some(&index) = self.symbol_index.get(name) {
            return Ok(self.heap.load(s, &self.symbols.object, u64::from(index))?);
        }
        let symbol = self
            .heap
            .allocate_with_bytes(s, self.types.symbol, 0, name.as_bytes())?;
        let index = self.table_push(TableName::Symbols, Value::Ref(symbol))?;
        self.symbol_index.insert(name.to_string(), index);
        Ok(Value::Ref(symbol))
    }

    /// Appends `value` to a runtime table, growing it when full; its index.
    pub fn table_push(&mut self, which: TableName, value: Value<'_>) -> Result<u32> {
        let table_type = self.types.table;
        let table = match which {
            TableName::Constants => &mut self.constants,
            TableName::Globals => &mut self.globals,
            TableName::Symbols => &mut self.symbols,
        };
        let heap = &mut self.heap;
        let capacity = u64::from(heap.shape(&table.object)?.slots);
        if u64::from(table.len) == capacity {
            grow(heap, table, table_type, capacity)?;
        }
        let index = table.len;
        heap.store(&table.object, u64::from(index), value)?;
        table.len += 1;
        Ok(index)
    }

    /// A wrong-type error for `value`, printed.
    pub fn wrong_type(&self, procedure: &str, expected: &'static str, value: Value<'_>) -> Error {
        Error::wrong_type(procedure, expected, self.show(value))
    }
}

/// Which runtime table.
#[derive(Copy, Clone, Debug)]
pub enum TableName {
    Constants,
    Globals,
    Symbols,
}

/// Copies `table` into an object twice as large.
fn grow<C: Collector>(
    heap: &mut Heap<C>,
    table: &mut Table,
    table_type: TypeId,
    capacity: u64,
) -> Result<()> {
    let scopes = heap.handle_scopes();
    scopes.enter(|s| -> Result<()> {
        let bigger = heap.allocate(s, table_type, (capacity * 2).max(16), 0)?;
        for index in 0..u64::from(table.len) {
            s.scope(|i| -> Result<()> {
                let item = heap.load(i, &table.object, index)?;
                heap.store(bigger, index, item)?;
                Ok(())
            })?;
        }
        table.object = heap.persistent(bigger)?;
        Ok(())
    })
}

/// A new, empty table.
pub fn new_table<C: Collector>(heap: &mut Heap<C>, table_type: TypeId) -> Result<Table> {
    let scopes = heap.handle_scopes();
    scopes.enter(|s| -> Result<Table> {
        let object = heap.allocate(s, table_type, 64, 0)?;
        Ok(Table {
            object: heap.persistent(object)?,
            len: 0,
        })
    })
}
