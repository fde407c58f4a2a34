//! `gclab compare`: the same traces on every chosen collector, measured alike, checked to leave
//! the same live graph, and reported as a terminal table, `results.json`, `results.csv` and a
//! self-contained `report.html`.
//!
//! A comparison is a loop over jobs (traces), repeats and collectors that asks a [`Measure`] for
//! each run: [`ChildProcess`] (a fresh process per run, what the command uses) or [`InProcess`]
//! (a fresh heap per run). Keeping the measuring behind a trait is what lets a test put a
//! collector of its own — a faulty one — beside the real ones. Before a job's measured runs come
//! `warmup` runs that are thrown away (they bring the trace file into the page cache and the
//! machine out of idle). Within a repeat the collectors take turns, so a drift of the machine
//! spreads over all of them rather than landing on one.
//!
//! The collectors are whatever [`CollectorChoice::COMPILED_IN`] holds, by name: a collector added
//! to the build is compared with no change here.
//!
//! The arguments of `gclab compare` and of the hidden `gclab measure` it runs per run are here
//! too, beside the commands.

pub mod child_process;
pub mod digests;
pub mod html_report;
pub mod results_files;
pub mod series_style;
pub mod statistics;
pub mod suite;
pub mod svg_plot;
pub mod table;

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use gc_core::HeapConfig;
use gclab::ChoiceError;
use gclab::collectors::{self, CollectorChoice};
use serde::{Deserialize, Serialize};

use crate::byte_size::parse_bytes;
use crate::error::Error;
use crate::gc_threads::GcThreadsArgs;
use crate::measure::measure_trace;
use crate::metrics::RunMetrics;
use crate::peers::{self, Peer, PeerRunner};
use crate::replay::ThinkTime;
use crate::think_args::{self, ThinkArgs};
use crate::units;
pub use child_process::ChildProcess;
use statistics::FigureSummary;
use suite::{DEFAULT_SUITE, Input, Job};

#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// Trace files (any format), or built-in workloads: a generator's name, optionally with
    /// parameters (`binary-trees:depth=12`, `splay:nodes=4000,steps=20`). None: the built-in
    /// suite.
    #[arg(value_name = "TRACE|WORKLOAD")]
    pub inputs: Vec<String>,
    /// The collectors: `all` (every compiled-in one) or names separated by commas.
    #[arg(long, value_name = "LIST|all", default_value = "all")]
    pub collectors: String,
    /// Measured runs per trace and collector: each figure is their median, shown with the
    /// lowest and highest. `--repeat 1` for a quick look.
    #[arg(long, value_name = "N", default_value_t = 3,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
    /// Unmeasured runs per trace before the measured ones.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub warmup: u32,
    /// The folder for results.json, results.csv, report.html and the generated traces.
    #[arg(long, value_name = "DIR", default_value = "gclab-results")]
    pub out: PathBuf,
    /// Production runtimes replaying the same traces beside gclab's collectors: `v8` (Node.js),
    /// `hotspot` (each collector of this JDK), or single ones (`hotspot-g1`, `hotspot-zgc`, …).
    #[arg(long, value_name = "LIST")]
    pub peers: Option<String>,
    /// The hard heap limit of every run, in bytes (with K, M or G): gclab's `--heap-limit`,
    /// V8's `--max-old-space-size`, HotSpot's `-Xmx`.
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes)]
    pub heap_limit: Option<usize>,
    #[command(flatten)]
    pub think: ThinkArgs,
    #[command(flatten)]
    pub threads: GcThreadsArgs,
}

#[derive(Debug, Clone, Args)]
pub struct MeasureArgs {
    /// The trace (any format).
    #[arg(value_name = "TRACE")]
    pub trace: PathBuf,
    /// The collector, as `gclab collectors` names it (or `auto`).
    #[arg(long, short, value_name = "NAME", default_value = "auto")]
    pub collector: String,
    /// The hard heap limit, in bytes (with K, M or G).
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes)]
    pub heap_limit: Option<usize>,
    #[command(flatten)]
    pub think: ThinkArgs,
    #[command(flatten)]
    pub threads: GcThreadsArgs,
}

/// Measures one run of a trace on a collector named as `gclab collectors` names it.
pub trait Measure {
    fn measure(&mut self, job: &str, trace: &Path, collector: &str) -> Result<RunMetrics, Error>;

    /// What the runs do with the traces' `t` records (the results record it).
    fn think(&self) -> ThinkTime {
        ThinkTime::default()
    }

    /// The threads the runs' collections may use (the results record it).
    fn gc_threads(&self) -> usize {
        HeapConfig::default().gc_threads
    }
}

/// Measures each run on a fresh heap in this process (its peak RSS is the process's so far).
#[derive(Clone, Debug, Default)]
pub struct InProcess {
    pub config: HeapConfig,
}

impl Measure for InProcess {
    fn measure(&mut self, _job: &str, trace: &Path, collector: &str) -> Result<RunMetrics, Error> {
        measure_trace(
            CollectorChoice::parse(collector)?,
            self.config.clone(),
            trace,
            ThinkTime::default(),
        )
    }

    fn gc_threads(&self) -> usize {
        self.config.gc_threads
    }
}

/// How many runs, on which collectors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub collectors: Vec<String>,
    /// Measured runs per job and collector.
    pub repeat: u32,
    /// Runs per job thrown away before the measured ones.
    pub warmup: u32,
}

/// Everything a comparison measured (what `results.json` holds).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub collectors: Vec<String>,
    pub repeat: u32,
    /// What the runs did with the traces' `t` records (`spin up to 60 s`, `skip`); absent from
    /// results written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub think: Option<String>,
    /// The threads the runs' collections could use (`--gc-threads`); absent from results written
    /// before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gc_threads: Option<usize>,
    pub jobs: Vec<JobResult>,
}

/// One trace on every collector.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobResult {
    pub name: String,
    pub trace: String,
    pub collectors: Vec<CollectorResult>,
}

/// One trace on one collector: each run, and each figure's median and spread.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CollectorResult {
    pub collector: String,
    pub summary: Vec<FigureSummary>,
    pub runs: Vec<RunMetrics>,
}

impl CollectorResult {
    /// The run the report plots: the one of median total time.
    pub fn representative(&self) -> Option<&RunMetrics> {
        let mut order: Vec<&RunMetrics> = self.runs.iter().collect();
        order.sort_by(|a, b| a.total_s.total_cmp(&b.total_s));
        order.get(order.len().saturating_sub(1) / 2).copied()
    }

    /// The summary of the figure `name`.
    pub fn figure(&self, name: &str) -> Option<&FigureSummary> {
        self.summary.iter().find(|figure| figure.name == name)
    }
}

impl Comparison {
    /// Fails with [`Error::DigestMismatch`] for the first job whose collectors left different
    /// live graphs.
    /// A peer runtime, which has no digest, must keep as many objects alive as gclab's
    /// collectors ([`Error::PeerLiveMismatch`]).
    pub fn check_digests(&self) -> Result<(), Error> {
        for job in &self.jobs {
            let runs = job.collectors.iter().flat_map(|result| {
                let collector = result.collector.as_str();
                result
                    .runs
                    .iter()
                    .filter(|run| !run.digest.is_empty())
                    .map(move |run| (collector, run.digest.as_str()))
            });
            digests::check(&job.name, runs)?;
            check_peers(job)?;
        }
        Ok(())
    }
}

/// Fails for the first peer run whose live object count differs from gclab's collectors'.
fn check_peers(job: &JobResult) -> Result<(), Error> {
    let all_runs = || job.collectors.iter().flat_map(|result| &result.runs);
    let Some(gclab_live) = all_runs()
        .find(|run| !run.digest.is_empty())
        .map(|run| run.live_objects)
    else {
        return Ok(());
    };
    match all_runs().find(|run| run.digest.is_empty() && run.live_objects != gclab_live) {
        Some(run) => Err(Error::PeerLiveMismatch {
            job: job.name.clone(),
            peer: run.collector.clone(),
            peer_live: run.live_objects,
            gclab_live,
        }),
        None => Ok(()),
    }
}

/// Runs every job on every collector of `plan`, reporting progress on `progress`.
pub fn run_jobs(
    jobs: &[Job],
    plan: &Plan,
    measure: &mut dyn Measure,
    progress: &mut dyn Write,
) -> Result<Comparison, Error> {
    let mut results = Vec::new();
    for job in jobs {
        results.push(run_job(job, plan, measure, progress)?);
    }
    Ok(Comparison {
        collectors: plan.collectors.clone(),
        repeat: plan.repeat,
        think: Some(think_args::describe(measure.think())),
        gc_threads: Some(measure.gc_threads()),
        jobs: results,
    })
}

fn run_job(
    job: &Job,
    plan: &Plan,
    measure: &mut dyn Measure,
    progress: &mut dyn Write,
) -> Result<JobResult, Error> {
    if let Some(first) = plan.collectors.first() {
        for _ in 0..plan.warmup {
            measure.measure(&job.name, &job.trace, first)?;
        }
    }
    let mut runs: Vec<Vec<RunMetrics>> = vec![Vec::new(); plan.collectors.len()];
    let mut failed = vec![false; plan.collectors.len()];
    for repeat in 1..=plan.repeat {
        for ((collector, collector_runs), failed) in
            plan.collectors.iter().zip(&mut runs).zip(&mut failed)
        {
            if *failed {
                continue;
            }
            let metrics = match measure.measure(&job.name, &job.trace, collector) {
                Ok(metrics) => metrics,
                // A peer runtime that fails (no room under the heap limit, a crash) is said
                // and left out of this job; the others still run.
                Err(error) if Peer::from_name(collector).is_some() => {
                    let _ = writeln!(progress, "gclab: {error} (left out of this job)");
                    *failed = true;
                    collector_runs.clear();
                    continue;
                }
                Err(error) => return Err(error),
            };
            // Progress is a courtesy: a closed standard error must not stop the comparison.
            let _ = writeln!(
                progress,
                "{} on {collector} (run {repeat}/{}): {:.2} s, {}, {:.2} ms in all",
                job.name,
                plan.repeat,
                metrics.total_s,
                units::count(metrics.pauses.count, "pause"),
                metrics.pauses.total_ms,
            );
            collector_runs.push(metrics);
        }
    }
    let collectors = plan
        .collectors
        .iter()
        .zip(runs)
        .filter(|(_, runs)| !runs.is_empty())
        .map(|(collector, runs)| CollectorResult {
            collector: collector.clone(),
            summary: statistics::summarise(&runs),
            runs,
        })
        .collect();
    Ok(JobResult {
        name: job.name.clone(),
        trace: job.trace.display().to_string(),
        collectors,
    })
}

/// The collectors `--collectors` names: `all` (every compiled-in one, best first) or a
/// comma-separated list (`auto` standing for the best), without repeats.
pub fn resolve_collectors(list: &str) -> Result<Vec<String>, Error> {
    if list.trim() == "all" {
        let names: Vec<String> = collectors::compiled_in_constraints()
            .into_iter()
            .map(|c| c.name.to_owned())
            .collect();
        return match names.is_empty() {
            true => Err(ChoiceError::NoCollector.into()),
            false => Ok(names),
        };
    }
    let mut names: Vec<String> = Vec::new();
    for name in list.split(',').map(str::trim) {
        let constraints = CollectorChoice::parse(name)?.constraints()?;
        if !names.iter().any(|known| known == constraints.name) {
            names.push(constraints.name.to_owned());
        }
    }
    Ok(names)
}

/// `gclab compare`.
pub fn compare(args: &CompareArgs, out: &mut impl Write) -> Result<(), Error> {
    let mut plan = Plan {
        collectors: resolve_collectors(&args.collectors)?,
        repeat: args.repeat,
        warmup: args.warmup,
    };
    let (peers, unavailable) = peers::resolve_peers(args.peers.as_deref().unwrap_or(""))?;
    for error in unavailable {
        eprintln!("gclab: {error} (left out)");
    }
    plan.collectors
        .extend(peers.iter().map(|peer| peer.name().to_owned()));
    let inputs: Vec<String> = match args.inputs.is_empty() {
        true => DEFAULT_SUITE.iter().map(|s| (*s).to_owned()).collect(),
        false => args.inputs.clone(),
    };
    // Every input is checked before the first (long) run.
    let parsed: Vec<Input> = inputs
        .iter()
        .map(|input| Input::parse(input))
        .collect::<Result<_, _>>()?;
    let traces = args.out.join("traces");
    let mut jobs = Vec::new();
    for (input, text) in parsed.iter().zip(&inputs) {
        jobs.push(input.prepare(text, &traces)?);
    }
    let gclab = ChildProcess::current_exe()?
        .with_think(args.think.policy())
        .with_gc_threads(args.threads.count())
        .with_heap_limit(args.heap_limit);
    let mut measure = WithPeers {
        gclab,
        peers: match peers.is_empty() {
            true => None,
            false => Some(PeerRunner::new(
                &args.out.join("peers"),
                args.think.policy(),
                args.heap_limit
                    .map(|bytes| (bytes as u64).div_ceil(1 << 20)),
            )?),
        },
        peer_traces: Vec::new(),
    };
    if measure.peers.is_some() {
        for job in &jobs {
            let peer_trace = peers::prepare(&job.trace, &traces)?;
            measure.peer_traces.push((job.trace.clone(), peer_trace));
        }
    }
    let comparison = run_jobs(&jobs, &plan, &mut measure, &mut std::io::stderr())?;
    table::write(out, &comparison)?;
    let written = write_results(&args.out, &comparison)?;
    writeln!(out, "\nwrote {}", written.join(", "))?;
    comparison.check_digests()
}

/// gclab's collectors in child processes, and peer runtimes on the jobs' peer traces.
struct WithPeers {
    gclab: ChildProcess,
    peers: Option<PeerRunner>,
    /// Each job's trace and its peer trace.
    peer_traces: Vec<(PathBuf, PathBuf)>,
}

impl Measure for WithPeers {
    fn measure(&mut self, job: &str, trace: &Path, collector: &str) -> Result<RunMetrics, Error> {
        let peer_run = Peer::from_name(collector).zip(self.peers.as_ref());
        let Some((peer, runner)) = peer_run else {
            return self.gclab.measure(job, trace, collector);
        };
        let peer_trace = self
            .peer_traces
            .iter()
            .find(|(original, _)| original == trace)
            .map(|(_, peer_trace)| peer_trace.as_path())
            .unwrap_or(trace);
        runner.measure(peer, job, peer_trace)
    }

    fn think(&self) -> ThinkTime {
        self.gclab.think()
    }

    fn gc_threads(&self) -> usize {
        self.gclab.gc_threads()
    }
}

/// Writes one of the results files.
type ResultsWriter = fn(&mut dyn Write, &Comparison) -> std::io::Result<()>;

/// Writes `results.json`, `results.csv` and `report.html` into `folder` (created if missing);
/// returns their paths.
pub fn write_results(folder: &Path, comparison: &Comparison) -> Result<Vec<String>, Error> {
    let folder_error = |source| Error::WriteResults {
        path: folder.display().to_string(),
        source,
    };
    std::fs::create_dir_all(folder).map_err(folder_error)?;
    let files: [(&str, ResultsWriter); 3] = [
        ("results.json", results_files::write_json),
        ("results.csv", results_files::write_csv),
        ("report.html", html_report::write),
    ];
    let mut written = Vec::new();
    for (name, write) in files {
        let path: PathBuf = folder.join(name);
        let error = |source| Error::WriteResults {
            path: path.display().to_string(),
            source,
        };
        let file = std::fs::File::create(&path).map_err(error)?;
        let mut writer = std::io::BufWriter::new(file);
        write(&mut writer, comparison).map_err(error)?;
        writer.flush().map_err(error)?;
        written.push(path.display().to_string());
    }
    Ok(written)
}

/// `gclab measure` (hidden; what [`ChildProcess`] runs): one measured replay, printed as JSON.
pub fn measure(args: &MeasureArgs, out: &mut impl Write) -> Result<(), Error> {
    let choice = CollectorChoice::parse(&args.collector)?;
    let think = args.think.policy();
    let mut config = HeapConfig::default();
    args.threads.apply(&mut config);
    if let Some(limit) = args.heap_limit {
        config.max_heap_bytes = limit;
    }
    let metrics = measure_trace(choice, config, &args.trace, think)?;
    serde_json::to_writer(&mut *out, &metrics).map_err(std::io::Error::from)?;
    writeln!(out)?;
    Ok(())
}
