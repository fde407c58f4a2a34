//! The moves a collection made, reported to a heap recorder (V8 reports them to its
//! `HeapObjectsMap` through `OnMoveEvent`).
//!
//! A recorder names objects by ids that must survive moves; it learns of each move here. Moving
//! collectors call [`ObjectMoves::record`] where they copy an object (after the copy, with the old
//! and the new start); the log only fills while a recorder is attached, so without one a move
//! costs one predictable branch on a flag the collector's loop keeps in a register.
//!
//! Invariant: while enabled, the log holds every `(from, to)` pair of the collections since the
//! recorder last took it, cut into *phases* (a scavenge, an evacuation: [`ObjectMoves::end_phase`]),
//! in the order the phases ran. Within a phase the pairs come in no particular order, and one
//! phase may move X from A to B while it moves Y from C to A, so whoever applies them resolves
//! every `from` of a phase before writing any of its `to`s; across phases the order matters, as
//! one object may move in two (a full collection of the generational plan promotes it, then
//! evacuates its page) ([`HeapObjectsMap::apply_moves`](crate::heap_objects_map::HeapObjectsMap::apply_moves)).
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
    /// Where each phase ends in `moves` (an exclusive index); the pairs after the last end are
    /// the phase still running.
    phase_ends: Vec<usize>,
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

    /// Ends a phase of moves: call it once when a scavenge or an evacuation has made all its
    /// copies (its threads' logs merged), before anything else moves.
    pub fn end_phase(&mut self) {
        if self.enabled && self.phase_ends.last() != Some(&self.moves.len()) {
            self.phase_ends.push(self.moves.len());
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
            self.phase_ends = Vec::new();
        }
    }

    /// Whether moves wait to be applied.
    pub(crate) fn is_empty(&self) -> bool {
        self.moves.is_empty()
    }

    /// The moves logged since the last call and where their phases end, leaving the log empty
    /// (its buffers kept). The last phase ends at the end of the moves.
    pub(crate) fn take(&mut self, into: &mut Vec<Move>, phase_ends: &mut Vec<usize>) {
        self.end_phase();
        into.clear();
        phase_ends.clear();
        std::mem::swap(into, &mut self.moves);
        std::mem::swap(phase_ends, &mut self.phase_ends);
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
