//! `syntax-rules` macros, non-hygienic: a macro use is rewritten by the first rule whose pattern
//! matches, its template's pattern variables replaced by what they matched (with `...`
//! repetition) and every other symbol inserted as written.
//!
//! Not hygienic: a template's free identifiers mean whatever they mean where the macro is used,
//! and a template's temporaries can capture the user's variables of the same name. Macros are
//! global: a `define-syntax` in a body defines the keyword for the rest of the program.

use std::collections::HashMap;

use crate::errors::{Error, Result};
use crate::reader::Datum;

/// One `syntax-rules` transformer.
#[derive(Debug)]
pub struct Macro {
    ellipsis: String,
    literals: Vec<String>,
    rules: Vec<(Datum, Datum)>,
}

/// What a pattern variable matched: one datum, or one per repetition of its `...`.
#[derive(Clone, Debug)]
enum Binding {
    One(Datum),
    Many(Vec<Binding>),
}

type Bindings = HashMap<String, Binding>;

impl Macro {
    /// The transformer of `(syntax-rules (literal ...) (pattern template) ...)`, or of
    /// `(syntax-rules ellipsis (literal ...) ...)`.
    pub fn parse(spec: &Datum, line: u32) -> Result<Macro> {
        let bad = || Error::syntax("bad syntax-rules", line);
        let items = spec.as_list().ok_or_else(bad)?;
        let (keyword, rest) = items.split_first().ok_or_else(bad)?;
        if keyword.as_sym() != Some("syntax-rules") {
            return Err(Error::syntax(
                "only syntax-rules macros are supported",
                line,
            ));
        }
        let (ellipsis, rest) = match rest.split_first() {
            Some((Datum::Sym(custom), rest)) => (custom.clone(), rest),
            _ => ("...".to_string(), rest),
        };
        let (literals, rules) = rest.split_first().ok_or_else(bad)?;
        let literals = literals
            .as_list()
            .ok_or_else(bad)?
            .iter()
            .filter_map(|d| d.as_sym().map(str::to_string))
            .collect();
        let rules = rules
            .iter()
            .map(|rule| match rule.as_list() {
                Some([pattern, template]) => Ok((pattern.clone(), template.clone())),
                _ => Err(bad()),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Macro {
            ellipsis,
            literals,
            rules,
        })
    }

    /// The expansion of `form`, a use of this macro.
    pub fn expand(&self, form: &Datum, line: u32) -> Result<Datum> {
        for (pattern, template) in &self.rules {
            let mut bindings = Bindings::new();
            // The keyword position matches anything.
            let (
                Datum::List(pattern_items, pattern_tail, _),
                Datum::List(form_items, form_tail, _),
            ) = (pattern, form)
            else {
                continue;
            };
            let (Some(pattern_items), Some(form_items)) =
                (pattern_items.get(1..), form_items.get(1..))
            else {
                continue;
            };
            let pattern = Datum::List(pattern_items.to_vec(), pattern_tail.clone(), line);
            let form = Datum::List(form_items.to_vec(), form_tail.clone(), line);
            if self.matches(&pattern, &form, &mut bindings) {
                return self.instantiate(template, &bindings, line);
            }
        }
        let name = form
            .as_list()
            .and_then(|items| items.first())
            .and_then(Datum::as_sym)
            .unwrap_or("macro");
        Err(Error::syntax(
            format!("no syntax-rules pattern of {name} matches"),
            line,
        ))
    }

    fn is_ellipsis(&self, datum: &Datum) -> bool {
        datum.as_sym() == Some(self.ellipsis.as_str())
    }

    fn matches(&self, pattern: &Datum, form: &Datum, bindings: &mut Bindings) -> bool {
        match pattern {
            Datum::Sym(name) if name == "_" => true,
            Datum::Sym(name) if self.literals.contains(name) => form.as_sym() == Some(name),
            Datum::Sym(name) => {
                bindings.insert(name.clone(), Binding::One(form.clone()));
                true
            }
            Datum::List(items, tail, _) => {
                let (form_items, form_tail) = match form {
                    Datum::List(items, tail, _) => (items.as_slice(), tail.as_deref()),
                    _ => (&[][..], Some(form)),
                };
                self.match_sequence(items, tail.as_deref(), form_items, form_tail, bindings)
            }
            Datum::Vector(items) => match form {
                Datum::Vector(form_items) => {
                    self.match_sequence(items, None, form_items, None, bindings)
                }
                _ => false,
            },
            literal => literal == form,
        }
    }

    fn match_sequence(
        &self,
        items: &[Datum],
        tail: Option<&Datum>,
        form_items: &[Datum],
        form_tail: Option<&Datum>,
        bindings: &mut Bindings,
    ) -> bool {
        let ellipsis = items.iter().position(|item| self.is_ellipsis(item));
        let Some(at) = ellipsis.filter(|&at| at > 0) else {
            return self.match_fixed(items, tail, form_items, form_tail, bindings);
        };
        let (before, repeated, after) = (&items[..at - 1], &items[at - 1], &items[at + 1..]);
        if form_items.len() < before.len() + after.len() {
            return false;
        }
        let repeat_end = form_items.len() - after.len();
        if !self.match_fixed(before, None, &form_items[..before.len()], None, bindings) {
            return false;
        }
        let mut repetitions = Vec::new();
        for item in &form_items[before.len()..repeat_end] {
            let mut one = Bindings::new();
            if !self.matches(repeated, item, &mut one) {
                return false;
            }
            repetitions.push(one);
        }
        for name in self.variables(repeated) {
            let each = repetitions
                .iter()
                .map(|one| one.get(&name).cloned().unwrap_or(Binding::Many(Vec::new())))
                .collect();
            bindings.insert(name, Binding::Many(each));
        }
        self.match_fixed(after, tail, &form_items[repeat_end..], form_tail, bindings)
    }

    fn match_fixed(
        &self,
        items: &[Datum],
        tail: Option<&Datum>,
        form_items: &[Datum],
        form_tail: Option<&Datum>,
        bindings: &mut Bindings,
    ) -> bool {
        if form_items.len() < items.len() || (tail.is_none() && form_items.len() != items.len()) {
            return false;
        }
        for (item, form) in items.iter().zip(form_items) {
            if !self.matches(item, form, bindings) {
                return false;
            }
        }
        match tail {
            None => form_tail.is_none(),
            Some(tail) => {
                let rest = &form_items[items.len()..];
                let rest = match (rest.is_empty(), form_tail) {
                    (true, Some(form_tail)) => form_tail.clone(),
                    (_, form_tail) => {
                        Datum::List(rest.to_vec(), form_tail.map(|t| Box::new(t.clone())), 0)
                    }
                };
                self.matches(tail, &rest, bindings)
            }
        }
    }

    /// The pattern variables of `pattern`.
    fn variables(&self, pattern: &Datum) -> Vec<String> {
        match pattern {
            Datum::Sym(name)
                if name != "_" && !self.is_ellipsis(pattern) && !self.literals.contains(name) =>
            {
                vec![name.clone()]
            }
            Datum::List(items, tail, _) => items
                .iter()
                .chain(tail.as_deref())
                .flat_map(|item| self.variables(item))
                .collect(),
            Datum::Vector(items) => items.iter().flat_map(|item| self.variables(item)).collect(),
            _ => Vec::new(),
        }
    }

    fn instantiate(&self, template: &Datum, bindings: &Bindings, line: u32) -> Result<Datum> {
        match template {
            Datum::Sym(name) => match bindings.get(name) {
                Some(Binding::One(datum)) => Ok(datum.clone()),
                Some(Binding::Many(_)) => Err(Error::syntax(
                    format!("{name} is used without its ellipsis"),
                    line,
                )),
                None => Ok(template.clone()),
            },
            Datum::List(items, tail, list_line) => {
                // (... ...) is a literal ellipsis.
                if let [first, second] = items.as_slice() {
                    if self.is_ellipsis(first) && tail.is_none() {
                        return Ok(second.clone());
                    }
                }
                let items = self.instantiate_items(items, bindings, line)?;
                let tail = match tail {
                    Some(tail) => Some(Box::new(self.instantiate(tail, bindings, line)?)),
                    None => None,
                };
                Ok(normalize(items, tail, *list_line))
            }
            Datum::Vector(items) => Ok(Datum::Vector(
                self.instantiate_items(items, bindings, line)?,
            )),
            other => Ok(other.clone()),
        }
    }

    fn instantiate_items(
        &self,
        items: &[Datum],
        bindings: &Bindings,
        line: u32,
    ) -> Result<Vec<Datum>> {
        let mut out = Vec::new();
        let mut k = 0;
        while k < items.len() {
            let item = &items[k];
            let mut depth = 0;
            while items
                .get(k + 1 + depth)
                .is_some_and(|next| self.is_ellipsis(next))
            {
                depth += 1;
            }
            if depth == 0 {
                out.push(self.instantiate(item, bindings, line)?);
            } else {
                out.extend(self.repeat(item, bindings, depth, line)?);
            }
            k += 1 + depth;
        }
        Ok(out)
    }

    /// `item` followed by `depth` ellipses.
    fn repeat(
        &self,
        item: &Datum,
        bindings: &Bindings,
        depth: usize,
        line: u32,
    ) -> Result<Vec<Datum>> {
        let names: Vec<String> = self
            .variables(item)
            .into_iter()
            .filter(|name| matches!(bindings.get(name), Some(Binding::Many(_))))
            .collect();
        let count = names
            .iter()
            .filter_map(|name| match bindings.get(name) {
                Some(Binding::Many(each)) => Some(each.len()),
                _ => None,
            })
            .max()
            .ok_or_else(|| {
                Error::syntax("an ellipsis follows no repeated pattern variable", line)
            })?;
        let mut out = Vec::new();
        for index in 0..count {
            let mut inner = bindings.clone();
            for name in &names {
                if let Some(Binding::Many(each)) = bindings.get(name) {
                    match each.get(index) {
                        Some(one) => inner.insert(name.clone(), one.clone()),
                        None => inner.remove(name),
                    };
                }
            }
            if depth > 1 {
                out.extend(self.repeat(item, &inner, depth - 1, line)?);
            } else {
                out.push(self.instantiate(item, &inner, line)?);
            }
        }
        Ok(out)
    }
}

/// A list whose tail, once instantiated, may itself be a list: flattened to one list.
fn normalize(mut items: Vec<Datum>, tail: Option<Box<Datum>>, line: u32) -> Datum {
    match tail.map(|t| *t) {
        Some(Datum::List(more, more_tail, _)) => {
            items.extend(more);
            normalize(items, more_tail, line)
        }
        other => Datum::List(items, other.map(Box::new), line),
    }
}
