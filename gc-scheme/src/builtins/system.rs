//! The system: input (`read`), output (`display`, `write` ...), time, and the collector (`gc`,
//! and `write-heap-snapshot`, as Node's `v8.writeHeapSnapshot`).

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use gc_heapsnapshot::writer::WeakEdges;
use gclab::{CollectionKind, Collector, HandleScope, Value};

use super::{Primitive, fixed, ranged};
use crate::errors::{Error, ErrorKind, Result};
use crate::machine::Interp;

fn emit<'s, C: Collector>(
    it: &mut Interp<C>,
    s: &mut HandleScope<'s>,
    text: &str,
) -> Result<Value<'s>> {
    it.out
        .write_all(text.as_bytes())
        .map_err(|e| Error::new(ErrorKind::Io(e.to_string())))?;
    it.unspecified(s)
}

pub(super) fn primitives<C: Collector>() -> Vec<Primitive<C>> {
    vec![
        ranged("display", 1, Some(2), |it, s, a| {
            let text = it.print(a[0], false);
            emit(it, s, &text)
        }),
        ranged("write", 1, Some(2), |it, s, a| {
            let text = it.print(a[0], true);
            emit(it, s, &text)
        }),
        ranged("write-string", 1, Some(2), |it, s, a| {
            let text = it.print(a[0], false);
            emit(it, s, &text)
        }),
        ranged("write-char", 1, Some(2), |it, s, a| {
            let text = it.print(a[0], false);
            emit(it, s, &text)
        }),
        ranged("newline", 0, Some(1), |it, s, _a| emit(it, s, "\n")),
        ranged("flush-output-port", 0, Some(1), |it, s, _a| {
            it.out
                .flush()
                .map_err(|e| Error::new(ErrorKind::Io(e.to_string())))?;
            it.unspecified(s)
        }),
        fixed("current-output-port", 0, |it, s, _a| it.unspecified(s)),
        ranged("read", 0, Some(1), |it, s, _a| it.read_datum(s)),
        ranged("read-char", 0, Some(1), |it, s, _a| {
            let text = it.input_text()?;
            match text.chars().next() {
                Some(c) => {
                    text.drain(..c.len_utf8());
                    it.make_char(s, c)
                }
                None => it.eof(s),
            }
        }),
        ranged("peek-char", 0, Some(1), |it, s, _a| {
            match it.input_text()?.chars().next() {
                Some(c) => it.make_char(s, c),
                None => it.eof(s),
            }
        }),
        ranged("read-line", 0, Some(1), |it, s, _a| {
            let text = it.input_text()?;
            if text.is_empty() {
                return it.eof(s);
            }
            let end = text.find('\n').map_or(text.len(), |n| n + 1);
            let line: String = text.drain(..end).collect();
            it.make_string(s, line.trim_end_matches('\n'))
        }),
        ranged("char-ready?", 0, Some(1), |it, s, _a| it.boolean(s, true)),
        fixed("eof-object", 0, |it, s, _a| it.eof(s)),
        fixed("eof-object?", 1, |it, s, a| {
            let kind = it.kind(a[0])?;
            it.boolean(s, kind == crate::values::Kind::Eof)
        }),
        fixed("current-second", 0, |it, s, _a| {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64());
            it.make_float(s, now)
        }),
        fixed("current-jiffy", 0, |it, s, _a| {
            let micros = it.started.elapsed().as_micros();
            it.make_int(s, i64::try_from(micros).unwrap_or(i64::MAX))
        }),
        fixed("jiffies-per-second", 0, |it, s, _a| {
            it.make_int(s, 1_000_000)
        }),
        fixed("this-scheme-implementation-name", 0, |it, s, _a| {
            it.make_string(s, "gcscheme")
        }),
        fixed("gc", 0, |it, s, _a| {
            it.heap.collect(CollectionKind::Full);
            it.unspecified(s)
        }),
        ranged("write-heap-snapshot", 0, Some(1), |it, s, a| {
            let path = match a.first() {
                Some(&name) => super::data::chars(it, name, "write-heap-snapshot")?
                    .into_iter()
                    .collect(),
                None => default_snapshot_name(),
            };
            write_heap_snapshot(it, &path)?;
            it.make_string(s, &path)
        }),
        fixed("void", 0, |it, s, _a| it.unspecified(s)),
    ]
}

/// Node's default name without its date: `Heap.PID.SEQ.heapsnapshot`, numbered in this process.
fn default_snapshot_name() -> String {
    static WRITTEN: AtomicU32 = AtomicU32::new(0);
    let seq = WRITTEN.fetch_add(1, Ordering::Relaxed) + 1;
    format!("Heap.{}.{seq:03}.heapsnapshot", std::process::id())
}

/// The live graph, every value the program can still reach from its globals and its stack, as
/// a V8 `.heapsnapshot` at `path` (classes are the values' kinds: `pair`, `closure`, …).
fn write_heap_snapshot<C: Collector>(it: &Interp<C>, path: &str) -> Result<()> {
    let failed = |e: &dyn std::fmt::Display| {
        Error::new(ErrorKind::Io(format!(
            "cannot write the heap snapshot `{path}`: {e}"
        )))
    };
    let file = std::fs::File::create(path).map_err(|e| failed(&e))?;
    let mut out = std::io::BufWriter::new(file);
    gc_heapsnapshot::writer::write_heap_snapshot(&it.heap, &|_| None, WeakEdges::Omit, &mut out)
        .map_err(|e| failed(&e))?;
    Ok(())
}
