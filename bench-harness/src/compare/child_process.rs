//! Measuring each run in a fresh process: `gclab compare` starts its own binary as
//! `gclab measure TRACE --collector NAME` (with compare's think-time and `--gc-threads` options),
//! which replays the trace once and prints its [`RunMetrics`] as JSON. A fresh process per run
//! gives every collector the same start (no pages pooled, no allocator state, no caches warmed by
//! another collector) and makes the peak RSS that run's own.

use std::path::{Path, PathBuf};
use std::process::Command;

use gc_core::HeapConfig;

use crate::compare::Measure;
use crate::error::{EXIT_FAILURE, Error};
use crate::gc_threads::gc_threads_arguments;
use crate::metrics::RunMetrics;
use crate::replay::ThinkTime;
use crate::think_args::think_arguments;

/// Runs each measurement in a child process of `program` (normally this very binary).
#[derive(Clone, Debug)]
pub struct ChildProcess {
    program: PathBuf,
    think: ThinkTime,
    gc_threads: usize,
    heap_limit: Option<usize>,
}

impl ChildProcess {
    /// Measures with the running binary.
    pub fn current_exe() -> Result<ChildProcess, Error> {
        let program = std::env::current_exe().map_err(|source| Error::Measurement {
            job: String::new(),
            collector: String::new(),
            message: format!("cannot find gclab's own binary to run the measurements: {source}"),
            exit_code: EXIT_FAILURE,
        })?;
        Ok(ChildProcess::new(program))
    }

    /// Measures with `program`, which must take `measure TRACE --collector NAME`, the
    /// think-time options and `--gc-threads`.
    pub fn new(program: PathBuf) -> ChildProcess {
        ChildProcess {
            program,
            think: ThinkTime::default(),
            gc_threads: HeapConfig::default().gc_threads,
            heap_limit: None,
        }
    }

    /// The same, with the `t` records treated as `think` says in every run.
    pub fn with_think(self, think: ThinkTime) -> ChildProcess {
        ChildProcess { think, ..self }
    }

    /// The same, with `gc_threads` threads for every run's collections.
    pub fn with_gc_threads(self, gc_threads: usize) -> ChildProcess {
        ChildProcess { gc_threads, ..self }
    }

    /// The same, with a hard heap limit of `heap_limit` bytes in every run.
    pub fn with_heap_limit(self, heap_limit: Option<usize>) -> ChildProcess {
        ChildProcess { heap_limit, ..self }
    }
}

impl Measure for ChildProcess {
    fn measure(&mut self, job: &str, trace: &Path, collector: &str) -> Result<RunMetrics, Error> {
        let failed = |message: String, exit_code: u8| Error::Measurement {
            job: job.to_owned(),
            collector: collector.to_owned(),
            message,
            exit_code,
        };
        let output = Command::new(&self.program)
            .arg("measure")
            .arg(trace)
            .args(["--collector", collector])
            .args(think_arguments(self.think))
            // Always given: the count the results record is then the one every run used, not a
            // default the child works out for itself.
            .args(gc_threads_arguments(self.gc_threads))
            .args(
                self.heap_limit
                    .map(|bytes| ["--heap-limit".to_owned(), bytes.to_string()])
                    .into_iter()
                    .flatten(),
            )
            .output()
            .map_err(|error| {
                let program = self.program.display();
                failed(format!("cannot start `{program}`: {error}"), EXIT_FAILURE)
            })?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            // The child's own message (`gclab: ...`) without its prefix.
            let mut message = stderr.trim().trim_start_matches("gclab: ").to_owned();
            if message.is_empty() {
                message = format!("the measuring process failed ({})", output.status);
            }
            let code = output
                .status
                .code()
                .and_then(|code| u8::try_from(code).ok());
            return Err(failed(message, code.unwrap_or(EXIT_FAILURE)));
        }
        serde_json::from_slice(&output.stdout).map_err(|error| {
            failed(
                format!("the measuring process printed no measurement: {error}"),
                EXIT_FAILURE,
            )
        })
    }

    fn think(&self) -> ThinkTime {
        self.think
    }

    fn gc_threads(&self) -> usize {
        self.gc_threads
    }
}
