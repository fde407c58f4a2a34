//! Line charts as inline SVG, for `report.html`: axes with ticks on a linear or logarithmic
//! scale, one coloured polyline per series, and a legend. No script, no external resource: the
//! report opens anywhere, offline.
//!
//! Every number written is finite: points that a log scale cannot place (zero or below) and
//! non-finite values are left out, and an empty or flat range is widened, so the SVG is always
//! well formed.

use std::fmt::Write as _;

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
    pub series: Vec<Series>,
}

/// Colour-blind-safe colours (Okabe and Ito), one per series in order.
pub const COLOURS: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442",
];

const WIDTH: f64 = 580.0;
const HEIGHT: f64 = 320.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 58.0;
const BOTTOM: f64 = 48.0;

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

impl Chart {
    /// The chart as an `<svg>` element.
    pub fn to_svg(&self) -> String {
        let points = |s: &Series| -> Vec<(f64, f64)> {
            s.points
                .iter()
                .copied()
                .filter(|&(x, y)| placeable(self.x_scale, x) && placeable(self.y_scale, y))
                .collect()
        };
        let placed: Vec<Vec<(f64, f64)>> = self.series.iter().map(points).collect();
        let all = || placed.iter().flatten();
        let (x_low, x_high) = range(self.x_scale, all().map(|p| p.0));
        let (y_low, y_high) = self
            .y_range
            .unwrap_or_else(|| range(self.y_scale, all().map(|p| p.1)));
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
        let mut svg = String::new();
        let _ = write!(
            svg,
            r#"<svg class="plot" data-plot="{}" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img"><title>{}</title>"#,
            self.id,
            escape(&self.title),
        );
        self.write_frame(&mut svg, &x, &y);
        for (index, (series, points)) in self.series.iter().zip(&placed).enumerate() {
            write_series(&mut svg, index, series, points, &x, &y);
        }
        svg.push_str("</svg>");
        svg
    }

    fn write_frame(&self, svg: &mut String, x: &Axis, y: &Axis) {
        let (bottom, right) = (HEIGHT - BOTTOM, WIDTH - RIGHT);
        let _ = write!(
            svg,
            r##"<text x="{LEFT}" y="18" class="title">{}</text><rect x="{LEFT}" y="{TOP}" width="{}" height="{}" fill="none" stroke="#999"/>"##,
            escape(&self.title),
            right - LEFT,
            bottom - TOP,
        );
        for tick in x.ticks() {
            let px = x.place(tick);
            let _ = write!(
                svg,
                r##"<line x1="{px:.1}" y1="{TOP}" x2="{px:.1}" y2="{bottom}" stroke="#eee"/><text x="{px:.1}" y="{}" text-anchor="middle" class="tick">{}</text>"##,
                bottom + 16.0,
                tick_label(tick),
            );
        }
        for tick in y.ticks() {
            let py = y.place(tick);
            let _ = write!(
                svg,
                r##"<line x1="{LEFT}" y1="{py:.1}" x2="{right}" y2="{py:.1}" stroke="#eee"/><text x="{}" y="{:.1}" text-anchor="end" class="tick">{}</text>"##,
                LEFT - 6.0,
                py + 4.0,
                tick_label(tick),
            );
        }
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{}" text-anchor="middle" class="label">{}</text><text x="16" y="{:.1}" text-anchor="middle" class="label" transform="rotate(-90 16 {:.1})">{}</text>"#,
            (LEFT + right) / 2.0,
            HEIGHT - 8.0,
            escape(self.x_label),
            (TOP + bottom) / 2.0,
            (TOP + bottom) / 2.0,
            escape(self.y_label),
        );
    }
}

fn write_series(
    svg: &mut String,
    index: usize,
    series: &Series,
    points: &[(f64, f64)],
    x: &Axis,
    y: &Axis,
) {
    let colour = COLOURS[index % COLOURS.len()];
    // The legend: a row under the title.
    let (lx, ly) = (
        LEFT + (index % 3) as f64 * 160.0,
        32.0 + (index / 3) as f64 * 13.0,
    );
    let _ = write!(
        svg,
        r#"<rect x="{lx}" y="{}" width="12" height="4" fill="{colour}"/><text x="{}" y="{ly}" class="legend">{}</text>"#,
        ly - 5.0,
        lx + 16.0,
        escape(&series.name),
    );
    let coordinates: Vec<String> = points
        .iter()
        .map(|&(px, py)| format!("{:.1},{:.1}", x.place(px), y.place(py)))
        .collect();
    let _ = write!(
        svg,
        r#"<polyline class="series" data-series="{}" fill="none" stroke="{colour}" stroke-width="1.5" points="{}"/>"#,
        escape(&series.name),
        coordinates.join(" "),
    );
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

    #[test]
    fn a_chart_draws_each_series_and_escapes_names() {
        let chart = Chart {
            id: "mmu",
            title: "MMU <a & b>".into(),
            x_label: "window (ms)",
            y_label: "utilization",
            x_scale: Scale::Log,
            y_scale: Scale::Linear,
            y_range: Some((0.0, 1.0)),
            series: vec![
                Series {
                    name: "a<b".into(),
                    // The point at 0 cannot be on a log scale and is left out.
                    points: vec![(0.0, 0.5), (1.0, 0.2), (10.0, 0.6), (f64::NAN, 1.0)],
                },
                Series {
                    name: "c".into(),
                    points: vec![],
                },
            ],
        };
        let svg = chart.to_svg();
        assert!(svg.starts_with("<svg class=\"plot\" data-plot=\"mmu\""));
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains("data-series=\"a&lt;b\""));
        assert!(svg.contains("MMU &lt;a &amp; b&gt;"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        // Two points of the first series: 1 ms at the left edge... of the decade 1 to 10.
        assert!(svg.contains(&format!(
            "points=\"{LEFT:.1},{:.1} ",
            HEIGHT - BOTTOM - 0.2 * (HEIGHT - BOTTOM - TOP)
        )));
    }
}
