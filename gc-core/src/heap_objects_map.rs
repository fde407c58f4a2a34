//! Stable object ids across moves: the idea of V8's `HeapObjectsMap`, for a heap recorder.
//!
//! A trace names objects by ids, a heap by addresses, and moving collectors change addresses. The
//! map gives each allocation a fresh id (ids are never reused, so a trace never needs a `d` to
//! reuse one) and keeps `address -> id` for the objects it knows, updated from the collectors'
//! move logs ([`object_moves`](crate::object_moves)).
//!
//! Invariant: every live object's address maps to its own id. Every way an object comes to start
//! at an address — allocation, or a move a collector logged — overwrites that address's entry, so
//! an entry left behind by a dead object (a *stale* entry) can never name a live one. A stale
//! entry that gets overwritten tells that its object died, and so does one that a walk of the live
//! graph no longer reaches ([`HeapObjectsMap::prune`]); both become `d` records.

use hashbrown::{HashMap, HashSet};

use crate::address::Address;
use crate::object_moves::Move;

/// Entries beyond twice the live objects of the last prune before the next prune: the map's
/// memory stays in proportion to the live heap, and a prune (a walk of the live graph) costs no
/// more than the allocations that made it due.
const PRUNE_SLACK: usize = 16 * 1024;

/// `address -> id` for the objects a recorder has named.
#[derive(Debug)]
pub struct HeapObjectsMap {
    ids: HashMap<Address, u64>,
    next_id: u64,
    live_after_prune: usize,
    /// The ids of one `apply_moves`, by target address (kept to reuse its buffer).
    moved: Vec<(Address, u64)>,
}

impl Default for HeapObjectsMap {
    fn default() -> Self {
        HeapObjectsMap {
            ids: HashMap::new(),
            next_id: 1,
            live_after_prune: 0,
            moved: Vec::new(),
        }
    }
}

impl HeapObjectsMap {
    /// The id of the object at `address`, if the map knows one there.
    #[inline]
    pub fn id(&self, address: Address) -> Option<u64> {
        self.ids.get(&address).copied()
    }

    /// Names the object just allocated at `address` with a fresh id. The id of a dead object
    /// whose entry it replaced goes to `dead`.
    #[inline]
    pub fn allocated(&mut self, address: Address, dead: &mut Vec<u64>) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        dead.extend(self.ids.insert(address, id));
        id
    }

    /// Applies the moves of one or more collections, phase by phase in the order they ran
    /// (`phase_ends` as [`ObjectMoves`](crate::object_moves::ObjectMoves) gives them). Within a
    /// phase every `from` is resolved against the map as it was before the phase, then every
    /// `to` written: an address may be one object's `from` and another's `to`. Ids of dead
    /// objects whose entries a `to` replaced go to `dead`.
    pub fn apply_moves(&mut self, moves: &[Move], phase_ends: &[usize], dead: &mut Vec<u64>) {
        let mut start = 0;
        for &end in phase_ends {
            self.apply_phase(&moves[start..end], dead);
            start = end;
        }
        self.apply_phase(&moves[start..], dead);
    }

    fn apply_phase(&mut self, moves: &[Move], dead: &mut Vec<u64>) {
        self.moved.clear();
        for &(from, to) in moves {
            if let Some(id) = self.ids.remove(&from) {
                self.moved.push((to, id));
            }
        }
        for &(to, id) in &self.moved {
            dead.extend(self.ids.insert(to, id));
        }
    }

    /// Whether the map has grown enough past the live objects to be worth a prune.
    pub fn needs_prune(&self) -> bool {
        self.ids.len() > 2 * self.live_after_prune + PRUNE_SLACK
    }

    /// Drops every entry whose address is not in `live`, a superset of the live objects
    /// (reachable, or still held by a weak handle); their ids go to `dead`.
    pub fn prune(&mut self, live: &HashSet<Address>, dead: &mut Vec<u64>) {
        self.ids.retain(|address, id| {
            let keep = live.contains(address);
            if !keep {
                dead.push(*id);
            }
            keep
        });
        self.live_after_prune = self.ids.len();
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(n: usize) -> Address {
        Address::new(n * 8)
    }

    #[test]
    fn moves_are_resolved_against_the_map_before_the_collection() {
        let mut map = HeapObjectsMap::default();
        let mut dead = Vec::new();
        let x = map.allocated(at(1), &mut dead);
        let y = map.allocated(at(3), &mut dead);
        // Y moves into the address X leaves, listed before X's move.
        map.apply_moves(&[(at(3), at(1)), (at(1), at(2))], &[], &mut dead);
        assert_eq!(map.id(at(1)), Some(y));
        assert_eq!(map.id(at(2)), Some(x));
        assert_eq!(map.id(at(3)), None);
        assert!(dead.is_empty());
    }

    #[test]
    fn an_object_moved_in_two_phases_keeps_its_id() {
        let mut map = HeapObjectsMap::default();
        let mut dead = Vec::new();
        let x = map.allocated(at(1), &mut dead);
        // Promoted from 1 to 5, then its page evacuated from 5 to 9, in one pause.
        map.apply_moves(&[(at(1), at(5)), (at(5), at(9))], &[1], &mut dead);
        assert_eq!(map.id(at(9)), Some(x));
        assert_eq!(map.len(), 1);
        assert!(dead.is_empty());
    }

    #[test]
    fn an_overwritten_entry_names_a_dead_object() {
        let mut map = HeapObjectsMap::default();
        let mut dead = Vec::new();
        let old = map.allocated(at(1), &mut dead);
        let moved = map.allocated(at(2), &mut dead);
        map.apply_moves(&[(at(2), at(1))], &[], &mut dead);
        assert_eq!(dead, vec![old]);
        let fresh = map.allocated(at(2), &mut dead);
        assert_ne!(fresh, old, "ids are never reused");
        assert_eq!(map.id(at(1)), Some(moved));
    }

    #[test]
    fn prune_keeps_only_live_addresses() {
        let mut map = HeapObjectsMap::default();
        let mut dead = Vec::new();
        let a = map.allocated(at(1), &mut dead);
        let b = map.allocated(at(2), &mut dead);
        map.prune(&HashSet::from_iter([at(2)]), &mut dead);
        assert_eq!(dead, vec![a]);
        assert_eq!(map.id(at(2)), Some(b));
        assert_eq!(map.len(), 1);
    }
}
