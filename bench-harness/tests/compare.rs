//! `gclab compare`: the comparison on real collectors (in this process), a faulty collector
//! caught by its live-graph digest, the files it writes, and the command as a user runs it.
#![cfg(feature = "marksweep")]

mod common;

use std::path::{Path, PathBuf};

use bench_harness::compare::suite::{Input, Job};
use bench_harness::compare::{self, Comparison, InProcess, Measure, Plan};
use bench_harness::error::Error;
use bench_harness::measure::measure_heap;
use bench_harness::metrics::{MMU_WINDOWS_MS, RunMetrics};
use common::{gclab, stderr, stdout};
use gc_core::collector_api::{Address, HeapCore};
use gc_core::object::HeapObject;
use gc_core::tagged::{Smi, TaggedWord};
use gc_core::{
    CollectionKind, Collector, CollectorConstraints, GcReason, Heap, HeapConfig, OutOfMemory,
};
use gclab::MarkSweep;

/// Mark-sweep that, after every collection, adds one to the SMI in slot 0 of each rooted object
/// that holds one there: it keeps every object alive and every pointer right (the replay runs to
/// its end), but the program's data changes, as with a collector that loses a store.
struct Faulty(MarkSweep);

// SAFETY: every call is forwarded to `MarkSweep`, which keeps P1, P2 and P5; the only write of
// its own puts an SMI over an SMI in a live object's slot during its own pause (see below).
unsafe impl Collector for Faulty {
    const CONSTRAINTS: CollectorConstraints = CollectorConstraints::simple("faulty");

    fn allocate_slow(&mut self, core: &mut HeapCore, size: usize) -> Result<Address, OutOfMemory> {
        self.0.allocate_slow(core, size)
    }

    fn collect(&mut self, core: &mut HeapCore, kind: CollectionKind, reason: GcReason) {
        self.0.collect(core, kind, reason);
        let mut roots = Vec::new();
        core.handles.for_each_root(|object| roots.push(object));
        for address in roots {
            // SAFETY: a handle holds the start of a live object (P2).
            let object = unsafe { HeapObject::from_address(address) };
            if object.slot_count() == 0 {
                continue;
            }
            let Some(smi) = object.slot(0).as_smi() else {
                continue;
            };
            let changed = Smi::new(i64::from(smi.value()) + 1).unwrap_or(smi);
            // SAFETY: an SMI is not a pointer, so P2 holds for the slot; this is the collector's
            // own pause (P5), and a non-pointer store needs no barrier.
            unsafe { object.set_slot_raw(0, TaggedWord::from_smi(changed)) };
        }
    }

    fn make_iterable(&mut self, core: &mut HeapCore) {
        self.0.make_iterable(core)
    }

    fn verify(&self, core: &HeapCore) -> Result<(), gc_core::verifier::VerifyError> {
        self.0.verify(core)
    }
}

/// The real collectors in this process, and `faulty` beside them.
struct WithFaulty(InProcess);

impl Measure for WithFaulty {
    fn measure(&mut self, job: &str, trace: &Path, collector: &str) -> Result<RunMetrics, Error> {
        match collector {
            "faulty" => {
                let heap = Heap::new(HeapConfig::default(), Faulty(MarkSweep::new()))?;
                measure_heap(heap, trace)
            }
            _ => self.0.measure(job, trace, collector),
        }
    }
}

fn workload(text: &str, folder: &Path) -> Job {
    let input = Input::parse(text).unwrap_or_else(|error| panic!("{text}: {error}"));
    input
        .prepare(text, folder)
        .unwrap_or_else(|error| panic!("{text}: {error}"))
}

fn all_collectors() -> Vec<String> {
    compare::resolve_collectors("all").expect("collectors are compiled in")
}

fn compare_in_process(jobs: &[Job], collectors: Vec<String>, repeat: u32) -> Comparison {
    let plan = Plan {
        collectors,
        repeat,
        warmup: 1,
    };
    let mut progress = Vec::new();
    // A small heap, so that even these short traces collect often.
    let mut measure = InProcess {
        config: gc_core::testkit::small_heap(),
    };
    let comparison = compare::run_jobs(jobs, &plan, &mut measure, &mut progress)
        .unwrap_or_else(|error| panic!("{error}"));
    let progress = String::from_utf8_lossy(&progress);
    // One line per measured run, none for the warm-up.
    let runs = jobs.len() * plan.collectors.len() * repeat as usize;
    assert_eq!(progress.lines().count(), runs, "{progress}");
    comparison
}

#[test]
fn every_collector_is_measured_and_leaves_the_same_live_graph() {
    let folder = tempfile::tempdir().unwrap();
    let jobs = [
        workload("binary-trees:depth=10", folder.path()),
        workload("listeners:connections=3000", folder.path()),
    ];
    let collectors = all_collectors();
    let comparison = compare_in_process(&jobs, collectors.clone(), 2);
    comparison.check_digests().unwrap();
    assert_eq!(comparison.jobs.len(), 2);
    for job in &comparison.jobs {
        let names: Vec<&str> = job
            .collectors
            .iter()
            .map(|c| c.collector.as_str())
            .collect();
        assert_eq!(
            names,
            collectors.iter().map(String::as_str).collect::<Vec<_>>()
        );
        for result in &job.collectors {
            assert_eq!(result.runs.len(), 2);
            for run in &result.runs {
                assert_eq!(run.collector, result.collector);
                assert_eq!(run.mmu.len(), MMU_WINDOWS_MS.len());
                let by_kind: u64 = run.gc_by_kind.values().sum();
                assert_eq!(by_kind, run.pauses.count, "{}", result.collector);
                assert!(
                    run.pauses.count > 0,
                    "{} {}: no pause",
                    job.name,
                    result.collector
                );
                assert!(run.total_s >= run.mutator_s && run.mutator_s > 0.0);
                assert!((0.0..=1.0).contains(&run.gc_share));
                assert!(run.allocated_bytes > 0 && run.allocation_mb_per_s > 0.0);
                assert!(run.peak_committed_bytes > 0);
                // The heap rises before a pause and falls in it.
                assert!(run.heap.iter().any(|s| s.used_bytes > 0));
                assert!(!run.mmu_curve.is_empty() && !run.pause_cdf.is_empty());
            }
            let pauses = result.figure("pauses").and_then(|f| f.median);
            assert!(pauses.is_some_and(|n| n > 0.0));
            assert_eq!(result.summary.len(), result.runs[0].figures().len());
        }
    }
}

#[test]
fn a_faulty_collector_is_caught_by_its_digest() {
    let folder = tempfile::tempdir().unwrap();
    let trace = folder.path().join("smi.gct");
    // One rooted object holding an SMI; the replay's final full collection changes it on
    // `faulty`.
    std::fs::write(
        &trace,
        "gctrace 1\na 1 1 0 Box\nw 1 0 i7\na 2 0 16 Blob\n- 2\ngc\n",
    )
    .unwrap();
    let jobs = [Job {
        name: "smi".into(),
        trace: trace.clone(),
    }];
    let plan = Plan {
        collectors: vec!["marksweep".into(), "faulty".into()],
        repeat: 1,
        warmup: 0,
    };
    let mut measure = WithFaulty(InProcess::default());
    let comparison = compare::run_jobs(&jobs, &plan, &mut measure, &mut std::io::sink())
        .unwrap_or_else(|error| panic!("{error}"));
    let error = comparison.check_digests().unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, Error::DigestMismatch { .. }), "{message}");
    assert!(
        message.starts_with("smi: the collectors left different live graphs"),
        "{message}"
    );
    let marksweep = &comparison.jobs[0].collectors[0].runs[0].digest;
    let faulty = &comparison.jobs[0].collectors[1].runs[0].digest;
    assert_ne!(marksweep, faulty);
    assert!(
        message.contains(&format!("marksweep (digest {marksweep})")),
        "{message}"
    );
    assert!(
        message.contains(&format!("faulty (digest {faulty})")),
        "{message}"
    );
    assert_ne!(error.exit_code(), 0);

    // The same trace twice on the real collector agrees with itself.
    let plan = Plan {
        collectors: vec!["marksweep".into()],
        repeat: 2,
        warmup: 0,
    };
    let comparison = compare::run_jobs(&jobs, &plan, &mut measure, &mut std::io::sink()).unwrap();
    comparison.check_digests().unwrap();
}

#[test]
fn the_files_hold_the_comparison_and_the_report_renders_its_plots() {
    let folder = tempfile::tempdir().unwrap();
    let jobs = [
        workload("splay:nodes=500,steps=5", folder.path()),
        workload("fragment:objects=5000,churn=5000", folder.path()),
    ];
    let collectors = all_collectors();
    let comparison = compare_in_process(&jobs, collectors.clone(), 1);
    let out = folder.path().join("out");
    let written = compare::write_results(&out, &comparison).unwrap();
    assert_eq!(written.len(), 3);

    let json = std::fs::read_to_string(out.join("results.json")).unwrap();
    let read: Comparison = serde_json::from_str(&json).unwrap();
    assert_eq!(read.collectors, comparison.collectors);
    let threads = gc_core::testkit::small_heap().gc_threads;
    assert_eq!(
        (read.think.as_deref(), read.gc_threads),
        (Some("spin up to 60 s"), Some(threads))
    );
    // Results written before the think policy and the thread count were recorded still read.
    let mut old: serde_json::Value = serde_json::from_str(&json).unwrap();
    for field in ["think", "gc_threads"] {
        let removed = old.as_object_mut().and_then(|fields| fields.remove(field));
        assert!(removed.is_some(), "{field} missing: {json}");
    }
    let old: Comparison = serde_json::from_value(old).unwrap();
    assert_eq!((old.think, old.gc_threads), (None, None));
    for (read, job) in read.jobs.iter().zip(&comparison.jobs) {
        assert_eq!((&read.name, &read.trace), (&job.name, &job.trace));
        for (read, result) in read.collectors.iter().zip(&job.collectors) {
            let (read, run) = (&read.runs[0], &result.runs[0]);
            assert_eq!(
                (&read.digest, &read.gc_by_kind),
                (&run.digest, &run.gc_by_kind)
            );
            assert_eq!(
                (read.pauses.count, read.heap.len()),
                (run.pauses.count, run.heap.len())
            );
            // JSON keeps 17 significant digits; the parser may round the last one.
            assert!((read.total_s - run.total_s).abs() <= run.total_s * 1e-12);
        }
    }

    let csv = std::fs::read_to_string(out.join("results.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.starts_with("job,collector,run,digest,pauses,pause_total_ms,p50_ms"));
    assert!(header.contains("mmu_1ms") && header.contains("peak_rss_mb"));
    // Per job and collector: one run, then median, min and max.
    assert_eq!(csv.lines().count(), 1 + jobs.len() * collectors.len() * 4);
    let columns = header.split(',').count();
    // The job name with commas is quoted: one more comma inside the quotes.
    for line in csv.lines().skip(1) {
        let commas_in_quotes = line.split('"').nth(1).map_or(0, |q| q.matches(',').count());
        assert_eq!(
            line.split(',').count() - commas_in_quotes,
            columns,
            "{line}"
        );
    }

    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    // The file is this comparison's report; tests/report.rs checks what a report holds.
    let mut rendered = Vec::new();
    compare::html_report::write(&mut rendered, &comparison).unwrap();
    assert!(
        html.as_bytes() == rendered,
        "report.html is not the comparison's report"
    );
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(!html.contains("<script") && !html.contains("<link"));
    for plot in ["pauses", "heap", "mmu"] {
        let count = html.matches(&format!("data-plot=\"{plot}\"")).count();
        assert_eq!(count, jobs.len(), "{plot}");
    }
    // In each plot of each job, every collector has its line or a note saying why it has none.
    for collector in &collectors {
        let lines = html
            .matches(&format!(
                "<polyline class=\"series\" data-series=\"{collector}\""
            ))
            .count();
        let notes = html.matches(&format!("data-note=\"{collector}\"")).count();
        assert_eq!(lines + notes, 3 * jobs.len(), "{collector}");
        let rows = html
            .matches(&format!("<tr data-collector=\"{collector}\""))
            .count();
        let tables = html.matches("<table class=\"figures\"").count();
        assert_eq!(rows, tables, "{collector}: a row in each table");
    }
    assert!(html.contains("splay:nodes=500,steps=5"));
}

#[test]
fn the_command_prints_the_table_and_writes_the_report() {
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("results");
    let out_text = out.to_str().unwrap();
    let output = gclab(&[
        "compare",
        "listeners:connections=300",
        "--collectors",
        "marksweep,auto",
        "--repeat",
        "2",
        "--out",
        out_text,
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let mut lines = text.lines();
    assert!(
        lines
            .next()
            .is_some_and(|l| l.starts_with("listeners:connections=300 (median of 2 runs")),
        "{text}"
    );
    let header = lines.next().unwrap_or_default();
    assert!(
        header.split_whitespace().collect::<Vec<_>>().join(" ")
            == "collector pauses total ms p50 ms p99 ms max ms mmu 10ms gc committed MiB time s",
        "{text}"
    );
    assert!(text.contains("\nmarksweep "), "{text}");
    // Under each collector's medians, the lowest–highest of each of its nine figures.
    let rows: Vec<&str> = text.lines().collect();
    let median = rows
        .iter()
        .position(|l| l.starts_with("marksweep "))
        .unwrap();
    let medians: Vec<&str> = rows[median].split_whitespace().skip(1).collect();
    let ranges: Vec<&str> = rows[median + 1].split_whitespace().collect();
    assert!(rows[median + 1].starts_with("   "), "{text}");
    assert_eq!((medians.len(), ranges.len()), (9, 9), "{text}");
    for (median, range) in medians.iter().zip(&ranges) {
        if *median == "-" {
            // A figure no run has (an MMU window longer than the run).
            assert_eq!(*range, "-", "{text}");
            continue;
        }
        let (low, high) = range.split_once('–').unwrap_or((range, range));
        let number = |cell: &str| cell.trim_end_matches('%').parse::<f64>().unwrap();
        assert!(
            number(low) <= number(median) && number(median) <= number(high),
            "{text}"
        );
    }
    // `auto` is the best compiled-in collector, listed once.
    let best = all_collectors().remove(0);
    assert_eq!(text.matches(&format!("\n{best} ")).count(), 1, "{text}");
    assert!(text.contains("wrote "), "{text}");
    for file in ["results.json", "results.csv", "report.html"] {
        assert!(out.join(file).is_file(), "{file}");
    }
    assert!(out.join("traces/listeners_connections_300.gctb").is_file());
    // Progress went to standard error, one line per measured run.
    assert_eq!(
        stderr(&output).lines().count(),
        if best == "marksweep" { 2 } else { 4 }
    );
}

#[test]
fn bad_inputs_and_collectors_are_usage_errors() {
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().to_str().unwrap();
    let output = gclab(&["compare", "nosuch", "--out", out]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output)
            .contains("`nosuch` is neither a trace file nor a workload; workloads: gcbench")
    );
    let output = gclab(&["compare", "splay:steps=-1", "--out", out]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("--steps"), "{}", stderr(&output));
    let output = gclab(&["compare", "--collectors", "marksweep,nosuch", "--out", out]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("unknown collector `nosuch`"));
    let output = gclab(&["compare", "--repeat", "0"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn a_bad_trace_stops_the_comparison_naming_its_line() {
    let folder = tempfile::tempdir().unwrap();
    let trace = folder.path().join("bad.gct");
    std::fs::write(&trace, "gctrace 1\na 1 2 0 Node\nw 1 5 null\n").unwrap();
    let out: PathBuf = folder.path().join("out");
    let output = gclab(&[
        "compare",
        trace.to_str().unwrap(),
        "--collectors",
        "marksweep",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("on marksweep: "), "{message}");
    assert!(
        message.contains("bad.gct:3: `w 1 5 null`: slot 5 is out of range"),
        "{message}"
    );
    assert!(!out.join("report.html").exists());
}

#[test]
fn measure_prints_one_run_as_json() {
    let folder = tempfile::tempdir().unwrap();
    let trace = folder.path().join("small.gct");
    std::fs::write(
        &trace,
        "gctrace 1\na 1 1 0 Node\na 2 0 8 Leaf\nw 1 0 2\n- 2\ngc\n",
    )
    .unwrap();
    let output = gclab(&[
        "measure",
        trace.to_str().unwrap(),
        "--collector",
        "marksweep",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let run: RunMetrics = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(run.collector, "marksweep");
    assert_eq!(run.live_objects, 2);
    assert_eq!(run.pauses.count, 1);
    assert_eq!(run.gc_by_kind.get("mark-sweep"), Some(&1));
    assert!(run.peak_rss_bytes.is_some_and(|rss| rss > 0) || !cfg!(target_os = "linux"));
}

#[test]
fn the_think_options_reach_every_run_and_the_results() {
    let folder = tempfile::tempdir().unwrap();
    let trace = folder.path().join("think.gct");
    // An hour of think time, a minute a record: only a run that skips it ends in time.
    let text = format!(
        "gctrace 1\na 1 0 8 Leaf\n{}gc\n",
        "t 60000000000\n".repeat(60)
    );
    std::fs::write(&trace, text).unwrap();
    let out = folder.path().join("out");
    let started = std::time::Instant::now();
    let output = gclab(&[
        "compare",
        trace.to_str().unwrap(),
        "--collectors",
        "marksweep",
        "--warmup",
        "0",
        "--no-think",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(started.elapsed().as_secs() < 30, "a run spun");
    let json = std::fs::read_to_string(out.join("results.json")).unwrap();
    let read: Comparison = serde_json::from_str(&json).unwrap();
    assert_eq!(read.think.as_deref(), Some("skip"), "{json}");
}

#[test]
fn the_gc_thread_count_reaches_every_run_and_the_results() {
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("out");
    let output = gclab(&[
        "compare",
        "binary-trees:depth=6",
        "--collectors",
        "marksweep",
        "--warmup",
        "0",
        "--gc-threads",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let json = std::fs::read_to_string(out.join("results.json")).unwrap();
    assert!(json.contains("\n  \"gc_threads\": 1,\n"), "{json}");
    let read: Comparison = serde_json::from_str(&json).unwrap();
    assert_eq!(read.gc_threads, Some(1), "{json}");

    // `measure`, which every run is, takes the option and refuses what `compare` refuses.
    let trace = out.join("traces/binary-trees_depth_6.gctb");
    let trace = trace.to_str().unwrap();
    let output = gclab(&["measure", trace, "-c", "marksweep", "--gc-threads", "2"]);
    assert!(output.status.success(), "{}", stderr(&output));
    for command in ["compare", "measure"] {
        let output = gclab(&[command, trace, "--gc-threads", "65"]);
        assert_eq!(output.status.code(), Some(2), "{command}");
        let message = stderr(&output);
        assert!(
            message.contains("`65` is not a thread count from 1 to 64"),
            "{command}: {message}"
        );
    }
}

/// The sweeper thread's time reaches every output as the marker thread's does: `RunMetrics`,
/// the `concurrent_sweeping_ms` figure (the CSV's and the table's column), `results.json`.
/// gen-concurrent sweeps old space on its thread after each marking cycle, and several cycles
/// leave the thread time to sweep some page of one of them whatever the machine's load;
/// gen-marksweep has no such thread.
#[cfg(feature = "concurrent")]
#[test]
fn sweeping_beside_the_mutator_is_reported_for_gen_concurrent_only() {
    let folder = tempfile::tempdir().unwrap();
    let jobs = [workload("binary-trees:depth=14", folder.path())];
    let collectors = vec!["gen-concurrent".to_owned(), "gen-marksweep".to_owned()];
    let comparison = compare_in_process(&jobs, collectors, 1);
    for result in &comparison.jobs[0].collectors {
        let run = &result.runs[0];
        let figure = run
            .figures()
            .into_iter()
            .find(|&(name, _)| name == "concurrent_sweeping_ms")
            .and_then(|(_, value)| value);
        assert_eq!(figure, Some(run.concurrent_sweeping_s * 1e3));
        match result.collector.as_str() {
            "gen-concurrent" => assert!(
                run.concurrent_sweeping_s > 0.0 && run.concurrent_marking_s > 0.0,
                "gen-concurrent: no time beside the mutator in {} pauses",
                run.pauses.count
            ),
            _ => assert_eq!(run.concurrent_sweeping_s, 0.0, "{}", result.collector),
        }
    }
    let out = folder.path().join("out");
    compare::write_results(&out, &comparison).unwrap();
    let csv = std::fs::read_to_string(out.join("results.csv")).unwrap();
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .contains(",concurrent_sweeping_ms")
    );
    let json = std::fs::read_to_string(out.join("results.json")).unwrap();
    let read: Comparison = serde_json::from_str(&json).unwrap();
    let sweeping = |c: &Comparison| c.jobs[0].collectors[0].runs[0].concurrent_sweeping_s;
    assert_eq!(sweeping(&read), sweeping(&comparison));
}
