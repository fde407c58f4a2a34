//! `results.json` (the whole [`Comparison`]: every run with its curves, and each figure's median
//! and spread) and `results.csv` (one row per run, then the median, min and max rows of each
//! collector; one column per figure, empty where a figure is undefined).

use std::io::{self, Write};

use crate::compare::Comparison;
use crate::compare::statistics::FigureSummary;
use crate::metrics::RunMetrics;

/// Picks one statistic of a figure's summary.
type Statistic = fn(&FigureSummary) -> Option<f64>;

pub fn write_json(out: &mut dyn Write, comparison: &Comparison) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, comparison).map_err(io::Error::from)?;
    writeln!(out)
}

pub fn write_csv(out: &mut dyn Write, comparison: &Comparison) -> io::Result<()> {
    let names = figure_names(comparison);
    let mut header = vec!["job", "collector", "run", "digest"];
    header.extend(names.iter().copied());
    writeln!(out, "{}", header.join(","))?;
    for job in &comparison.jobs {
        for result in &job.collectors {
            let start = [job.name.as_str(), result.collector.as_str()];
            for (index, run) in result.runs.iter().enumerate() {
                let values = run.figures().into_iter().map(|(_, value)| value);
                let label = (index + 1).to_string();
                write_row(out, &start, &label, &run.digest, values)?;
            }
            let statistics: [(&str, Statistic); 3] = [
                ("median", |f| f.median),
                ("min", |f| f.min),
                ("max", |f| f.max),
            ];
            for (label, pick) in statistics {
                let values = result.summary.iter().map(pick);
                write_row(out, &start, label, "", values)?;
            }
        }
    }
    Ok(())
}

/// The figure names, from any run (every run has the same figures).
fn figure_names(comparison: &Comparison) -> Vec<&'static str> {
    let any_run: Option<&RunMetrics> = comparison
        .jobs
        .iter()
        .flat_map(|job| &job.collectors)
        .flat_map(|result| &result.runs)
        .next();
    any_run.map_or_else(Vec::new, |run| {
        run.figures().into_iter().map(|(name, _)| name).collect()
    })
}

fn write_row(
    out: &mut dyn Write,
    start: &[&str; 2],
    label: &str,
    digest: &str,
    values: impl Iterator<Item = Option<f64>>,
) -> io::Result<()> {
    let mut cells: Vec<String> = start.iter().map(|cell| quoted(cell)).collect();
    cells.push(label.to_owned());
    cells.push(digest.to_owned());
    cells.extend(values.map(|value| value.map_or_else(String::new, |v| v.to_string())));
    writeln!(out, "{}", cells.join(","))
}

/// A CSV cell: quoted (quotes doubled) when it holds a comma, a quote or a line break.
fn quoted(cell: &str) -> String {
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_with_commas_are_quoted() {
        assert_eq!(quoted("splay"), "splay");
        assert_eq!(quoted("gcbench:a=1,b=2"), "\"gcbench:a=1,b=2\"");
        assert_eq!(quoted("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
