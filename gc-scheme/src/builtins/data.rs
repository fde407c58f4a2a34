//! Data: pairs and lists, vectors, strings, symbols, characters, and equivalence.

use gclab::{Collector, HandleScope, Local, Value};

use super::{Primitive, fixed, ranged};
use crate::errors::{Error, Result};
use crate::machine::Interp;
use crate::values::{Kind, Num};

fn is<'s, C: Collector>(
    it: &Interp<C>,
    s: &mut HandleScope<'s>,
    value: Value<'s>,
    kind: Kind,
) -> Result<Value<'s>> {
    let yes = it.kind(value)? == kind;
    it.boolean(s, yes)
}

/// `value` as an object of `kind`, or a wrong-type error.
pub(super) fn object<'s, C: Collector>(
    it: &Interp<C>,
    value: Value<'s>,
    kind: Kind,
    procedure: &str,
    expected: &'static str,
) -> Result<Local<'s>> {
    match value {
        Value::Ref(local) if it.kind(value)? == kind => Ok(local),
        _ => Err(it.wrong_type(procedure, expected, value)),
    }
}

fn index<C: Collector>(it: &Interp<C>, value: Value<'_>, len: u64, procedure: &str) -> Result<u64> {
    match value {
        Value::Smi(n) if n >= 0 && (n as u64) < len => Ok(n as u64),
        Value::Smi(n) => Err(Error::runtime(format!(
            "{procedure}: index {n} is out of range for length {len}"
        ))),
        other => Err(it.wrong_type(procedure, "an exact integer index", other)),
    }
}

fn count<C: Collector>(it: &Interp<C>, value: Value<'_>, procedure: &str) -> Result<u64> {
    match value {
        Value::Smi(n) if n >= 0 => Ok(n as u64),
        other => Err(it.wrong_type(procedure, "a non-negative exact integer", other)),
    }
}

/// The `[start, end)` of optional arguments `args[0]` and `args[1]` within `len` (R7RS's
/// `start`/`end` of `vector-copy!` and friends).
fn span<C: Collector>(
    it: &Interp<C>,
    args: &[Value<'_>],
    len: u64,
    procedure: &str,
) -> Result<(u64, u64)> {
    let start = match args.first() {
        Some(&v) => count(it, v, procedure)?,
        None => 0,
    };
    let end = match args.get(1) {
        Some(&v) => count(it, v, procedure)?,
        None => len,
    };
    if start > end || end > len {
        return Err(Error::runtime(format!(
            "{procedure}: [{start}, {end}) is not a range of length {len}"
        )));
    }
    Ok((start, end))
}

/// `(vector-copy! to at from [start [end]])` and `(string-copy! …)`: where the copy goes,
/// checked against the target's length `to_len`.
fn copy_target<C: Collector>(
    it: &Interp<C>,
    at: Value<'_>,
    to_len: u64,
    copied: u64,
    procedure: &str,
) -> Result<u64> {
    let at = count(it, at, procedure)?;
    if at.checked_add(copied).is_none_or(|end| end > to_len) {
        return Err(Error::runtime(format!(
            "{procedure}: {copied} elements do not fit at {at} in length {to_len}"
        )));
    }
    Ok(at)
}

/// `c[ad]+r`: `path` read right to left, as the name is.
fn cxr<'s, C: Collector>(
    it: &mut Interp<C>,
    s: &mut HandleScope<'s>,
    value: Value<'s>,
    path: &str,
    name: &str,
) -> Result<Value<'s>> {
    let mut current = value;
    for step in path.bytes().rev() {
        let pair = it
            .pair(current, name)
            .map_err(|_| it.wrong_type(name, "a pair", value))?;
        current = it.heap.load(s, pair, u64::from(step == b'd'))?;
    }
    Ok(current)
}

/// `eqv?`: the same object, or equal numbers of the same exactness, or equal characters.
pub fn eqv<C: Collector>(it: &Interp<C>, a: Value<'_>, b: Value<'_>) -> Result<bool> {
    match (a, b) {
        (Value::Ref(x), Value::Ref(y)) => {
            if it.heap.same_object(x, y)? {
                return Ok(true);
            }
            let (kx, ky) = (it.kind(a)?, it.kind(b)?);
            if kx != ky {
                return Ok(false);
            }
            Ok(match kx {
                Kind::Flonum | Kind::Int64 => match (it.num(a)?, it.num(b)?) {
                    (Some(Num::Flo(p)), Some(Num::Flo(q))) => p.to_bits() == q.to_bits(),
                    (p, q) => p == q,
                },
                Kind::Char => it.char_of(x)? == it.char_of(y)?,
                _ => false,
            })
        }
        _ => Ok(a == b),
    }
}

/// `equal?`: structural equality of pairs, vectors and strings; `eqv?` otherwise.
pub fn equal<C: Collector>(it: &Interp<C>, a: Value<'_>, b: Value<'_>) -> Result<bool> {
    let scopes = it.heap.handle_scopes();
    scopes.enter(|s| equal_in(it, s, a, b, 0))
}

/// The deepest nesting `equal?` compares (a bound against data circular through cars).
const EQUAL_DEPTH: usize = 100_000;

fn equal_in<'s, C: Collector>(
    it: &Interp<C>,
    s: &mut HandleScope<'s>,
    a: Value<'_>,
    b: Value<'_>,
    depth: usize,
) -> Result<bool> {
    if depth > EQUAL_DEPTH {
        return Err(Error::runtime(format!(
            "equal?: data nested deeper than {EQUAL_DEPTH} levels (circular?)"
        )));
    }
    // Cdrs iterate and cars recurse, so long lists take no stack.
    s.scope(|i| {
        let (mut a, mut b) = (a, b);
        loop {
            if eqv(it, a, b)? {
                return Ok(true);
            }
            let (Value::Ref(x), Value::Ref(y)) = (a, b) else {
                return Ok(false);
            };
            let kind = it.kind(a)?;
            if kind != it.kind(b)? {
                return Ok(false);
            }
            match kind {
                Kind::Pair => {
                    let (ca, cb) = (it.heap.load(i, x, 0)?, it.heap.load(i, y, 0)?);
                    if !equal_in(it, i, ca, cb, depth + 1)? {
                        return Ok(false);
                    }
                    a = it.heap.load(i, x, 1)?;
                    b = it.heap.load(i, y, 1)?;
                }
                Kind::Vector => {
                    let n = it.slot_count(x)?;
                    if n != it.slot_count(y)? {
                        return Ok(false);
                    }
                    for k in 0..n {
                        let (ea, eb) = (it.heap.load(i, x, k)?, it.heap.load(i, y, k)?);
                        if !equal_in(it, i, ea, eb, depth + 1)? {
                            return Ok(false);
                        }
                    }
                    return Ok(true);
                }
                Kind::String => return Ok(it.heap.payload(x)? == it.heap.payload(y)?),
                _ => return Ok(false),
            }
        }
    })
}

fn length<C: Collector>(it: &Interp<C>, list: Value<'_>) -> Result<i64> {
    let scopes = it.heap.handle_scopes();
    scopes.enter(|s| -> Result<i64> {
        let mut n = 0;
        let Value::Ref(start) = list else {
            return if list == Value::Null {
                Ok(0)
            } else {
                Err(it.wrong_type("length", "a proper list", list))
            };
        };
        it.pair(list, "length")
            .map_err(|_| it.wrong_type("length", "a proper list", list))?;
        let cursor = it.heap.local(s, start)?;
        loop {
            n += 1;
            match it.heap.load_into(cursor, cursor, 1)? {
                gclab::SlotContent::Null => return Ok(n),
                gclab::SlotContent::Reference if it.heap.type_of(cursor)? == it.types.pair => {}
                _ => return Err(it.wrong_type("length", "a proper list", list)),
            }
        }
    })
}

/// What a list search returns: the tail (`memq`, `memv`, `member`) or the association
/// (`assq`, `assv`, `assoc`).
#[derive(Copy, Clone, PartialEq, Eq)]
enum Search {
    Member,
    Assoc,
}

/// The list search of `memq` and friends: the first element of `args[1]` (for `Assoc`, the
/// first association whose key) that is `eqv?` (or, `structural`, `equal?`) to `args[0]`;
/// `#f` when none is.
fn search<'s, C: Collector>(
    it: &mut Interp<C>,
    s: &mut HandleScope<'s>,
    args: &[Value<'s>],
    search: Search,
    structural: bool,
    name: &str,
) -> Result<Value<'s>> {
    let mut rest = args[1];
    loop {
        if rest == Value::Null {
            return it.boolean(s, false);
        }
        let pair = it.pair(rest, name)?;
        let item = it.heap.load(s, pair, 0)?;
        let key = match search {
            Search::Member => item,
            Search::Assoc => {
                let entry = it.pair(item, name)?;
                it.heap.load(s, entry, 0)?
            }
        };
        let same = if structural {
            equal(it, args[0], key)?
        } else {
            eqv(it, args[0], key)?
        };
        if same {
            return Ok(if search == Search::Member { rest } else { item });
        }
        rest = it.heap.load(s, pair, 1)?;
    }
}

fn append<'s, C: Collector>(
    it: &mut Interp<C>,
    s: &mut HandleScope<'s>,
    args: &[Value<'s>],
) -> Result<Value<'s>> {
    let Some((&last, init)) = args.split_last() else {
        return Ok(Value::Null);
    };
    let mut result = last;
    for &list in init.iter().rev() {
        let items = it.list_items(s, list, "append")?;
        result = it.list_with_tail(s, &items, result)?;
    }
    Ok(result)
}

fn list_tail<'s, C: Collector>(
    it: &mut Interp<C>,
    s: &mut HandleScope<'s>,
    list: Value<'s>,
    k: Value<'s>,
    name: &str,
) -> Result<Value<'s>> {
    let k = count(it, k, name)?;
    let mut rest = list;
    for _ in 0..k {
        let pair = it
            .pair(rest, name)
            .map_err(|_| Error::runtime(format!("{name}: list too short")))?;
        rest = it.heap.load(s, pair, 1)?;
    }
    Ok(rest)
}

fn string<'s, C: Collector>(
    it: &Interp<C>,
    value: Value<'s>,
    procedure: &str,
) -> Result<Local<'s>> {
    object(it, value, Kind::String, procedure, "a string")
}

pub(super) fn chars<C: Collector>(
    it: &Interp<C>,
    value: Value<'_>,
    procedure: &str,
) -> Result<Vec<char>> {
    let local = string(it, value, procedure)?;
    it.string_chars(local)
}

fn char_arg<C: Collector>(it: &Interp<C>, value: Value<'_>, procedure: &str) -> Result<char> {
    let local = object(it, value, Kind::Char, procedure, "a character")?;
    it.char_of(local)
}

/// A character folded as `char-foldcase` does (simple case folding: to lower case).
fn fold(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

fn folded_chars<C: Collector>(
    it: &Interp<C>,
    value: Value<'_>,
    procedure: &str,
) -> Result<Vec<char>> {
    Ok(chars(it, value, procedure)?.into_iter().map(fold).collect())
}

fn folded_char<C: Collector>(it: &Interp<C>, value: Value<'_>, procedure: &str) -> Result<char> {
    Ok(fold(char_arg(it, value, procedure)?))
}

/// Comparison primitives of any number of arguments: `(name ordering-test reader)`.
macro_rules! comparisons {
    ($(($name:literal $holds:ident $read:ident)),*) => {
        [$(ranged($name, 1, None, |it, s, a| {
            compare_all(it, s, a, $name, |o| o.$holds(), $read)
        })),*]
    };
}

/// `string<?`, `char=?` and friends: whether `holds` of the ordering of every two neighbours
/// of `args`, each read with `read`.
fn compare_all<'s, C: Collector, T: Ord>(
    it: &mut Interp<C>,
    s: &mut HandleScope<'s>,
    args: &[Value<'s>],
    name: &str,
    holds: fn(std::cmp::Ordering) -> bool,
    read: fn(&Interp<C>, Value<'_>, &str) -> Result<T>,
) -> Result<Value<'s>> {
    let mut all = true;
    for pair in args.windows(2) {
        all &= holds(read(it, pair[0], name)?.cmp(&read(it, pair[1], name)?));
    }
    it.boolean(s, all)
}

fn vector_to_list<'s, C: Collector>(
    it: &mut Interp<C>,
    s: &mut HandleScope<'s>,
    args: &[Value<'s>],
) -> Result<Value<'s>> {
    let vector = object(it, args[0], Kind::Vector, "vector->list", "a vector")?;
    let len = it.slot_count(vector)?;
    let start = match args.get(1) {
        Some(&v) => count(it, v, "vector->list")?.min(len),
        None => 0,
    };
    let end = match args.get(2) {
        Some(&v) => count(it, v, "vector->list")?.min(len),
        None => len,
    };
    let mut items = Vec::new();
    for k in start..end {
        items.push(it.heap.load(s, vector, k)?);
    }
    it.list(s, &items)
}

fn make_vector<'s, C: Collector>(
    it: &mut Interp<C>,
    s: &mut HandleScope<'s>,
    args: &[Value<'s>],
) -> Result<Value<'s>> {
    let n = count(it, args[0], "make-vector")?;
    let vector = it.heap.allocate(s, it.types.vector, n, 0)?;
    let fill = match args.get(1) {
        Some(&fill) => fill,
        None => it.boolean(s, false)?,
    };
    if fill != Value::Null {
        for k in 0..n {
            it.heap.store(vector, k, fill)?;
        }
    }
    Ok(Value::Ref(vector))
}

fn substring<'s, C: Collector>(
    it: &mut Interp<C>,
    s: &mut HandleScope<'s>,
    args: &[Value<'s>],
    name: &str,
) -> Result<Value<'s>> {
    let text = chars(it, args[0], name)?;
    let (start, end) = span(it, &args[1..], text.len() as u64, name)?;
    let piece: String = text[start as usize..end as usize].iter().collect();
    it.make_string(s, &piece)
}

/// The `c[ad]+r` primitives of the given paths (`"ad"` is `cadr`).
macro_rules! cxrs {
    ($($path:literal),*) => {
        [$(fixed(concat!("c", $path, "r"), 1, |it, s, a| {
            cxr(it, s, a[0], $path, concat!("c", $path, "r"))
        })),*]
    };
}

pub(super) fn primitives<C: Collector>() -> Vec<Primitive<C>> {
    // All 28 of R7RS's `(scheme cxr)` and `(scheme base)`, two to four levels deep.
    let mut all = Vec::from(cxrs!(
        "aa", "ad", "da", "dd", "aaa", "aad", "ada", "add", "daa", "dad", "dda", "ddd", "aaaa",
        "aaad", "aada", "aadd", "adaa", "adad", "adda", "addd", "daaa", "daad", "dada", "dadd",
        "ddaa", "ddad", "ddda", "dddd"
    ));
    all.extend(comparisons!(
        ("string=?" is_eq chars),
        ("string<?" is_lt chars),
        ("string>?" is_gt chars),
        ("string<=?" is_le chars),
        ("string>=?" is_ge chars),
        ("string-ci=?" is_eq folded_chars),
        ("string-ci<?" is_lt folded_chars),
        ("string-ci>?" is_gt folded_chars),
        ("string-ci<=?" is_le folded_chars),
        ("string-ci>=?" is_ge folded_chars),
        ("char=?" is_eq char_arg),
        ("char<?" is_lt char_arg),
        ("char>?" is_gt char_arg),
        ("char<=?" is_le char_arg),
        ("char>=?" is_ge char_arg),
        ("char-ci=?" is_eq folded_char),
        ("char-ci<?" is_lt folded_char),
        ("char-ci>?" is_gt folded_char),
        ("char-ci<=?" is_le folded_char),
        ("char-ci>=?" is_ge folded_char)
    ));
    all.extend([
        fixed("cons", 2, |it, s, a| it.cons(s, a[0], a[1])),
        fixed("%cons", 2, |it, s, a| it.cons(s, a[0], a[1])),
        fixed("car", 1, |it, s, a| it.car(s, a[0])),
        fixed("cdr", 1, |it, s, a| it.cdr(s, a[0])),
        fixed("set-car!", 2, |it, s, a| {
            let pair = it.pair(a[0], "set-car!")?;
            it.heap.store(pair, 0, a[1])?;
            it.unspecified(s)
        }),
        fixed("set-cdr!", 2, |it, s, a| {
            let pair = it.pair(a[0], "set-cdr!")?;
            it.heap.store(pair, 1, a[1])?;
            it.unspecified(s)
        }),
        ranged("list", 0, None, |it, s, a| it.list(s, a)),
        ranged("%list", 0, None, |it, s, a| it.list(s, a)),
        ranged("cons*", 1, None, |it, s, a| {
            let (&last, init) = a
                .split_last()
                .ok_or_else(|| Error::runtime("cons*: no arguments"))?;
            it.list_with_tail(s, init, last)
        }),
        fixed("length", 1, |it, s, a| {
            let n = length(it, a[0])?;
            it.make_int(s, n)
        }),
        ranged("append", 0, None, append),
        ranged("%append", 0, None, append),
        fixed("reverse", 1, |it, s, a| {
            let mut items = it.list_items(s, a[0], "reverse")?;
            items.reverse();
            it.list(s, &items)
        }),
        fixed("list-tail", 2, |it, s, a| {
            list_tail(it, s, a[0], a[1], "list-tail")
        }),
        fixed("list-ref", 2, |it, s, a| {
            let tail = list_tail(it, s, a[0], a[1], "list-ref")?;
            it.car(s, tail)
        }),
        fixed("list-set!", 3, |it, s, a| {
            let tail = list_tail(it, s, a[0], a[1], "list-set!")?;
            let pair = it.pair(tail, "list-set!")?;
            it.heap.store(pair, 0, a[2])?;
            it.unspecified(s)
        }),
        fixed("list-copy", 1, |it, s, a| {
            let items = it.list_items(s, a[0], "list-copy")?;
            it.list(s, &items)
        }),
        fixed("last-pair", 1, |it, s, a| {
            let mut pair = it.pair(a[0], "last-pair")?;
            while let Value::Ref(next) = it.heap.load(s, pair, 1)? {
                if it.heap.type_of(next)? != it.types.pair {
                    break;
                }
                pair = next;
            }
            Ok(Value::Ref(pair))
        }),
        fixed("memq", 2, |it, s, a| {
            search(it, s, a, Search::Member, false, "memq")
        }),
        fixed("memv", 2, |it, s, a| {
            search(it, s, a, Search::Member, false, "memv")
        }),
        fixed("%memv", 2, |it, s, a| {
            search(it, s, a, Search::Member, false, "memv")
        }),
        fixed("member", 2, |it, s, a| {
            search(it, s, a, Search::Member, true, "member")
        }),
        fixed("assq", 2, |it, s, a| {
            search(it, s, a, Search::Assoc, false, "assq")
        }),
        fixed("assv", 2, |it, s, a| {
            search(it, s, a, Search::Assoc, false, "assv")
        }),
        fixed("assoc", 2, |it, s, a| {
            search(it, s, a, Search::Assoc, true, "assoc")
        }),
        fixed("null?", 1, |it, s, a| it.boolean(s, a[0] == Value::Null)),
        fixed("pair?", 1, |it, s, a| is(it, s, a[0], Kind::Pair)),
        fixed("list?", 1, |it, s, a| {
            let proper = length(it, a[0]).is_ok();
            it.boolean(s, proper)
        }),
        fixed("vector?", 1, |it, s, a| is(it, s, a[0], Kind::Vector)),
        fixed("string?", 1, |it, s, a| is(it, s, a[0], Kind::String)),
        fixed("symbol?", 1, |it, s, a| is(it, s, a[0], Kind::Symbol)),
        fixed("char?", 1, |it, s, a| is(it, s, a[0], Kind::Char)),
        fixed("boolean?", 1, |it, s, a| {
            let kind = it.kind(a[0])?;
            it.boolean(s, kind == Kind::True || kind == Kind::False)
        }),
        fixed("procedure?", 1, |it, s, a| {
            let kind = it.kind(a[0])?;
            it.boolean(
                s,
                matches!(kind, Kind::Closure | Kind::Primitive | Kind::Continuation),
            )
        }),
        fixed("not", 1, |it, s, a| {
            let truth = it.truthy(a[0])?;
            it.boolean(s, !truth)
        }),
        fixed("eq?", 2, |it, s, a| {
            let same = eqv(it, a[0], a[1])?;
            it.boolean(s, same)
        }),
        fixed("eqv?", 2, |it, s, a| {
            let same = eqv(it, a[0], a[1])?;
            it.boolean(s, same)
        }),
        fixed("equal?", 2, |it, s, a| {
            let same = equal(it, a[0], a[1])?;
            it.boolean(s, same)
        }),
        ranged("boolean=?", 2, None, |it, s, a| {
            let mut all = true;
            for pair in a.windows(2) {
                all &= eqv(it, pair[0], pair[1])?;
            }
            it.boolean(s, all)
        }),
        ranged("symbol=?", 2, None, |it, s, a| {
            let mut all = true;
            for pair in a.windows(2) {
                all &= eqv(it, pair[0], pair[1])?;
            }
            it.boolean(s, all)
        }),
        // Vectors.
        ranged("make-vector", 1, Some(2), make_vector),
        ranged("vector", 0, None, |it, s, a| {
            Ok(Value::Ref(it.object_of(s, it.types.vector, a)?))
        }),
        fixed("vector-length", 1, |it, s, a| {
            let vector = object(it, a[0], Kind::Vector, "vector-length", "a vector")?;
            let n = it.slot_count(vector)?;
            it.make_int(s, n as i64)
        }),
        fixed("vector-ref", 2, |it, s, a| {
            let vector = object(it, a[0], Kind::Vector, "vector-ref", "a vector")?;
            let k = index(it, a[1], it.slot_count(vector)?, "vector-ref")?;
            Ok(it.heap.load(s, vector, k)?)
        }),
        fixed("vector-set!", 3, |it, s, a| {
            let vector = object(it, a[0], Kind::Vector, "vector-set!", "a vector")?;
            let k = index(it, a[1], it.slot_count(vector)?, "vector-set!")?;
            it.heap.store(vector, k, a[2])?;
            it.unspecified(s)
        }),
        ranged("vector->list", 1, Some(3), vector_to_list),
        fixed("list->vector", 1, |it, s, a| {
            let items = it.list_items(s, a[0], "list->vector")?;
            Ok(Value::Ref(it.object_of(s, it.types.vector, &items)?))
        }),
        fixed("%list->vector", 1, |it, s, a| {
            let items = it.list_items(s, a[0], "list->vector")?;
            Ok(Value::Ref(it.object_of(s, it.types.vector, &items)?))
        }),
        fixed("vector-fill!", 2, |it, s, a| {
            let vector = object(it, a[0], Kind::Vector, "vector-fill!", "a vector")?;
            for k in 0..it.slot_count(vector)? {
                it.heap.store(vector, k, a[1])?;
            }
            it.unspecified(s)
        }),
        ranged("vector-copy", 1, Some(3), |it, s, a| {
            let items = vector_to_list(it, s, a)?;
            let items = it.list_items(s, items, "vector-copy")?;
            Ok(Value::Ref(it.object_of(s, it.types.vector, &items)?))
        }),
        // Strings, symbols, characters.
        fixed("string-length", 1, |it, s, a| {
            let local = string(it, a[0], "string-length")?;
            let n = it.heap.payload(local)?.len() / 4;
            it.make_int(s, n as i64)
        }),
        fixed("string-ref", 2, |it, s, a| {
            // One character read in place: strings are 4 bytes a character.
            let local = string(it, a[0], "string-ref")?;
            let payload = it.heap.payload(local)?;
            let k = index(it, a[1], (payload.len() / 4) as u64, "string-ref")? as usize;
            let code = crate::values::payload_u32(payload.get(k * 4..).unwrap_or_default())?;
            let c = char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER);
            it.make_char(s, c)
        }),
        fixed("string-set!", 3, |it, s, a| {
            let local = string(it, a[0], "string-set!")?;
            let len = (it.heap.payload(local)?.len() / 4) as u64;
            let k = index(it, a[1], len, "string-set!")? as usize;
            let c = char_arg(it, a[2], "string-set!")?;
            it.heap.payload_mut(local)?[k * 4..k * 4 + 4]
                .copy_from_slice(&u32::from(c).to_le_bytes());
            it.unspecified(s)
        }),
        ranged("make-string", 1, Some(2), |it, s, a| {
            let n = count(it, a[0], "make-string")?;
            // The largest object the heap takes holds fewer characters than this anyway.
            if n > 1 << 28 {
                return Err(Error::runtime(format!(
                    "make-string: {n} characters is too long"
                )));
            }
            let c = match a.get(1) {
                Some(&c) => char_arg(it, c, "make-string")?,
                None => ' ',
            };
            let text: String = std::iter::repeat_n(c, n as usize).collect();
            it.make_string(s, &text)
        }),
        ranged("string", 0, None, |it, s, a| {
            let mut text = String::new();
            for &c in a {
                text.push(char_arg(it, c, "string")?);
            }
            it.make_string(s, &text)
        }),
        ranged("substring", 2, Some(3), |it, s, a| {
            substring(it, s, a, "substring")
        }),
        ranged("string-copy", 1, Some(3), |it, s, a| {
            substring(it, s, a, "string-copy")
        }),
        ranged("string-append", 0, None, |it, s, a| {
            let mut text = String::new();
            for &piece in a {
                text.extend(chars(it, piece, "string-append")?);
            }
            it.make_string(s, &text)
        }),
        fixed("string->list", 1, |it, s, a| {
            let text = chars(it, a[0], "string->list")?;
            let mut items = Vec::with_capacity(text.len());
            for c in text {
                items.push(it.make_char(s, c)?);
            }
            it.list(s, &items)
        }),
        fixed("list->string", 1, |it, s, a| {
            let items = it.list_items(s, a[0], "list->string")?;
            let mut text = String::new();
            for item in items {
                text.push(char_arg(it, item, "list->string")?);
            }
            it.make_string(s, &text)
        }),
        fixed("string->symbol", 1, |it, s, a| {
            let name: String = chars(it, a[0], "string->symbol")?.into_iter().collect();
            it.intern(s, &name)
        }),
        fixed("symbol->string", 1, |it, s, a| {
            let symbol = object(it, a[0], Kind::Symbol, "symbol->string", "a symbol")?;
            let name = it.symbol_name(symbol)?;
            it.make_string(s, &name)
        }),
        fixed("char->integer", 1, |it, s, a| {
            let c = char_arg(it, a[0], "char->integer")?;
            it.make_int(s, i64::from(u32::from(c)))
        }),
        fixed("integer->char", 1, |it, s, a| {
            let n = count(it, a[0], "integer->char")?;
            let c = u32::try_from(n)
                .ok()
                .and_then(char::from_u32)
                .ok_or_else(|| Error::runtime(format!("integer->char: {n} is no character")))?;
            it.make_char(s, c)
        }),
        fixed("char-alphabetic?", 1, |it, s, a| {
            let c = char_arg(it, a[0], "char-alphabetic?")?;
            it.boolean(s, c.is_alphabetic())
        }),
        fixed("char-numeric?", 1, |it, s, a| {
            let c = char_arg(it, a[0], "char-numeric?")?;
            it.boolean(s, c.is_numeric())
        }),
        fixed("char-whitespace?", 1, |it, s, a| {
            let c = char_arg(it, a[0], "char-whitespace?")?;
            it.boolean(s, c.is_whitespace())
        }),
        fixed("char-upper-case?", 1, |it, s, a| {
            let c = char_arg(it, a[0], "char-upper-case?")?;
            it.boolean(s, c.is_uppercase())
        }),
        fixed("char-lower-case?", 1, |it, s, a| {
            let c = char_arg(it, a[0], "char-lower-case?")?;
            it.boolean(s, c.is_lowercase())
        }),
        fixed("digit-value", 1, |it, s, a| {
            let c = char_arg(it, a[0], "digit-value")?;
            match c.to_digit(10) {
                Some(d) => it.make_int(s, i64::from(d)),
                None => it.boolean(s, false),
            }
        }),
        fixed("symbol<?", 2, |it, s, a| {
            let x = object(it, a[0], Kind::Symbol, "symbol<?", "a symbol")?;
            let y = object(it, a[1], Kind::Symbol, "symbol<?", "a symbol")?;
            let less = it.symbol_name(x)? < it.symbol_name(y)?;
            it.boolean(s, less)
        }),
        fixed("string->vector", 1, |it, s, a| {
            let text = chars(it, a[0], "string->vector")?;
            let mut items = Vec::with_capacity(text.len());
            for c in text {
                items.push(it.make_char(s, c)?);
            }
            Ok(Value::Ref(it.object_of(s, it.types.vector, &items)?))
        }),
        fixed("vector->string", 1, |it, s, a| {
            let vector = object(it, a[0], Kind::Vector, "vector->string", "a vector")?;
            let mut text = String::new();
            for k in 0..it.slot_count(vector)? {
                let item = it.heap.load(s, vector, k)?;
                text.push(char_arg(it, item, "vector->string")?);
            }
            it.make_string(s, &text)
        }),
        fixed("string-fill!", 2, |it, s, a| {
            let local = string(it, a[0], "string-fill!")?;
            let c = char_arg(it, a[1], "string-fill!")?;
            for chunk in it.heap.payload_mut(local)?.chunks_exact_mut(4) {
                chunk.copy_from_slice(&u32::from(c).to_le_bytes());
            }
            it.unspecified(s)
        }),
        fixed("char-upcase", 1, |it, s, a| {
            let c = char_arg(it, a[0], "char-upcase")?;
            it.make_char(s, c.to_uppercase().next().unwrap_or(c))
        }),
        fixed("char-downcase", 1, |it, s, a| {
            let c = char_arg(it, a[0], "char-downcase")?;
            it.make_char(s, c.to_lowercase().next().unwrap_or(c))
        }),
        fixed("char-foldcase", 1, |it, s, a| {
            let c = folded_char(it, a[0], "char-foldcase")?;
            it.make_char(s, c)
        }),
        fixed("string-upcase", 1, |it, s, a| {
            let text: String = chars(it, a[0], "string-upcase")?.into_iter().collect();
            it.make_string(s, &text.to_uppercase())
        }),
        fixed("string-downcase", 1, |it, s, a| {
            let text: String = chars(it, a[0], "string-downcase")?.into_iter().collect();
            it.make_string(s, &text.to_lowercase())
        }),
        fixed("string-foldcase", 1, |it, s, a| {
            let text: String = folded_chars(it, a[0], "string-foldcase")?
                .into_iter()
                .collect();
            it.make_string(s, &text)
        }),
        ranged("make-list", 1, Some(2), |it, s, a| {
            let n = count(it, a[0], "make-list")?;
            let fill = match a.get(1) {
                Some(&fill) => fill,
                None => it.unspecified(s)?,
            };
            let mut list = Value::Null;
            for _ in 0..n {
                list = it.cons(s, fill, list)?;
            }
            Ok(list)
        }),
        ranged("vector-append", 0, None, |it, s, a| {
            let mut items = Vec::new();
            for &vector in a {
                let vector = object(it, vector, Kind::Vector, "vector-append", "a vector")?;
                for k in 0..it.slot_count(vector)? {
                    items.push(it.heap.load(s, vector, k)?);
                }
            }
            Ok(Value::Ref(it.object_of(s, it.types.vector, &items)?))
        }),
        ranged("vector-copy!", 3, Some(5), |it, s, a| {
            let to = object(it, a[0], Kind::Vector, "vector-copy!", "a vector")?;
            let from = object(it, a[2], Kind::Vector, "vector-copy!", "a vector")?;
            let (start, end) = span(it, &a[3..], it.slot_count(from)?, "vector-copy!")?;
            let at = copy_target(it, a[1], it.slot_count(to)?, end - start, "vector-copy!")?;
            // Read all first: `to` and `from` may be one vector, the ranges overlapping.
            let mut items = Vec::new();
            for k in start..end {
                items.push(it.heap.load(s, from, k)?);
            }
            for (k, item) in (at..).zip(items) {
                it.heap.store(to, k, item)?;
            }
            it.unspecified(s)
        }),
        ranged("string-copy!", 3, Some(5), |it, s, a| {
            let to = string(it, a[0], "string-copy!")?;
            let text = chars(it, a[2], "string-copy!")?;
            let (start, end) = span(it, &a[3..], text.len() as u64, "string-copy!")?;
            let to_len = (it.heap.payload(to)?.len() / 4) as u64;
            let at = copy_target(it, a[1], to_len, end - start, "string-copy!")? as usize;
            let payload = it.heap.payload_mut(to)?;
            for (k, &c) in (at..).zip(&text[start as usize..end as usize]) {
                payload[k * 4..k * 4 + 4].copy_from_slice(&u32::from(c).to_le_bytes());
            }
            it.unspecified(s)
        }),
    ]);
    all
}
