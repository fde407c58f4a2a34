//! What a reference slot holds, as the mutator stores and loads it: null, a small integer, or a
//! reference through a root.
//!
//! [`Value`] is what [`Heap::load`](crate::Heap::load) returns (a reference as a
//! new local). [`SlotContent`] says what a slot holds without rooting anything.
//! [`Heap::store`](crate::Heap::store) takes anything that converts to a slot word
//! ([`StoreValue`]): a value, a local or a `&Persistent`.

use crate::error::HeapError;
use crate::handles::{HandleTable, Rooted};
use crate::local_handles::Local;
use crate::persistent_handles::Persistent;
use crate::tagged::{Smi, TaggedWord};

/// A value loaded from, or to store into, a reference slot, with references as locals.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum Value<'s> {
    Null,
    /// A small integer in [`Smi::MIN`, `Smi::MAX`].
    Smi(i32),
    Ref(Local<'s>),
}

impl<'s> Value<'s> {
    /// The local, for a reference.
    pub fn as_local(self) -> Option<Local<'s>> {
        match self {
            Value::Ref(local) => Some(local),
            _ => None,
        }
    }

    /// The integer, for a small integer.
    pub fn as_smi(self) -> Option<i32> {
        match self {
            Value::Smi(n) => Some(n),
            _ => None,
        }
    }

    pub fn is_null(self) -> bool {
        self == Value::Null
    }
}

impl Value<'_> {
    /// The small integer `n`, or `None` outside [`Smi::MIN`, `Smi::MAX`] (31 bits: a slot holds
    /// a pointer or an SMI in one word).
    pub fn smi(n: i64) -> Option<Self> {
        Smi::new(n).map(Value::from)
    }
}

impl From<Smi> for Value<'_> {
    fn from(smi: Smi) -> Self {
        Value::Smi(smi.value())
    }
}

impl<'s> From<Local<'s>> for Value<'s> {
    fn from(local: Local<'s>) -> Self {
        Value::Ref(local)
    }
}

/// What a slot holds, as [`Heap::read`](crate::Heap::read) reports it.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum SlotContent {
    Null,
    Smi(i32),
    /// A reference to an object (load it for a root to it).
    Reference,
}

impl From<Value<'_>> for SlotContent {
    fn from(value: Value<'_>) -> Self {
        match value {
            Value::Null => SlotContent::Null,
            Value::Smi(n) => SlotContent::Smi(n),
            Value::Ref(_) => SlotContent::Reference,
        }
    }
}

mod sealed {
    pub trait Sealed {}
}

/// Anything [`Heap::store`](crate::Heap::store) can put into a slot. Sealed.
pub trait StoreValue: sealed::Sealed {
    /// The slot word, or the error for a bad root or an SMI out of range.
    #[doc(hidden)]
    fn slot_word(&self, roots: &HandleTable) -> Result<TaggedWord, HeapError>;
}

fn smi_word(n: i32) -> Result<TaggedWord, HeapError> {
    Smi::new(n.into())
        .map(TaggedWord::from_smi)
        .ok_or(HeapError::SmiOutOfRange(n.into()))
}

#[inline(always)]
fn reference_word(root: &impl Rooted, roots: &HandleTable) -> Result<TaggedWord, HeapError> {
    Ok(TaggedWord::from_address(root.address_in(roots)?))
}

impl sealed::Sealed for Value<'_> {}
impl StoreValue for Value<'_> {
    #[inline(always)]
    fn slot_word(&self, roots: &HandleTable) -> Result<TaggedWord, HeapError> {
        match *self {
            Value::Null => Ok(TaggedWord::NULL),
            Value::Smi(n) => smi_word(n),
            Value::Ref(local) => reference_word(&local, roots),
        }
    }
}

impl sealed::Sealed for Local<'_> {}
impl StoreValue for Local<'_> {
    #[inline(always)]
    fn slot_word(&self, roots: &HandleTable) -> Result<TaggedWord, HeapError> {
        reference_word(self, roots)
    }
}

impl sealed::Sealed for &Persistent {}
impl StoreValue for &Persistent {
    fn slot_word(&self, roots: &HandleTable) -> Result<TaggedWord, HeapError> {
        reference_word(self, roots)
    }
}
