//! Type labels: the class or constructor names objects carry (for digests, snapshots, diffs).
//!
//! Labels are interned once; an object header holds the 24-bit index. Index 0 is the empty
//! label, for objects allocated without one.

use hashbrown::HashMap;

/// The largest number of distinct labels a heap can hold (the header's 24-bit field).
pub const MAX_TYPES: usize = 1 << 24;

/// An interned type label.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct TypeId(u32);

impl TypeId {
    /// The empty label.
    pub const UNLABELLED: TypeId = TypeId(0);

    pub const fn from_index(index: u32) -> TypeId {
        TypeId(index)
    }

    pub const fn index(self) -> u32 {
        self.0
    }
}

/// The table of labels, in the order they were first interned.
#[derive(Debug)]
pub struct TypeTable {
    names: Vec<Box<str>>,
    index: HashMap<Box<str>, TypeId>,
}

impl Default for TypeTable {
    fn default() -> Self {
        let mut table = TypeTable {
            names: Vec::new(),
            index: HashMap::new(),
        };
        table.names.push("".into());
        table.index.insert("".into(), TypeId::UNLABELLED);
        table
    }
}

impl TypeTable {
    /// The id of `name`, interning it on first use; `None` once [`MAX_TYPES`] labels exist.
    pub fn intern(&mut self, name: &str) -> Option<TypeId> {
        if let Some(&id) = self.index.get(name) {
            return Some(id);
        }
        if self.names.len() >= MAX_TYPES {
            return None;
        }
        let id = TypeId(self.names.len() as u32);
        self.names.push(name.into());
        self.index.insert(name.into(), id);
        Some(id)
    }

    /// The label of `id` (empty for an id this table never gave out).
    pub fn name(&self, id: TypeId) -> &str {
        self.names.get(id.0 as usize).map_or("", |name| name)
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_is_stable() {
        let mut table = TypeTable::default();
        let node = table.intern("Node").unwrap();
        assert_eq!(table.intern("Node"), Some(node));
        assert_ne!(table.intern("Leaf"), Some(node));
        assert_eq!(table.name(node), "Node");
        assert_eq!(table.intern(""), Some(TypeId::UNLABELLED));
        assert_eq!(table.name(TypeId::from_index(99)), "");
    }
}
