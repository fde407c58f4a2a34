//! Premature promotion, measured: bytes the young generation promoted since the last full
//! collection, and how many of them the next full collection's marking found alive. The rest died
//! in old space, where only a full collection reclaims them: the price of promoting early, which
//! young-generation sizing weighs against the scavenge pause.
//!
//! Scavengers count what they promote and mark each promoted object (the header's `pro` bit,
//! [`crate::object::HeapObject::set_promoted`]); markers count the bytes of the marked objects
//! they scan and clear the bit ([`crate::object::HeapObject::take_promoted`]). Invariant: after
//! a full collection both counts start from zero, and every object promoted since is counted
//! once as promoted and at most once as found alive.

/// The two counts between full collections.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PromotedSurvival {
    promoted: usize,
    found_live: usize,
    /// The share of the promoted bytes the last full collection found dead, if any were
    /// promoted before it.
    last_dead_share: Option<f64>,
}

impl PromotedSurvival {
    /// A scavenge promoted `bytes`.
    pub fn promoted(&mut self, bytes: usize) {
        self.promoted += bytes;
    }

    /// Marking reached `bytes` of objects promoted since the last full collection.
    pub fn found_live(&mut self, bytes: usize) {
        self.found_live += bytes;
    }

    /// A full collection finished: the bytes promoted since the last one that it found dead, or
    /// `None` when nothing was promoted (a heap without a young generation). Both counts restart.
    pub fn finish_full_collection(&mut self) -> Option<usize> {
        let promoted = std::mem::take(&mut self.promoted);
        let found_live = std::mem::take(&mut self.found_live);
        let dead = (promoted > 0).then(|| promoted.saturating_sub(found_live));
        self.last_dead_share = dead.map(|dead| dead as f64 / promoted as f64);
        dead
    }

    /// The share of the bytes promoted before the last full collection that it found dead
    /// (`None` when nothing was promoted before it): a young generation's feedback on whether it
    /// promotes too early.
    pub fn last_dead_share(&self) -> Option<f64> {
        self.last_dead_share
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_bytes_are_the_promoted_ones_marking_did_not_find_and_counts_restart() {
        let mut counts = PromotedSurvival::default();
        assert_eq!(counts.finish_full_collection(), None, "nothing promoted");
        counts.promoted(1000);
        counts.promoted(500);
        counts.found_live(1200);
        assert_eq!(counts.finish_full_collection(), Some(300));
        assert_eq!(counts.last_dead_share(), Some(0.2));
        counts.promoted(64);
        assert_eq!(counts.finish_full_collection(), Some(64));
        assert_eq!(counts.last_dead_share(), Some(1.0));
        assert_eq!(counts.finish_full_collection(), None);
        assert_eq!(counts, PromotedSurvival::default());
    }
}
