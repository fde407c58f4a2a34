//! The terminal table of a comparison: per job, one row per collector with the medians of its
//! main figures, columns aligned to their widest cell (numbers to the right).

use std::io::{self, Write};

use crate::compare::{CollectorResult, Comparison, JobResult};
use crate::units;

/// A column: its header, the figure it shows, and how the figure's median is printed.
struct Column {
    header: &'static str,
    figure: &'static str,
    format: fn(f64) -> String,
}

const fn column(header: &'static str, figure: &'static str, format: fn(f64) -> String) -> Column {
    Column {
        header,
        figure,
        format,
    }
}

fn count(value: f64) -> String {
    format!("{value:.0}")
}

fn two(value: f64) -> String {
    format!("{value:.2}")
}

fn one(value: f64) -> String {
    format!("{value:.1}")
}

/// The columns after the collector's name.
const COLUMNS: &[Column] = &[
    column("pauses", "pauses", count),
    column("total ms", "pause_total_ms", two),
    column("p50 ms", "p50_ms", two),
    column("p90 ms", "p90_ms", two),
    column("p99 ms", "p99_ms", two),
    column("p99.9 ms", "p99_9_ms", two),
    column("max ms", "max_ms", two),
    column("mmu 1ms", "mmu_1ms", two),
    column("mmu 10ms", "mmu_10ms", two),
    column("mmu 100ms", "mmu_100ms", two),
    column("gc", "gc_share", units::percent),
    column("alloc MiB/s", "allocation_mb_per_s", count),
    column("committed MiB", "peak_committed_mb", one),
    column("rss MiB", "peak_rss_mb", one),
    column("time s", "total_s", two),
];

/// Writes one table per job.
pub fn write(out: &mut impl Write, comparison: &Comparison) -> io::Result<()> {
    for (index, job) in comparison.jobs.iter().enumerate() {
        if index > 0 {
            writeln!(out)?;
        }
        write_job(out, job, comparison.repeat)?;
    }
    Ok(())
}

fn write_job(out: &mut impl Write, job: &JobResult, repeat: u32) -> io::Result<()> {
    let digest = job
        .collectors
        .first()
        .and_then(|c| c.runs.first())
        .map_or("-", |run| run.digest.as_str());
    let runs = match repeat {
        1 => "one run each".to_owned(),
        n => format!("median of {n} runs; ± is the spread of the time"),
    };
    writeln!(out, "{} ({runs}; live-graph digest {digest})", job.name)?;
    let mut rows = vec![header_row(repeat)];
    rows.extend(job.collectors.iter().map(|c| row(c, repeat)));
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|i| {
            rows.iter()
                .map(|row| row[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (cell, &width))| match i {
                0 => format!("{cell:<width$}"),
                _ => format!("{cell:>width$}"),
            })
            .collect();
        writeln!(out, "{}", cells.join("  ").trim_end())?;
    }
    Ok(())
}

fn header_row(repeat: u32) -> Vec<String> {
    let mut row = vec!["collector".to_owned()];
    row.extend(COLUMNS.iter().map(|c| c.header.to_owned()));
    if repeat > 1 {
        row.push("±".to_owned());
    }
    row
}

fn row(result: &CollectorResult, repeat: u32) -> Vec<String> {
    let mut row = vec![result.collector.clone()];
    for column in COLUMNS {
        let median = result.figure(column.figure).and_then(|f| f.median);
        row.push(median.map_or("-".to_owned(), column.format));
    }
    if repeat > 1 {
        let spread = result.figure("total_s").and_then(|f| f.relative_spread());
        row.push(spread.map_or("-".to_owned(), units::percent));
    }
    row
}
