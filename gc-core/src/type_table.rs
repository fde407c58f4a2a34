//! Type labels: the class or constructor names objects carry (for digests, snapshots, diffs),
//! and the V8 heap-snapshot node type each label's objects are written as.
//!
//! Labels are interned once; an object header holds the 24-bit index. Index 0 is the empty
//! label, for objects allocated without one. A label's node type is what the embedder gave it
//! ([`TypeTable::set_node_type`]), or else [`NodeType::of_label`]'s default for its name.

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

/// What kind of V8 heap object a type's objects are, as a heap snapshot's `node_types` name
/// them: what DevTools groups them under (`(string)`, `Function`, `(compiled code)` ...) and
/// counts them as in its Statistics (strings, code, JS arrays, system).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum NodeType {
    /// A V8 internal object (DevTools' `(system)`).
    Hidden,
    /// An internal array, such as an object's backing store of elements or properties.
    Array,
    String,
    /// A string made of two others.
    ConcatenatedString,
    /// A string that is a slice of another.
    SlicedString,
    /// An ordinary object of the program (a JavaScript object, a `Map`, an `Array` ...).
    Object,
    /// Compiled code (bytecode or machine code).
    Code,
    /// A function with its context.
    Closure,
    RegExp,
    /// A boxed number.
    Number,
    Symbol,
    BigInt,
    /// A hidden class (V8's `Map`): the layout objects of one shape share.
    ObjectShape,
}

impl NodeType {
    /// Every node type, in the order V8 lists them among a snapshot's `node_types`.
    pub const ALL: [NodeType; 13] = [
        NodeType::Hidden,
        NodeType::Array,
        NodeType::String,
        NodeType::Object,
        NodeType::Code,
        NodeType::Closure,
        NodeType::RegExp,
        NodeType::Number,
        NodeType::ConcatenatedString,
        NodeType::SlicedString,
        NodeType::Symbol,
        NodeType::BigInt,
        NodeType::ObjectShape,
    ];

    /// The name V8 writes in a snapshot's `node_types`.
    pub const fn v8_name(self) -> &'static str {
        match self {
            NodeType::Hidden => "hidden",
            NodeType::Array => "array",
            NodeType::String => "string",
            NodeType::ConcatenatedString => "concatenated string",
            NodeType::SlicedString => "sliced string",
            NodeType::Object => "object",
            NodeType::Code => "code",
            NodeType::Closure => "closure",
            NodeType::RegExp => "regexp",
            NodeType::Number => "number",
            NodeType::Symbol => "symbol",
            NodeType::BigInt => "bigint",
            NodeType::ObjectShape => "object shape",
        }
    }

    /// The default for a label no embedder gave a node type: V8's names for its own kinds of
    /// object, and the `(TYPE)` names snapshots give classes (so an imported snapshot's objects
    /// keep their types). Labels are matched whole and case-sensitively:
    ///
    /// | node type | labels |
    /// |---|---|
    /// | string | `String`, `SeqString`, `ExternalString`, `InternalizedString`, `(string)` |
    /// | concatenated string | `ConsString`, `(concatenated string)` |
    /// | sliced string | `SlicedString`, `(sliced string)` |
    /// | array | `FixedArray`, `FixedDoubleArray`, `WeakFixedArray`, `ByteArray`, `(array)` |
    /// | closure | `Closure`, `JSFunction`, `(closure)` |
    /// | code | `Code`, `BytecodeArray`, `(code)` |
    /// | regexp | `RegExp`, `JSRegExp`, `(regexp)` |
    /// | number | `HeapNumber`, `(number)` |
    /// | symbol | `Symbol`, `(symbol)` |
    /// | bigint | `BigInt`, `(bigint)` |
    /// | object shape | `Shape`, `HiddenClass`, `(object shape)` |
    /// | hidden | `Hidden`, `(hidden)` |
    /// | object | every other label (`Array` too: a JavaScript array is an object, its elements an array) |
    pub fn of_label(label: &str) -> NodeType {
        match label {
            "String" | "SeqString" | "ExternalString" | "InternalizedString" | "(string)" => {
                NodeType::String
            }
            "ConsString" | "(concatenated string)" => NodeType::ConcatenatedString,
            "SlicedString" | "(sliced string)" => NodeType::SlicedString,
            "FixedArray" | "FixedDoubleArray" | "WeakFixedArray" | "ByteArray" | "(array)" => {
                NodeType::Array
            }
            "Closure" | "JSFunction" | "(closure)" => NodeType::Closure,
            "Code" | "BytecodeArray" | "(code)" => NodeType::Code,
            "RegExp" | "JSRegExp" | "(regexp)" => NodeType::RegExp,
            "HeapNumber" | "(number)" => NodeType::Number,
            "Symbol" | "(symbol)" => NodeType::Symbol,
            "BigInt" | "(bigint)" => NodeType::BigInt,
            "Shape" | "HiddenClass" | "(object shape)" => NodeType::ObjectShape,
            "Hidden" | "(hidden)" => NodeType::Hidden,
            _ => NodeType::Object,
        }
    }
}

/// The table of labels, in the order they were first interned.
#[derive(Debug)]
pub struct TypeTable {
    names: Vec<Box<str>>,
    index: HashMap<Box<str>, TypeId>,
    /// Node types the embedder gave, by type.
    node_types: HashMap<TypeId, NodeType>,
}

impl Default for TypeTable {
    fn default() -> Self {
        let mut table = TypeTable {
            names: Vec::new(),
            index: HashMap::new(),
            node_types: HashMap::new(),
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

    /// Gives objects of type `id` the node type `node_type` in heap snapshots, instead of the
    /// default for their label. Any time: snapshots read it when they are written.
    pub fn set_node_type(&mut self, id: TypeId, node_type: NodeType) {
        self.node_types.insert(id, node_type);
    }

    /// The node type of objects of type `id`: the one given, or the default for the label.
    pub fn node_type(&self, id: TypeId) -> NodeType {
        self.node_types
            .get(&id)
            .copied()
            .unwrap_or_else(|| NodeType::of_label(self.name(id)))
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

    #[test]
    fn node_types_default_by_label_until_the_embedder_gives_one() {
        let mut table = TypeTable::default();
        let string = table.intern("String").unwrap();
        let array = table.intern("Array").unwrap();
        let imported = table.intern("(closure)").unwrap();
        let text = table.intern("Text").unwrap();
        assert_eq!(table.node_type(string), NodeType::String);
        assert_eq!(table.node_type(array), NodeType::Object);
        assert_eq!(table.node_type(imported), NodeType::Closure);
        assert_eq!(table.node_type(text), NodeType::Object);
        assert_eq!(table.node_type(TypeId::UNLABELLED), NodeType::Object);
        table.set_node_type(text, NodeType::String);
        table.set_node_type(string, NodeType::ConcatenatedString);
        assert_eq!(table.node_type(text), NodeType::String);
        assert_eq!(table.node_type(string), NodeType::ConcatenatedString);
        assert_eq!(NodeType::ObjectShape.v8_name(), "object shape");
    }
}
