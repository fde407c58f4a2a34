//! The random generator's picture of its heap: every object it has allocated and not yet
//! declared dead, with its reference slots and root count, and a mark phase that finds the ones no
//! root reaches.
//!
//! Invariants: `objects` holds exactly the slots the trace stored (non-references as `None`) and
//! the root counts the trace set; `rooted` lists each rooted id once per root. An object found
//! unreachable by [`RandomHeap::sweep`] gets its `d` at once and its id is free for reuse, so ids
//! stay below `max live + 1` and the generator's memory is in proportion to its live objects.

use std::io;

use super::emit::Emitter;

#[derive(Debug)]
pub(crate) struct Object {
    pub slots: Vec<Option<u64>>,
    roots: u32,
    marked: bool,
}

#[derive(Debug, Default)]
pub(crate) struct RandomHeap {
    /// Indexed by id - 1.
    objects: Vec<Option<Object>>,
    free: Vec<u64>,
    /// One entry per root.
    pub rooted: Vec<u64>,
    live: usize,
}

impl RandomHeap {
    /// Objects allocated and not yet declared dead.
    pub fn live(&self) -> usize {
        self.live
    }

    pub fn object(&self, id: u64) -> Option<&Object> {
        self.objects.get(id as usize - 1)?.as_ref()
    }

    fn object_mut(&mut self, id: u64) -> Option<&mut Object> {
        self.objects.get_mut(id as usize - 1)?.as_mut()
    }

    /// A new object (with the root of its `a`) under a free id; returns the id.
    pub fn allocate(&mut self, slots: u32) -> u64 {
        let id = self.free.pop().unwrap_or_else(|| {
            self.objects.push(None);
            self.objects.len() as u64
        });
        self.objects[id as usize - 1] = Some(Object {
            slots: vec![None; slots as usize],
            roots: 1,
            marked: false,
        });
        self.rooted.push(id);
        self.live += 1;
        id
    }

    pub fn set_slot(&mut self, id: u64, slot: u32, target: Option<u64>) {
        if let Some(object) = self.object_mut(id) {
            object.slots[slot as usize] = target;
        }
    }

    pub fn add_root(&mut self, id: u64) {
        if let Some(object) = self.object_mut(id) {
            object.roots += 1;
            self.rooted.push(id);
        }
    }

    /// Drops the root at `rooted[index]`; returns its id.
    pub fn drop_root(&mut self, index: usize) -> u64 {
        let id = self.rooted.swap_remove(index);
        if let Some(object) = self.object_mut(id) {
            object.roots -= 1;
        }
        id
    }

    /// `d` for every object no root reaches, in id order; their ids become free.
    pub fn sweep(&mut self, em: &mut Emitter<'_>) -> io::Result<()> {
        self.mark();
        for index in 0..self.objects.len() {
            let Some(object) = &mut self.objects[index] else {
                continue;
            };
            if std::mem::replace(&mut object.marked, false) {
                continue;
            }
            debug_assert_eq!(object.roots, 0);
            let id = index as u64 + 1;
            em.dead(id)?;
            self.objects[index] = None;
            self.free.push(id);
            self.live -= 1;
        }
        Ok(())
    }

    fn mark(&mut self) {
        let mut stack = self.rooted.clone();
        while let Some(id) = stack.pop() {
            let Some(object) = self.object_mut(id) else {
                continue;
            };
            if std::mem::replace(&mut object.marked, true) {
                continue;
            }
            stack.extend(object.slots.iter().flatten());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gc_trace::{OwnedRecord, Record};

    #[test]
    fn sweep_declares_the_unreached_dead_and_reuses_their_ids() {
        let mut heap = RandomHeap::default();
        let (a, b, c) = (heap.allocate(1), heap.allocate(1), heap.allocate(0));
        heap.set_slot(a, 0, Some(b));
        heap.set_slot(b, 0, Some(a));
        heap.drop_root(2); // c
        heap.drop_root(1); // b, still reached from a
        let mut records: Vec<OwnedRecord> = Vec::new();
        heap.sweep(&mut Emitter::new(&mut records)).unwrap();
        assert_eq!(records, vec![OwnedRecord::from(Record::Dead { id: c })]);
        assert_eq!(heap.allocate(0), c);
        heap.drop_root(0); // a: the cycle a <-> b is garbage
        records.clear();
        heap.sweep(&mut Emitter::new(&mut records)).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(heap.live(), 1);
    }
}
