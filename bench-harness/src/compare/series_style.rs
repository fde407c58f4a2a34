//! How each series of a chart is told apart without colour: its colour (Okabe and Ito's
//! colour-blind-safe palette), dash pattern and marker shape, no two series alike among the
//! first eight; and where along a line its markers go (a few, staggered by the line's place, so
//! lines lying on one another still show every marker).

/// A marker's shape.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Shape {
    Circle,
    Square,
    TriangleUp,
    Diamond,
    TriangleDown,
}

/// How one series is drawn.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Style {
    pub colour: &'static str,
    /// `stroke-dasharray`; empty for a solid line.
    pub dash: &'static str,
    pub shape: Shape,
    /// Filled with the colour, or white inside a coloured outline.
    pub filled: bool,
}

const fn style(colour: &'static str, dash: &'static str, shape: Shape, filled: bool) -> Style {
    Style {
        colour,
        dash,
        shape,
        filled,
    }
}

/// One style per series in order (after eight they repeat). The colours are Okabe and Ito's;
/// no two styles share a dash pattern, and no two share both shape and fill.
pub const STYLES: [Style; 8] = [
    style("#0072B2", "", Shape::Circle, true),
    style("#E69F00", "8 3", Shape::Square, true),
    style("#009E73", "2 3", Shape::TriangleUp, true),
    style("#D55E00", "10 3 2 3", Shape::Diamond, true),
    style("#CC79A7", "4 4", Shape::TriangleDown, true),
    style("#56B4E9", "12 3 3 3 3 3", Shape::Circle, false),
    style("#000000", "1 3", Shape::Square, false),
    style("#F0E442", "6 2 1 2", Shape::TriangleUp, false),
];

/// The style of the series at `index`.
pub(crate) fn style_of(index: usize) -> Style {
    STYLES[index % STYLES.len()]
}

/// Markers per line, and their size (half their width).
pub(crate) const MARKERS: usize = 5;
const MARKER: f64 = 4.0;

pub(crate) fn dash_attribute(style: Style) -> String {
    match style.dash {
        "" => String::new(),
        dash => format!(r#" stroke-dasharray="{dash}""#),
    }
}

/// Where the markers of the line drawn `slot`-th of `slots` go: [`MARKERS`] points spread
/// evenly along it, shifted by the slot so that lines on top of one another alternate markers.
///
/// "Along" is across: distance is measured in x where the line spans some (a heap's sawtooth
/// would otherwise put every marker on its drops), along the line where it is vertical.
pub(crate) fn marker_positions(line: &[(f64, f64)], slot: usize, slots: usize) -> Vec<(f64, f64)> {
    let across: Vec<f64> = line
        .windows(2)
        .map(|pair| (pair[1].0 - pair[0].0).abs())
        .collect();
    let lengths = match across.iter().sum::<f64>() {
        width if width >= 1.0 => across,
        _ => line
            .windows(2)
            .map(|pair| (pair[1].0 - pair[0].0).hypot(pair[1].1 - pair[0].1))
            .collect(),
    };
    let total: f64 = lengths.iter().sum();
    if total == 0.0 {
        return line.first().copied().into_iter().collect();
    }
    let shift = (slot as f64 + 0.5) / slots.max(1) as f64;
    (0..MARKERS)
        .map(|n| point_along(line, &lengths, total * (n as f64 + shift) / MARKERS as f64))
        .collect()
}

/// The point `distance` along `line`, whose segments are `lengths` long.
fn point_along(line: &[(f64, f64)], lengths: &[f64], mut distance: f64) -> (f64, f64) {
    for (pair, &length) in line.windows(2).zip(lengths) {
        if distance <= length && length > 0.0 {
            let t = distance / length;
            let (a, b) = (pair[0], pair[1]);
            return (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
        }
        distance -= length;
    }
    line.last().copied().unwrap_or_default()
}

/// A filled marker has a white edge, so it stands out on lines of other colours.
pub(crate) fn marker_paint(style: Style) -> String {
    let colour = style.colour;
    match style.filled {
        true => format!(r##"fill="{colour}" stroke="#fff" stroke-width="1""##),
        false => format!(r##"fill="#fff" stroke="{colour}" stroke-width="1.5""##),
    }
}

/// The outline of `shape` centred on `(x, y)`.
pub(crate) fn shape_path(shape: Shape, x: f64, y: f64) -> String {
    let r = MARKER;
    match shape {
        Shape::Circle => format!(
            "M{:.1} {y:.1}a{r} {r} 0 1 0 {} 0a{r} {r} 0 1 0 -{} 0Z",
            x - r,
            2.0 * r,
            2.0 * r
        ),
        Shape::Square => {
            let s = r * 0.9;
            format!(
                "M{:.1} {:.1}h{}v{}h-{}Z",
                x - s,
                y - s,
                2.0 * s,
                2.0 * s,
                2.0 * s
            )
        }
        Shape::TriangleUp => format!(
            "M{x:.1} {:.1}L{:.1} {:.1}L{:.1} {:.1}Z",
            y - r * 1.2,
            x + r * 1.1,
            y + r * 0.8,
            x - r * 1.1,
            y + r * 0.8
        ),
        Shape::TriangleDown => format!(
            "M{x:.1} {:.1}L{:.1} {:.1}L{:.1} {:.1}Z",
            y + r * 1.2,
            x + r * 1.1,
            y - r * 0.8,
            x - r * 1.1,
            y - r * 0.8
        ),
        Shape::Diamond => format!(
            "M{x:.1} {:.1}L{:.1} {y:.1}L{x:.1} {:.1}L{:.1} {y:.1}Z",
            y - r * 1.3,
            x + r,
            y + r * 1.3,
            x - r
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_differ_in_dash_and_marker() {
        for (i, a) in STYLES.iter().enumerate() {
            for b in &STYLES[i + 1..] {
                assert_ne!(a.dash, b.dash);
                assert_ne!((a.shape, a.filled), (b.shape, b.filled));
                assert_ne!(a.colour, b.colour);
            }
        }
    }

    #[test]
    fn markers_of_lines_on_one_another_alternate() {
        let line = [(0.0, 0.0), (100.0, 0.0)];
        let first = marker_positions(&line, 0, 3);
        let second = marker_positions(&line, 1, 3);
        assert_eq!(first.len(), MARKERS);
        assert!(first.iter().all(|p| !second.contains(p)));
        // The first of three lines: its first marker a sixth of the way to the second.
        assert!((first[0].0 - 100.0 / 6.0 / MARKERS as f64).abs() < 1e-9);
        assert_eq!(marker_positions(&[(3.0, 4.0)], 0, 1), vec![(3.0, 4.0)]);
        // A sawtooth: markers spread across it, not bunched on its drops.
        let saw: Vec<(f64, f64)> = (0..=100)
            .flat_map(|x| [(f64::from(x), 100.0), (f64::from(x), 0.0)])
            .collect();
        let xs: Vec<f64> = marker_positions(&saw, 0, 1).iter().map(|p| p.0).collect();
        assert_eq!(xs, [10.0, 30.0, 50.0, 70.0, 90.0]);
        // A vertical line (every pause alike): markers along it.
        let ys: Vec<f64> = marker_positions(&[(5.0, 0.0), (5.0, 50.0)], 0, 1)
            .iter()
            .map(|p| p.1)
            .collect();
        assert_eq!(ys, [5.0, 15.0, 25.0, 35.0, 45.0]);
    }
}
