//! A language runtime embedding gclab's heap, with its collector chosen only by cargo features:
//! the code names no collector. `CollectorChoice::Auto` stands for the best collector the build
//! holds, so the same program is a mark-sweep runtime when built with
//! `--no-default-features --features marksweep` and a generational one with the defaults.
//!
//! ```text
//! cargo run -p gclab --example embed
//! cargo run -p gclab --example embed --no-default-features --features markcompact
//! ```
//!
//! The second prints `collector: markcompact`.

use std::process::ExitCode;

use gclab::{
    CollectionKind, Collector, CollectorChoice, Heap, HeapConfig, HeapError, HeapVisitor,
    SlotContent, Value, run_with,
};

/// The runtime's program: a list of 100 000 cells, every other one unlinked, then a full
/// collection; prints what survived it while the list was rooted, and after.
struct Program;

impl HeapVisitor for Program {
    type Output = Result<(), HeapError>;

    fn visit<C: Collector>(self, mut heap: Heap<C>) -> Self::Output {
        println!("collector: {}", C::CONSTRAINTS.name);
        let cell = heap.intern_type("Cell")?;
        heap.handle_scope(|heap, scope| -> Result<(), HeapError> {
            let head = heap.allocate(scope, cell, 2, 0)?;
            // One local walks the list's end: `load_into` moves it along, no local per cell.
            let tail = heap.local(scope, head)?;
            for n in 0..100_000 {
                scope.scope(|scope| -> Result<(), HeapError> {
                    let next = heap.allocate(scope, cell, 2, 0)?;
                    heap.store(next, 1, Value::Smi(n))?;
                    heap.store(tail, 0, next)?;
                    Ok(())
                })?;
                heap.load_into(tail, tail, 0)?;
            }
            // Unlink every other cell: cell -> next -> next.next becomes cell -> next.next.
            let at = heap.local(scope, head)?;
            scope.scope(|scope| -> Result<(), HeapError> {
                let next = heap.local(scope, head)?;
                while heap.load_into(next, at, 0)? == SlotContent::Reference {
                    let after = heap.load(scope, next, 0)?;
                    heap.store(at, 0, after)?;
                    if heap.load_into(at, at, 0)? != SlotContent::Reference {
                        break;
                    }
                }
                Ok(())
            })?;
            heap.collect(CollectionKind::Full);
            Ok(())
        })?;
        // The scope is closed: nothing roots the list any more.
        let rooted = heap.stats().used_bytes;
        heap.collect(CollectionKind::Full);
        let stats = heap.stats();
        println!(
            "{rooted} bytes live while the list was rooted, {} after its scope; {} collections, \
             {:.2} ms of pauses",
            stats.used_bytes,
            stats.gc_count,
            stats.total_pause.as_secs_f64() * 1e3,
        );
        Ok(())
    }
}

fn main() -> ExitCode {
    match run_with(CollectorChoice::Auto, HeapConfig::default(), Program) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(error)) => {
            eprintln!("embed: the program failed: {error}");
            ExitCode::FAILURE
        }
        // Built without any collector feature.
        Err(error) => {
            eprintln!("embed: {error}");
            ExitCode::from(2)
        }
    }
}
