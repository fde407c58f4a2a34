//! `report.html`: one self-contained page (inline CSS and SVG, no script, nothing fetched) with,
//! per job, every figure in a few tables by theme (pauses; utilization; time and memory) and
//! three plots of its collectors: the pause distribution, heap use over time, and the MMU
//! curves. The plots show each collector's run of median total time.
//!
//! The page reads on a desktop and on a phone: a viewport meta, plots that scale with their
//! column ([`svg_plot`](crate::compare::svg_plot)), tables narrow enough for a 1400 px page whose
//! rows become blocks of labelled values on a narrow one. `scripts/check-report.sh` renders it in
//! Chromium at both widths and checks that nothing is wider than the page.
//!
//! Every figure a collector has is in some table, under a plain-language header with its unit;
//! a figure no run has is "–". The page is well-formed XML as well as HTML (every element
//! closed, every text escaped), so a test can check its structure without a browser.

use std::io::{self, Write};

use crate::compare::svg_plot::{Chart, Scale, Series, escape};
use crate::compare::{CollectorResult, Comparison, JobResult};
use crate::metrics::{MMU_WINDOWS_MS, RunMetrics};
use crate::units;

/// What stands for a figure no run has.
const ABSENT: &str = "–";

/// The page's style. Below 700 px a table row becomes a block of labelled values, one a line: a
/// phone has no room for eight columns of numbers.
const STYLE: &str = "html{background:#fff}body{font-family:system-ui,sans-serif;line-height:1.4;color:#222;\
max-width:1400px;margin:0 auto;padding:0 24px 24px;overflow-wrap:break-word}\
h1{font-size:1.6em}h2{font-size:1.3em;margin:2em 0 .3em}\
code{background:#f4f4f4;padding:0 3px;overflow-wrap:anywhere}\
table.figures{border-collapse:collapse;margin:.5em 0 1.2em;font-size:14px}\
table.figures caption{text-align:left;font-weight:600;padding:4px 0}\
th,td{padding:4px 10px;border-bottom:1px solid #ddd;text-align:right;vertical-align:top}\
thead th{vertical-align:bottom;max-width:9em;font-weight:600}\
thead th:first-child{text-align:left}\
tbody th{text-align:left;font-weight:normal;white-space:nowrap}\
.range{display:block;color:#666;font-size:12px}\
.plots{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,380px),1fr));gap:16px}\
figure.plot{margin:0;border:1px solid #ddd;padding:8px;min-width:0;max-width:600px}\
figure.plot figcaption{font-weight:600}\
svg.plot{display:block;width:100%;height:auto}\
ul.legend{list-style:none;margin:4px 0 0;padding:0;display:flex;flex-wrap:wrap;gap:2px 14px;\
font-size:13px}\
ul.legend li{display:flex;align-items:center;gap:6px}\
ul.legend li.note{flex-basis:100%;color:#555;font-style:italic}\
svg.key{width:36px;height:12px;flex:none}\
@media (max-width:700px){body{padding:0 8px 8px}\
figure.plot{padding:4px}\
table.figures,table.figures tbody,table.figures tr{display:block;width:100%}\
table.figures thead{display:none}\
table.figures tr{border-bottom:1px solid #bbb;padding:4px 0}\
table.figures th,table.figures td{display:flex;justify-content:space-between;gap:1em;\
border:none;padding:1px 0}\
table.figures caption{display:block}\
table.figures tbody th{font-weight:600}\
.range{display:inline;margin-left:.6em}\
table.figures td::before{content:attr(data-label);text-align:left;color:#555}}";

pub fn write(out: &mut dyn Write, comparison: &Comparison) -> io::Result<()> {
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\
         <title>gclab compare</title><style>{STYLE}</style></head><body>\
         <h1>gclab compare</h1><p>Collectors: {}. {}</p><p>The pauses are the collections \
         the trace caused. gclab's own final full collection, the one after the trace that \
         computes the live-graph digest, is not among them.</p>",
        escape(&comparison.collectors.join(", ")),
        runs_sentence(comparison.repeat),
    )?;
    for job in &comparison.jobs {
        write_job(out, job)?;
    }
    writeln!(out, "</body></html>")
}

fn runs_sentence(repeat: u32) -> String {
    match repeat {
        1 => "One measured run per trace and collector, each in a fresh process.".to_owned(),
        n => format!(
            "{n} measured runs per trace and collector, each in a fresh process: tables show \
             the median, with the lowest–highest below it; plots show the run of median total \
             time."
        ),
    }
}

fn write_job(out: &mut dyn Write, job: &JobResult) -> io::Result<()> {
    let digest = job
        .collectors
        .first()
        .and_then(|c| c.runs.first())
        .map_or(ABSENT, |run| run.digest.as_str());
    write!(
        out,
        "<section class=\"job\"><h2>{}</h2><p>Trace <code>{}</code>; live-graph digest \
         <code>{}</code>.</p>",
        escape(&job.name),
        escape(&job.trace),
        escape(digest),
    )?;
    for theme in themes(job) {
        write_table(out, &theme, job)?;
    }
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
        write!(out, "{}", chart.to_html())?;
    }
    write!(out, "</div></section>")
}

/// A column of a table: the figure it shows, its header (with the unit), and how a value of the
/// figure is written.
struct Column {
    figure: String,
    header: String,
    format: fn(f64) -> String,
}

/// One table: figures on one theme.
struct Theme {
    caption: &'static str,
    columns: Vec<Column>,
}

fn column(figure: &str, header: &str, format: fn(f64) -> String) -> Column {
    Column {
        figure: figure.to_owned(),
        header: header.to_owned(),
        format,
    }
}

/// The tables of `job`: the themes, then any figure none of them names under its own name (so
/// a figure added to the runs is still reported).
fn themes(job: &JobResult) -> Vec<Theme> {
    let mut themes = vec![
        Theme {
            caption: "Pauses",
            columns: vec![
                column("pauses", "Pauses", number),
                column("pause_total_ms", "Total pause (ms)", number),
                column("p50_ms", "Median pause (ms)", number),
                column("p90_ms", "p90 pause (ms)", number),
                column("p99_ms", "p99 pause (ms)", number),
                column("p99_9_ms", "p99.9 pause (ms)", number),
                column("max_ms", "Longest pause (ms)", number),
            ],
        },
        Theme {
            caption: "Minimum mutator utilization: the least share of any window of that \
                      length the program ran in (1: never paused)",
            columns: MMU_WINDOWS_MS
                .iter()
                .map(|ms| {
                    column(
                        &format!("mmu_{ms}ms"),
                        &format!("MMU at {ms} ms"),
                        // What tells 0.992 from 0.985.
                        units::thousandths,
                    )
                })
                .collect(),
        },
        Theme {
            caption: "Time and memory",
            columns: vec![
                column("total_s", "Total time (s)", number),
                column("mutator_s", "Mutator time (s)", number),
                column("gc_share", "GC share (%)", units::percent),
                column(
                    "concurrent_marking_ms",
                    "Marking beside the mutator (ms)",
                    units::hundredths,
                ),
                column(
                    "concurrent_sweeping_ms",
                    "Sweeping beside the mutator (ms)",
                    units::hundredths,
                ),
                column(
                    "allocation_mb_per_s",
                    "Allocation rate (MiB/s)",
                    units::whole,
                ),
                column("peak_committed_mb", "Peak committed (MiB)", units::tenths),
                column("peak_rss_mb", "Peak RSS (MiB)", units::tenths),
                column("live_objects", "Live objects at the end", units::whole),
            ],
        },
    ];
    let named = |name: &str| {
        themes
            .iter()
            .any(|theme| theme.columns.iter().any(|c| c.figure == name))
    };
    let others: Vec<Column> = job
        .collectors
        .first()
        .map(|first| first.summary.as_slice())
        .unwrap_or_default()
        .iter()
        .filter(|figure| !named(&figure.name))
        .map(|figure| column(&figure.name, &figure.name, number))
        .collect();
    if !others.is_empty() {
        themes.push(Theme {
            caption: "Other figures",
            columns: others,
        });
    }
    themes
}

fn write_table(out: &mut dyn Write, theme: &Theme, job: &JobResult) -> io::Result<()> {
    write!(
        out,
        "<table class=\"figures\"><caption>{}</caption><thead><tr><th scope=\"col\">Collector</th>",
        escape(theme.caption)
    )?;
    for column in &theme.columns {
        write!(out, "<th scope=\"col\">{}</th>", escape(&column.header))?;
    }
    write!(out, "</tr></thead><tbody>")?;
    for result in &job.collectors {
        write_row(out, &theme.columns, result)?;
    }
    write!(out, "</tbody></table>")
}

fn write_row(out: &mut dyn Write, columns: &[Column], result: &CollectorResult) -> io::Result<()> {
    let name = escape(&result.collector);
    write!(
        out,
        "<tr data-collector=\"{name}\"><th scope=\"row\">{name}</th>"
    )?;
    for column in columns {
        write!(
            out,
            "<td data-label=\"{}\">{}</td>",
            escape(&column.header),
            cell(column, result)
        )?;
    }
    write!(out, "</tr>")
}

/// The median, and with several runs the lowest–highest under it.
fn cell(column: &Column, result: &CollectorResult) -> String {
    let figure = result.figure(&column.figure);
    let Some(median) = figure.and_then(|f| f.median) else {
        return ABSENT.to_owned();
    };
    let format = column.format;
    let range = match figure.map(|f| (f.min, f.max)) {
        Some((Some(min), Some(max))) if result.runs.len() > 1 => format!(
            "<span class=\"range\">{}–{}</span>",
            format(min),
            format(max)
        ),
        _ => String::new(),
    };
    format!("<span class=\"value\">{}{range}</span>", format(median))
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
        missing: "no pauses in this run",
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
        y_label: "used (MiB)",
        x_scale: Scale::Linear,
        y_scale: Scale::Linear,
        y_range: None,
        missing: "no heap samples in this run",
        series: series(plotted, |run| {
            run.heap
                .iter()
                .map(|s| (s.time_ms / 1e3, units::mebibytes(s.used_bytes)))
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
        missing: "the run was shorter than every window",
        series: series(plotted, |run| {
            run.mmu_curve
                .iter()
                .filter_map(|p| p.utilization.map(|u| (p.window_ms, u)))
                .collect()
        }),
    }
}
