//! The compiler: S-expressions ([`Datum`]s) into a tree of [`Node`]s, with every derived form
//! (`let*`, `do`, `cond`, `case`, quasiquote, records ...) rewritten into the few core forms the
//! machine runs.
//!
//! Its invariant: every variable reference is resolved here, a local to its (depth, index) in the
//! chain of environment frames and anything else to a global's index, so the machine never looks
//! a name up. A frame holds a lambda's parameters (or a `let`'s variables) followed by the
//! internal definitions of its body.

use std::rc::Rc;

use crate::errors::{Error, Result};
use crate::macros::Macro;
use crate::reader::Datum;

/// What the compiler needs from the runtime: heap constants, global cells, code objects.
pub trait Linker {
    /// The index of a quoted constant in the runtime's constant table.
    fn constant(&mut self, datum: &Datum) -> Result<u32>;
    /// The index of the global variable `name`.
    fn global(&mut self, name: &str) -> Result<u32>;
    /// Registers compiled lambda code; closures name it by the returned id.
    fn add_code(&mut self, lambda: Lambda) -> u32;
    /// The program's macros, by keyword.
    fn macros(&mut self) -> &mut std::collections::HashMap<String, Rc<Macro>>;
}

/// A compiled `lambda`: its parameters, its frame's size and its body.
#[derive(Debug)]
pub struct Lambda {
    pub name: String,
    pub required: usize,
    pub rest: bool,
    /// Parameters, the rest parameter, and internal definitions.
    pub frame_size: usize,
    pub body: Node,
}

/// The code the machine runs. Environment frames are heap objects: slot 0 the parent, slot
/// `index + 1` variable `index`.
#[derive(Debug)]
pub enum Node {
    Fixnum(i32),
    Nil,
    Bool(bool),
    Unspecified,
    Quote(u32),
    Local {
        depth: u16,
        index: u16,
    },
    Global(u32),
    SetLocal {
        depth: u16,
        index: u16,
        value: Box<Node>,
    },
    SetGlobal(u32, Box<Node>),
    DefineGlobal(u32, Box<Node>),
    If(Box<[Node; 3]>),
    Lambda(u32),
    Seq(Box<[Node]>),
    /// A new frame of `frame_size` variables, the first `inits.len()` of them initialized by
    /// `inits` (evaluated in the enclosing environment); `body` runs in it.
    Let {
        frame_size: usize,
        inits: Box<[Node]>,
        body: Box<Node>,
    },
    And(Box<[Node]>),
    Or(Box<[Node]>),
    Call {
        callee: Box<Node>,
        args: Box<[Node]>,
        line: u32,
    },
}

/// Compiles one top-level form.
pub fn compile_toplevel(linker: &mut dyn Linker, form: &Datum) -> Result<Node> {
    let mut compiler = Compiler {
        linker,
        frames: Vec::new(),
        depth: 0,
    };
    compiler.compile(form, 0)
}

struct Compiler<'l> {
    linker: &'l mut dyn Linker,
    frames: Vec<Vec<String>>,
    /// How deeply `compile` is nested: bounded, so a macro that expands forever is an error.
    depth: usize,
}

/// The deepest nesting of forms (after macro expansion) the compiler takes.
const MAX_NESTING: usize = 100_000;

fn sym(name: &str) -> Datum {
    Datum::sym(name)
}

fn list(items: Vec<Datum>, line: u32) -> Datum {
    Datum::list(items, line)
}

fn line_of(datum: &Datum, default: u32) -> u32 {
    match datum {
        Datum::List(_, _, line) => *line,
        _ => default,
    }
}

impl Compiler<'_> {
    fn lookup(&self, name: &str) -> Option<(u16, u16)> {
        for (depth, frame) in self.frames.iter().rev().enumerate() {
            if let Some(index) = frame.iter().rposition(|n| n == name) {
                return Some((depth as u16, index as u16));
            }
        }
        None
    }

    fn compile(&mut self, x: &Datum, line: u32) -> Result<Node> {
        if self.depth >= MAX_NESTING {
            return Err(Error::syntax(
                format!(
                    "forms nested deeper than {MAX_NESTING} levels (a macro that expands forever?)"
                ),
                line,
            ));
        }
        self.depth += 1;
        let node = self.compile_form(x, line);
        self.depth -= 1;
        node
    }

    fn compile_form(&mut self, x: &Datum, line: u32) -> Result<Node> {
        match x {
            Datum::Sym(name) => self.variable(name),
            Datum::Int(n) => match i32::try_from(*n) {
                Ok(small) if gclab::Value::smi(*n).is_some() => Ok(Node::Fixnum(small)),
                _ => Ok(Node::Quote(self.linker.constant(x)?)),
            },
            Datum::Bool(b) => Ok(Node::Bool(*b)),
            Datum::Float(_) | Datum::Str(_) | Datum::Char(_) | Datum::Vector(_) => {
                Ok(Node::Quote(self.linker.constant(x)?))
            }
            Datum::List(items, None, line) => self.compile_list(items, *line),
            Datum::List(_, Some(_), line) => {
                Err(Error::syntax("a dotted list is not an expression", *line))
            }
        }
        .map_err(|e| e.or_line(line))
    }

    fn variable(&mut self, name: &str) -> Result<Node> {
        Ok(match self.lookup(name) {
            Some((depth, index)) => Node::Local { depth, index },
            None => Node::Global(self.linker.global(name)?),
        })
    }

    fn compile_list(&mut self, items: &[Datum], line: u32) -> Result<Node> {
        let Some((head, rest)) = items.split_first() else {
            return Err(Error::syntax("empty combination ()", line));
        };
        if let Some(name) = head.as_sym() {
            if self.lookup(name).is_none() {
                if let Some(transformer) = self.linker.macros().get(name).cloned() {
                    let form = Datum::List(items.to_vec(), None, line);
                    let expansion = transformer.expand(&form, line)?;
                    return self.compile(&expansion, line);
                }
                if let Some(node) = self.special_form(name, rest, line)? {
                    return Ok(node);
                }
            }
        }
        self.call(head, rest, line)
    }

    fn call(&mut self, head: &Datum, rest: &[Datum], line: u32) -> Result<Node> {
        let callee = Box::new(self.compile(head, line)?);
        let args = self.compile_all(rest, line)?;
        Ok(Node::Call { callee, args, line })
    }

    fn compile_all(&mut self, forms: &[Datum], line: u32) -> Result<Box<[Node]>> {
        forms.iter().map(|f| self.compile(f, line)).collect()
    }

    /// The node for special form `name`, or `None` when `name` is not one.
    fn special_form(&mut self, name: &str, rest: &[Datum], line: u32) -> Result<Option<Node>> {
        let node = match name {
            "quote" => self.quote(rest, line)?,
            "quasiquote" => {
                let [template] = rest else {
                    return Err(Error::syntax("quasiquote takes one template", line));
                };
                let expansion = quasi(template, 1, line);
                self.compile(&expansion, line)?
            }
            "lambda" => self.lambda_form(rest, line, "lambda")?,
            "define" => self.define(rest, line)?,
            "set!" => self.set(rest, line)?,
            "if" => self.if_form(rest, line)?,
            "begin" => self.sequence(rest, line)?,
            "let" => self.let_form(rest, line)?,
            "let*" => self.let_star(rest, line)?,
            "letrec" | "letrec*" => self.letrec(rest, line)?,
            "and" => Node::And(self.compile_all(rest, line)?),
            "or" => Node::Or(self.compile_all(rest, line)?),
            "when" | "unless" => self.when_unless(name == "when", rest, line)?,
            "cond" => self.cond(rest, line)?,
            "case" => self.case(rest, line)?,
            "do" => self.compile(&expand_do(rest, line)?, line)?,
            "define-record-type" => self.sequence(&expand_record_type(rest, line)?, line)?,
            "import" => Node::Unspecified,
            "define-syntax" => {
                self.define_syntax(rest, line)?;
                Node::Unspecified
            }
            "let-syntax" | "letrec-syntax" => {
                let [bindings, body @ ..] = rest else {
                    return Err(Error::syntax("bad let-syntax", line));
                };
                for binding in bindings.as_list().unwrap_or(&[]) {
                    if let Some(pair) = binding.as_list() {
                        self.define_syntax(pair, line)?;
                    }
                }
                let mut form = vec![sym("let"), list(vec![], line)];
                form.extend(body.iter().cloned());
                self.compile(&list(form, line), line)?
            }
            "let-values" | "let*-values" => self.compile(&expand_let_values(rest, line)?, line)?,
            "receive" => self.compile(&expand_receive(rest, line)?, line)?,
            "define-values" => self.sequence(&expand_define_values(rest, line)?, line)?,
            "case-lambda" => self.compile(&expand_case_lambda(rest, line), line)?,
            "delay" | "make-promise" | "delay-force" => {
                let body = list(vec![sym("lambda"), list(vec![], line)], line);
                let mut thunk = body;
                if let Datum::List(items, _, _) = &mut thunk {
                    items.extend(rest.iter().cloned());
                }
                let call = list(vec![sym("%make-promise"), thunk], line);
                self.compile(&call, line)?
            }
            _ => return Ok(None),
        };
        Ok(Some(node))
    }

    fn define_syntax(&mut self, rest: &[Datum], line: u32) -> Result<()> {
        let [Datum::Sym(name), spec] = rest else {
            return Err(Error::syntax("bad define-syntax", line));
        };
        let transformer = Macro::parse(spec, line)?;
        self.linker
            .macros()
            .insert(name.clone(), Rc::new(transformer));
        Ok(())
    }

    fn quote(&mut self, rest: &[Datum], line: u32) -> Result<Node> {
        let [datum] = rest else {
            return Err(Error::syntax("quote takes one datum", line));
        };
        Ok(match datum {
            Datum::List(items, None, _) if items.is_empty() => Node::Nil,
            Datum::Bool(b) => Node::Bool(*b),
            Datum::Int(n) if gclab::Value::smi(*n).is_some() => self.compile(datum, line)?,
            _ => Node::Quote(self.linker.constant(datum)?),
        })
    }

    fn if_form(&mut self, rest: &[Datum], line: u32) -> Result<Node> {
        let (test, then, otherwise) = match rest {
            [test, then] => (test, then, None),
            [test, then, otherwise] => (test, then, Some(otherwise)),
            _ => {
                return Err(Error::syntax(
                    "if takes a test and one or two branches",
                    line,
                ));
            }
        };
        let otherwise = match otherwise {
            Some(form) => self.compile(form, line)?,
            None => Node::Unspecified,
        };
        Ok(Node::If(Box::new([
            self.compile(test, line)?,
            self.compile(then, line)?,
            otherwise,
        ])))
    }

    /// `begin`'s forms in order (at top level, its definitions define globals; in a body,
    /// `body` has already spliced it).
    fn sequence(&mut self, forms: &[Datum], line: u32) -> Result<Node> {
        Ok(seq(self.compile_all(forms, line)?.into_vec()))
    }

    fn when_unless(&mut self, when: bool, rest: &[Datum], line: u32) -> Result<Node> {
        let Some((test, body)) = rest.split_first() else {
            return Err(Error::syntax("when/unless needs a test", line));
        };
        let test = self.compile(test, line)?;
        let body = self.sequence(body, line)?;
        let branches = if when {
            [test, body, Node::Unspecified]
        } else {
            [test, Node::Unspecified, body]
        };
        Ok(Node::If(Box::new(branches)))
    }

    fn set(&mut self, rest: &[Datum], line: u32) -> Result<Node> {
        let [Datum::Sym(name), value] = rest else {
            return Err(Error::syntax("set! takes a variable and a value", line));
        };
        let value = Box::new(self.compile(value, line)?);
        Ok(match self.lookup(name) {
            Some((depth, index)) => Node::SetLocal {
                depth,
                index,
                value,
            },
            None => Node::SetGlobal(self.linker.global(name)?, value),
        })
    }

    /// `(define name value)` or `(define (name . params) body ...)`: the name and value form.
    fn definition(rest: &[Datum], line: u32) -> Result<(String, Datum)> {
        match rest {
            [Datum::Sym(name)] => Ok((
                name.clone(),
                list(
                    vec![sym("if"), Datum::Bool(false), Datum::Bool(false)],
                    line,
                ),
            )),
            [Datum::Sym(name), value] => Ok((name.clone(), value.clone())),
            [Datum::List(signature, tail, sig_line), body @ ..] if !signature.is_empty() => {
                let (name, params) = signature
                    .split_first()
                    .ok_or_else(|| Error::syntax("bad define", line))?;
                let params = Datum::List(params.to_vec(), tail.clone(), *sig_line);
                let mut lambda = vec![sym("lambda"), params];
                lambda.extend(body.iter().cloned());
                match name {
                    Datum::Sym(name) => Ok((name.clone(), list(lambda, line))),
                    // Curried define: (define ((f a) b) ...) is (define (f a) (lambda (b) ...)).
                    Datum::List(..) => Self::definition(&[name.clone(), list(lambda, line)], line),
                    _ => Err(Error::syntax("bad define", line)),
                }
            }
            _ => Err(Error::syntax("bad define", line)),
        }
    }

    fn define(&mut self, rest: &[Datum], line: u32) -> Result<Node> {
        let (name, value) = Self::definition(rest, line)?;
        let node = self.named_value(&name, &value, line)?;
        if self.frames.is_empty() {
            return Ok(Node::DefineGlobal(
                self.linker.global(&name)?,
                Box::new(node),
            ));
        }
        // Inside a body every definition was added to the frame by `body`.
        let (depth, index) = self
            .lookup(&name)
            .ok_or_else(|| Error::syntax(format!("define of {name} is not allowed here"), line))?;
        Ok(Node::SetLocal {
            depth,
            index,
            value: Box::new(node),
        })
    }

    /// Compiles `value`, naming it `name` when it is a lambda (for messages).
    fn named_value(&mut self, name: &str, value: &Datum, line: u32) -> Result<Node> {
        if let Some([head, rest @ ..]) = value.as_list() {
            if head.as_sym() == Some("lambda") && self.lookup("lambda").is_none() {
                return self.lambda_form(rest, line_of(value, line), name);
            }
        }
        self.compile(value, line)
    }

    fn lambda_form(&mut self, rest: &[Datum], line: u32, name: &str) -> Result<Node> {
        let Some((params, body)) = rest.split_first() else {
            return Err(Error::syntax("lambda needs parameters and a body", line));
        };
        let (names, rest_name) = parameters(params, line)?;
        let required = names.len();
        let mut frame = names;
        if let Some(rest_name) = &rest_name {
            frame.push(rest_name.clone());
        }
        self.frames.push(frame);
        let body = self.body(body, line);
        let frame = self.frames.pop().unwrap_or_default();
        let body = body?;
        let lambda = Lambda {
            name: name.to_string(),
            required,
            rest: rest_name.is_some(),
            frame_size: frame.len(),
            body,
        };
        Ok(Node::Lambda(self.linker.add_code(lambda)))
    }

    /// A body: its definitions join the innermost frame, then it compiles as a sequence.
    fn body(&mut self, forms: &[Datum], line: u32) -> Result<Node> {
        let forms = self.expand_body(forms, line)?;
        if forms.is_empty() {
            return Err(Error::syntax("empty body", line));
        }
        for form in &forms {
            if let Some([head, rest @ ..]) = form.as_list() {
                if head.as_sym() == Some("define") {
                    let (name, _) = Self::definition(rest, line_of(form, line))?;
                    let frame = self
                        .frames
                        .last_mut()
                        .ok_or_else(|| Error::syntax("body outside a frame", line))?;
                    if !frame.contains(&name) {
                        frame.push(name);
                    }
                }
            }
        }
        let nodes = forms
            .iter()
            .map(|form| self.compile(form, line_of(form, line)))
            .collect::<Result<Vec<_>>>()?;
        Ok(seq(nodes))
    }

    /// The body's forms with `begin`s spliced and record definitions expanded, so that every
    /// definition is visible at the body's level.
    fn expand_body(&mut self, forms: &[Datum], line: u32) -> Result<Vec<Datum>> {
        let mut out = Vec::new();
        for form in forms {
            match form.as_list() {
                Some([head, rest @ ..]) if self.lookup(head.as_sym().unwrap_or("")).is_none() => {
                    let name = head.as_sym().unwrap_or("");
                    if let Some(transformer) = self.linker.macros().get(name).cloned() {
                        let expansion = transformer.expand(form, line_of(form, line))?;
                        out.extend(self.expand_body(&[expansion], line)?);
                        continue;
                    }
                    match head.as_sym() {
                        Some("define-syntax") => self.define_syntax(rest, line_of(form, line))?,
                        Some("begin") => out.extend(self.expand_body(rest, line_of(form, line))?),
                        Some("define-record-type") => {
                            out.extend(expand_record_type(rest, line_of(form, line))?)
                        }
                        Some("define-values") => {
                            out.extend(expand_define_values(rest, line_of(form, line))?)
                        }
                        _ => out.push(form.clone()),
                    }
                }
                _ => out.push(form.clone()),
            }
        }
        Ok(out)
    }

    fn bindings(value: &Datum, line: u32) -> Result<Vec<(String, Datum)>> {
        let items = value
            .as_list()
            .ok_or_else(|| Error::syntax("bad bindings", line))?;
        items
            .iter()
            .map(|binding| match binding.as_list() {
                Some([Datum::Sym(name), init]) => Ok((name.clone(), init.clone())),
                Some([Datum::Sym(name)]) => Ok((name.clone(), Datum::Bool(false))),
                _ => Err(Error::syntax("bad binding", line_of(binding, line))),
            })
            .collect()
    }

    fn let_form(&mut self, rest: &[Datum], line: u32) -> Result<Node> {
        match rest {
            [Datum::Sym(name), bindings, body @ ..] => self.named_let(name, bindings, body, line),
            [bindings, body @ ..] => {
                let bindings = Self::bindings(bindings, line)?;
                let inits = bindings
                    .iter()
                    .map(|(name, init)| self.named_value(name, init, line))
                    .collect::<Result<Vec<_>>>()?;
                let names = bindings.into_iter().map(|(name, _)| name).collect();
                self.frame(names, inits, |c| c.body(body, line))
            }
            _ => Err(Error::syntax("bad let", line)),
        }
    }

    /// A `Let` node of a new frame `names`, the body compiled by `body` inside it.
    fn frame(
        &mut self,
        names: Vec<String>,
        inits: Vec<Node>,
        body: impl FnOnce(&mut Self) -> Result<Node>,
    ) -> Result<Node> {
        self.frames.push(names);
        let body = body(self);
        let frame = self.frames.pop().unwrap_or_default();
        Ok(Node::Let {
            frame_size: frame.len(),
            inits: inits.into_boxed_slice(),
            body: Box::new(body?),
        })
    }

    /// `(let name ((v init) ...) body ...)`: `((letrec ((name (lambda (v ...) body ...))) name)
    /// init ...)`, the inits evaluated outside the loop's frame.
    fn named_let(
        &mut self,
        name: &str,
        bindings: &Datum,
        body: &[Datum],
        line: u32,
    ) -> Result<Node> {
        let bindings = Self::bindings(bindings, line)?;
        let params = list(bindings.iter().map(|(n, _)| sym(n)).collect(), line);
        let mut lambda = vec![params];
        lambda.extend(body.iter().cloned());
        let args = bindings
            .iter()
            .map(|(_, init)| self.compile(init, line))
            .collect::<Result<Vec<_>>>()?;
        let callee = self.frame(vec![name.to_string()], Vec::new(), |c| {
            let lambda = c.lambda_form(&lambda, line, name)?;
            Ok(seq(vec![
                Node::SetLocal {
                    depth: 0,
                    index: 0,
                    value: Box::new(lambda),
                },
                Node::Local { depth: 0, index: 0 },
            ]))
        })?;
        Ok(Node::Call {
            callee: Box::new(callee),
            args: args.into_boxed_slice(),
            line,
        })
    }

    fn let_star(&mut self, rest: &[Datum], line: u32) -> Result<Node> {
        let [bindings, body @ ..] = rest else {
            return Err(Error::syntax("bad let*", line));
        };
        let bindings = Self::bindings(bindings, line)?;
        self.nested_lets(&bindings, body, line)
    }

    fn nested_lets(
        &mut self,
        bindings: &[(String, Datum)],
        body: &[Datum],
        line: u32,
    ) -> Result<Node> {
        match bindings.split_first() {
            None => self.frame(Vec::new(), Vec::new(), |c| c.body(body, line)),
            Some(((name, init), more)) => {
                let init = self.named_value(name, init, line)?;
                self.frame(vec![name.clone()], vec![init], |c| {
                    if more.is_empty() {
                        c.body(body, line)
                    } else {
                        c.nested_lets(more, body, line)
                    }
                })
            }
        }
    }

    fn letrec(&mut self, rest: &[Datum], line: u32) -> Result<Node> {
        let [bindings, body @ ..] = rest else {
            return Err(Error::syntax("bad letrec", line));
        };
        let bindings = Self::bindings(bindings, line)?;
        let names = bindings.iter().map(|(name, _)| name.clone()).collect();
        self.frame(names, Vec::new(), |c| {
            let mut nodes = Vec::new();
            for (index, (name, init)) in bindings.iter().enumerate() {
                let value = Box::new(c.named_value(name, init, line)?);
                nodes.push(Node::SetLocal {
                    depth: 0,
                    index: index as u16,
                    value,
                });
            }
            nodes.push(c.body(body, line)?);
            Ok(seq(nodes))
        })
    }

    fn cond(&mut self, clauses: &[Datum], line: u32) -> Result<Node> {
        let Some((clause, more)) = clauses.split_first() else {
            return Ok(Node::Unspecified);
        };
        let clause_line = line_of(clause, line);
        let items = clause
            .as_list()
            .filter(|items| !items.is_empty())
            .ok_or_else(|| Error::syntax("bad cond clause", clause_line))?;
        let (test, body) = (&items[0], &items[1..]);
        if test.as_sym() == Some("else") {
            return self.sequence(body, clause_line);
        }
        if let [arrow, receiver] = body {
            if arrow.as_sym() == Some("=>") {
                // (let ((t test)) (if t (receiver t) more...)): the later clauses compile inside
                // the frame, whose one variable no program can name.
                let test = self.compile(test, clause_line)?;
                return self.frame(vec!["%cond-value".into()], vec![test], |c| {
                    let receiver = c.compile(receiver, clause_line)?;
                    let rest = c.cond(more, line)?;
                    let call = Node::Call {
                        callee: Box::new(receiver),
                        args: Box::new([Node::Local { depth: 0, index: 0 }]),
                        line: clause_line,
                    };
                    Ok(Node::If(Box::new([
                        Node::Local { depth: 0, index: 0 },
                        call,
                        rest,
                    ])))
                });
            }
        }
        let test = self.compile(test, clause_line)?;
        let rest = self.cond(more, line)?;
        if body.is_empty() {
            return Ok(Node::Or(Box::new([test, rest])));
        }
        let body = self.sequence(body, clause_line)?;
        Ok(Node::If(Box::new([test, body, rest])))
    }

    fn case(&mut self, rest: &[Datum], line: u32) -> Result<Node> {
        let Some((key, clauses)) = rest.split_first() else {
            return Err(Error::syntax("case needs a key", line));
        };
        let mut cond = vec![sym("cond")];
        for clause in clauses {
            let clause_line = line_of(clause, line);
            let Some([data, body @ ..]) = clause.as_list() else {
                return Err(Error::syntax("bad case clause", clause_line));
            };
            let test = if data.as_sym() == Some("else") {
                sym("else")
            } else {
                let quoted = list(vec![sym("quote"), data.clone()], clause_line);
                list(vec![sym("%memv"), sym("%case-key"), quoted], clause_line)
            };
            let mut new_clause = vec![test];
            new_clause.extend(body.iter().cloned());
            cond.push(list(new_clause, clause_line));
        }
        let form = list(
            vec![
                sym("let"),
                list(vec![list(vec![sym("%case-key"), key.clone()], line)], line),
                list(cond, line),
            ],
            line,
        );
        self.compile(&form, line)
    }
}

fn seq(mut nodes: Vec<Node>) -> Node {
    match nodes.len() {
        0 => Node::Unspecified,
        1 => nodes.pop().unwrap_or(Node::Unspecified),
        _ => Node::Seq(nodes.into_boxed_slice()),
    }
}

/// A lambda's parameter list: the required names and the rest parameter.
fn parameters(params: &Datum, line: u32) -> Result<(Vec<String>, Option<String>)> {
    let name = |d: &Datum| {
        d.as_sym()
            .map(str::to_string)
            .ok_or_else(|| Error::syntax("a parameter must be a symbol", line))
    };
    match params {
        Datum::Sym(rest) => Ok((Vec::new(), Some(rest.clone()))),
        Datum::List(items, tail, _) => {
            let names = items.iter().map(name).collect::<Result<Vec<_>>>()?;
            let rest = tail.as_deref().map(name).transpose()?;
            Ok((names, rest))
        }
        _ => Err(Error::syntax("bad parameter list", line)),
    }
}

/// `(do ((var init step) ...) (test result ...) body ...)` as a named `let`.
fn expand_do(rest: &[Datum], line: u32) -> Result<Datum> {
    let [specs, exit, body @ ..] = rest else {
        return Err(Error::syntax("bad do", line));
    };
    let specs = specs
        .as_list()
        .ok_or_else(|| Error::syntax("bad do variables", line))?;
    let mut bindings = Vec::new();
    let mut steps = vec![sym("%do-loop")];
    for spec in specs {
        match spec.as_list() {
            Some([var, init]) => {
                bindings.push(list(vec![var.clone(), init.clone()], line));
                steps.push(var.clone());
            }
            Some([var, init, step]) => {
                bindings.push(list(vec![var.clone(), init.clone()], line));
                steps.push(step.clone());
            }
            _ => return Err(Error::syntax("bad do variable", line)),
        }
    }
    let Some([test, results @ ..]) = exit.as_list() else {
        return Err(Error::syntax("bad do exit clause", line));
    };
    let mut done = vec![sym("begin")];
    done.extend(results.iter().cloned());
    if results.is_empty() {
        done.push(list(
            vec![sym("if"), Datum::Bool(false), Datum::Bool(false)],
            line,
        ));
    }
    let mut again = vec![sym("begin")];
    again.extend(body.iter().cloned());
    again.push(list(steps, line));
    let loop_body = list(
        vec![sym("if"), test.clone(), list(done, line), list(again, line)],
        line,
    );
    Ok(list(
        vec![sym("let"), sym("%do-loop"), list(bindings, line), loop_body],
        line,
    ))
}

/// `(define-record-type name (ctor field ...) pred (field accessor [modifier]) ...)` as
/// definitions over the `%record` primitives.
fn expand_record_type(rest: &[Datum], line: u32) -> Result<Vec<Datum>> {
    let [type_name, constructor, predicate, fields @ ..] = rest else {
        return Err(Error::syntax("bad define-record-type", line));
    };
    let type_sym = match type_name {
        Datum::Sym(name) => name.clone(),
        Datum::List(items, _, _) => items
            .first()
            .and_then(Datum::as_sym)
            .unwrap_or("record")
            .to_string(),
        _ => return Err(Error::syntax("bad record type name", line)),
    };
    let field_names = fields
        .iter()
        .map(|field| match field {
            Datum::Sym(name) => Ok(name.clone()),
            _ => field
                .as_list()
                .and_then(|items| items.first())
                .and_then(Datum::as_sym)
                .map(str::to_string)
                .ok_or_else(|| Error::syntax("bad record field", line)),
        })
        .collect::<Result<Vec<_>>>()?;
    let quote = |d: Datum| list(vec![sym("quote"), d], line);
    let type_var = sym(&type_sym);
    let mut out = vec![list(
        vec![
            sym("define"),
            type_var.clone(),
            list(
                vec![
                    sym("%make-record-type"),
                    quote(sym(&type_sym)),
                    quote(list(field_names.iter().map(|f| sym(f)).collect(), line)),
                ],
                line,
            ),
        ],
        line,
    )];
    if let Some([Datum::Sym(ctor), args @ ..]) = constructor.as_list() {
        let mut make = vec![sym("%make-record"), type_var.clone()];
        for field in &field_names {
            let given = args.iter().any(|a| a.as_sym() == Some(field));
            make.push(if given {
                sym(field)
            } else {
                Datum::Bool(false)
            });
        }
        let signature = list(
            std::iter::once(sym(ctor))
                .chain(args.iter().cloned())
                .collect(),
            line,
        );
        out.push(list(vec![sym("define"), signature, list(make, line)], line));
    }
    if let Datum::Sym(pred) = predicate {
        let signature = list(vec![sym(pred), sym("obj")], line);
        let body = list(vec![sym("%record?"), sym("obj"), type_var.clone()], line);
        out.push(list(vec![sym("define"), signature, body], line));
    }
    for (index, field) in fields.iter().enumerate() {
        let Some(items) = field.as_list() else {
            continue;
        };
        let index = Datum::Int(index as i64);
        if let Some(Datum::Sym(accessor)) = items.get(1) {
            let signature = list(vec![sym(accessor), sym("obj")], line);
            let body = list(
                vec![
                    sym("%record-ref"),
                    sym("obj"),
                    type_var.clone(),
                    index.clone(),
                ],
                line,
            );
            out.push(list(vec![sym("define"), signature, body], line));
        }
        if let Some(Datum::Sym(modifier)) = items.get(2) {
            let signature = list(vec![sym(modifier), sym("obj"), sym("value")], line);
            let body = list(
                vec![
                    sym("%record-set!"),
                    sym("obj"),
                    type_var.clone(),
                    index,
                    sym("value"),
                ],
                line,
            );
            out.push(list(vec![sym("define"), signature, body], line));
        }
    }
    Ok(out)
}

/// `(let-values (((formals) expr) ...) body ...)` as nested `call-with-values` (each binding
/// sees the ones before it, as in `let*-values`).
fn expand_let_values(rest: &[Datum], line: u32) -> Result<Datum> {
    let [bindings, body @ ..] = rest else {
        return Err(Error::syntax("bad let-values", line));
    };
    let bindings = bindings
        .as_list()
        .ok_or_else(|| Error::syntax("bad let-values bindings", line))?;
    let Some((first, more)) = bindings.split_first() else {
        let mut form = vec![sym("let"), list(vec![], line)];
        form.extend(body.iter().cloned());
        return Ok(list(form, line));
    };
    let Some([formals, expr]) = first.as_list() else {
        return Err(Error::syntax("bad let-values binding", line));
    };
    let mut inner_form = vec![list(more.to_vec(), line)];
    inner_form.extend(body.iter().cloned());
    let inner = expand_let_values(&inner_form, line)?;
    Ok(list(
        vec![
            sym("call-with-values"),
            list(vec![sym("lambda"), list(vec![], line), expr.clone()], line),
            list(vec![sym("lambda"), formals.clone(), inner], line),
        ],
        line,
    ))
}

/// `(receive formals expr body ...)`.
fn expand_receive(rest: &[Datum], line: u32) -> Result<Datum> {
    let [formals, expr, body @ ..] = rest else {
        return Err(Error::syntax("bad receive", line));
    };
    let mut consumer = vec![sym("lambda"), formals.clone()];
    consumer.extend(body.iter().cloned());
    Ok(list(
        vec![
            sym("call-with-values"),
            list(vec![sym("lambda"), list(vec![], line), expr.clone()], line),
            list(consumer, line),
        ],
        line,
    ))
}

/// `(define-values (a b . c) expr)`: each name defined, then set from the values.
fn expand_define_values(rest: &[Datum], line: u32) -> Result<Vec<Datum>> {
    let [formals, expr] = rest else {
        return Err(Error::syntax("bad define-values", line));
    };
    let (names, rest_name) = parameters(formals, line)?;
    let all: Vec<String> = names.iter().chain(rest_name.iter()).cloned().collect();
    let temp = |n: &str| sym(&format!("%dv-{n}"));
    let mut out: Vec<Datum> = all
        .iter()
        .map(|n| list(vec![sym("define"), sym(n), Datum::Bool(false)], line))
        .collect();
    let temps = Datum::List(
        names.iter().map(|n| temp(n)).collect(),
        rest_name.as_deref().map(|n| Box::new(temp(n))),
        line,
    );
    let mut setter = vec![sym("lambda"), temps];
    setter.extend(
        all.iter()
            .map(|n| list(vec![sym("set!"), sym(n), temp(n)], line)),
    );
    out.push(list(
        vec![
            sym("call-with-values"),
            list(vec![sym("lambda"), list(vec![], line), expr.clone()], line),
            list(setter, line),
        ],
        line,
    ));
    Ok(out)
}

/// `(case-lambda (formals body ...) ...)`: a variadic procedure that applies the first clause
/// whose arity fits.
fn expand_case_lambda(clauses: &[Datum], line: u32) -> Datum {
    let mut closures = vec![sym("list")];
    for clause in clauses {
        let mut lambda = vec![sym("lambda")];
        if let Datum::List(items, tail, _) = clause {
            lambda.extend(items.iter().cloned());
            if let Some(tail) = tail {
                lambda.push((**tail).clone());
            }
        }
        closures.push(list(lambda, line));
    }
    let dispatch = list(
        vec![
            sym("lambda"),
            sym("%case-args"),
            list(
                vec![
                    sym("%case-lambda-apply"),
                    sym("%case-clauses"),
                    sym("%case-args"),
                ],
                line,
            ),
        ],
        line,
    );
    list(
        vec![
            list(
                vec![
                    sym("lambda"),
                    list(vec![sym("%case-clauses")], line),
                    dispatch,
                ],
                line,
            ),
            list(closures, line),
        ],
        line,
    )
}

/// The expansion of quasiquote template `x` at nesting `depth`.
fn quasi(x: &Datum, depth: u32, line: u32) -> Datum {
    let quote = |d: &Datum| list(vec![sym("quote"), d.clone()], line);
    match x {
        Datum::List(items, tail, _) => {
            if let [head, arg] = items.as_slice() {
                if tail.is_none() {
                    match head.as_sym() {
                        Some("unquote") if depth == 1 => return arg.clone(),
                        Some("unquote") => {
                            return list(
                                vec![sym("%list"), quote(head), quasi(arg, depth - 1, line)],
                                line,
                            );
                        }
                        Some("quasiquote") => {
                            return list(
                                vec![sym("%list"), quote(head), quasi(arg, depth + 1, line)],
                                line,
                            );
                        }
                        _ => {}
                    }
                }
            }
            let mut acc = match tail {
                Some(tail) => quasi(tail, depth, line),
                None => list(vec![sym("quote"), list(vec![], line)], line),
            };
            for item in items.iter().rev() {
                acc = match item.as_list() {
                    Some([head, arg])
                        if head.as_sym() == Some("unquote-splicing") && depth == 1 =>
                    {
                        list(vec![sym("%append"), arg.clone(), acc], line)
                    }
                    _ => list(vec![sym("%cons"), quasi(item, depth, line), acc], line),
                };
            }
            acc
        }
        Datum::Vector(items) => {
            let as_list = Datum::list(items.clone(), line);
            list(
                vec![sym("%list->vector"), quasi(&as_list, depth, line)],
                line,
            )
        }
        Datum::Sym(_) => quote(x),
        other => other.clone(),
    }
}

/// Shared, immutable compiled code (closures name it by id).
pub type Code = Rc<Lambda>;
