//! Line charts for `report.html`: a `<figure>` with the title, the plot as inline SVG (axes with
//! ticks on a linear or logarithmic scale, one line per series) and an HTML legend under it. No
//! script, no external resource: the report opens anywhere, offline.
//!
//! The SVG has a `viewBox` and no size of its own, so the page's CSS scales it to its column;
//! the viewBox is narrow enough ([`WIDTH`] units, text [`TEXT`] units) that text stays about
//! 10 CSS px on a 400 px phone. The legend is HTML so that it wraps and its text keeps its size.
//!
//! Every series is told apart without colour ([`crate::compare::series_style`]), and the legend
//! draws each as its line does. Series with nothing to draw
//! get a note in the legend saying why, and lines that coincide exactly get a note saying so.
//!
//! Every number written is finite: points that a log scale cannot place (zero or below) and
//! non-finite values are left out, and an empty or flat range is widened, so the SVG is always
//! well formed.

use std::fmt::Write as _;

use crate::compare::series_style::{
    Style, dash_attribute, marker_paint, marker_positions, shape_path, style_of,
};

/// How an axis maps values.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Scale {
    Linear,
    /// Base ten; only positive values.
    Log,
}

/// One line of a chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// A chart: what it shows and how.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    /// Names the plot in the DOM (`data-plot`).
    pub id: &'static str,
    pub title: String,
    pub x_label: &'static str,
    pub y_label: &'static str,
    pub x_scale: Scale,
    pub y_scale: Scale,
    /// Fixed y range (e.g. 0 to 1 for a utilization); otherwise from the data.
    pub y_range: Option<(f64, f64)>,
    /// Why a series without points has no line: "no pauses in this run".
    pub missing: &'static str,
    pub series: Vec<Series>,
}

/// The width of the viewBox, in user units.
pub const WIDTH: f64 = 440.0;
const HEIGHT: f64 = 280.0;
/// The size of tick and axis text, in user units.
pub const TEXT: f64 = 13.0;
const LEFT: f64 = 62.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 46.0;

/// The mapping of one axis from data to pixels.
#[derive(Copy, Clone, Debug)]
struct Axis {
    scale: Scale,
    low: f64,
    high: f64,
    /// Pixel positions of `low` and `high`.
    from: f64,
    to: f64,
}

impl Axis {
    fn transform(&self, value: f64) -> f64 {
        match self.scale {
            Scale::Linear => value,
            Scale::Log => value.log10(),
        }
    }

    fn place(&self, value: f64) -> f64 {
        let (low, high) = (self.transform(self.low), self.transform(self.high));
        self.from + (self.transform(value) - low) / (high - low) * (self.to - self.from)
    }

    fn ticks(&self) -> Vec<f64> {
        match self.scale {
            Scale::Linear => linear_ticks(self.low, self.high),
            Scale::Log => log_ticks(self.low, self.high),
        }
    }
}

/// Whether a scale can place `value`.
fn placeable(scale: Scale, value: f64) -> bool {
    value.is_finite() && (scale == Scale::Linear || value > 0.0)
}

/// Round ticks (1, 2 or 5 times a power of ten apart) covering `[low, high]`, at most about six.
pub fn linear_ticks(low: f64, high: f64) -> Vec<f64> {
    let span = high - low;
    let magnitude = 10f64.powf((span / 5.0).log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|step| span / step <= 6.0)
        .unwrap_or(10.0 * magnitude);
    let first = (low / step).ceil() as i64;
    let last = (high / step).floor() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

/// The powers of ten within `[low, high]` (positive).
pub fn log_ticks(low: f64, high: f64) -> Vec<f64> {
    let first = low.log10().ceil() as i32;
    let last = high.log10().floor() as i32;
    (first..=last).map(|e| 10f64.powi(e)).collect()
}

/// The range of `values` for `scale`, widened when empty or flat; a linear range starts at 0
/// when its values are all positive (a heap or a pause is measured from nothing).
fn range(scale: Scale, values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut low, mut high) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if low > high {
        return match scale {
            Scale::Linear => (0.0, 1.0),
            Scale::Log => (0.1, 10.0),
        };
    }
    match scale {
        Scale::Linear => {
            low = low.min(0.0);
            if high <= low {
                high = low + 1.0;
            }
        }
        Scale::Log => {
            // Out to whole decades, so the ends have ticks.
            low = 10f64.powf(low.log10().floor());
            high = 10f64.powf(high.log10().ceil());
            if high <= low {
                high = low * 10.0;
            }
        }
    }
    (low, high)
}

/// A tick's label: short, without trailing zeros.
fn tick_label(value: f64) -> String {
    if value == 0.0 {
        return "0".to_owned();
    }
    let magnitude = value.abs();
    if !(1e-3..1e5).contains(&magnitude) {
        return format!("{value:.0e}");
    }
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Escapes text for HTML and SVG content and attribute values.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A series as the plot draws it: its points in viewBox units.
struct Line<'c> {
    name: &'c str,
    style: Style,
    /// Empty when the series has nothing to draw.
    pixels: Vec<(f64, f64)>,
    /// Why there is no line, when there is none.
    note: Option<String>,
}

impl Chart {
    /// The chart as a `<figure>`: title, plot and legend.
    pub fn to_html(&self) -> String {
        let (x, y) = self.axes();
        let lines = self.lines(&x, &y);
        let mut html = format!(
            r#"<figure class="plot"><figcaption>{}</figcaption>"#,
            escape(&self.title)
        );
        self.write_svg(&mut html, &x, &y, &lines);
        write_legend(&mut html, &lines);
        html.push_str("</figure>");
        html
    }

    /// The points each scale can place.
    fn placed(&self, series: &Series) -> Vec<(f64, f64)> {
        series
            .points
            .iter()
            .copied()
            .filter(|&(x, y)| placeable(self.x_scale, x) && placeable(self.y_scale, y))
            .collect()
    }

    fn axes(&self) -> (Axis, Axis) {
        let placed: Vec<(f64, f64)> = self.series.iter().flat_map(|s| self.placed(s)).collect();
        let (x_low, x_high) = range(self.x_scale, placed.iter().map(|p| p.0));
        let (y_low, y_high) = self
            .y_range
            .unwrap_or_else(|| range(self.y_scale, placed.iter().map(|p| p.1)));
        let x = Axis {
            scale: self.x_scale,
            low: x_low,
            high: x_high,
            from: LEFT,
            to: WIDTH - RIGHT,
        };
        let y = Axis {
            scale: self.y_scale,
            low: y_low,
            high: y_high,
            from: HEIGHT - BOTTOM,
            to: TOP,
        };
        (x, y)
    }

    fn lines(&self, x: &Axis, y: &Axis) -> Vec<Line<'_>> {
        self.series
            .iter()
            .enumerate()
            .map(|(index, series)| {
                let pixels: Vec<(f64, f64)> = self
                    .placed(series)
                    .into_iter()
                    .map(|(px, py)| (round(x.place(px)), round(y.place(py))))
                    .collect();
                let note = match (series.points.is_empty(), pixels.is_empty()) {
                    (true, _) => Some(self.missing.to_owned()),
                    (false, true) => Some("no point that this scale can show".to_owned()),
                    (false, false) => None,
                };
                Line {
                    name: &series.name,
                    style: style_of(index),
                    pixels,
                    note,
                }
            })
            .collect()
    }

    fn write_svg(&self, html: &mut String, x: &Axis, y: &Axis, lines: &[Line]) {
        let _ = write!(
            html,
            r#"<svg class="plot" data-plot="{}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" font-size="{TEXT}" role="img"><title>{}</title>"#,
            self.id,
            escape(&self.title),
        );
        self.write_frame(html, x, y);
        let drawn: Vec<&Line> = lines.iter().filter(|l| !l.pixels.is_empty()).collect();
        for line in &drawn {
            write_line(html, line);
        }
        // Markers over every line, so no line hides another's.
        for (slot, line) in drawn.iter().enumerate() {
            let at = marker_positions(&line.pixels, slot, drawn.len());
            write_markers(html, line.name, line.style, &at);
        }
        html.push_str("</svg>");
    }

    fn write_frame(&self, svg: &mut String, x: &Axis, y: &Axis) {
        let (bottom, right) = (HEIGHT - BOTTOM, WIDTH - RIGHT);
        let _ = write!(
            svg,
            r##"<rect x="{LEFT}" y="{TOP}" width="{}" height="{}" fill="none" stroke="#999"/>"##,
            right - LEFT,
            bottom - TOP,
        );
        for tick in x.ticks() {
            let px = x.place(tick);
            let _ = write!(
                svg,
                r##"<line x1="{px:.1}" y1="{TOP}" x2="{px:.1}" y2="{bottom}" stroke="#eee"/><text x="{px:.1}" y="{}" text-anchor="middle" class="tick">{}</text>"##,
                bottom + TEXT + 4.0,
                tick_label(tick),
            );
        }
        for tick in y.ticks() {
            let py = y.place(tick);
            let _ = write!(
                svg,
                r##"<line x1="{LEFT}" y1="{py:.1}" x2="{right}" y2="{py:.1}" stroke="#eee"/><text x="{}" y="{:.1}" text-anchor="end" class="tick">{}</text>"##,
                LEFT - 6.0,
                py + TEXT / 3.0,
                tick_label(tick),
            );
        }
        let middle = (TOP + bottom) / 2.0;
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{}" text-anchor="middle" class="label">{}</text><text x="{TEXT}" y="{middle:.1}" text-anchor="middle" class="label" transform="rotate(-90 {TEXT} {middle:.1})">{}</text>"#,
            (LEFT + right) / 2.0,
            HEIGHT - 6.0,
            escape(self.x_label),
            escape(self.y_label),
        );
    }
}

/// A tenth of a unit is finer than any screen shows.
fn round(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

fn write_line(svg: &mut String, line: &Line) {
    let coordinates: Vec<String> = line
        .pixels
        .iter()
        .map(|(px, py)| format!("{px:.1},{py:.1}"))
        .collect();
    let _ = write!(
        svg,
        r#"<polyline class="series" data-series="{}" fill="none" stroke="{}" stroke-width="2"{} points="{}"/>"#,
        escape(line.name),
        line.style.colour,
        dash_attribute(line.style),
        coordinates.join(" "),
    );
}

/// The markers of one series, as one path.
fn write_markers(svg: &mut String, name: &str, style: Style, at: &[(f64, f64)]) {
    let path: String = at
        .iter()
        .map(|&(x, y)| shape_path(style.shape, x, y))
        .collect();
    let _ = write!(
        svg,
        r#"<path class="markers" data-series="{}" {} d="{path}"/>"#,
        escape(name),
        marker_paint(style),
    );
}

/// The legend: per series its line and marker, then why the others have none, then which
/// lines coincide.
fn write_legend(html: &mut String, lines: &[Line]) {
    html.push_str(r#"<ul class="legend">"#);
    for line in lines.iter().filter(|line| line.note.is_none()) {
        let _ = write!(html, r#"<li data-legend="{}">"#, escape(line.name));
        write_key(html, line);
        let _ = write!(html, "{}</li>", escape(line.name));
    }
    for line in lines {
        if let Some(note) = &line.note {
            let name = escape(line.name);
            let _ = write!(
                html,
                r#"<li class="note" data-note="{name}">{name}: {}</li>"#,
                escape(note)
            );
        }
    }
    for names in coinciding(lines) {
        let _ = write!(
            html,
            r#"<li class="note">{} coincide (markers alternate along the line)</li>"#,
            escape(&and_list(&names))
        );
    }
    html.push_str("</ul>");
}

/// A sample of a series' line and marker, for its legend entry.
fn write_key(html: &mut String, line: &Line) {
    let style = line.style;
    let _ = write!(
        html,
        r#"<svg class="key" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 36 12" aria-hidden="true"><line x1="1" y1="6" x2="35" y2="6" stroke="{}" stroke-width="2"{}/>"#,
        style.colour,
        dash_attribute(style),
    );
    let _ = write!(
        html,
        r#"<path {} d="{}"/></svg>"#,
        marker_paint(style),
        shape_path(style.shape, 18.0, 6.0)
    );
}

/// The groups of two or more series drawn exactly alike, in the order of their first member.
fn coinciding<'l>(lines: &[Line<'l>]) -> Vec<Vec<&'l str>> {
    let mut groups: Vec<Vec<&Line<'l>>> = Vec::new();
    for line in lines.iter().filter(|line| !line.pixels.is_empty()) {
        match groups
            .iter_mut()
            .find(|group| group[0].pixels == line.pixels)
        {
            Some(group) => group.push(line),
            None => groups.push(vec![line]),
        }
    }
    groups
        .into_iter()
        .filter(|group| group.len() > 1)
        .map(|group| group.iter().map(|line| line.name).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_ticks_are_round() {
        assert_eq!(
            linear_ticks(0.0, 1.0),
            vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
        );
        assert_eq!(
            linear_ticks(0.0, 250.0),
            vec![0.0, 50.0, 100.0, 150.0, 200.0, 250.0]
        );
        assert_eq!(log_ticks(0.01, 100.0), vec![0.01, 0.1, 1.0, 10.0, 100.0]);
    }

    #[test]
    fn ranges_are_widened_to_something_drawable() {
        assert_eq!(range(Scale::Linear, [5.0, 9.0].into_iter()), (0.0, 9.0));
        assert_eq!(range(Scale::Linear, std::iter::empty()), (0.0, 1.0));
        assert_eq!(range(Scale::Linear, [0.0].into_iter()), (0.0, 1.0));
        assert_eq!(range(Scale::Log, [0.03, 7.0].into_iter()), (0.01, 10.0));
        assert_eq!(range(Scale::Log, [1.0].into_iter()), (1.0, 10.0));
    }

    fn chart(series: Vec<Series>) -> Chart {
        Chart {
            id: "mmu",
            title: "MMU <a & b>".into(),
            x_label: "window (ms)",
            y_label: "utilization",
            x_scale: Scale::Log,
            y_scale: Scale::Linear,
            y_range: Some((0.0, 1.0)),
            missing: "no pauses in this run",
            series,
        }
    }

    fn series(name: &str, points: Vec<(f64, f64)>) -> Series {
        Series {
            name: name.into(),
            points,
        }
    }

    #[test]
    fn a_chart_draws_each_series_and_escapes_names() {
        let html = chart(vec![
            // The point at 0 cannot be on a log scale and is left out.
            series(
                "a<b",
                vec![(0.0, 0.5), (1.0, 0.2), (10.0, 0.6), (f64::NAN, 1.0)],
            ),
            series("c", vec![]),
            series("d", vec![(0.0, 1.0)]),
        ])
        .to_html();
        assert!(html.starts_with("<figure class=\"plot\"><figcaption>MMU &lt;a &amp; b&gt;"));
        assert!(html.contains("<svg class=\"plot\" data-plot=\"mmu\""));
        assert_eq!(html.matches("<polyline").count(), 1);
        assert!(html.contains("data-series=\"a&lt;b\""));
        assert!(html.contains(r#"<li class="note" data-note="c">c: no pauses in this run</li>"#));
        assert!(html.contains(
            r#"<li class="note" data-note="d">d: no point that this scale can show</li>"#
        ));
        assert!(!html.contains("NaN") && !html.contains("inf"));
        // Two points of the first series: 1 ms at the left edge... of the decade 1 to 10.
        assert!(html.contains(&format!(
            "points=\"{LEFT:.1},{:.1} ",
            HEIGHT - BOTTOM - 0.2 * (HEIGHT - BOTTOM - TOP)
        )));
    }

    #[test]
    fn coinciding_lines_are_said_and_their_markers_alternate() {
        let flat = vec![(1.0, 1.0), (10.0, 1.0)];
        let html = chart(vec![
            series("x", flat.clone()),
            series("y", flat.clone()),
            series("z", flat),
        ])
        .to_html();
        assert!(html.contains("x, y and z coincide"));
    }
}
