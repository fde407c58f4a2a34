//! Input and output: `read`, `display` and their kin on any port, file and string ports, and
//! the current ports (see [`crate::ports`]). A procedure's port argument is optional, the
//! current port by default.

use std::io::Write;

use gclab::{Collector, HandleScope, Value};

use super::data::{chars, object};
use super::{Primitive, fixed, ranged};
use crate::errors::{Error, ErrorKind, Result};
use crate::machine::Interp;
use crate::ports::{InputText, PortState, STDERR, STDIN, STDOUT};
use crate::reader::Reader;
use crate::values::{Kind, payload_u32};

fn io_error(procedure: &str, what: &str, error: std::io::Error) -> Error {
    Error::new(ErrorKind::Io(format!("{procedure}: {what}: {error}")))
}

fn make_port<'s, C: Collector>(
    it: &mut Interp<C>,
    s: &mut HandleScope<'s>,
    number: u32,
) -> Result<Value<'s>> {
    let bytes = number.to_le_bytes();
    Ok(Value::Ref(it.heap.allocate_with_bytes(
        s,
        it.types.port,
        0,
        &bytes,
    )?))
}

fn port_number<C: Collector>(it: &Interp<C>, value: Value<'_>, procedure: &str) -> Result<u32> {
    let local = object(it, value, Kind::Port, procedure, "a port")?;
    payload_u32(it.heap.payload(local)?)
}

/// The port `arg` names, or the current one when it is absent.
fn port_or<C: Collector>(
    it: &Interp<C>,
    arg: Option<&Value<'_>>,
    current: u32,
    procedure: &str,
) -> Result<u32> {
    arg.map_or(Ok(current), |&port| port_number(it, port, procedure))
}

fn closed(procedure: &str) -> Error {
    Error::runtime(format!("{procedure}: the port is closed"))
}

/// Writes `text` to output port `port`.
fn emit<'s, C: Collector>(
    it: &mut Interp<C>,
    s: &mut HandleScope<'s>,
    port: u32,
    text: &str,
    procedure: &str,
) -> Result<Value<'s>> {
    let written = match port {
        STDOUT => it.out.write_all(text.as_bytes()),
        STDERR => std::io::stderr().write_all(text.as_bytes()),
        STDIN => return Err(Error::runtime(format!("{procedure}: not an output port"))),
        _ => match it.ports.state(port) {
            Some(PortState::OutputFile(file)) => file.write_all(text.as_bytes()),
            Some(PortState::OutputString(buffer)) => {
                buffer.push_str(text);
                Ok(())
            }
            Some(PortState::Input(_) | PortState::Closed { input: true }) => {
                return Err(Error::runtime(format!("{procedure}: not an output port")));
            }
            Some(PortState::Closed { input: false }) | None => return Err(closed(procedure)),
        },
    };
    written.map_err(|e| io_error(procedure, "cannot write", e))?;
    it.unspecified(s)
}

/// What `(procedure value [port])` writes: the value printed, to the port or the current one.
fn print_to<'s, C: Collector>(
    it: &mut Interp<C>,
    s: &mut HandleScope<'s>,
    args: &[Value<'s>],
    write: bool,
    procedure: &str,
) -> Result<Value<'s>> {
    let port = port_or(it, args.get(1), it.ports.current_output, procedure)?;
    let text = it.print(args[0], write);
    emit(it, s, port, &text, procedure)
}

/// Input port `port`'s text.
fn input<'i, C: Collector>(
    it: &'i mut Interp<C>,
    port: u32,
    procedure: &str,
) -> Result<&'i mut InputText> {
    if port == STDIN {
        if it.ports.stdin.is_none() {
            let text = std::mem::take(it.input_text()?);
            it.ports.stdin = Some(InputText::new(text));
        }
        return it
            .ports
            .stdin
            .as_mut()
            .ok_or_else(|| Error::runtime("internal error: standard input"));
    }
    match it.ports.state(port) {
        Some(PortState::Input(text)) => Ok(text),
        Some(PortState::Closed { input: true }) => Err(closed(procedure)),
        _ => Err(Error::runtime(format!("{procedure}: not an input port"))),
    }
}

fn input_port<C: Collector>(it: &Interp<C>, args: &[Value<'_>], procedure: &str) -> Result<u32> {
    port_or(it, args.first(), it.ports.current_input, procedure)
}

fn read_datum<'s, C: Collector>(
    it: &mut Interp<C>,
    s: &mut HandleScope<'s>,
    args: &[Value<'s>],
) -> Result<Value<'s>> {
    let port = input_port(it, args, "read")?;
    let text = input(it, port, "read")?;
    let mut reader = Reader::new(text.rest());
    let datum = reader.next_datum()?;
    let consumed = reader.consumed_bytes();
    text.advance(consumed);
    match datum {
        Some(datum) => it.datum_value(s, &datum),
        None => it.eof(s),
    }
}

/// `read-char` (`take`) and `peek-char`.
fn next_char<'s, C: Collector>(
    it: &mut Interp<C>,
    s: &mut HandleScope<'s>,
    args: &[Value<'s>],
    take: bool,
    procedure: &str,
) -> Result<Value<'s>> {
    let port = input_port(it, args, procedure)?;
    let text = input(it, port, procedure)?;
    let Some(c) = text.rest().chars().next() else {
        return it.eof(s);
    };
    if take {
        text.advance(c.len_utf8());
    }
    it.make_char(s, c)
}

fn read_line<'s, C: Collector>(
    it: &mut Interp<C>,
    s: &mut HandleScope<'s>,
    args: &[Value<'s>],
) -> Result<Value<'s>> {
    let port = input_port(it, args, "read-line")?;
    let text = input(it, port, "read-line")?;
    let rest = text.rest();
    if rest.is_empty() {
        return it.eof(s);
    }
    let end = rest.find('\n').map_or(rest.len(), |n| n + 1);
    let line = rest[..end].trim_end_matches('\n').to_owned();
    text.advance(end);
    it.make_string(s, &line)
}

fn read_string<'s, C: Collector>(
    it: &mut Interp<C>,
    s: &mut HandleScope<'s>,
    args: &[Value<'s>],
) -> Result<Value<'s>> {
    let Value::Smi(k) = args[0] else {
        return Err(it.wrong_type("read-string", "a character count", args[0]));
    };
    let port = input_port(it, &args[1..], "read-string")?;
    let text = input(it, port, "read-string")?;
    let rest = text.rest();
    if rest.is_empty() {
        return it.eof(s);
    }
    let end = rest
        .char_indices()
        .nth(usize::try_from(k).unwrap_or(0))
        .map_or(rest.len(), |(at, _)| at);
    let piece = rest[..end].to_owned();
    text.advance(end);
    it.make_string(s, &piece)
}

fn path<C: Collector>(it: &Interp<C>, value: Value<'_>, procedure: &str) -> Result<String> {
    Ok(chars(it, value, procedure)?.into_iter().collect())
}

fn open_input_file<C: Collector>(it: &mut Interp<C>, name: &str, procedure: &str) -> Result<u32> {
    let text = std::fs::read_to_string(name)
        .map_err(|e| io_error(procedure, &format!("cannot open `{name}`"), e))?;
    Ok(it.ports.open(PortState::Input(InputText::new(text))))
}

fn open_output_file<C: Collector>(it: &mut Interp<C>, name: &str, procedure: &str) -> Result<u32> {
    let file = std::fs::File::create(name)
        .map_err(|e| io_error(procedure, &format!("cannot create `{name}`"), e))?;
    Ok(it
        .ports
        .open(PortState::OutputFile(std::io::BufWriter::new(file))))
}

fn close<C: Collector>(it: &mut Interp<C>, port: u32, procedure: &str) -> Result<()> {
    it.ports
        .close(port)
        .map_err(|e| io_error(procedure, "cannot flush", e))
}

/// `(call-with-port port proc)` and the `call-with-…-file`s: `proc` applied to the port, which
/// is closed when it returns.
fn call_with<'s, C: Collector>(
    it: &mut Interp<C>,
    s: &mut HandleScope<'s>,
    port: u32,
    procedure: Value<'s>,
    name: &str,
) -> Result<Value<'s>> {
    let value = make_port(it, s, port)?;
    let result = it.apply(s, procedure, &[value])?;
    close(it, port, name)?;
    Ok(result)
}

/// `with-input-from-file` and `with-output-to-file`: `thunk` called with the file as the
/// current port, restored (and the file closed) however the thunk ends.
fn with_current<'s, C: Collector>(
    it: &mut Interp<C>,
    s: &mut HandleScope<'s>,
    port: u32,
    thunk: Value<'s>,
    output: bool,
    name: &str,
) -> Result<Value<'s>> {
    fn current<C: Collector>(it: &mut Interp<C>, output: bool) -> &mut u32 {
        match output {
            true => &mut it.ports.current_output,
            false => &mut it.ports.current_input,
        }
    }
    let previous = std::mem::replace(current(it, output), port);
    let result = it.apply(s, thunk, &[]);
    *current(it, output) = previous;
    close(it, port, name)?;
    result
}

/// `close-port` and its two R7RS aliases: each closes its port, whichever way it goes.
macro_rules! closers {
    ($($name:literal),*) => {
        [$(fixed($name, 1, |it, s, a| {
            close(it, port_number(it, a[0], $name)?, $name)?;
            it.unspecified(s)
        })),*]
    };
}

/// `port?` and `textual-port?`: every port of gc-scheme is textual.
macro_rules! port_predicates {
    ($($name:literal),*) => {
        [$(fixed($name, 1, |it, s, a| {
            let is = it.kind(a[0])? == Kind::Port;
            it.boolean(s, is)
        })),*]
    };
}

pub(super) fn primitives<C: Collector>() -> Vec<Primitive<C>> {
    let mut all = Vec::from(closers!(
        "close-port",
        "close-input-port",
        "close-output-port"
    ));
    all.extend(port_predicates!("port?", "textual-port?"));
    all.extend([
        ranged("display", 1, Some(2), |it, s, a| {
            print_to(it, s, a, false, "display")
        }),
        ranged("write", 1, Some(2), |it, s, a| {
            print_to(it, s, a, true, "write")
        }),
        ranged("write-string", 1, Some(2), |it, s, a| {
            chars(it, a[0], "write-string")?;
            print_to(it, s, a, false, "write-string")
        }),
        ranged("write-char", 1, Some(2), |it, s, a| {
            object(it, a[0], Kind::Char, "write-char", "a character")?;
            print_to(it, s, a, false, "write-char")
        }),
        ranged("newline", 0, Some(1), |it, s, a| {
            let port = port_or(it, a.first(), it.ports.current_output, "newline")?;
            emit(it, s, port, "\n", "newline")
        }),
        ranged("flush-output-port", 0, Some(1), |it, s, a| {
            let port = port_or(it, a.first(), it.ports.current_output, "flush-output-port")?;
            let flushed = match port {
                STDOUT => it.out.flush(),
                STDERR => std::io::stderr().flush(),
                _ => match it.ports.state(port) {
                    Some(PortState::OutputFile(file)) => file.flush(),
                    _ => Ok(()),
                },
            };
            flushed.map_err(|e| io_error("flush-output-port", "cannot flush", e))?;
            it.unspecified(s)
        }),
        fixed("current-input-port", 0, |it, s, _a| {
            make_port(it, s, it.ports.current_input)
        }),
        fixed("current-output-port", 0, |it, s, _a| {
            make_port(it, s, it.ports.current_output)
        }),
        fixed("current-error-port", 0, |it, s, _a| {
            make_port(it, s, STDERR)
        }),
        ranged("read", 0, Some(1), read_datum),
        ranged("read-char", 0, Some(1), |it, s, a| {
            next_char(it, s, a, true, "read-char")
        }),
        ranged("peek-char", 0, Some(1), |it, s, a| {
            next_char(it, s, a, false, "peek-char")
        }),
        ranged("read-line", 0, Some(1), read_line),
        ranged("read-string", 1, Some(2), read_string),
        ranged("char-ready?", 0, Some(1), |it, s, a| {
            let port = input_port(it, a, "char-ready?")?;
            input(it, port, "char-ready?")?;
            it.boolean(s, true)
        }),
        fixed("eof-object", 0, |it, s, _a| it.eof(s)),
        fixed("eof-object?", 1, |it, s, a| {
            let kind = it.kind(a[0])?;
            it.boolean(s, kind == Kind::Eof)
        }),
        fixed("open-input-file", 1, |it, s, a| {
            let name = path(it, a[0], "open-input-file")?;
            let port = open_input_file(it, &name, "open-input-file")?;
            make_port(it, s, port)
        }),
        fixed("open-output-file", 1, |it, s, a| {
            let name = path(it, a[0], "open-output-file")?;
            let port = open_output_file(it, &name, "open-output-file")?;
            make_port(it, s, port)
        }),
        fixed("open-input-string", 1, |it, s, a| {
            let text = path(it, a[0], "open-input-string")?;
            let port = it.ports.open(PortState::Input(InputText::new(text)));
            make_port(it, s, port)
        }),
        fixed("open-output-string", 0, |it, s, _a| {
            let port = it.ports.open(PortState::OutputString(String::new()));
            make_port(it, s, port)
        }),
        fixed("get-output-string", 1, |it, s, a| {
            let port = port_number(it, a[0], "get-output-string")?;
            let text = match it.ports.state(port) {
                Some(PortState::OutputString(text)) => text.clone(),
                _ => {
                    return Err(it.wrong_type("get-output-string", "an output string port", a[0]));
                }
            };
            it.make_string(s, &text)
        }),
        fixed("input-port?", 1, |it, s, a| {
            let is = it.kind(a[0])? == Kind::Port && {
                let port = port_number(it, a[0], "input-port?")?;
                it.ports.is_input(port)
            };
            it.boolean(s, is)
        }),
        fixed("output-port?", 1, |it, s, a| {
            let is = it.kind(a[0])? == Kind::Port && {
                let port = port_number(it, a[0], "output-port?")?;
                !it.ports.is_input(port)
            };
            it.boolean(s, is)
        }),
        fixed("input-port-open?", 1, |it, s, a| {
            let port = port_number(it, a[0], "input-port-open?")?;
            let is = it.ports.is_input(port) && it.ports.is_open(port);
            it.boolean(s, is)
        }),
        fixed("output-port-open?", 1, |it, s, a| {
            let port = port_number(it, a[0], "output-port-open?")?;
            let is = !it.ports.is_input(port) && it.ports.is_open(port);
            it.boolean(s, is)
        }),
        fixed("call-with-port", 2, |it, s, a| {
            let port = port_number(it, a[0], "call-with-port")?;
            call_with(it, s, port, a[1], "call-with-port")
        }),
        fixed("call-with-input-file", 2, |it, s, a| {
            let name = path(it, a[0], "call-with-input-file")?;
            let port = open_input_file(it, &name, "call-with-input-file")?;
            call_with(it, s, port, a[1], "call-with-input-file")
        }),
        fixed("call-with-output-file", 2, |it, s, a| {
            let name = path(it, a[0], "call-with-output-file")?;
            let port = open_output_file(it, &name, "call-with-output-file")?;
            call_with(it, s, port, a[1], "call-with-output-file")
        }),
        fixed("with-input-from-file", 2, |it, s, a| {
            let name = path(it, a[0], "with-input-from-file")?;
            let port = open_input_file(it, &name, "with-input-from-file")?;
            with_current(it, s, port, a[1], false, "with-input-from-file")
        }),
        fixed("with-output-to-file", 2, |it, s, a| {
            let name = path(it, a[0], "with-output-to-file")?;
            let port = open_output_file(it, &name, "with-output-to-file")?;
            with_current(it, s, port, a[1], true, "with-output-to-file")
        }),
        fixed("file-exists?", 1, |it, s, a| {
            let name = path(it, a[0], "file-exists?")?;
            it.boolean(s, std::path::Path::new(&name).exists())
        }),
        fixed("delete-file", 1, |it, s, a| {
            let name = path(it, a[0], "delete-file")?;
            std::fs::remove_file(&name)
                .map_err(|e| io_error("delete-file", &format!("cannot delete `{name}`"), e))?;
            it.unspecified(s)
        }),
    ]);
    all
}
