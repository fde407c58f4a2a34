//! The shared marking worklist (V8's `MarkingWorklists` global pool): grey objects in segments
//! that the main thread and the concurrent marker hand each other.
//!
//! Each thread marks from a private `Vec` of grey objects (its local worklist, as
//! [`crate::incremental_marking::IncrementalMarker`] keeps) and publishes whole segments of
//! [`SEGMENT_SIZE`] objects here; the other thread takes them one at a time. The pool itself is
//! plain data: [`crate::concurrent_marking`] keeps it under its lock, so that moving a segment
//! is also the happens-before edge between the two threads. Invariant: every object in a
//! segment is marked and not yet scanned (grey), and is in no other worklist.

use gc_core::collector_api::Address;

/// Grey objects per published segment (V8's default segment size).
pub const SEGMENT_SIZE: usize = 64;

/// A published run of grey objects.
pub type Segment = Vec<Address>;

#[derive(Default, Debug)]
pub struct MarkingWorklist {
    segments: Vec<Segment>,
}

impl MarkingWorklist {
    /// Publishes `grey`, cut into segments.
    ///
    /// Each segment is copied out once: splitting the rest off again and again copied it at
    /// every cut, quadratic in the list (a scavenge that promotes 40,000 objects while marking
    /// greys them all; on binary-trees this was half of the process's page faults).
    pub fn publish(&mut self, grey: Vec<Address>) {
        if grey.len() <= SEGMENT_SIZE {
            if !grey.is_empty() {
                self.segments.push(grey);
            }
            return;
        }
        self.segments
            .extend(grey.chunks(SEGMENT_SIZE).map(<[Address]>::to_vec));
    }

    /// Takes one segment, the last published.
    pub fn pop(&mut self) -> Option<Segment> {
        self.segments.pop()
    }

    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// Every grey object left, for the finalization pause or the verifier.
    pub fn take_all(&mut self) -> Vec<Address> {
        self.segments.drain(..).flatten().collect()
    }

    /// The grey objects, without taking them.
    pub fn iter(&self) -> impl Iterator<Item = Address> + '_ {
        self.segments.iter().flatten().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publishing_cuts_segments_and_loses_nothing() {
        let mut worklist = MarkingWorklist::default();
        let grey: Vec<Address> = (1..=150).map(|i| Address::new(i * 8)).collect();
        worklist.publish(grey.clone());
        assert_eq!(
            worklist.pop().map(|s| s.len()),
            Some(150 - 2 * SEGMENT_SIZE)
        );
        worklist.publish(Vec::new());
        let mut left = worklist.take_all();
        left.sort();
        assert_eq!(left, grey[..2 * SEGMENT_SIZE]);
        assert!(worklist.is_empty());
    }
}
