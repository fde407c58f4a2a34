//! The reference model: the heap as a plain graph, with reachability by search.
//!
//! It knows nothing of pages, addresses or collectors: an object is its type, its slots, its
//! payload and external bytes and its root count, and it is live exactly when a search from the
//! rooted objects reaches it. Collectors are checked against it.

use std::collections::VecDeque;

/// A slot's content in the model.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum ModelValue {
    Null,
    Smi(i32),
    /// Reference to the object with this id.
    Ref(usize),
}

#[derive(Clone, Debug)]
pub struct ModelObject {
    pub type_name: String,
    pub slots: Vec<ModelValue>,
    pub payload: Vec<u8>,
    pub external: u64,
    pub roots: u32,
}

/// Objects by id, in allocation order.
#[derive(Clone, Debug, Default)]
pub struct Model {
    pub objects: Vec<ModelObject>,
}

impl Model {
    /// Adds an object with one root; returns its id.
    pub fn allocate(&mut self, type_name: &str, slots: usize, bytes: usize) -> usize {
        self.objects.push(ModelObject {
            type_name: type_name.to_owned(),
            slots: vec![ModelValue::Null; slots],
            payload: vec![0; bytes],
            external: 0,
            roots: 1,
        });
        self.objects.len() - 1
    }

    /// Which objects the rooted ones reach.
    pub fn reachable(&self) -> Vec<bool> {
        let mut seen = vec![false; self.objects.len()];
        let mut queue: VecDeque<usize> = (0..self.objects.len())
            .filter(|&id| self.objects[id].roots > 0)
            .collect();
        while let Some(id) = queue.pop_front() {
            if std::mem::replace(&mut seen[id], true) {
                continue;
            }
            for slot in &self.objects[id].slots {
                if let ModelValue::Ref(target) = *slot {
                    if !seen[target] {
                        queue.push_back(target);
                    }
                }
            }
        }
        seen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reachability_follows_slots_from_roots() {
        let mut model = Model::default();
        let a = model.allocate("A", 1, 0);
        let b = model.allocate("B", 1, 0);
        let c = model.allocate("C", 0, 0);
        model.objects[a].slots[0] = ModelValue::Ref(b);
        model.objects[b].slots[0] = ModelValue::Ref(a);
        model.objects[b].roots = 0;
        model.objects[c].roots = 0;
        assert_eq!(model.reachable(), vec![true, true, false]);
        model.objects[a].roots = 0;
        assert_eq!(
            model.reachable(),
            vec![false, false, false],
            "a cycle alone is garbage"
        );
    }
}
