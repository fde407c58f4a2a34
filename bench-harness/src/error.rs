//! The errors of the harness, and the exit code `gclab` gives each.

use std::io;

use gc_core::{ConfigError, HeapError, VerifyError};
use gclab::ChoiceError;
use thiserror::Error;

use crate::generators::GenError;
use crate::workloads::WorkloadError;
use gc_trace::{Problem, TraceError};

/// Exit code for bad arguments (clap's usage errors use it too).
pub const EXIT_USAGE: u8 = 2;
/// Exit code when a workload reached the heap limit.
pub const EXIT_OUT_OF_MEMORY: u8 = 3;
/// Exit code for every other failure.
pub const EXIT_FAILURE: u8 = 1;

#[derive(Debug, Error)]
pub enum Error {
    /// A collector that cannot be chosen, or a heap configuration it rejects.
    #[error(transparent)]
    Choice(#[from] ChoiceError),
    #[error("{workload}: {source}")]
    Workload {
        workload: &'static str,
        source: WorkloadError,
    },
    #[error("{workload}: {source}")]
    Verify {
        workload: &'static str,
        source: VerifyError,
    },
    #[error("cannot write the report: {0}")]
    Output(#[from] io::Error),
    #[error("{0}")]
    Trace(#[from] TraceError),
    #[error("{generator}: {source}")]
    Generator {
        generator: &'static str,
        source: GenError,
    },
    #[error("unknown generator `{name}`; available: {available}")]
    UnknownGenerator { name: String, available: String },
    #[error("`{0}` is both the input and the output; write the conversion to another file")]
    SameFile(String),
    #[error("cannot write `{path}`: {source}")]
    WriteTrace { path: String, source: io::Error },
    #[error("`{input}` is neither a trace file nor a workload; workloads: {workloads}")]
    UnknownInput { input: String, workloads: String },
    #[error("{job} on {collector}: {message}")]
    Measurement {
        job: String,
        collector: String,
        message: String,
        /// The measuring process's exit code, passed on.
        exit_code: u8,
    },
    #[error(
        "unknown peer `{0}`; peers: v8, hotspot (each collector this JDK has), hotspot-serial, hotspot-parallel, hotspot-g1, hotspot-zgc, hotspot-shenandoah"
    )]
    UnknownPeer(String),
    #[error("{peer}: {message}")]
    PeerUnavailable { peer: String, message: String },
    #[error(
        "{job}: {peer} kept {peer_live} objects alive where gclab's collectors kept {gclab_live}: the replay on {peer} is not faithful"
    )]
    PeerLiveMismatch {
        job: String,
        peer: String,
        peer_live: u64,
        gclab_live: u64,
    },
    #[error("{job}: the collectors left different live graphs (a collector bug): {groups}")]
    DigestMismatch { job: String, groups: String },
    #[error("cannot write `{path}`: {source}")]
    WriteResults { path: String, source: io::Error },
    #[error("{0}")]
    Snapshot(#[from] gc_heapsnapshot::SnapshotError),
    #[error("cannot write the snapshot of `{path}`: {source}")]
    WriteSnapshot {
        path: String,
        source: gc_heapsnapshot::writer::WriteError,
    },
    #[error("{trace}: the trace ends at line {last}, before line {line}")]
    TraceEndsBefore { trace: String, line: u64, last: u64 },
    #[error(
        "`{0}` names no trace format: use `.gct` (text), `.gct.gz` (compressed text), `.gctb` (binary) or `-`"
    )]
    UnknownTraceFormat(String),
}

/// A heap built directly (not through [`gclab::run_with`]) fails as one built from a choice does.
impl From<ConfigError> for Error {
    fn from(error: ConfigError) -> Self {
        Error::Choice(ChoiceError::Config(error))
    }
}

impl Error {
    /// The process exit code for this error: 2 for bad arguments, 3 for reaching the heap limit,
    /// 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Choice(
                ChoiceError::UnknownCollector { .. }
                | ChoiceError::NotCompiledIn { .. }
                | ChoiceError::Config(_),
            )
            | Error::UnknownTraceFormat(_)
            | Error::UnknownInput { .. }
            | Error::UnknownGenerator { .. }
            | Error::UnknownPeer(_)
            | Error::SameFile(_)
            | Error::Snapshot(_)
            | Error::TraceEndsBefore { .. }
            | Error::WriteSnapshot {
                source: gc_heapsnapshot::writer::WriteError::IdTooLarge(_),
                ..
            } => EXIT_USAGE,
            Error::Trace(error) => match error.problem {
                Problem::HeapLimit(_) => EXIT_OUT_OF_MEMORY,
                Problem::Heap(_) => EXIT_FAILURE,
                _ => EXIT_USAGE,
            },
            Error::Generator {
                source: GenError::Io(_),
                ..
            } => EXIT_FAILURE,
            Error::Generator { .. } => EXIT_USAGE,
            Error::Measurement { exit_code, .. } => *exit_code,
            Error::Workload {
                source: WorkloadError::Heap(HeapError::OutOfMemory(_)),
                ..
            } => EXIT_OUT_OF_MEMORY,
            _ => EXIT_FAILURE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A collector named wrongly, or one this build lacks, is a usage error; a build with no
    /// collector at all is not the user's mistake.
    #[test]
    fn collector_choice_errors_keep_their_exit_codes() {
        let unknown = gclab::CollectorChoice::parse("nosuch").map(|_| ());
        let Err(unknown @ ChoiceError::UnknownCollector { .. }) = unknown else {
            panic!("`nosuch` parsed");
        };
        assert_eq!(Error::from(unknown).exit_code(), EXIT_USAGE);
        let missing = ChoiceError::NotCompiledIn {
            name: "markcompact".into(),
            features: "cargo feature `markcompact`".into(),
        };
        assert_eq!(Error::from(missing).exit_code(), EXIT_USAGE);
        let config = ChoiceError::Config(ConfigError::HeapTooSmall(0));
        assert_eq!(Error::from(config).exit_code(), EXIT_USAGE);
        let none = Error::from(ChoiceError::NoCollector);
        assert_eq!(none.exit_code(), EXIT_FAILURE);
        // The message is gclab's, unchanged.
        assert_eq!(none.to_string(), ChoiceError::NoCollector.to_string());
    }
}
