//! The statistics of `--repeat N`: for each figure of a collector's runs, the median and the
//! spread (lowest and highest). A figure some run lacks (an MMU window longer than that run) is
//! summarised over the runs that have it.

use serde::{Deserialize, Serialize};

use crate::metrics::RunMetrics;

/// One figure over the runs of one collector on one trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FigureSummary {
    pub name: String,
    /// The middle value (the mean of the two middle ones for an even count); `None` when no
    /// run has the figure.
    pub median: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl FigureSummary {
    /// `(max - min) / median`, the spread as a share of the median; `None` when undefined.
    pub fn relative_spread(&self) -> Option<f64> {
        match (self.median, self.min, self.max) {
            (Some(median), Some(min), Some(max)) if median != 0.0 => Some((max - min) / median),
            _ => None,
        }
    }
}

/// The summary of every figure of `runs` (in the order [`RunMetrics::figures`] gives them).
pub fn summarise(runs: &[RunMetrics]) -> Vec<FigureSummary> {
    let per_run: Vec<Vec<(&'static str, Option<f64>)>> =
        runs.iter().map(RunMetrics::figures).collect();
    let Some(first) = per_run.first() else {
        return Vec::new();
    };
    first
        .iter()
        .enumerate()
        .map(|(index, (name, _))| {
            let values: Vec<f64> = per_run
                .iter()
                .filter_map(|figures| figures[index].1)
                .collect();
            summary_of(name, values)
        })
        .collect()
}

fn summary_of(name: &str, mut values: Vec<f64>) -> FigureSummary {
    values.sort_by(f64::total_cmp);
    FigureSummary {
        name: name.to_owned(),
        median: median(&values),
        min: values.first().copied(),
        max: values.last().copied(),
    }
}

/// The median of sorted `values`.
pub fn median(sorted: &[f64]) -> Option<f64> {
    let middle = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[middle]),
        _ => Some((sorted[middle - 1] + sorted[middle]) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0]), Some(3.0));
        assert_eq!(median(&[1.0, 2.0, 10.0]), Some(2.0));
        assert_eq!(median(&[1.0, 2.0, 4.0, 10.0]), Some(3.0));
    }

    #[test]
    fn a_summary_has_the_median_and_the_spread() {
        let summary = summary_of("total_s", vec![1.2, 1.0, 1.1]);
        assert_eq!(summary.median, Some(1.1));
        assert_eq!((summary.min, summary.max), (Some(1.0), Some(1.2)));
        let spread = summary.relative_spread().unwrap();
        assert!((spread - 0.2 / 1.1).abs() < 1e-12);
        assert_eq!(summary_of("x", vec![]).relative_spread(), None);
    }
}
