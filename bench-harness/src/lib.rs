//! # bench-harness: the library behind `gclab`
//!
//! Runs built-in workloads through gclab's mutator API on any compiled-in collector and reports
//! their pauses. The collector is chosen by name at run time ([`gclab::collectors`], whose cargo
//! features this crate passes on); the heap stays generic over it, so the choice is dispatched
//! once per run, never per allocation or store.
//!
//! - [`workloads`]: the deterministic mutator programs (`binary-trees`, `churn`, `linked-list`).
//! - [`compare`]: `gclab compare`, every collector on the same traces, with its table and reports.
//! - [`measure`]: one measured replay; [`metrics`]: the figures of a run; [`mmu`]: minimum
//!   mutator utilization from the pause intervals.
//! - [`runner`]: runs one workload on one heap and gathers what the report needs.
//! - [`pauses`]: pause-time statistics (nearest-rank percentiles).
//! - [`report`]: the text the `gclab` program prints ([`leak_report`]: `--check-deaths`'s
//!   leaks, grouped).
//! - [`replay`]: a trace ([`gc_trace`]) replayed on a heap; [`generators`]: the built-in traces.
//! - [`trace_commands`]: `gclab replay`, `convert` and `gen` ([`lazy_sink`]: `gen`'s output,
//!   created at the first record); [`snapshot_commands`]: the `gclab`
//!   commands on V8 heap snapshots ([`gc_heapsnapshot`]); [`run_command`]: `gclab run`. Each
//!   holds its commands' arguments.
//! - [`cli`]: the command line, which names the commands and hands each to its module.
//! - [`byte_size`], [`think_args`] and [`gc_threads`]: the values and options several commands
//!   take (byte counts; `--no-think` and `--max-think`; `--gc-threads`).
//! - [`units`]: how gclab's own text writes sizes (MiB), shares and counts.
//! - [`error`]: the harness's errors and the exit code of each.
//!
//! ```
//! use gclab::CollectorChoice;
//! use bench_harness::runner::{RunOptions, TraceGc, run_workload};
//! use bench_harness::workloads::Workload;
//! use gc_core::HeapConfig;
//!
//! # #[cfg(feature = "marksweep")]
//! # fn main() -> Result<(), bench_harness::Error> {
//! let options = RunOptions { scale: 1, trace_gc: TraceGc::Off, heap_id: 1 };
//! let report = run_workload(CollectorChoice::Auto, HeapConfig::default(), Workload::Churn, options)?;
//! assert_eq!(report.workload, "churn");
//! assert!(report.live.objects > 0);
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "marksweep"))]
//! # fn main() {}
//! ```

pub mod byte_size;
pub mod cli;
pub mod compare;
pub mod error;
pub mod gc_threads;
pub mod generators;
pub mod lazy_sink;
pub mod leak_report;
pub mod measure;
pub mod memory_watch;
pub mod metrics;
pub mod mmu;
pub mod pauses;
pub mod peers;
pub mod replay;
pub mod report;
pub mod rng;
pub mod run_command;
pub mod runner;
pub mod snapshot_commands;
pub mod think_args;
pub mod trace_commands;
pub mod units;
pub mod workloads;

pub use error::Error;
