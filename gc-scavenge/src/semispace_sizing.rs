//! How big the semispaces are: the young generation's configuration, and the policy that grows
//! them when many young objects survive and shrinks them when few do (V8 grows new space from
//! 1 MiB towards 16 MiB when survival is high).
//!
//! A larger semispace gives objects more time to die before a scavenge, so it helps exactly when
//! survival is high; when survival is low a smaller one keeps the cache footprint and the
//! committed memory down at no cost in copying. Shrinking waits for several low-survival
//! scavenges in a row so that the size does not oscillate.

use gc_core::PAGE_SIZE;

const MB: usize = 1024 * 1024;

/// Settings of the young generation.
#[derive(Clone, Debug, PartialEq)]
pub struct YoungGenerationConfig {
    /// Size of each semispace at first (rounded to whole pages, at least one).
    pub initial_semispace_bytes: usize,
    /// The largest a semispace grows.
    pub max_semispace_bytes: usize,
    /// How many scavenges an object survives in new space before the next one promotes it to old
    /// space (V8: 1, the age mark). 0 promotes every survivor at once.
    pub survivals_before_promotion: u8,
    /// A scavenge at which at least this share of the young bytes survived doubles the
    /// semispaces.
    pub grow_survival_rate: f64,
    /// Scavenges under this survival rate count towards shrinking...
    pub shrink_survival_rate: f64,
    /// ...and this many of them in a row halve the semispaces (never under the initial size).
    pub shrink_after_scavenges: u32,
}

impl Default for YoungGenerationConfig {
    fn default() -> Self {
        YoungGenerationConfig {
            initial_semispace_bytes: MB,
            max_semispace_bytes: 16 * MB,
            survivals_before_promotion: 1,
            grow_survival_rate: 0.1,
            shrink_survival_rate: 0.02,
            shrink_after_scavenges: 3,
        }
    }
}

impl YoungGenerationConfig {
    /// Initial semispace size in pages.
    pub fn initial_pages(&self) -> usize {
        (self.initial_semispace_bytes / PAGE_SIZE).max(1)
    }

    /// Largest semispace size in pages.
    pub fn max_pages(&self) -> usize {
        (self.max_semispace_bytes / PAGE_SIZE).max(self.initial_pages())
    }
}

/// The sizing policy's state.
#[derive(Clone, Debug)]
pub struct SemispaceSizing {
    config: YoungGenerationConfig,
    /// The semispace size wanted now, in pages.
    target_pages: usize,
    low_survival_streak: u32,
}

impl SemispaceSizing {
    pub fn new(config: YoungGenerationConfig) -> Self {
        SemispaceSizing {
            target_pages: config.initial_pages(),
            low_survival_streak: 0,
            config,
        }
    }

    pub fn config(&self) -> &YoungGenerationConfig {
        &self.config
    }

    /// The semispace size wanted now, in pages.
    pub fn target_pages(&self) -> usize {
        self.target_pages
    }

    /// Takes in a scavenge at which `survived` of `young` bytes survived (copied or promoted);
    /// returns the new target size in pages.
    pub fn after_scavenge(&mut self, survived: usize, young: usize) -> usize {
        let rate = if young == 0 {
            0.0
        } else {
            survived as f64 / young as f64
        };
        if rate >= self.config.grow_survival_rate {
            self.low_survival_streak = 0;
            self.target_pages = (self.target_pages * 2).min(self.config.max_pages());
        } else if rate < self.config.shrink_survival_rate {
            self.low_survival_streak += 1;
            if self.low_survival_streak >= self.config.shrink_after_scavenges {
                self.low_survival_streak = 0;
                self.target_pages = (self.target_pages / 2).max(self.config.initial_pages());
            }
        } else {
            self.low_survival_streak = 0;
        }
        self.target_pages
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_to_the_maximum_on_high_survival_and_shrinks_after_a_low_streak() {
        let mut sizing = SemispaceSizing::new(YoungGenerationConfig::default());
        assert_eq!(sizing.target_pages(), 4, "1 MiB of 256 KiB pages");
        let sizes: Vec<usize> = (0..6).map(|_| sizing.after_scavenge(30, 100)).collect();
        assert_eq!(sizes, [8, 16, 32, 64, 64, 64]);
        assert_eq!(
            sizing.after_scavenge(5, 100),
            64,
            "moderate survival keeps the size"
        );
        let sizes: Vec<usize> = (0..7).map(|_| sizing.after_scavenge(1, 100)).collect();
        assert_eq!(sizes, [64, 64, 32, 32, 32, 16, 16]);
        sizing.after_scavenge(5, 100);
        let sizes: Vec<usize> = (0..3).map(|_| sizing.after_scavenge(0, 0)).collect();
        assert_eq!(
            sizes,
            [16, 16, 8],
            "a moderate scavenge restarts the streak"
        );
        for _ in 0..20 {
            sizing.after_scavenge(0, 100);
        }
        assert_eq!(sizing.target_pages(), 4, "never under the initial size");
    }
}
