//! The system: time, and the collector (`gc`, and `write-heap-snapshot`, as Node's
//! `v8.writeHeapSnapshot`).

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use gc_heapsnapshot::writer::WeakEdges;
use gclab::{CollectionKind, Collector};

use super::{Primitive, fixed, ranged};
use crate::errors::{Error, ErrorKind, Result};
use crate::machine::Interp;

pub(super) fn primitives<C: Collector>() -> Vec<Primitive<C>> {
    vec![
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
