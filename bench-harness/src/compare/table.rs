//! The terminal table of a comparison: per job, one row per collector with the medians of its
//! main figures and, when there were several runs, a second row with each figure's lowest and
//! highest value; columns aligned to their widest cell (numbers to the right). Every figure, the
//! ones left out here included, is in `results.csv`, `results.json` and `report.html`.

use std::io::{self, Write};

use crate::compare::statistics::FigureSummary;
use crate::compare::{CollectorResult, Comparison, JobResult};
use crate::units;

/// A column: its header, the figure it shows, and how a value of the figure is printed.
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

/// The columns after the collector's name: what a reader compares first, narrow enough that
/// the table with its ranges fits a terminal of about 130 columns.
const COLUMNS: &[Column] = &[
    column("pauses", "pauses", units::whole),
    column("total ms", "pause_total_ms", units::hundredths),
    column("p50 ms", "p50_ms", units::hundredths),
    column("p99 ms", "p99_ms", units::hundredths),
    column("max ms", "max_ms", units::hundredths),
    column("mmu 10ms", "mmu_10ms", units::hundredths),
    column("gc", "gc_share", units::percent),
    column("committed MiB", "peak_committed_mb", units::tenths),
    column("time s", "total_s", units::hundredths),
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
        n => format!("median of {n} runs, lowest–highest below"),
    };
    writeln!(out, "{} ({runs}; live-graph digest {digest})", job.name)?;
    let mut rows = vec![header_row()];
    for result in &job.collectors {
        rows.push(median_row(result));
        if result.runs.len() > 1 {
            rows.push(range_row(result));
        }
    }
    write_aligned(out, &rows)
}

/// Writes `rows` with each column as wide as its widest cell: the first to the left, the rest
/// to the right.
fn write_aligned(out: &mut impl Write, rows: &[Vec<String>]) -> io::Result<()> {
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

fn header_row() -> Vec<String> {
    let mut row = vec!["collector".to_owned()];
    row.extend(COLUMNS.iter().map(|c| c.header.to_owned()));
    row
}

fn median_row(result: &CollectorResult) -> Vec<String> {
    let mut row = vec![result.collector.clone()];
    row.extend(COLUMNS.iter().map(|column| {
        let median = result.figure(column.figure).and_then(|f| f.median);
        median.map_or("-".to_owned(), column.format)
    }));
    row
}

/// The lowest and highest value of each figure, under its median.
fn range_row(result: &CollectorResult) -> Vec<String> {
    let mut row = vec![String::new()];
    row.extend(COLUMNS.iter().map(|column| {
        result
            .figure(column.figure)
            .map_or("-".to_owned(), |figure| range(figure, column.format))
    }));
    row
}

/// `lowest–highest`, or the one value when every run gave it.
fn range(figure: &FigureSummary, format: fn(f64) -> String) -> String {
    match (figure.min, figure.max) {
        (Some(min), Some(max)) if format(min) == format(max) => format(min),
        (Some(min), Some(max)) => format!("{}–{}", format(min), format(max)),
        _ => "-".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figure(min: Option<f64>, max: Option<f64>) -> FigureSummary {
        FigureSummary {
            name: "p99_ms".to_owned(),
            median: min,
            min,
            max,
        }
    }

    #[test]
    fn a_range_is_one_value_when_the_runs_agree_to_the_printed_digit() {
        assert_eq!(
            range(&figure(Some(1.234), Some(1.5)), units::hundredths),
            "1.23–1.50"
        );
        assert_eq!(
            range(&figure(Some(1.231), Some(1.234)), units::hundredths),
            "1.23"
        );
        assert_eq!(
            range(&figure(Some(0.25), Some(0.5)), units::percent),
            "25.0%–50.0%"
        );
        assert_eq!(range(&figure(None, None), units::hundredths), "-");
    }
}
