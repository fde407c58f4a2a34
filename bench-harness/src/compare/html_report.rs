//! `report.html`: one self-contained page (inline CSS and SVG, no script, nothing fetched) with,
//! per job, the table of every figure (median and spread) and three plots of its collectors: the
//! pause distribution, heap use over time, and the MMU curves. The plots show each collector's
//! run of median total time.
//!
//! The page is well-formed XML as well as HTML (every element closed, every text escaped), so a
//! test can check its structure without a browser.

use std::io::{self, Write};

use crate::compare::svg_plot::{Chart, Scale, Series, escape};
use crate::compare::{CollectorResult, Comparison, JobResult};
use crate::metrics::RunMetrics;

const MB: f64 = 1024.0 * 1024.0;

const STYLE: &str = "body{font-family:sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;margin:1em 0;font-size:13px}\
th,td{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}\
th:first-child,td:first-child{text-align:left}\
.plots{display:flex;flex-wrap:wrap;gap:12px}\
.plot{border:1px solid #ddd;background:#fff}\
.plot .title{font-size:14px;font-weight:bold}\
.plot .tick,.plot .legend{font-size:11px}\
.plot .label{font-size:12px}\
.spread{color:#888;font-size:11px}\
code{background:#f4f4f4;padding:1px 3px}\
.wide{overflow-x:auto}";

pub fn write(out: &mut dyn Write, comparison: &Comparison) -> io::Result<()> {
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>\
         <title>gclab compare</title><style>{STYLE}</style></head><body>\
         <h1>gclab compare</h1><p>Collectors: {}. {}</p>",
        escape(&comparison.collectors.join(", ")),
        match comparison.repeat {
            1 => "One measured run per trace and collector, each in a fresh process.".to_owned(),
            n => format!(
                "{n} measured runs per trace and collector, each in a fresh process: \
                 tables show the median, with the lowest and highest below it; plots show \
                 the run of median total time."
            ),
        },
    )?;
    for job in &comparison.jobs {
        write_job(out, job)?;
    }
    writeln!(out, "</body></html>")
}

fn write_job(out: &mut dyn Write, job: &JobResult) -> io::Result<()> {
    let digest = job
        .collectors
        .first()
        .and_then(|c| c.runs.first())
        .map_or("-", |run| run.digest.as_str());
    write!(
        out,
        "<section class=\"job\"><h2>{}</h2><p>Trace <code>{}</code>; live-graph digest \
         <code>{}</code>.</p>",
        escape(&job.name),
        escape(&job.trace),
        escape(digest),
    )?;
    write_table(out, job)?;
    let plotted: Vec<(&str, &RunMetrics)> = job
        .collectors
        .iter()
        .filter_map(|c| c.representative().map(|run| (c.collector.as_str(), run)))
        .collect();
    write!(out, "<div class=\"plots\">")?;
    for chart in [
        pause_chart(&plotted),
        heap_chart(&plotted),
        mmu_chart(&plotted),
    ] {
        write!(out, "{}", chart.to_svg())?;
    }
    write!(out, "</div></section>")
}

fn write_table(out: &mut dyn Write, job: &JobResult) -> io::Result<()> {
    let Some(first) = job.collectors.first() else {
        return Ok(());
    };
    write!(
        out,
        "<div class=\"wide\"><table><thead><tr><th>collector</th>"
    )?;
    for figure in &first.summary {
        write!(out, "<th>{}</th>", escape(&figure.name))?;
    }
    write!(out, "</tr></thead><tbody>")?;
    for result in &job.collectors {
        write_row(out, result)?;
    }
    write!(out, "</tbody></table></div>")
}

fn write_row(out: &mut dyn Write, result: &CollectorResult) -> io::Result<()> {
    write!(out, "<tr><td>{}</td>", escape(&result.collector))?;
    for figure in &result.summary {
        let value = figure.median.map_or("-".to_owned(), number);
        let spread = match (figure.min, figure.max) {
            (Some(min), Some(max)) if result.runs.len() > 1 => format!(
                "<br/><span class=\"spread\">{}–{}</span>",
                number(min),
                number(max)
            ),
            _ => String::new(),
        };
        write!(out, "<td>{value}{spread}</td>")?;
    }
    write!(out, "</tr>")
}

/// Whole numbers as they are; others to about three significant digits.
fn number(value: f64) -> String {
    if value.fract() == 0.0 {
        return format!("{value:.0}");
    }
    match value.abs() {
        v if v >= 100.0 || v == 0.0 => format!("{value:.0}"),
        v if v >= 1.0 => format!("{value:.2}"),
        _ => format!("{value:.3}"),
    }
}

fn series(
    plotted: &[(&str, &RunMetrics)],
    points: fn(&RunMetrics) -> Vec<(f64, f64)>,
) -> Vec<Series> {
    plotted
        .iter()
        .map(|(name, run)| Series {
            name: (*name).to_owned(),
            points: points(run),
        })
        .collect()
}

fn pause_chart(plotted: &[(&str, &RunMetrics)]) -> Chart {
    Chart {
        id: "pauses",
        title: "Pause distribution".to_owned(),
        x_label: "pause (ms)",
        y_label: "share of pauses at most",
        x_scale: Scale::Log,
        y_scale: Scale::Linear,
        y_range: Some((0.0, 1.0)),
        series: series(plotted, |run| {
            run.pause_cdf
                .iter()
                .map(|p| (p.pause_ms, p.quantile))
                .collect()
        }),
    }
}

fn heap_chart(plotted: &[(&str, &RunMetrics)]) -> Chart {
    Chart {
        id: "heap",
        title: "Heap used over time".to_owned(),
        x_label: "time (s)",
        y_label: "used (MB)",
        x_scale: Scale::Linear,
        y_scale: Scale::Linear,
        y_range: None,
        series: series(plotted, |run| {
            run.heap
                .iter()
                .map(|s| (s.time_ms / 1e3, s.used_bytes as f64 / MB))
                .collect()
        }),
    }
}

fn mmu_chart(plotted: &[(&str, &RunMetrics)]) -> Chart {
    Chart {
        id: "mmu",
        title: "Minimum mutator utilization".to_owned(),
        x_label: "window (ms)",
        y_label: "MMU",
        x_scale: Scale::Log,
        y_scale: Scale::Linear,
        y_range: Some((0.0, 1.0)),
        series: series(plotted, |run| {
            run.mmu_curve
                .iter()
                .filter_map(|p| p.utilization.map(|u| (p.window_ms, u)))
                .collect()
        }),
    }
}
