//! The built-in workloads: deterministic mutator programs that drive a heap only through its
//! mutator API (handles, loads, stores), the way a language runtime would.
//!
//! A workload's result is what it leaves in the heap: its events, its statistics, and its live
//! graph (its long-lived data, rooted by the persistent handles it returns). Its random choices come from a fixed
//! seed and never from the heap's state (not from when collections happen, nor from whether a
//! weak handle was cleared), so the same workload at the same scale keeps the same live graph on
//! every collector and every run.
//!
//! `scale` sets the size: the work and the bytes allocated grow about linearly with it
//! (binary-trees grows its tree depth by one each time the scale doubles).

mod binary_trees;
mod churn;
mod linked_list;

use gc_core::{Collector, Heap, HeapError, Persistent};
use thiserror::Error;

/// A built-in workload.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Workload {
    BinaryTrees,
    Churn,
    LinkedList,
}

/// How a workload failed.
#[derive(Debug, Error)]
pub enum WorkloadError {
    #[error(transparent)]
    Heap(#[from] HeapError),
    /// The heap gave back something other than what was stored: a collector bug.
    #[error("the heap lost data: {0}")]
    WrongValue(String),
}

impl Workload {
    pub const ALL: [Workload; 3] = [Workload::BinaryTrees, Workload::Churn, Workload::LinkedList];

    pub fn name(self) -> &'static str {
        match self {
            Workload::BinaryTrees => "binary-trees",
            Workload::Churn => "churn",
            Workload::LinkedList => "linked-list",
        }
    }

    pub fn from_name(name: &str) -> Option<Workload> {
        Self::ALL
            .into_iter()
            .find(|workload| workload.name() == name)
    }

    /// One line about what the workload does.
    pub fn description(self) -> &'static str {
        match self {
            Workload::BinaryTrees => binary_trees::DESCRIPTION,
            Workload::Churn => churn::DESCRIPTION,
            Workload::LinkedList => linked_list::DESCRIPTION,
        }
    }

    /// Runs the workload on `heap`; returns the roots of what it keeps (its long-lived data),
    /// which the caller holds while it looks at the heap. Heap errors (the heap limit above all)
    /// end it early.
    pub fn run<C: Collector>(
        self,
        heap: &mut Heap<C>,
        scale: u32,
    ) -> Result<Vec<Persistent>, WorkloadError> {
        let scale = scale.max(1);
        match self {
            Workload::BinaryTrees => binary_trees::run(heap, scale),
            Workload::Churn => churn::run(heap, scale),
            Workload::LinkedList => linked_list::run(heap, scale),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for workload in Workload::ALL {
            assert_eq!(Workload::from_name(workload.name()), Some(workload));
        }
        assert_eq!(Workload::from_name("all"), None);
    }
}
