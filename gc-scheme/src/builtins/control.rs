//! Control: application (`apply`, `map`, `for-each`), continuations, multiple values,
//! `dynamic-wind`, errors, records and promises.

use gclab::{Collector, HandleScope, Value};

use super::{Primitive, fixed, ranged};
use crate::errors::{Error, ErrorKind, Result};
use crate::machine::Interp;
use crate::values::Kind;

/// The lists' elements, column by column (`map` over several lists stops at the shortest).
fn columns<'s, C: Collector>(
    it: &Interp<C>,
    s: &mut HandleScope<'s>,
    lists: &[Value<'s>],
    name: &str,
) -> Result<Vec<Vec<Value<'s>>>> {
    let mut per_list = Vec::with_capacity(lists.len());
    for &list in lists {
        per_list.push(match it.kind(list)? {
            Kind::Vector => {
                let Value::Ref(vector) = list else {
                    return Err(Error::runtime("internal error: a vector that is no object"));
                };
                let mut items = Vec::new();
                for k in 0..it.slot_count(vector)? {
                    items.push(it.heap.load(s, vector, k)?);
                }
                items
            }
            _ => it.list_items(s, list, name)?,
        });
    }
    let rows = per_list.iter().map(Vec::len).min().unwrap_or(0);
    Ok((0..rows)
        .map(|row| per_list.iter().map(|items| items[row]).collect())
        .collect())
}

fn map<'s, C: Collector>(
    it: &mut Interp<C>,
    s: &mut HandleScope<'s>,
    a: &[Value<'s>],
    name: &str,
) -> Result<Vec<Value<'s>>> {
    let rows = columns(it, s, &a[1..], name)?;
    let mut results = Vec::with_capacity(rows.len());
    for row in rows {
        results.push(it.apply(s, a[0], &row)?);
    }
    Ok(results)
}

fn for_each<'s, C: Collector>(
    it: &mut Interp<C>,
    s: &mut HandleScope<'s>,
    a: &[Value<'s>],
    name: &str,
) -> Result<Value<'s>> {
    let rows = columns(it, s, &a[1..], name)?;
    for row in rows {
        // Each call's locals go with its scope: a long list takes no more roots.
        s.scope(|i| -> Result<()> {
            let function = it.reroot(i, a[0])?;
            let args = row
                .iter()
                .map(|&v| it.reroot(i, v))
                .collect::<Result<Vec<_>>>()?;
            it.apply(i, function, &args)?;
            Ok(())
        })?;
    }
    it.unspecified(s)
}

/// `(error message irritant ...)`: the message displayed, the irritants written.
fn error_message<C: Collector>(it: &Interp<C>, a: &[Value<'_>]) -> String {
    let mut parts = Vec::new();
    for (k, &value) in a.iter().enumerate() {
        let kind = it.kind(value).unwrap_or(Kind::Internal);
        if k == 0 && kind == Kind::False {
            continue;
        }
        let write =
            !(k == 0 || kind == Kind::String && k == 1 && it.kind(a[0]).ok() == Some(Kind::Symbol));
        parts.push(it.print(value, write));
    }
    parts.join(" ")
}

fn spread<'s, C: Collector>(
    it: &Interp<C>,
    s: &mut HandleScope<'s>,
    value: Value<'s>,
) -> Result<Vec<Value<'s>>> {
    match value {
        Value::Ref(object) if it.kind(value)? == Kind::Values => {
            let mut items = Vec::new();
            for k in 0..it.slot_count(object)? {
                items.push(it.heap.load(s, object, k)?);
            }
            Ok(items)
        }
        other => Ok(vec![other]),
    }
}

fn record_check<C: Collector>(it: &Interp<C>, record: Value<'_>, rtd: Value<'_>) -> Result<bool> {
    let (Value::Ref(record), Value::Ref(rtd)) = (record, rtd) else {
        return Ok(false);
    };
    Ok(it.heap.type_of(record)? == it.types.record && it.heap.slot_refers_to(record, 0, rtd)?)
}

fn record_field<C: Collector>(it: &Interp<C>, a: &[Value<'_>], name: &str) -> Result<u64> {
    if !record_check(it, a[0], a[1])? {
        let type_name = match a[1] {
            Value::Ref(rtd) => it.heap.handle_scopes().enter(|s| -> Result<String> {
                let name = it.heap.load(s, rtd, 0)?;
                Ok(it.print(name, false))
            })?,
            _ => "record".into(),
        };
        return Err(Error::runtime(format!(
            "wrong type: {name} expects a record of type {type_name}, got {}",
            it.show(a[0])
        )));
    }
    match a[2] {
        Value::Smi(k) if k >= 0 => Ok(k as u64 + 1),
        _ => Err(Error::runtime("internal error: bad record field")),
    }
}

pub(super) fn primitives<C: Collector>() -> Vec<Primitive<C>> {
    vec![
        ranged("apply", 2, None, |it, s, a| {
            let (&last, init) = a
                .split_last()
                .ok_or_else(|| Error::runtime("apply: no arguments"))?;
            let mut args = init.get(1..).unwrap_or_default().to_vec();
            args.extend(it.list_items(s, last, "apply")?);
            it.apply(s, a[0], &args)
        }),
        ranged("map", 2, None, |it, s, a| {
            let results = map(it, s, a, "map")?;
            it.list(s, &results)
        }),
        ranged("for-each", 2, None, |it, s, a| {
            for_each(it, s, a, "for-each")
        }),
        ranged("vector-map", 2, None, |it, s, a| {
            let results = map(it, s, a, "vector-map")?;
            Ok(Value::Ref(it.object_of(s, it.types.vector, &results)?))
        }),
        ranged("vector-for-each", 2, None, |it, s, a| {
            for_each(it, s, a, "vector-for-each")
        }),
        fixed("call-with-current-continuation", 1, |it, s, a| {
            it.call_cc(s, a[0])
        }),
        fixed("call/cc", 1, |it, s, a| it.call_cc(s, a[0])),
        ranged("values", 0, None, |it, s, a| match a {
            [one] => Ok(*one),
            _ => Ok(Value::Ref(it.object_of(s, it.types.values, a)?)),
        }),
        fixed("call-with-values", 2, |it, s, a| {
            let produced = it.apply(s, a[0], &[])?;
            let args = spread(it, s, produced)?;
            it.apply(s, a[1], &args)
        }),
        fixed("dynamic-wind", 3, |it, s, a| {
            it.apply(s, a[0], &[])?;
            let result = it.apply(s, a[1], &[]);
            it.apply(s, a[2], &[])?;
            result
        }),
        ranged("error", 0, None, |it, _s, a| {
            Err(Error::new(ErrorKind::User(error_message(it, a))))
        }),
        ranged("exit", 0, Some(1), |it, _s, a| {
            let code = match a.first() {
                None => 0,
                Some(Value::Smi(n)) => *n,
                Some(&v) => i32::from(!it.truthy(v)?),
            };
            Err(Error::new(ErrorKind::Exit(code)))
        }),
        fixed("%make-record-type", 2, |it, s, a| {
            Ok(Value::Ref(it.object_of(s, it.types.record_type, a)?))
        }),
        ranged("%make-record", 1, None, |it, s, a| {
            Ok(Value::Ref(it.object_of(s, it.types.record, a)?))
        }),
        fixed("%record?", 2, |it, s, a| {
            let yes = record_check(it, a[0], a[1])?;
            it.boolean(s, yes)
        }),
        fixed("%record-ref", 3, |it, s, a| {
            let slot = record_field(it, a, "record accessor")?;
            let Value::Ref(record) = a[0] else {
                return Err(Error::runtime("internal error: record"));
            };
            Ok(it.heap.load(s, record, slot)?)
        }),
        fixed("%record-set!", 4, |it, s, a| {
            let slot = record_field(it, a, "record modifier")?;
            let Value::Ref(record) = a[0] else {
                return Err(Error::runtime("internal error: record"));
            };
            it.heap.store(record, slot, a[3])?;
            it.unspecified(s)
        }),
        fixed("%case-lambda-apply", 2, |it, s, a| {
            let clauses = it.list_items(s, a[0], "case-lambda")?;
            let args = it.list_items(s, a[1], "case-lambda")?;
            for clause in clauses {
                let Value::Ref(closure) = clause else {
                    continue;
                };
                let code = it.closure_code(closure)?;
                if args.len() == code.required || (code.rest && args.len() > code.required) {
                    return it.apply(s, clause, &args);
                }
            }
            Err(crate::machine::arity_error(
                "case-lambda",
                "one of its clauses' counts".into(),
                args.len(),
            ))
        }),
        fixed("string-for-each", 2, |it, s, a| {
            let Value::Ref(text) = a[1] else {
                return Err(it.wrong_type("string-for-each", "a string", a[1]));
            };
            if it.kind(a[1])? != Kind::String {
                return Err(it.wrong_type("string-for-each", "a string", a[1]));
            }
            for c in it.string_chars(text)? {
                s.scope(|i| -> Result<()> {
                    let function = it.reroot(i, a[0])?;
                    let c = it.make_char(i, c)?;
                    it.apply(i, function, &[c])?;
                    Ok(())
                })?;
            }
            it.unspecified(s)
        }),
        fixed("string-map", 2, |it, s, a| {
            let Value::Ref(text) = a[1] else {
                return Err(it.wrong_type("string-map", "a string", a[1]));
            };
            if it.kind(a[1])? != Kind::String {
                return Err(it.wrong_type("string-map", "a string", a[1]));
            }
            let mut out = String::new();
            for c in it.string_chars(text)? {
                let c = it.make_char(s, c)?;
                let mapped = it.apply(s, a[0], &[c])?;
                match mapped {
                    Value::Ref(local) if it.kind(mapped)? == Kind::Char => {
                        out.push(it.char_of(local)?)
                    }
                    other => {
                        return Err(it.wrong_type(
                            "string-map",
                            "a procedure returning characters",
                            other,
                        ));
                    }
                }
            }
            it.make_string(s, &out)
        }),
        fixed("%make-promise", 1, |it, s, a| {
            let done = it.boolean(s, false)?;
            Ok(Value::Ref(it.object_of(
                s,
                it.types.promise,
                &[a[0], done],
            )?))
        }),
        fixed("force", 1, |it, s, a| {
            let Value::Ref(promise) = a[0] else {
                return Ok(a[0]);
            };
            if it.heap.type_of(promise)? != it.types.promise {
                return Ok(a[0]);
            }
            let done = it.heap.load(s, promise, 1)?;
            if it.truthy(done)? {
                return Ok(it.heap.load(s, promise, 0)?);
            }
            let thunk = it.heap.load(s, promise, 0)?;
            let value = it.apply(s, thunk, &[])?;
            it.heap.store(promise, 0, value)?;
            let done = it.boolean(s, true)?;
            it.heap.store(promise, 1, done)?;
            Ok(value)
        }),
    ]
}
