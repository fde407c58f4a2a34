//! The printer: values as `display` and `write` show them.
//!
//! It reads the heap through locals of a scope of its own, closed before it returns, so
//! printing allocates nothing and keeps no root. Output stops after a bound, so a circular
//! structure prints as a truncated one instead of looping.

use gclab::{Collector, HandleScope, Value};

use crate::errors::Result;
use crate::machine::Interp;
use crate::values::{Kind, Num};

/// The longest text `show` gives a value in an error message.
const SHOW_LIMIT: usize = 200;
/// The longest text `display` and `write` give a value (a bound against circular data).
const PRINT_LIMIT: usize = 64 * 1024 * 1024;
/// The deepest nesting printed (a bound against data circular through cars, and the stack).
const DEPTH_LIMIT: usize = 100_000;

/// A flonum as Scheme writes it: always with a decimal point or an exponent.
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        return "+nan.0".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+inf.0".into()
        } else {
            "-inf.0".into()
        };
    }
    let magnitude = f.abs();
    if magnitude != 0.0 && !(1e-7..1e16).contains(&magnitude) {
        return format!("{f:e}");
    }
    if f.fract() == 0.0 {
        return format!("{f:.1}");
    }
    format!("{f}")
}

pub fn format_num(n: Num) -> String {
    match n {
        Num::Int(n) => n.to_string(),
        Num::Flo(f) => format_float(f),
    }
}

fn char_name(c: char) -> String {
    match c {
        ' ' => "space".into(),
        '\n' => "newline".into(),
        '\t' => "tab".into(),
        '\r' => "return".into(),
        '\0' => "null".into(),
        '\u{7}' => "alarm".into(),
        '\u{8}' => "backspace".into(),
        '\u{7f}' => "delete".into(),
        '\u{1b}' => "escape".into(),
        c if c.is_control() => format!("x{:x}", u32::from(c)),
        c => c.to_string(),
    }
}

fn write_string(out: &mut String, chars: &[char]) {
    out.push('"');
    for &c in chars {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
}

impl<C: Collector> Interp<C> {
    /// `value` as `write` shows it, shortened for an error message.
    pub fn show(&self, value: Value<'_>) -> String {
        let mut text = self.print_bounded(value, true, SHOW_LIMIT);
        if text.len() > SHOW_LIMIT {
            let cut = (0..=SHOW_LIMIT)
                .rev()
                .find(|&i| text.is_char_boundary(i))
                .unwrap_or(0);
            text.truncate(cut);
            text.push_str(" ...");
        }
        text
    }

    /// `value` as `display` (`write` false) or `write` shows it.
    pub fn print(&self, value: Value<'_>, write: bool) -> String {
        self.print_bounded(value, write, PRINT_LIMIT)
    }

    fn print_bounded(&self, value: Value<'_>, write: bool, limit: usize) -> String {
        let mut out = String::new();
        let scopes = self.heap.handle_scopes();
        let printed = scopes.enter(|s| self.print_into(s, value, write, (limit, 0), &mut out));
        if let Err(error) = printed {
            out.push_str(&format!("#<unprintable: {error}>"));
        }
        out
    }

    fn print_into<'s>(
        &self,
        s: &mut HandleScope<'s>,
        value: Value<'_>,
        write: bool,
        (limit, depth): (usize, usize),
        out: &mut String,
    ) -> Result<()> {
        if out.len() > limit {
            return Ok(());
        }
        if depth > DEPTH_LIMIT {
            out.push_str("...");
            return Ok(());
        }
        let limit = (limit, depth + 1);
        let kind = self.kind(value)?;
        let Value::Ref(local) = value else {
            match value {
                Value::Smi(n) => out.push_str(&n.to_string()),
                _ => out.push_str("()"),
            }
            return Ok(());
        };
        match kind {
            Kind::Pair => return self.print_list(s, value, write, limit, out),
            Kind::Vector | Kind::Values => {
                out.push_str(if kind == Kind::Vector {
                    "#("
                } else {
                    "#<values "
                });
                for index in 0..self.slot_count(local)? {
                    if index > 0 {
                        out.push(' ');
                    }
                    let item = self.heap.load(s, local, index)?;
                    self.print_into(s, item, write, limit, out)?;
                    if out.len() > limit.0 {
                        break;
                    }
                }
                out.push_str(if kind == Kind::Vector { ")" } else { ">" });
            }
            Kind::Flonum | Kind::Int64 => {
                if let Some(n) = self.num(value)? {
                    out.push_str(&format_num(n));
                }
            }
            Kind::String => {
                let chars = self.string_chars(local)?;
                if write {
                    write_string(out, &chars);
                } else {
                    out.extend(chars);
                }
            }
            Kind::Symbol => out.push_str(&self.symbol_name(local)?),
            Kind::Char => {
                let c = self.char_of(local)?;
                if write {
                    out.push_str("#\\");
                    out.push_str(&char_name(c));
                } else {
                    out.push(c);
                }
            }
            Kind::True => out.push_str("#t"),
            Kind::False => out.push_str("#f"),
            Kind::Unspecified => out.push_str("#<unspecified>"),
            Kind::Eof => out.push_str("#<eof>"),
            Kind::Closure => {
                let name = self.closure_code(local)?.name.clone();
                out.push_str(&format!("#<procedure {name}>"));
            }
            Kind::Primitive => out.push_str("#<primitive-procedure>"),
            Kind::Continuation => out.push_str("#<continuation>"),
            Kind::Record => {
                let rtd = self.heap.load(s, local, 0)?;
                let name = match rtd {
                    Value::Ref(rtd) => self.heap.load(s, rtd, 0)?,
                    other => other,
                };
                out.push_str("#<");
                self.print_into(s, name, false, limit, out)?;
                out.push('>');
            }
            Kind::RecordType => out.push_str("#<record-type>"),
            Kind::Promise => out.push_str("#<promise>"),
            Kind::Port => out.push_str("#<port>"),
            Kind::Env => out.push_str("#<environment>"),
            Kind::Nil | Kind::Fixnum | Kind::Internal => out.push_str("#<internal>"),
        }
        Ok(())
    }

    fn print_list<'s>(
        &self,
        s: &mut HandleScope<'s>,
        list: Value<'_>,
        write: bool,
        limit: (usize, usize),
        out: &mut String,
    ) -> Result<()> {
        out.push('(');
        s.scope(|i| -> Result<()> {
            let mut rest = list;
            let mut first = true;
            loop {
                let pair = match rest {
                    Value::Null => break,
                    Value::Ref(local) if self.kind(rest)? == Kind::Pair => local,
                    other => {
                        out.push_str(" . ");
                        self.print_into(i, other, write, limit, out)?;
                        break;
                    }
                };
                if !first {
                    out.push(' ');
                }
                first = false;
                let car = self.heap.load(i, pair, 0)?;
                self.print_into(i, car, write, limit, out)?;
                if out.len() > limit.0 {
                    break;
                }
                rest = self.heap.load(i, pair, 1)?;
            }
            Ok(())
        })?;
        out.push(')');
        Ok(())
    }
}
