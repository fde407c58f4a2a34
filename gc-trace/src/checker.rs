//! The trace's consistency rules, checked record by record: ids live when touched, ids not reused
//! while live, slots below the object's `SLOTS`, root counts never below zero, metadata only
//! before the first event.
//!
//! The checker knows the trace, not the heap: it keeps one entry per id that was allocated and not
//! yet declared dead (`d`), so its verdict is the same whatever collector runs. The replay hangs
//! its own data on each entry (`T`): an id whose object a collection reclaimed keeps its entry
//! until `d`, so that touching it is reported as reclaimed rather than never allocated.

// A `Problem` has `String` variants, so one built eagerly by `ok_or` is dropped on every success:
// on the hot path that cost 14% more instructions in a binary replay (callgrind). Hence `ok_or_else`.
#![allow(clippy::unnecessary_lazy_evaluations)]

use super::id_table::IdTable;

use super::error::{Problem, ProblemResult};
use super::record::{Record, TraceValue};

/// What the checker knows of one live id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry<T> {
    pub slots: u32,
    pub roots: u32,
    pub data: T,
}

/// The ids a trace has allocated and not declared dead, with their slot and root counts.
#[derive(Debug)]
pub struct Checker<T> {
    entries: IdTable<Entry<T>>,
    seen_event: bool,
}

impl<T> Default for Checker<T> {
    fn default() -> Self {
        Checker {
            entries: IdTable::new(),
            seen_event: false,
        }
    }
}

impl<T> Checker<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks a record that needs no data of its own: everything but `a`, which goes through
    /// [`Checker::allocate`], and `d`, through [`Checker::dead`]. Updates root counts.
    pub fn check(&mut self, record: &Record<'_>) -> ProblemResult<()> {
        if !record.is_event() {
            return match self.seen_event {
                true => Err(Problem::MetadataAfterEvents),
                false => Ok(()),
            };
        }
        self.seen_event = true;
        match *record {
            Record::Write { id, slot, value } => {
                if let TraceValue::Object(target) = value {
                    self.entry(target)?;
                }
                self.check_slot(id, slot)
            }
            Record::Read { id, slot } => self.check_slot(id, slot),
            Record::AddRoot { id } => self.add_root(id).map(drop),
            Record::DropRoot { id } => self.drop_root(id).map(drop),
            Record::External { id, .. } => self.entry(id).map(drop),
            Record::Alloc { id, .. } | Record::Dead { id } => self.entry(id).map(drop),
            Record::Meta { .. } | Record::Gc(_) | Record::Think { .. } => Ok(()),
        }
    }

    /// Checks an `a` record and enters its id with one root.
    pub fn allocate(&mut self, id: u64, slots: u32, data: T) -> ProblemResult<&mut Entry<T>> {
        self.seen_event = true;
        let entry = Entry {
            slots,
            roots: 1,
            data,
        };
        self.entries
            .insert_new(id, entry)
            .map_err(|_| Problem::AlreadyLive(id))
    }

    /// Checks a `d` record and removes its id.
    pub fn dead(&mut self, id: u64) -> ProblemResult<Entry<T>> {
        self.seen_event = true;
        self.entries.remove(id).ok_or_else(|| Problem::NotLive(id))
    }

    /// Notes that an event was read (metadata may no longer follow), for callers that check an
    /// event's ids themselves with [`Checker::entry`] and [`Checker::slot_entry`].
    #[inline]
    pub fn saw_event(&mut self) {
        self.seen_event = true;
    }

    /// The entry of a live id whose slot `slot` a record touches: the slot must be in range.
    #[inline]
    pub fn slot_entry(&mut self, id: u64, slot: u32) -> ProblemResult<&mut Entry<T>> {
        let entry = self.entry(id)?;
        match slot < entry.slots {
            true => Ok(entry),
            false => Err(Problem::SlotOutOfRange {
                id,
                slot,
                slots: entry.slots,
            }),
        }
    }

    /// Whether `id` is live.
    #[inline]
    pub fn contains(&mut self, id: u64) -> bool {
        self.entries.contains(id)
    }

    /// The entry of a live id.
    #[inline]
    pub fn entry(&mut self, id: u64) -> ProblemResult<&mut Entry<T>> {
        self.entries.get_mut(id).ok_or_else(|| Problem::NotLive(id))
    }

    pub fn iter(&self) -> impl Iterator<Item = (u64, &Entry<T>)> {
        self.entries.iter()
    }

    /// How many ids are live.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn check_slot(&mut self, id: u64, slot: u32) -> ProblemResult<()> {
        self.slot_entry(id, slot).map(drop)
    }

    /// Adds a root; returns the new count.
    pub fn add_root(&mut self, id: u64) -> ProblemResult<u32> {
        let entry = self.entry(id)?;
        entry.roots = entry
            .roots
            .checked_add(1)
            .ok_or_else(|| Problem::RootCountOverflow(id))?;
        Ok(entry.roots)
    }

    /// Drops a root; returns the new count.
    pub fn drop_root(&mut self, id: u64) -> ProblemResult<u32> {
        let entry = self.entry(id)?;
        entry.roots = entry
            .roots
            .checked_sub(1)
            .ok_or_else(|| Problem::RootCountBelowZero(id))?;
        Ok(entry.roots)
    }
}

/// Checks a whole sequence of records with no data per id: the checker `gclab convert` and the
/// generators' tests use.
#[derive(Debug, Default)]
pub struct TraceChecker {
    checker: Checker<()>,
}

impl TraceChecker {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn check(&mut self, record: &Record<'_>) -> ProblemResult<()> {
        match *record {
            Record::Alloc { id, slots, .. } => self.checker.allocate(id, slots, ()).map(drop),
            Record::Dead { id } => self.checker.dead(id).map(drop),
            _ => self.checker.check(record),
        }
    }

    /// How many ids are allocated and not declared dead.
    pub fn live_ids(&self) -> usize {
        self.checker.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::GcRequest;

    fn run(records: &[Record<'_>]) -> Result<(), (usize, Problem)> {
        let mut checker = TraceChecker::new();
        for (index, record) in records.iter().enumerate() {
            checker.check(record).map_err(|problem| (index, problem))?;
        }
        Ok(())
    }

    fn alloc(id: u64, slots: u32) -> Record<'static> {
        Record::Alloc {
            id,
            slots,
            bytes: 0,
            type_label: None,
        }
    }

    #[test]
    fn a_consistent_trace_passes() {
        let records = [
            Record::Meta {
                key: "source",
                value: "test",
            },
            alloc(1, 2),
            alloc(2, 0),
            Record::Write {
                id: 1,
                slot: 1,
                value: TraceValue::Object(2),
            },
            Record::DropRoot { id: 2 },
            Record::Write {
                id: 1,
                slot: 1,
                value: TraceValue::Smi(4),
            },
            Record::Dead { id: 2 },
            alloc(2, 1),
            Record::Gc(GcRequest::Minor),
        ];
        assert!(run(&records).is_ok());
    }

    #[test]
    fn each_inconsistency_is_its_problem() {
        let cases: Vec<(Vec<Record<'static>>, &str)> = vec![
            (vec![alloc(1, 0), alloc(1, 0)], "AlreadyLive(1)"),
            (vec![Record::AddRoot { id: 9 }], "NotLive(9)"),
            (
                vec![alloc(1, 2), Record::Read { id: 1, slot: 2 }],
                "SlotOutOfRange { id: 1, slot: 2, slots: 2 }",
            ),
            (
                vec![
                    alloc(1, 0),
                    Record::DropRoot { id: 1 },
                    Record::DropRoot { id: 1 },
                ],
                "RootCountBelowZero(1)",
            ),
            (
                vec![
                    alloc(1, 1),
                    Record::Write {
                        id: 1,
                        slot: 0,
                        value: TraceValue::Object(3),
                    },
                ],
                "NotLive(3)",
            ),
            (
                vec![alloc(1, 0), Record::Dead { id: 1 }, Record::Dead { id: 1 }],
                "NotLive(1)",
            ),
            (
                vec![
                    alloc(1, 0),
                    Record::Meta {
                        key: "late",
                        value: "",
                    },
                ],
                "MetadataAfterEvents",
            ),
        ];
        for (records, expected) in cases {
            let (index, problem) = run(&records).expect_err(expected);
            assert_eq!(index, records.len() - 1, "{expected}");
            assert_eq!(format!("{problem:?}"), expected);
        }
    }
}
