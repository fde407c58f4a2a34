//! Stress mode (V8's `--gc-interval`, MMTk's stress factor): a collection forced every N
//! allocations, and for an incremental collector a marking step after every allocation while it
//! marks, each followed by the heap verifier.
//!
//! It lives in the heap's allocation path, once for every collector: whatever a collector assumes
//! about when it runs, stress mode breaks the assumption at every allocation site a program has.
//! The invariant it keeps is the one an allocation keeps anyway: it acts only after the new
//! object is initialized and rooted by its handle, so the collection sees a heap the mutator
//! could have collected explicitly at that point.

use std::num::NonZeroU32;

use crate::collector::CollectionKind;

/// What stress mode asks of the heap after an allocation.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum StressAction {
    Nothing,
    /// A forced collection of this kind (reason `GcReason::Stress`).
    Collect(CollectionKind),
}

/// The action after the `allocated`th allocation (counting from one) with a forced collection
/// every `interval` allocations. Forced collections alternate young and full, starting young, so
/// a generational collector's scavenges and full collections both run at every allocation site
/// (for the others a young collection is a full one).
pub fn action_after(interval: NonZeroU32, allocated: u64) -> StressAction {
    let interval = u64::from(interval.get());
    if allocated % interval != 0 {
        return StressAction::Nothing;
    }
    let forced = allocated / interval;
    if forced % 2 == 1 {
        StressAction::Collect(CollectionKind::Young)
    } else {
        StressAction::Collect(CollectionKind::Full)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interval(n: u32) -> NonZeroU32 {
        NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
    }

    #[test]
    fn collections_come_every_interval_alternating_young_and_full() {
        let actions: Vec<StressAction> = (1..=9).map(|n| action_after(interval(3), n)).collect();
        use StressAction::{Collect, Nothing};
        let (young, full) = (CollectionKind::Young, CollectionKind::Full);
        assert_eq!(
            actions,
            [
                Nothing,
                Nothing,
                Collect(young),
                Nothing,
                Nothing,
                Collect(full),
                Nothing,
                Nothing,
                Collect(young)
            ]
        );
    }

    #[test]
    fn an_interval_of_one_collects_at_every_allocation() {
        for n in 1..=10 {
            assert_ne!(action_after(interval(1), n), StressAction::Nothing);
        }
    }
}
