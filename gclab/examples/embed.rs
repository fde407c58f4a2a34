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
    CollectionKind, Collector, CollectorChoice, Heap, HeapConfig, HeapError, HeapVisitor, Value,
    run_with,
};

/// The runtime's program: a list of 100 000 cells, every other one unlinked, then a full
/// collection; prints what survived.
struct Program;

impl HeapVisitor for Program {
    type Output = Result<(), HeapError>;

    fn visit<C: Collector>(self, mut heap: Heap<C>) -> Self::Output {
        println!("collector: {}", C::CONSTRAINTS.name);
        let cell = heap.intern_type("Cell")?;
        let head = heap.allocate(cell, 2, 0)?;
        let mut tail = heap.allocate(cell, 2, 0)?;
        heap.store(head, 0, Value::Ref(tail))?;
        for n in 0..100_000 {
            let next = heap.allocate(cell, 2, 0)?;
            heap.store(next, 1, Value::Smi(n))?;
            heap.store(tail, 0, Value::Ref(next))?;
            // The list holds the old tail now: its handle (a root) can go.
            heap.release(tail)?;
            tail = next;
        }
        heap.release(tail)?;
        // Unlink every other cell: cell -> next -> next.next becomes cell -> next.next.
        let mut at = None;
        loop {
            let current = at.unwrap_or(head);
            let Value::Ref(next) = heap.load(current, 0)? else {
                break;
            };
            let after = heap.load(next, 0)?;
            heap.store(current, 0, after)?;
            heap.release(next)?;
            if let Some(done) = at {
                heap.release(done)?;
            }
            match after {
                Value::Ref(after) => at = Some(after),
                _ => break,
            }
        }
        heap.collect(CollectionKind::Full);
        let live = heap.live_graph();
        let stats = heap.stats();
        println!(
            "live after a full collection: {} cells ({} bytes); {} collections, {:.2} ms of pauses",
            live.objects,
            live.object_bytes,
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
