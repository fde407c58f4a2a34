//! The moves a collection made, reported to a heap recorder (V8 reports them to its
//! `HeapObjectsMap` through `OnMoveEvent`).
//!
//! A recorder names objects by ids that must survive moves; it learns of each move here. Moving
//! collectors call [`ObjectMoves::record`] where they copy an object (after the copy, with the old
//! and the new start); the log only fills while a recorder is attached, so without one a move
//! costs one predictable branch on a flag the collector's loop keeps in a register.
//!
//! Invariant: while enabled, the log holds every `(from, to)` pair of the collections since the
//! recorder last took it, in no particular order: one collection may move X from A to B while it
//! moves Y from C to A, so whoever applies the pairs must resolve every `from` before writing any
//! `to` ([`HeapObjectsMap::apply_moves`](crate::heap_objects_map::HeapObjectsMap::apply_moves)).
//! Threads of a parallel collection each keep a log of their own ([`MoveLog`]) and merge it at the
//! end of the pause, so no move takes a lock.

use crate::address::Address;

/// One move: the object that started at `.0` starts at `.1` now.
pub type Move = (Address, Address);

/// The heap's log of moves, enabled while a recorder is attached.
#[derive(Default, Debug)]
pub struct ObjectMoves {
    enabled: bool,
    moves: Vec<Move>,
}

impl ObjectMoves {
    /// Whether moves are being logged (a parallel collector copies this into its threads' logs).
    #[inline(always)]
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Logs that the object at `from` was copied to `to`. Call it once per copy, in the pause.
    #[inline(always)]
    pub fn record(&mut self, from: Address, to: Address) {
        if self.enabled {
            self.moves.push((from, to));
        }
    }

    /// A log for one thread of a parallel collection, enabled as this one is.
    pub fn worker_log(&self) -> MoveLog {
        MoveLog {
            enabled: self.enabled,
            moves: Vec::new(),
        }
    }

    /// Takes in a thread's log at the end of the parallel phase.
    pub fn merge(&mut self, log: &mut MoveLog) {
        self.moves.append(&mut log.moves);
    }

    pub(crate) fn set_enabled(&mut self, enabled: bool) {
        self.enabled = enabled;
        if !enabled {
            self.moves = Vec::new();
        }
    }

    /// Whether moves wait to be applied.
    pub(crate) fn is_empty(&self) -> bool {
        self.moves.is_empty()
    }

    /// The moves logged since the last call, leaving the log empty (its buffer kept).
    pub(crate) fn take(&mut self, into: &mut Vec<Move>) {
        into.clear();
        std::mem::swap(into, &mut self.moves);
    }
}

/// One collector thread's moves, merged into [`ObjectMoves`] when its work is done.
#[derive(Default, Debug)]
pub struct MoveLog {
    enabled: bool,
    moves: Vec<Move>,
}

impl MoveLog {
    #[inline(always)]
    pub fn record(&mut self, from: Address, to: Address) {
        if self.enabled {
            self.moves.push((from, to));
        }
    }
}
