//! Numbers: fixnums (SMIs, boxed 64-bit integers beyond the SMI range) and flonums.
//!
//! Integer arithmetic is exact until it overflows 64 bits, then inexact; `/` of integers gives
//! an integer when the division is exact and a flonum otherwise (no rationals).

use gclab::{Collector, HandleScope, Value};

use super::{Primitive, fixed, ranged};
use crate::errors::{Error, Result};
use crate::machine::Interp;
use crate::printer::format_num;
use crate::reader::{Datum, parse_number};
use crate::values::Num;

fn num<C: Collector>(it: &Interp<C>, value: Value<'_>, procedure: &str) -> Result<Num> {
    it.num(value)?
        .ok_or_else(|| it.wrong_type(procedure, "a number", value))
}

fn int<C: Collector>(it: &Interp<C>, value: Value<'_>, procedure: &str) -> Result<i64> {
    match it.num(value)? {
        Some(Num::Int(n)) => Ok(n),
        Some(Num::Flo(f)) if f.fract() == 0.0 && f.abs() < 9.0e18 => Ok(f as i64),
        _ => Err(it.wrong_type(procedure, "an integer", value)),
    }
}

/// Whether `value` is an inexact number (so integer results of it stay inexact).
fn inexact<C: Collector>(it: &Interp<C>, value: Value<'_>) -> Result<bool> {
    Ok(matches!(it.num(value)?, Some(Num::Flo(_))))
}

#[derive(Copy, Clone)]
enum Op {
    Add,
    Sub,
    Mul,
}

fn combine(op: Op, x: Num, y: Num) -> Num {
    match (x, y) {
        (Num::Int(a), Num::Int(b)) => {
            let exact = match op {
                Op::Add => a.checked_add(b),
                Op::Sub => a.checked_sub(b),
                Op::Mul => a.checked_mul(b),
            };
            exact.map_or_else(
                || combine(op, Num::Flo(a as f64), Num::Flo(b as f64)),
                Num::Int,
            )
        }
        _ => {
            let (a, b) = (x.to_f64(), y.to_f64());
            Num::Flo(match op {
                Op::Add => a + b,
                Op::Sub => a - b,
                Op::Mul => a * b,
            })
        }
    }
}

fn fold<'s, C: Collector>(
    it: &mut Interp<C>,
    s: &mut HandleScope<'s>,
    args: &[Value<'s>],
    op: Op,
    name: &str,
) -> Result<Value<'s>> {
    if let [Value::Smi(a), Value::Smi(b)] = args {
        let (a, b) = (i64::from(*a), i64::from(*b));
        let n = match op {
            Op::Add => a + b,
            Op::Sub => a - b,
            Op::Mul => a * b,
        };
        return it.make_int(s, n);
    }
    let identity = match op {
        Op::Mul => Num::Int(1),
        _ => Num::Int(0),
    };
    let result = match args {
        [] => identity,
        [only] if matches!(op, Op::Sub) => combine(op, identity, num(it, *only, name)?),
        [first, rest @ ..] => {
            let mut acc = num(it, *first, name)?;
            for &arg in rest {
                acc = combine(op, acc, num(it, arg, name)?);
            }
            acc
        }
    };
    it.make_num(s, result)
}

fn divide<'s, C: Collector>(
    it: &mut Interp<C>,
    s: &mut HandleScope<'s>,
    args: &[Value<'s>],
) -> Result<Value<'s>> {
    let (first, rest) = match args {
        [only] => (Num::Int(1), std::slice::from_ref(only)),
        [first, rest @ ..] => (num(it, *first, "/")?, rest),
        [] => return Err(Error::runtime("/ needs an argument")),
    };
    let mut acc = first;
    for &arg in rest {
        acc = match (acc, num(it, arg, "/")?) {
            (_, Num::Int(0)) => return Err(Error::runtime("division by zero")),
            (Num::Int(a), Num::Int(b)) if a % b == 0 => Num::Int(a / b),
            (a, b) => Num::Flo(a.to_f64() / b.to_f64()),
        };
    }
    it.make_num(s, acc)
}

fn compare<'s, C: Collector>(
    it: &mut Interp<C>,
    s: &mut HandleScope<'s>,
    args: &[Value<'s>],
    name: &str,
    holds: fn(std::cmp::Ordering) -> bool,
) -> Result<Value<'s>> {
    if let [Value::Smi(a), Value::Smi(b)] = args {
        return it.boolean(s, holds(a.cmp(b)));
    }
    let mut all = true;
    for pair in args.windows(2) {
        let (a, b) = (num(it, pair[0], name)?, num(it, pair[1], name)?);
        let ordering = match (a, b) {
            (Num::Int(a), Num::Int(b)) => Some(a.cmp(&b)),
            (a, b) => a.to_f64().partial_cmp(&b.to_f64()),
        };
        all &= ordering.is_some_and(holds);
    }
    if let Some(&last) = args.last() {
        num(it, last, name)?;
    }
    it.boolean(s, all)
}

/// `quotient`, `remainder` and `modulo`.
fn integer_division<'s, C: Collector>(
    it: &mut Interp<C>,
    s: &mut HandleScope<'s>,
    args: &[Value<'s>],
    name: &str,
    f: fn(i64, i64) -> i64,
) -> Result<Value<'s>> {
    let (a, b) = (int(it, args[0], name)?, int(it, args[1], name)?);
    if b == 0 {
        return Err(Error::runtime(format!("{name}: division by zero")));
    }
    let n = if a == i64::MIN && b == -1 { 0 } else { f(a, b) };
    if inexact(it, args[0])? || inexact(it, args[1])? {
        return it.make_float(s, n as f64);
    }
    it.make_int(s, n)
}

/// A unary function of flonums that leaves integers alone (`round`, `floor` ...).
fn rounding<'s, C: Collector>(
    it: &mut Interp<C>,
    s: &mut HandleScope<'s>,
    value: Value<'s>,
    name: &str,
    f: fn(f64) -> f64,
) -> Result<Value<'s>> {
    match num(it, value, name)? {
        Num::Int(_) => Ok(value),
        Num::Flo(x) => it.make_float(s, f(x)),
    }
}

fn predicate<'s, C: Collector>(
    it: &mut Interp<C>,
    s: &mut HandleScope<'s>,
    value: Value<'s>,
    name: &str,
    test: fn(Num) -> bool,
) -> Result<Value<'s>> {
    let n = num(it, value, name)?;
    it.boolean(s, test(n))
}

fn floor_div(a: i64, b: i64) -> (i64, i64) {
    let r = i64::rem_euclid_signed(a, b);
    ((a - r) / b, r)
}

/// `floor/` and `truncate/`: quotient and remainder as two values.
fn two_divisions<'s, C: Collector>(
    it: &mut Interp<C>,
    s: &mut HandleScope<'s>,
    args: &[Value<'s>],
    name: &str,
    f: fn(i64, i64) -> (i64, i64),
) -> Result<Value<'s>> {
    let (a, b) = (int(it, args[0], name)?, int(it, args[1], name)?);
    if b == 0 {
        return Err(Error::runtime(format!("{name}: division by zero")));
    }
    let (q, r) = f(a, b);
    let (q, r) = (it.make_int(s, q)?, it.make_int(s, r)?);
    Ok(Value::Ref(it.object_of(s, it.types.values, &[q, r])?))
}

fn expt(base: Num, power: Num) -> Num {
    match (base, power) {
        (Num::Int(b), Num::Int(p)) if p >= 0 => u32::try_from(p)
            .ok()
            .and_then(|p| b.checked_pow(p))
            .map_or_else(|| Num::Flo((b as f64).powf(p as f64)), Num::Int),
        (b, p) => Num::Flo(b.to_f64().powf(p.to_f64())),
    }
}

fn gcd(a: i64, b: i64) -> i64 {
    let (mut a, mut b) = (a.unsigned_abs(), b.unsigned_abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a as i64
}

fn extreme<'s, C: Collector>(
    it: &mut Interp<C>,
    s: &mut HandleScope<'s>,
    args: &[Value<'s>],
    name: &str,
    pick_max: bool,
) -> Result<Value<'s>> {
    let mut best = num(it, args[0], name)?;
    let mut any_inexact = matches!(best, Num::Flo(_));
    for &arg in &args[1..] {
        let n = num(it, arg, name)?;
        any_inexact |= matches!(n, Num::Flo(_));
        let greater = n.to_f64() > best.to_f64();
        if greater == pick_max && n.to_f64() != best.to_f64() {
            best = n;
        }
    }
    if any_inexact {
        return it.make_float(s, best.to_f64());
    }
    it.make_num(s, best)
}

fn to_exact(n: Num) -> Result<Num> {
    match n {
        Num::Flo(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Ok(Num::Int(f as i64)),
        Num::Flo(f) => Err(Error::runtime(format!(
            "exact: {} has no exact integer value (no rationals)",
            crate::printer::format_float(f)
        ))),
        n => Ok(n),
    }
}

fn number_to_string<'s, C: Collector>(
    it: &mut Interp<C>,
    s: &mut HandleScope<'s>,
    args: &[Value<'s>],
) -> Result<Value<'s>> {
    let n = num(it, args[0], "number->string")?;
    let radix = match args.get(1) {
        Some(&r) => int(it, r, "number->string")?,
        None => 10,
    };
    let text = match (n, radix) {
        (Num::Int(n), 2) => format!("{}{:b}", if n < 0 { "-" } else { "" }, n.unsigned_abs()),
        (Num::Int(n), 8) => format!("{}{:o}", if n < 0 { "-" } else { "" }, n.unsigned_abs()),
        (Num::Int(n), 16) => format!("{}{:x}", if n < 0 { "-" } else { "" }, n.unsigned_abs()),
        (n, _) => format_num(n),
    };
    it.make_string(s, &text)
}

fn string_to_number<'s, C: Collector>(
    it: &mut Interp<C>,
    s: &mut HandleScope<'s>,
    args: &[Value<'s>],
) -> Result<Value<'s>> {
    let text = match args[0] {
        Value::Ref(local) if it.kind(args[0])? == crate::values::Kind::String => {
            it.string_chars(local)?.into_iter().collect::<String>()
        }
        other => return Err(it.wrong_type("string->number", "a string", other)),
    };
    let radix = match args.get(1) {
        Some(&r) => int(it, r, "string->number")?,
        None => 10,
    };
    let prefixed = match radix {
        16 => format!("#x{text}"),
        8 => format!("#o{text}"),
        2 => format!("#b{text}"),
        _ => text,
    };
    match parse_number(&prefixed) {
        Some(Datum::Int(n)) => it.make_int(s, n),
        Some(Datum::Float(f)) => it.make_float(s, f),
        _ => it.boolean(s, false),
    }
}

/// Primitives of one number, as a flonum, giving a flonum: `(name f64::function)`.
macro_rules! float_functions {
    ($(($name:literal $function:path)),*) => {
        [$(fixed($name, 1, |it, s, a| {
            let f = $function(num(it, a[0], $name)?.to_f64());
            it.make_float(s, f)
        })),*]
    };
}

/// Predicates of one number, as a flonum: `(name f64::predicate)`.
macro_rules! float_predicates {
    ($(($name:literal $predicate:path)),*) => {
        [$(fixed($name, 1, |it, s, a| {
            let is = $predicate(num(it, a[0], $name)?.to_f64());
            it.boolean(s, is)
        })),*]
    };
}

pub(super) fn primitives<C: Collector>() -> Vec<Primitive<C>> {
    let mut all = Vec::from(float_functions!(
        ("exp" f64::exp),
        ("sin" f64::sin),
        ("cos" f64::cos),
        ("tan" f64::tan),
        ("asin" f64::asin),
        ("acos" f64::acos)
    ));
    all.extend(float_predicates!(
        ("nan?" f64::is_nan),
        ("finite?" f64::is_finite),
        ("infinite?" f64::is_infinite)
    ));
    all.extend([
        ranged("+", 0, None, |it, s, a| fold(it, s, a, Op::Add, "+")),
        ranged("-", 1, None, |it, s, a| fold(it, s, a, Op::Sub, "-")),
        ranged("*", 0, None, |it, s, a| fold(it, s, a, Op::Mul, "*")),
        ranged("/", 1, None, divide),
        ranged("=", 1, None, |it, s, a| {
            compare(it, s, a, "=", |o| o.is_eq())
        }),
        ranged("<", 1, None, |it, s, a| {
            compare(it, s, a, "<", |o| o.is_lt())
        }),
        ranged(">", 1, None, |it, s, a| {
            compare(it, s, a, ">", |o| o.is_gt())
        }),
        ranged("<=", 1, None, |it, s, a| {
            compare(it, s, a, "<=", |o| o.is_le())
        }),
        ranged(">=", 1, None, |it, s, a| {
            compare(it, s, a, ">=", |o| o.is_ge())
        }),
        fixed("quotient", 2, |it, s, a| {
            integer_division(it, s, a, "quotient", |a, b| a / b)
        }),
        fixed("remainder", 2, |it, s, a| {
            integer_division(it, s, a, "remainder", |a, b| a % b)
        }),
        fixed("modulo", 2, |it, s, a| {
            integer_division(it, s, a, "modulo", i64::rem_euclid_signed)
        }),
        fixed("zero?", 1, |it, s, a| {
            predicate(it, s, a[0], "zero?", |n| n.to_f64() == 0.0)
        }),
        fixed("positive?", 1, |it, s, a| {
            predicate(it, s, a[0], "positive?", |n| n.to_f64() > 0.0)
        }),
        fixed("negative?", 1, |it, s, a| {
            predicate(it, s, a[0], "negative?", |n| n.to_f64() < 0.0)
        }),
        fixed("odd?", 1, |it, s, a| {
            let n = int(it, a[0], "odd?")?;
            it.boolean(s, n % 2 != 0)
        }),
        fixed("even?", 1, |it, s, a| {
            let n = int(it, a[0], "even?")?;
            it.boolean(s, n % 2 == 0)
        }),
        fixed("number?", 1, |it, s, a| {
            let is = it.num(a[0])?.is_some();
            it.boolean(s, is)
        }),
        fixed("complex?", 1, |it, s, a| {
            let is = it.num(a[0])?.is_some();
            it.boolean(s, is)
        }),
        fixed("real?", 1, |it, s, a| {
            let is = it.num(a[0])?.is_some();
            it.boolean(s, is)
        }),
        fixed("rational?", 1, |it, s, a| {
            let is = it.num(a[0])?.is_some_and(|n| n.to_f64().is_finite());
            it.boolean(s, is)
        }),
        fixed("integer?", 1, |it, s, a| {
            let is = match it.num(a[0])? {
                Some(Num::Int(_)) => true,
                Some(Num::Flo(f)) => f.fract() == 0.0,
                None => false,
            };
            it.boolean(s, is)
        }),
        fixed("exact?", 1, |it, s, a| {
            let is = matches!(num(it, a[0], "exact?")?, Num::Int(_));
            it.boolean(s, is)
        }),
        fixed("exact-integer?", 1, |it, s, a| {
            let is = matches!(it.num(a[0])?, Some(Num::Int(_)));
            it.boolean(s, is)
        }),
        fixed("inexact?", 1, |it, s, a| {
            let is = matches!(num(it, a[0], "inexact?")?, Num::Flo(_));
            it.boolean(s, is)
        }),
        fixed("inexact", 1, |it, s, a| {
            let f = num(it, a[0], "inexact")?.to_f64();
            it.make_float(s, f)
        }),
        fixed("exact->inexact", 1, |it, s, a| {
            let f = num(it, a[0], "exact->inexact")?.to_f64();
            it.make_float(s, f)
        }),
        fixed("exact", 1, |it, s, a| {
            let n = to_exact(num(it, a[0], "exact")?)?;
            it.make_num(s, n)
        }),
        fixed("inexact->exact", 1, |it, s, a| {
            let n = to_exact(num(it, a[0], "inexact->exact")?)?;
            it.make_num(s, n)
        }),
        fixed("round", 1, |it, s, a| {
            rounding(it, s, a[0], "round", f64::round_ties_even)
        }),
        fixed("floor", 1, |it, s, a| {
            rounding(it, s, a[0], "floor", f64::floor)
        }),
        fixed("ceiling", 1, |it, s, a| {
            rounding(it, s, a[0], "ceiling", f64::ceil)
        }),
        fixed("truncate", 1, |it, s, a| {
            rounding(it, s, a[0], "truncate", f64::trunc)
        }),
        fixed("abs", 1, |it, s, a| {
            let n = match num(it, a[0], "abs")? {
                Num::Int(n) => n.checked_abs().map_or(Num::Flo((n as f64).abs()), Num::Int),
                Num::Flo(f) => Num::Flo(f.abs()),
            };
            it.make_num(s, n)
        }),
        ranged("max", 1, None, |it, s, a| extreme(it, s, a, "max", true)),
        ranged("min", 1, None, |it, s, a| extreme(it, s, a, "min", false)),
        ranged("gcd", 0, None, |it, s, a| {
            let mut g = 0;
            for &x in a {
                g = gcd(g, int(it, x, "gcd")?);
            }
            it.make_int(s, g)
        }),
        ranged("lcm", 0, None, |it, s, a| {
            let mut l: i64 = 1;
            for &x in a {
                let x = int(it, x, "lcm")?;
                if x == 0 {
                    return it.make_int(s, 0);
                }
                l = (l / gcd(l, x)).saturating_mul(x.abs());
            }
            it.make_int(s, l)
        }),
        fixed("square", 1, |it, s, a| {
            let n = num(it, a[0], "square")?;
            let n = combine(Op::Mul, n, n);
            it.make_num(s, n)
        }),
        fixed("sqrt", 1, |it, s, a| {
            let n = num(it, a[0], "sqrt")?;
            if let Num::Int(k) = n {
                let root = (k as f64).sqrt().round() as i64;
                if k >= 0 && root.checked_mul(root) == Some(k) {
                    return it.make_int(s, root);
                }
            }
            it.make_float(s, n.to_f64().sqrt())
        }),
        fixed("expt", 2, |it, s, a| {
            let (b, p) = (num(it, a[0], "expt")?, num(it, a[1], "expt")?);
            let n = expt(b, p);
            it.make_num(s, n)
        }),
        ranged("log", 1, Some(2), |it, s, a| {
            let mut f = num(it, a[0], "log")?.to_f64().ln();
            if let Some(&base) = a.get(1) {
                f /= num(it, base, "log")?.to_f64().ln();
            }
            it.make_float(s, f)
        }),
        ranged("atan", 1, Some(2), |it, s, a| {
            let y = num(it, a[0], "atan")?.to_f64();
            let f = match a.get(1) {
                Some(&x) => y.atan2(num(it, x, "atan")?.to_f64()),
                None => y.atan(),
            };
            it.make_float(s, f)
        }),
        ranged("number->string", 1, Some(2), number_to_string),
        fixed("floor/", 2, |it, s, a| {
            two_divisions(it, s, a, "floor/", floor_div)
        }),
        fixed("truncate/", 2, |it, s, a| {
            two_divisions(it, s, a, "truncate/", |a, b| (a / b, a % b))
        }),
        fixed("floor-quotient", 2, |it, s, a| {
            integer_division(it, s, a, "floor-quotient", |a, b| floor_div(a, b).0)
        }),
        fixed("floor-remainder", 2, |it, s, a| {
            integer_division(it, s, a, "floor-remainder", i64::rem_euclid_signed)
        }),
        fixed("truncate-quotient", 2, |it, s, a| {
            integer_division(it, s, a, "truncate-quotient", |a, b| a / b)
        }),
        fixed("truncate-remainder", 2, |it, s, a| {
            integer_division(it, s, a, "truncate-remainder", |a, b| a % b)
        }),
        fixed("exact-integer-sqrt", 1, |it, s, a| {
            let n = int(it, a[0], "exact-integer-sqrt")?;
            if n < 0 {
                return Err(it.wrong_type("exact-integer-sqrt", "a non-negative integer", a[0]));
            }
            let mut root = (n as f64).sqrt() as i64;
            while root * root > n {
                root -= 1;
            }
            while (root + 1) * (root + 1) <= n {
                root += 1;
            }
            let (r, rest) = (it.make_int(s, root)?, it.make_int(s, n - root * root)?);
            Ok(Value::Ref(it.object_of(s, it.types.values, &[r, rest])?))
        }),
        ranged("string->number", 1, Some(2), string_to_number),
    ]);
    all
}

/// `modulo`: the remainder with the divisor's sign.
trait RemEuclidSigned {
    fn rem_euclid_signed(a: i64, b: i64) -> i64;
}

impl RemEuclidSigned for i64 {
    fn rem_euclid_signed(a: i64, b: i64) -> i64 {
        let r = a % b;
        if r != 0 && (r < 0) != (b < 0) {
            r + b
        } else {
            r
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overflow_goes_inexact_and_division_is_exact_when_it_can_be() {
        assert_eq!(combine(Op::Add, Num::Int(1), Num::Int(2)), Num::Int(3));
        assert_eq!(
            combine(Op::Mul, Num::Int(i64::MAX), Num::Int(2)),
            Num::Flo(i64::MAX as f64 * 2.0)
        );
        assert_eq!(combine(Op::Sub, Num::Int(1), Num::Flo(0.5)), Num::Flo(0.5));
        assert_eq!(expt(Num::Int(2), Num::Int(10)), Num::Int(1024));
        assert_eq!(expt(Num::Int(2), Num::Int(-1)), Num::Flo(0.5));
        assert_eq!(i64::rem_euclid_signed(-7, 2), 1);
        assert_eq!(i64::rem_euclid_signed(7, -2), -1);
        assert_eq!(gcd(12, -18), 6);
        assert!(to_exact(Num::Flo(2.5)).is_err());
        assert_eq!(to_exact(Num::Flo(4.0)).ok(), Some(Num::Int(4)));
    }
}
