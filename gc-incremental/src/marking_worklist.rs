//! The shared marking worklist (V8's `MarkingWorklists` global pool): grey objects in segments
//! that the main thread and the concurrent marker hand each other.
//!
//! Each thread marks from a private `Vec` of grey objects (its local worklist, as
//! [`crate::incremental_marking::IncrementalMarker`] keeps) and publishes lists of them here;
//! the other thread takes them a segment of at most [`SEGMENT_SIZE`] objects at a time. The pool itself is
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
    /// Publishes `grey` as it is, without copying: [`MarkingWorklist::pop`] cuts segments off
    /// its end. Cutting it into segments here copied it under the marker's lock while the main
    /// thread waited for the marker to stop (a list of 40,000 promoted objects: 0.5 ms), and
    /// splitting the rest off at every cut, as first written, was quadratic.
    pub fn publish(&mut self, grey: Vec<Address>) {
        if !grey.is_empty() {
            self.segments.push(grey);
        }
    }

    /// Takes one segment of at most [`SEGMENT_SIZE`] objects, from the end of the last list
    /// published.
    pub fn pop(&mut self) -> Option<Segment> {
        let last = self.segments.last_mut()?;
        if last.len() > SEGMENT_SIZE {
            return Some(last.split_off(last.len() - SEGMENT_SIZE));
        }
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
    fn segments_are_cut_as_they_are_taken_and_nothing_is_lost() {
        let mut worklist = MarkingWorklist::default();
        let grey: Vec<Address> = (1..=150).map(|i| Address::new(i * 8)).collect();
        worklist.publish(grey.clone());
        worklist.publish(Vec::new());
        assert_eq!(worklist.pop().as_deref(), Some(&grey[150 - SEGMENT_SIZE..]));
        assert_eq!(
            worklist.pop().map(|s| s.len()),
            Some(SEGMENT_SIZE),
            "at most a segment"
        );
        let mut left = worklist.take_all();
        left.sort();
        assert_eq!(left, grey[..150 - 2 * SEGMENT_SIZE]);
        assert!(worklist.is_empty());
        assert_eq!(worklist.pop(), None);
    }
}
