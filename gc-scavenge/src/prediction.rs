//! Predicting a quantity from its recent samples so that the prediction errs high: a decaying
//! mean plus a number of decaying deviations (G1's `TruncatedSeq` and `G1Predictions`).
//!
//! New-space sizing under a pause goal predicts a scavenge's survival rate, its copying cost per
//! byte and its other work from these. A mean alone would be met by about half the scavenges; a
//! quantity that swings (binary-trees' survival: a scavenge in the middle of building a large
//! temporary tree finds all of it alive, the next finds none) would be sized for its middle. With
//! two deviations above the mean a steady quantity is predicted as it is, and a swinging one by
//! its high values.

/// A decaying mean and variance of a quantity's samples.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct Prediction {
    mean: f64,
    variance: f64,
    samples: u32,
}

impl Prediction {
    /// Weight of the newest sample.
    const WEIGHT: f64 = 0.3;
    /// Deviations above the mean that [`Prediction::upper`] adds.
    const SIGMA: f64 = 2.0;

    pub fn add(&mut self, sample: f64) {
        if self.samples == 0 {
            self.mean = sample;
        } else {
            // West's incremental update of an exponentially weighted mean and variance.
            let difference = sample - self.mean;
            let increment = Self::WEIGHT * difference;
            self.mean += increment;
            self.variance = (1.0 - Self::WEIGHT) * (self.variance + difference * increment);
        }
        self.samples = self.samples.saturating_add(1);
    }

    /// The prediction: the mean and two deviations; `None` before the first sample.
    pub fn upper(&self) -> Option<f64> {
        (self.samples > 0).then(|| self.mean + Self::SIGMA * self.variance.sqrt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steady_quantity_is_predicted_as_it_is() {
        let mut prediction = Prediction::default();
        assert_eq!(prediction.upper(), None);
        for _ in 0..10 {
            prediction.add(0.25);
        }
        assert_eq!(prediction.upper(), Some(0.25));
    }

    #[test]
    fn a_swinging_quantity_is_predicted_by_its_high_values() {
        let mut prediction = Prediction::default();
        for i in 0..20 {
            prediction.add(if i % 2 == 0 { 0.45 } else { 0.05 });
        }
        let upper = prediction.upper().unwrap_or_default();
        assert!((0.6..0.7).contains(&upper), "{upper}");
    }

    #[test]
    fn old_samples_fade() {
        let mut prediction = Prediction::default();
        prediction.add(1.0);
        for _ in 0..60 {
            prediction.add(0.1);
        }
        let upper = prediction.upper().unwrap_or_default();
        assert!((0.1..0.1001).contains(&upper), "{upper}");
    }
}
