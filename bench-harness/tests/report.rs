//! `report.html` read as a browser would get it, without a browser: the page is well-formed, says
//! how to lay itself out on a phone, its plots scale, its tables have plain headers with units,
//! several runs show their range, every line can be told apart without colour, and a collector
//! with nothing to plot is named with the reason instead of an empty legend entry.
//!
//! The comparisons are made from one real run of a small trace, copied and altered per test, so
//! each test says exactly which case it makes. `scripts/check-report.sh` checks the layout in
//! Chromium.
#![cfg(feature = "marksweep")]

use std::path::Path;

use bench_harness::compare::statistics::summarise;
use bench_harness::compare::{CollectorResult, Comparison, InProcess, JobResult, Measure};
use bench_harness::compare::{html_report, series_style};
use bench_harness::metrics::RunMetrics;

/// An element of the page: its name, attributes, children and all the text inside it
/// (entities decoded).
#[derive(Debug, Default)]
struct Element {
    name: String,
    attributes: Vec<(String, String)>,
    children: Vec<Element>,
    text: String,
}

impl Element {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    fn has(&self, name: &str, value: &str) -> bool {
        self.attribute(name) == Some(value)
    }

    /// Every element inside this one, in document order.
    fn descendants(&self) -> Vec<&Element> {
        let mut all = Vec::new();
        for child in &self.children {
            all.push(child);
            all.extend(child.descendants());
        }
        all
    }

    fn all(&self, name: &str) -> Vec<&Element> {
        self.descendants()
            .into_iter()
            .filter(|e| e.name == name)
            .collect()
    }

    /// The one descendant `name` with `attribute` = `value`.
    fn one(&self, name: &str, attribute: &str, value: &str) -> &Element {
        let found: Vec<&Element> = self
            .all(name)
            .into_iter()
            .filter(|e| e.has(attribute, value))
            .collect();
        assert_eq!(found.len(), 1, "<{name} {attribute}=\"{value}\">");
        found[0]
    }
}

/// Parses `text` as XML (apart from the doctype), failing on anything not well formed: an
/// element closed out of order or left open, an `&` that is not one of the five entities, an
/// attribute without quotes.
fn parse(text: &str) -> Element {
    let mut open = vec![Element::default()];
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        add_text(&mut open, &rest[..start]);
        let end = rest[start..].find('>').expect("a tag is closed") + start;
        let tag = &rest[start + 1..end];
        rest = &rest[end + 1..];
        if tag.starts_with("!DOCTYPE") {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            close(&mut open, name);
            continue;
        }
        let (tag, empty) = match tag.strip_suffix('/') {
            Some(tag) => (tag, true),
            None => (tag, false),
        };
        let name: String = tag.chars().take_while(|c| !c.is_whitespace()).collect();
        open.push(Element {
            attributes: attributes(&tag[name.len()..]),
            name: name.clone(),
            ..Element::default()
        });
        if empty {
            close(&mut open, &name);
        }
    }
    add_text(&mut open, rest);
    assert_eq!(
        open.len(),
        1,
        "left open: {:?}",
        open[1..].iter().map(|e| &e.name)
    );
    open.pop().unwrap_or_default()
}

fn add_text(open: &mut [Element], text: &str) {
    if let Some(element) = open.last_mut() {
        element.text.push_str(&decode(text));
    }
}

fn close(open: &mut Vec<Element>, name: &str) {
    let element = open.pop().expect("an element is open");
    assert_eq!(element.name, name, "</{name}> closes <{}>", element.name);
    let parent = open.last_mut().expect("the document is open");
    parent.text.push_str(&element.text);
    parent.children.push(element);
}

/// `name="value"` pairs, values decoded.
fn attributes(mut text: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    loop {
        text = text.trim_start();
        if text.is_empty() {
            return pairs;
        }
        let (name, rest) = text
            .split_once("=\"")
            .expect("an attribute has a quoted value");
        let (value, rest) = rest.split_once('"').expect("an attribute value is closed");
        pairs.push((name.to_owned(), decode(value)));
        text = rest;
    }
}

fn decode(text: &str) -> String {
    const ENTITIES: [(&str, &str); 5] = [
        ("&amp;", "&"),
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&quot;", "\""),
        ("&#39;", "'"),
    ];
    let mut decoded = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        decoded.push_str(&rest[..at]);
        let (entity, character) = ENTITIES
            .iter()
            .find(|(entity, _)| rest[at..].starts_with(entity))
            .unwrap_or_else(|| panic!("a bare & in {text:?}"));
        decoded.push_str(character);
        rest = &rest[at + entity.len()..];
    }
    decoded.push_str(rest);
    decoded
}

/// One real run of a small trace with two collections in it, about 6 ms long (think time) so
/// that it has MMU windows up to 5 ms.
fn measured(folder: &Path) -> RunMetrics {
    let trace = folder.join("small.gct");
    std::fs::write(
        &trace,
        "gctrace 1\na 1 1 0 Node\na 2 0 64 Leaf\nw 1 0 2\nt 2000000\ngc\nt 2000000\n- 2\n\
         a 3 0 64 Leaf\ngc\nt 2000000\n",
    )
    .unwrap();
    let run = InProcess::default()
        .measure("small", &trace, "marksweep")
        .unwrap_or_else(|error| panic!("{error}"));
    assert!(run.pauses.count > 0);
    assert!(!run.pause_cdf.is_empty() && !run.heap.is_empty() && !run.mmu_curve.is_empty());
    run
}

/// `run` as if it had made no pause.
fn without_pauses(mut run: RunMetrics) -> RunMetrics {
    run.pauses.count = 0;
    run.pauses.total_ms = 0.0;
    for percentile in [
        &mut run.pauses.p50_ms,
        &mut run.pauses.p90_ms,
        &mut run.pauses.p99_ms,
        &mut run.pauses.p99_9_ms,
        &mut run.pauses.max_ms,
    ] {
        *percentile = None;
    }
    run.pause_cdf.clear();
    run.gc_share = 0.0;
    run
}

fn result(collector: &str, runs: Vec<RunMetrics>) -> CollectorResult {
    CollectorResult {
        collector: collector.to_owned(),
        summary: summarise(&runs),
        runs,
    }
}

fn comparison(repeat: u32, collectors: Vec<CollectorResult>) -> Comparison {
    Comparison {
        collectors: collectors.iter().map(|c| c.collector.clone()).collect(),
        repeat,
        think: None,
        gc_threads: None,
        jobs: vec![JobResult {
            name: "small <&> \"job\"".to_owned(),
            trace: "traces/small.gct".to_owned(),
            collectors,
        }],
    }
}

fn render(comparison: &Comparison) -> (String, Element) {
    let mut out = Vec::new();
    html_report::write(&mut out, comparison).unwrap();
    let html = String::from_utf8(out).unwrap();
    let page = parse(&html);
    (html, page)
}

/// Two collectors with pauses and one without, one run each.
fn three_collectors(folder: &Path) -> Comparison {
    let run = measured(folder);
    comparison(
        1,
        vec![
            result("alpha", vec![run.clone()]),
            result("beta", vec![run.clone()]),
            result("idle", vec![without_pauses(run)]),
        ],
    )
}

/// The texts of a table's column headers.
fn headers(table: &Element) -> Vec<&str> {
    table
        .all("th")
        .into_iter()
        .filter(|th| th.has("scope", "col"))
        .map(|th| th.text.as_str())
        .collect()
}

/// The cell of `collector`'s rows (one a table) under `label`.
fn cell<'p>(page: &'p Element, collector: &str, label: &str) -> &'p Element {
    let cells: Vec<&Element> = page
        .all("tr")
        .into_iter()
        .filter(|row| row.has("data-collector", collector))
        .flat_map(|row| row.all("td"))
        .filter(|td| td.has("data-label", label))
        .collect();
    assert_eq!(cells.len(), 1, "{collector}: {label}");
    cells[0]
}

#[test]
fn the_page_is_well_formed_lays_out_on_a_phone_and_its_plots_scale() {
    let folder = tempfile::tempdir().unwrap();
    let (html, page) = render(&three_collectors(folder.path()));
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\"><head>"));
    assert!(!html.contains("<script") && !html.contains("<link"));
    let head = page.all("head")[0];
    let viewport = head.one("meta", "name", "viewport");
    assert_eq!(
        viewport.attribute("content"),
        Some("width=device-width, initial-scale=1")
    );
    let style = &head.all("style")[0].text;
    assert!(style.contains("svg.plot{display:block;width:100%;height:auto}"));
    assert!(style.contains("@media (max-width:700px)"));
    assert!(style.contains("td::before{content:attr(data-label)"));
    assert!(page.text.contains(
        "gclab's own final full collection, the one after the trace that computes the \
         live-graph digest, is not among them."
    ));
    // The job's name, escaped in the source, reads as it was.
    assert_eq!(page.all("h2")[0].text, "small <&> \"job\"");

    let svgs = page.all("svg");
    assert!(!svgs.is_empty());
    for svg in &svgs {
        let view_box = svg.attribute("viewBox").expect("every SVG has a viewBox");
        assert_eq!(view_box.split(' ').count(), 4, "{view_box}");
        assert_eq!(svg.attribute("width"), None);
        assert_eq!(svg.attribute("height"), None);
    }
    let plots: Vec<&Element> = svgs
        .iter()
        .copied()
        .filter(|s| s.has("class", "plot"))
        .collect();
    let ids: Vec<&str> = plots
        .iter()
        .filter_map(|s| s.attribute("data-plot"))
        .collect();
    assert_eq!(ids, ["pauses", "heap", "mmu"]);
    for plot in plots {
        // Narrow enough that its 13-unit text is still about 10 px in a 400 px page's column.
        assert_eq!(plot.attribute("viewBox"), Some("0 0 440 280"));
        assert_eq!(plot.attribute("font-size"), Some("13"));
    }
    // Heap in MiB (2^20 bytes), as the tables.
    let labels: Vec<&str> = page
        .one("svg", "data-plot", "heap")
        .all("text")
        .into_iter()
        .filter(|t| t.has("class", "label"))
        .map(|t| t.text.as_str())
        .collect();
    assert_eq!(labels, ["time (s)", "used (MiB)"]);
}

#[test]
fn the_tables_have_plain_headers_with_units_and_hold_every_figure() {
    let folder = tempfile::tempdir().unwrap();
    let comparison = three_collectors(folder.path());
    let (_, page) = render(&comparison);
    let tables = page.all("table");
    let captions: Vec<&str> = tables
        .iter()
        .map(|t| t.all("caption")[0].text.as_str())
        .collect();
    assert_eq!(captions[0], "Pauses");
    assert!(captions[1].starts_with("Minimum mutator utilization"));
    assert_eq!(captions[2], "Time and memory");
    assert_eq!(
        headers(tables[0]),
        [
            "Collector",
            "Pauses",
            "Total pause (ms)",
            "Median pause (ms)",
            "p90 pause (ms)",
            "p99 pause (ms)",
            "p99.9 pause (ms)",
            "Longest pause (ms)"
        ]
    );
    assert_eq!(
        headers(tables[1]),
        [
            "Collector",
            "MMU at 1 ms",
            "MMU at 2 ms",
            "MMU at 5 ms",
            "MMU at 10 ms",
            "MMU at 20 ms",
            "MMU at 50 ms",
            "MMU at 100 ms"
        ]
    );
    assert_eq!(
        headers(tables[2]),
        [
            "Collector",
            "Total time (s)",
            "Mutator time (s)",
            "GC share (%)",
            "Marking beside the mutator (ms)",
            "Sweeping beside the mutator (ms)",
            "Allocation rate (MiB/s)",
            "Peak committed (MiB)",
            "Peak RSS (MiB)",
            "Live objects at the end"
        ]
    );
    // Every figure once per collector, each cell labelled with its column's header for the
    // phone layout.
    let figures = comparison.jobs[0].collectors[0].summary.len();
    for collector in ["alpha", "beta", "idle"] {
        let cells: Vec<&Element> = tables
            .iter()
            .flat_map(|t| t.one("tr", "data-collector", collector).all("td"))
            .collect();
        assert_eq!(cells.len(), figures);
        assert!(cells.iter().all(|c| c.attribute("data-label").is_some()));
    }
    let run = &comparison.jobs[0].collectors[0].runs[0];
    assert_eq!(
        cell(&page, "alpha", "GC share (%)").text,
        bench_harness::units::percent(run.gc_share)
    );
    assert_eq!(
        cell(&page, "alpha", "Peak committed (MiB)").text,
        format!(
            "{:.1}",
            bench_harness::units::mebibytes(run.peak_committed_bytes)
        )
    );
    // One run: the value alone. A figure no run has: a dash.
    assert_eq!(
        cell(&page, "alpha", "Pauses").text,
        run.pauses.count.to_string()
    );
    assert_eq!(
        page.all("span")
            .iter()
            .filter(|s| s.has("class", "range"))
            .count(),
        0
    );
    assert_eq!(cell(&page, "idle", "Median pause (ms)").text, "–");
    assert_eq!(cell(&page, "idle", "Pauses").text, "0");
}

#[test]
fn several_runs_show_the_median_with_the_lowest_and_highest_under_it() {
    let folder = tempfile::tempdir().unwrap();
    let run = measured(folder.path());
    let runs: Vec<RunMetrics> = [(3, 0.25), (1, 0.125), (2, 0.5)]
        .into_iter()
        .map(|(pauses, share)| {
            let mut run = run.clone();
            run.pauses.count = pauses;
            run.gc_share = share;
            run
        })
        .collect();
    let (_, page) = render(&comparison(3, vec![result("alpha", runs)]));
    assert!(
        page.text
            .contains("3 measured runs per trace and collector")
    );
    let pauses = cell(&page, "alpha", "Pauses");
    assert_eq!(pauses.text, "21–3");
    assert_eq!(pauses.one("span", "class", "range").text, "1–3");
    let share = cell(&page, "alpha", "GC share (%)");
    assert_eq!(share.one("span", "class", "range").text, "12.5%–50.0%");
    assert!(share.text.starts_with("25.0%"));
}

#[test]
fn a_collector_with_nothing_to_plot_is_named_with_the_reason() {
    let folder = tempfile::tempdir().unwrap();
    let mut comparison = three_collectors(folder.path());
    // `beta` recorded no heap samples.
    comparison.jobs[0].collectors[1].runs[0].heap.clear();
    let (_, page) = render(&comparison);
    let figure = |id: &str| {
        page.all("figure")
            .into_iter()
            .find(|f| f.all("svg").iter().any(|s| s.has("data-plot", id)))
            .expect("a figure per plot")
    };
    let pauses = figure("pauses");
    assert_eq!(
        pauses.one("li", "data-note", "idle").text,
        "idle: no pauses in this run"
    );
    let legend: Vec<&str> = pauses
        .all("li")
        .into_iter()
        .filter_map(|li| li.attribute("data-legend"))
        .collect();
    assert_eq!(legend, ["alpha", "beta"], "no legend entry without a line");
    let lines: Vec<&str> = pauses
        .all("polyline")
        .into_iter()
        .filter_map(|l| l.attribute("data-series"))
        .collect();
    assert_eq!(lines, ["alpha", "beta"]);

    let heap = figure("heap");
    assert_eq!(
        heap.one("li", "data-note", "beta").text,
        "beta: no heap samples in this run"
    );
    assert_eq!(
        heap.one("svg", "data-plot", "heap").all("polyline").len(),
        2
    );
    // The collector without pauses has its heap line and its MMU line.
    heap.one("polyline", "data-series", "idle");
    figure("mmu").one("polyline", "data-series", "idle");
    // `alpha` and `beta` ran alike: their pause lines coincide, and the legend says so.
    assert!(
        pauses
            .all("li")
            .iter()
            .any(|li| li.text.starts_with("alpha and beta coincide")),
        "{:?}",
        pauses.text
    );
}

#[test]
fn every_line_has_its_own_dash_and_marker_and_its_legend_shows_them() {
    let folder = tempfile::tempdir().unwrap();
    let run = measured(folder.path());
    let names: Vec<String> = (0..series_style::STYLES.len())
        .map(|i| format!("c{i}"))
        .collect();
    let results = names.iter().map(|n| result(n, vec![run.clone()])).collect();
    let (_, page) = render(&comparison(1, results));
    let svg = page.one("svg", "data-plot", "mmu");
    let figure = page
        .all("figure")
        .into_iter()
        .find(|f| f.all("svg").iter().any(|s| s.has("data-plot", "mmu")))
        .expect("the MMU figure");
    let mut looks = Vec::new();
    for name in &names {
        let line = svg.one("polyline", "data-series", name);
        let markers = svg.one("path", "data-series", name);
        let dash = line.attribute("stroke-dasharray").unwrap_or("solid");
        let colour = line.attribute("stroke").expect("a colour");
        let outlines = markers.attribute("d").expect("marker outlines");
        assert_eq!(outlines.matches('Z').count(), 5, "five markers on the line");
        // The legend draws the same line and marker; its marker is at a fixed place, so its
        // outline is the marker's look.
        let key = figure.one("li", "data-legend", name).all("svg")[0];
        let key_line = key.all("line")[0];
        assert_eq!(key_line.attribute("stroke"), Some(colour));
        assert_eq!(
            key_line.attribute("stroke-dasharray").unwrap_or("solid"),
            dash
        );
        let key_marker = key.all("path")[0];
        let fill = markers.attribute("fill").expect("a fill");
        assert_eq!(key_marker.attribute("fill"), Some(fill));
        let commands = |d: &str| -> String {
            d.chars()
                .take_while(|&c| c != 'Z')
                .filter(char::is_ascii_alphabetic)
                .collect()
        };
        let outline = key_marker.attribute("d").expect("an outline");
        assert_eq!(commands(outline), commands(outlines));
        let filled = if fill == "#fff" { "open" } else { "filled" };
        looks.push((
            colour.to_owned(),
            dash.to_owned(),
            format!("{filled} {outline}"),
        ));
    }
    for (i, a) in looks.iter().enumerate() {
        for b in &looks[i + 1..] {
            assert_ne!(a.0, b.0, "colours");
            assert_ne!(a.1, b.1, "dash patterns");
            assert_ne!(a.2, b.2, "markers");
        }
    }
}
