//! Choosing evacuation candidates, as V8's `MarkCompactCollector::CollectEvacuationCandidates`.
//!
//! After marking, every old-space page knows its live bytes. A page is worth evacuating when at
//! least [`CompactionPolicy::min_free_fraction`] of its area is free; among those, the least
//! live go first (they cost the least to move for the memory they free), up to
//! [`CompactionPolicy::max_evacuated_bytes`] per cycle so that the pause stays bounded. When the
//! chosen pages' live bytes would fill as many pages as they occupy, compaction would free no
//! page, and none is chosen. Large pages are never candidates: large objects do not move.

use gc_core::collector_api::PageRef;
use gc_core::page::AREA_SIZE;

/// Stress settings that force compaction, for tests (V8's `--stress-compaction`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CompactionStress {
    /// Compaction follows the policy.
    Off,
    /// Every old-space page with live objects is a candidate in every full collection.
    EveryPage,
    /// Every full collection is a full compaction.
    FullCompaction,
}

/// When and how much [`MarkCompact`](crate::MarkCompact) compacts.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct CompactionPolicy {
    /// A page is a candidate only when at least this share of its area is free (V8: 70%).
    pub min_free_fraction: f64,
    /// Live bytes moved at most per ordinary cycle (V8: 4 MB).
    pub max_evacuated_bytes: usize,
    /// A full collection that starts with more than this share of the hard heap limit committed
    /// is a full compaction.
    pub memory_pressure_fraction: f64,
    pub stress: CompactionStress,
}

impl Default for CompactionPolicy {
    fn default() -> Self {
        CompactionPolicy {
            min_free_fraction: 0.7,
            max_evacuated_bytes: 4 << 20,
            memory_pressure_fraction: 0.8,
            stress: CompactionStress::Off,
        }
    }
}

impl CompactionPolicy {
    /// Every page with live objects is evacuated in every full collection.
    pub fn stress_every_page() -> Self {
        CompactionPolicy {
            stress: CompactionStress::EveryPage,
            ..CompactionPolicy::default()
        }
    }

    /// Every full collection is a full compaction.
    pub fn stress_full_compaction() -> Self {
        CompactionPolicy {
            stress: CompactionStress::FullCompaction,
            ..CompactionPolicy::default()
        }
    }

    /// Never compacts (mark-sweep), for comparisons.
    pub fn never() -> Self {
        CompactionPolicy {
            min_free_fraction: f64::INFINITY,
            memory_pressure_fraction: f64::INFINITY,
            ..CompactionPolicy::default()
        }
    }
}

/// The candidates among `pages` (old space, marked) by `policy`, least live first.
pub fn select_candidates(pages: &[PageRef], policy: &CompactionPolicy) -> Vec<PageRef> {
    if policy.stress == CompactionStress::EveryPage {
        return pages_with_live_objects(pages)
            .map(|(_, page)| page)
            .collect();
    }
    let min_free = policy.min_free_fraction * AREA_SIZE as f64;
    let mut eligible: Vec<(usize, PageRef)> = pages_with_live_objects(pages)
        .filter(|&(live, _)| (AREA_SIZE - live) as f64 >= min_free)
        .collect();
    eligible.sort_by_key(|&(live, page)| (live, page.start()));
    let mut moved = 0;
    let mut chosen = Vec::new();
    for (live, page) in eligible {
        if moved + live > policy.max_evacuated_bytes {
            break;
        }
        moved += live;
        chosen.push(page);
    }
    if chosen.len() <= moved.div_ceil(AREA_SIZE) {
        chosen.clear();
    }
    chosen
}

/// `(live bytes, page)` of the regular pages holding live objects.
pub(crate) fn pages_with_live_objects(
    pages: &[PageRef],
) -> impl Iterator<Item = (usize, PageRef)> + '_ {
    pages
        .iter()
        .filter(|page| {
            !page
                .flags()
                .contains(gc_core::collector_api::PageFlags::LARGE_PAGE)
        })
        .map(|&page| (page.live_bytes(), page))
        .filter(|&(live, _)| live > 0)
}
