//! The tagged word a reference slot holds: a pointer, a small integer (SMI) or null.
//!
//! Encoding, as in V8 but with null as its own value: `0` is null; a word with its low bit set
//! is an SMI (`value << 1 | 1`, 31-bit signed); any other word is the address of an object start
//! (word-aligned, so its low three bits are zero). A collector scans a slot by testing
//! [`TaggedWord::as_pointer`]; raw payload bytes are never interpreted this way.

use crate::address::Address;

/// A 31-bit signed small integer: -2^30 <= value < 2^30.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub struct Smi(i32);

impl Smi {
    pub const MIN: i32 = -(1 << 30);
    pub const MAX: i32 = (1 << 30) - 1;

    /// The SMI for `value`, or `None` when it is outside the 31-bit range.
    pub const fn new(value: i64) -> Option<Smi> {
        if value >= Smi::MIN as i64 && value <= Smi::MAX as i64 {
            Some(Smi(value as i32))
        } else {
            None
        }
    }

    pub const fn value(self) -> i32 {
        self.0
    }
}

/// A slot's content, decoded.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub enum Decoded {
    Null,
    Smi(Smi),
    Pointer(Address),
}

/// The raw content of a reference slot.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub struct TaggedWord(u64);

impl TaggedWord {
    pub const NULL: TaggedWord = TaggedWord(0);

    pub const fn from_raw(raw: u64) -> Self {
        TaggedWord(raw)
    }

    pub const fn raw(self) -> u64 {
        self.0
    }

    pub const fn from_smi(smi: Smi) -> Self {
        TaggedWord((((smi.0 as i64) << 1) | 1) as u64)
    }

    pub fn from_address(address: Address) -> Self {
        debug_assert!(address.is_word_aligned() && !address.is_null());
        TaggedWord(address.raw() as u64)
    }

    pub const fn is_null(self) -> bool {
        self.0 == 0
    }

    pub const fn as_smi(self) -> Option<Smi> {
        if self.0 & 1 == 1 {
            Some(Smi(((self.0 as i64) >> 1) as i32))
        } else {
            None
        }
    }

    /// What the word holds.
    #[inline(always)]
    pub const fn decode(self) -> Decoded {
        if self.0 == 0 {
            Decoded::Null
        } else if self.0 & 1 == 1 {
            Decoded::Smi(Smi(((self.0 as i64) >> 1) as i32))
        } else {
            Decoded::Pointer(Address::new(self.0 as usize))
        }
    }

    #[inline(always)]
    pub const fn as_pointer(self) -> Option<Address> {
        if self.0 != 0 && self.0 & 1 == 0 {
            Some(Address::new(self.0 as usize))
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smi_range_is_31_bits() {
        assert_eq!(Smi::new(1 << 30), None);
        assert_eq!(Smi::new(-(1 << 30) - 1), None);
        assert_eq!(Smi::new(-(1 << 30)).map(Smi::value), Some(-(1 << 30)));
        assert_eq!(Smi::new((1 << 30) - 1).map(Smi::value), Some((1 << 30) - 1));
    }

    #[test]
    fn smi_round_trips_through_a_slot_word() {
        for v in [0, 1, -1, 42, -7, Smi::MIN as i64, Smi::MAX as i64] {
            let word = TaggedWord::from_smi(Smi::new(v).unwrap());
            assert_eq!(word.as_smi().map(|s| s.value() as i64), Some(v));
            assert_eq!(word.as_pointer(), None);
            assert!(!word.is_null());
        }
    }

    #[test]
    fn pointers_and_null_are_distinct() {
        let p = TaggedWord::from_address(Address::new(0x1000));
        assert_eq!(p.as_pointer(), Some(Address::new(0x1000)));
        assert_eq!(p.as_smi(), None);
        assert_eq!(TaggedWord::NULL.as_pointer(), None);
        assert_eq!(TaggedWord::NULL.as_smi(), None);
        assert_eq!(TaggedWord::NULL.decode(), Decoded::Null);
        assert_eq!(p.decode(), Decoded::Pointer(Address::new(0x1000)));
        let smi = Smi::new(-5).unwrap();
        assert_eq!(TaggedWord::from_smi(smi).decode(), Decoded::Smi(smi));
    }
}
