//! A whole run: a program on a heap of the chosen collector, on a thread of its own whose stack
//! holds the machine's recursion, then the heap checked.
//!
//! Why a big thread stack rather than heap-allocated continuation frames: the handle-scope API
//! ties every local to a Rust scope, so a Rust call per Scheme call is the natural shape (each
//! frame's values are the locals of its scope, freed when it returns), and a reserved stack
//! costs address space, not memory, until used. `STACK_BYTES` and `MAX_DEPTH` are sized
//! together: the machine refuses a call deeper than `MAX_DEPTH` with an error before the stack
//! can overflow. After the program, every root the runtime made is dropped and the heap must
//! verify with no root left: an error must not leak one.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use gclab::{Collector, CollectorChoice, Heap, HeapConfig, HeapVisitor, run_with, trace_gc_line};

use crate::errors::ErrorKind;
use crate::machine::{Input, Interp};
use crate::recording::{self, RecordingOutcome};

/// The evaluator thread's stack: reserved, touched only as deep as the program recurses.
pub const STACK_BYTES: usize = 4 << 30;
/// The deepest nesting of non-tail calls the stack holds, with a margin.
pub const MAX_DEPTH: usize = 1_000_000;

/// A program to run.
pub struct Program {
    /// The file name errors name.
    pub file: String,
    pub source: String,
    pub input: Input,
    pub output: Box<dyn Write + Send>,
    /// Print V8's `--trace-gc` line for each pause, to standard output.
    pub trace_gc: bool,
    /// Verify the heap after a successful run too (after an error it always is): a walk of
    /// the whole heap, seconds for a large one.
    pub verify_after: bool,
    /// Record the heap's activity as a binary trace in this file (see [`crate::recording`]).
    pub record: Option<PathBuf>,
}

/// How a run ended.
#[derive(Debug)]
pub struct Outcome {
    /// The collector's name.
    pub collector: &'static str,
    /// `FILE:LINE: message` of the error that stopped the program.
    pub error: Option<String>,
    /// 0, 1 after an error, or what `(exit n)` asked for.
    pub exit_code: i32,
    pub gc_count: u64,
    /// The collector's pauses, in all.
    pub gc_pause: Duration,
    /// The program's run, from the heap's creation to its end.
    pub elapsed: Duration,
    /// Roots left after the runtime dropped its own: must be 0.
    pub leaked_roots: usize,
    /// The verifier's complaint about the heap after the run, if any.
    pub verify_error: Option<String>,
    /// With [`Program::record`]: what the recording wrote, or its error.
    pub recording: Option<RecordingOutcome>,
}

impl Outcome {
    /// A run that stopped before the program started.
    fn failed_setup(collector: &'static str, error: String, started: Instant) -> Outcome {
        Outcome {
            collector,
            error: Some(error),
            exit_code: 1,
            gc_count: 0,
            gc_pause: Duration::ZERO,
            elapsed: started.elapsed(),
            leaked_roots: 0,
            verify_error: None,
            recording: None,
        }
    }
}

/// Runs `program` with collector `choice`; an `Err` is a message for a setup failure (an
/// unknown or missing collector, a thread that could not start, an internal panic).
pub fn run(
    choice: CollectorChoice,
    config: HeapConfig,
    program: Program,
) -> Result<Outcome, String> {
    let thread = std::thread::Builder::new()
        .name("gcscheme".into())
        .stack_size(STACK_BYTES)
        .spawn(move || run_with(choice, config, Session { program }));
    let handle = thread.map_err(|e| format!("cannot start the evaluator thread: {e}"))?;
    match handle.join() {
        Ok(Ok(outcome)) => Ok(outcome),
        Ok(Err(choice_error)) => Err(choice_error.to_string()),
        Err(_) => Err("internal error: the evaluator panicked".into()),
    }
}

struct Session {
    program: Program,
}

impl HeapVisitor for Session {
    type Output = Outcome;

    fn visit<C: Collector>(self, mut heap: Heap<C>) -> Outcome {
        let Program {
            file,
            source,
            input,
            output,
            trace_gc,
            verify_after,
            record,
        } = self.program;
        let collector = C::CONSTRAINTS.name;
        let started = Instant::now();
        if trace_gc {
            let pid = std::process::id();
            heap.on_gc_event(Box::new(move |event| {
                // A listener cannot fail; a closed standard output ends the program soon anyway.
                let _ = writeln!(std::io::stdout(), "{}", trace_gc_line(event, pid, 0));
            }));
        }
        if let Some(path) = &record {
            if let Err(error) = recording::start(&mut heap, path) {
                return Outcome::failed_setup(collector, error, started);
            }
        }
        let mut interp = match Interp::new(heap, output, input, MAX_DEPTH) {
            Ok(interp) => interp,
            Err(error) => return Outcome::failed_setup(collector, error.report(&file), started),
        };
        let result = interp.run_source(&source);
        let _ = interp.out.flush();
        let (error, exit_code) = match result {
            Ok(()) => (None, 0),
            Err(error) => match error.kind {
                ErrorKind::Exit(code) => (None, code),
                _ => (Some(error.report(&file)), 1),
            },
        };
        let elapsed = started.elapsed();
        let at_end = interp.heap.recorded_checkpoint();
        let mut heap = interp.into_heap();
        let recording = recording::finish(&mut heap, at_end);
        let stats = heap.stats();
        let verify = verify_after || error.is_some();
        Outcome {
            collector,
            error,
            exit_code,
            gc_count: stats.gc_count,
            gc_pause: stats.total_pause,
            elapsed,
            leaked_roots: stats.handles + stats.local_handles,
            verify_error: match verify {
                true => heap.verify().err().map(|e| e.to_string()),
                false => None,
            },
            recording,
        }
    }
}

/// An output that keeps what is written, for tests and embedders.
#[derive(Clone, Default)]
pub struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl SharedBuffer {
    pub fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `source` with `input` and returns its output and outcome: the tests' entry point.
pub fn run_text(
    choice: CollectorChoice,
    config: HeapConfig,
    source: &str,
    input: &str,
) -> Result<(String, Outcome), String> {
    let buffer = SharedBuffer::default();
    let program = Program {
        file: "test.scm".into(),
        source: source.to_string(),
        input: Input::Text(input.to_string()),
        output: Box::new(buffer.clone()),
        trace_gc: false,
        verify_after: true,
        record: None,
    };
    let outcome = run(choice, config, program)?;
    Ok((buffer.text(), outcome))
}
