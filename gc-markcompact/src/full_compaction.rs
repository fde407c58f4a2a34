//! Full compaction: for when memory is short. Every page is evacuated except the densest ones
//! whose free space can take the live objects of all the others, so that afterwards old space
//! is as many pages as its live bytes need (up to the holes too small for the objects that came)
//! and the rest of its pages go back to the memory allocator.
//!
//! It is evacuation with another choice of candidates: the same evacuator fills the kept pages'
//! holes after the sweep, then fresh pages while the hard limit allows. Near the limit, where no
//! fresh page fits, what does not fit stays where it is (the evacuator aborts those pages), so a
//! full compaction never needs memory the heap does not have.

use gc_core::collector_api::PageRef;
use gc_core::page::AREA_SIZE;

use crate::evacuation_candidates::pages_with_live_objects;

/// The candidates of a full compaction among `pages` (old space, marked): all pages with live
/// objects but the densest ones that can hold the others' live bytes, least live first.
pub fn select_full_compaction_candidates(pages: &[PageRef]) -> Vec<PageRef> {
    let mut by_live: Vec<(usize, PageRef)> = pages_with_live_objects(pages).collect();
    by_live.sort_by_key(|&(live, page)| (std::cmp::Reverse(live), page.start()));
    let total: usize = by_live.iter().map(|&(live, _)| live).sum();
    let (mut kept_live, mut kept_free, mut kept) = (0, 0, 0);
    while kept < by_live.len() && kept_free < total - kept_live {
        kept_live += by_live[kept].0;
        kept_free += AREA_SIZE - by_live[kept].0;
        kept += 1;
    }
    let mut candidates: Vec<PageRef> = by_live[kept..].iter().map(|&(_, page)| page).collect();
    candidates.reverse();
    candidates
}
