//! The layout of gclab's binary trace format (`.gctb`), shared by its writer and reader: the
//! header, the opcodes, LEB128 varints, zigzag, id deltas, and which texts may appear.
//!
//! ```text
//! file    = "GCTB" version:varint(1) record* END
//! record  = opcode:u8 field*            one opcode byte, then varints (and texts)
//! text    = length:varint utf8-bytes
//! id      = varint zigzag(id - previous id)   previous: the last id of any record, 0 at first
//! ```
//!
//! | opcode | record | fields |
//! |---|---|---|
//! | `END` | end of trace | (none; nothing may follow) |
//! | `META` | `@ KEY VALUE` | key:text value:text |
//! | `ALLOC` | `a ID SLOTS BYTES` | id slots bytes |
//! | `ALLOC_NEW_LABEL` | `a ID SLOTS BYTES TYPE` | id slots bytes label:text, appended to the label table |
//! | `ALLOC_LABEL` | `a ID SLOTS BYTES TYPE` | id slots bytes label:varint index into the table |
//! | `WRITE_NULL` / `WRITE_SMI` / `WRITE_OBJECT` | `w ID SLOT VALUE` | id slot, then nothing / zigzag(N) / id |
//! | `READ` | `r ID SLOT` | id slot |
//! | `ADD_ROOT` / `DROP_ROOT` / `DEAD` | `+` / `-` / `d ID` | id |
//! | `GC_FULL` / `GC_MINOR` | `gc` / `gc minor` | (none) |
//! | `THINK` | `t NANOS` | nanos |
//! | `EXTERNAL` | `e ID BYTES` | id bytes |
//!
//! The invariant both sides keep: every file the writer produces decodes to exactly the records
//! it was given, and every record the reader yields prints as a text line the text reader parses
//! back to the same record. So the writer refuses, and the reader reports as corrupt, any text the
//! text format could not carry (see [`is_field`]) and any number outside the text format's ranges.

/// The first four bytes of every binary trace.
pub const MAGIC: [u8; 4] = *b"GCTB";
/// The version this gclab writes and reads.
pub const VERSION: u64 = 1;

/// One byte per record. The label and the kind of a `w` value live in the opcode rather than in
/// a field: it saves a byte on the most frequent records.
pub mod op {
    pub const END: u8 = 0x00;
    pub const META: u8 = 0x01;
    pub const ALLOC: u8 = 0x02;
    pub const ALLOC_NEW_LABEL: u8 = 0x03;
    pub const ALLOC_LABEL: u8 = 0x04;
    pub const WRITE_NULL: u8 = 0x05;
    pub const WRITE_SMI: u8 = 0x06;
    pub const WRITE_OBJECT: u8 = 0x07;
    pub const READ: u8 = 0x08;
    pub const ADD_ROOT: u8 = 0x09;
    pub const DROP_ROOT: u8 = 0x0a;
    pub const GC_FULL: u8 = 0x0b;
    pub const GC_MINOR: u8 = 0x0c;
    pub const THINK: u8 = 0x0d;
    pub const EXTERNAL: u8 = 0x0e;
    pub const DEAD: u8 = 0x0f;
}

/// The longest LEB128 encoding of a `u64`.
pub const MAX_VARINT_LEN: usize = 10;

/// Appends `value` as LEB128: seven bits a byte, low bits first, the top bit set on every byte but
/// the last.
pub fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Why a varint could not be decoded.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum VarintError {
    /// The bytes ended inside the varint.
    Truncated,
    /// More than 64 bits: no writer produces this.
    Overflow,
}

/// Decodes the LEB128 varint at `*pos` and moves `*pos` past it.
///
/// The one-byte case (every id delta of a tree or list, most slots and sizes) is inlined into
/// the reader's loop; longer values take `get_varint_slow`.
#[inline(always)]
pub fn get_varint(bytes: &[u8], pos: &mut usize) -> Result<u64, VarintError> {
    match bytes.get(*pos) {
        Some(&byte) if byte < 0x80 => {
            *pos += 1;
            Ok(u64::from(byte))
        }
        _ => get_varint_slow(bytes, pos),
    }
}

#[inline(never)]
fn get_varint_slow(bytes: &[u8], pos: &mut usize) -> Result<u64, VarintError> {
    let mut value = 0u64;
    for (i, &byte) in bytes.get(*pos..).unwrap_or(&[]).iter().enumerate() {
        let bits = u64::from(byte & 0x7f);
        // The tenth byte holds bit 63 only; anything above it does not fit a u64.
        if i == MAX_VARINT_LEN - 1 && byte > 1 {
            return Err(VarintError::Overflow);
        }
        value |= bits << (7 * i);
        if byte < 0x80 {
            *pos += i + 1;
            return Ok(value);
        }
    }
    Err(VarintError::Truncated)
}

/// Maps signed to unsigned so that small magnitudes of either sign encode in few bytes:
/// 0, -1, 1, -2, ... become 0, 1, 2, 3, ...
#[inline(always)]
pub fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

#[inline(always)]
pub fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

/// The encoded delta from `previous` to `id`. Both are at most `MAX_ID` (< 2^63), so their
/// difference fits an `i64` exactly and [`apply_id_delta`] restores `id`.
#[inline(always)]
pub fn id_delta(previous: u64, id: u64) -> u64 {
    zigzag(id.wrapping_sub(previous) as i64)
}

/// The id an encoded delta names. A corrupt delta may land above `MAX_ID`; the caller checks.
#[inline(always)]
pub fn apply_id_delta(previous: u64, delta: u64) -> u64 {
    previous.wrapping_add(unzigzag(delta) as u64)
}

/// Whether `text` can be one field of a text trace: not empty, and no character the text reader
/// would split it at or cut it at (whitespace, `#` which starts a comment, control characters
/// such as a line end). Type labels and metadata keys are single fields.
pub fn is_field(text: &str) -> bool {
    !text.is_empty()
        && !text
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '#')
}

/// Whether `text` can be a metadata value: the text reader joins the remaining fields with single
/// spaces, so a value is empty or fields separated by exactly one space.
pub fn is_meta_value(text: &str) -> bool {
    text.is_empty() || text.split(' ').all(is_field)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn varint_lengths_and_overflow() {
        for (value, len) in [(0, 1), (127, 1), (128, 2), (16_383, 2), (u64::MAX, 10)] {
            let mut out = Vec::new();
            put_varint(&mut out, value);
            assert_eq!(out.len(), len, "{value}");
        }
        let mut pos = 0;
        let eleven = [0xff; 9].iter().chain(&[0x02]).copied().collect::<Vec<_>>();
        assert_eq!(get_varint(&eleven, &mut pos), Err(VarintError::Overflow));
        assert_eq!(
            get_varint(&[0x80, 0x80], &mut pos),
            Err(VarintError::Truncated)
        );
        assert_eq!(get_varint(&[], &mut pos), Err(VarintError::Truncated));
        assert_eq!(pos, 0);
    }

    #[test]
    fn texts_the_text_format_can_carry() {
        assert!(is_field("Node") && is_field("é<T>"));
        for bad in ["", "a b", "a\tb", "a#b", "a\u{a0}b", "a\rb", "a\0b"] {
            assert!(!is_field(bad), "{bad:?}");
        }
        assert!(is_meta_value("") && is_meta_value("binary-trees depth=21"));
        for bad in [" a", "a ", "a  b", "a\tb"] {
            assert!(!is_meta_value(bad), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn varints_round_trip(value: u64) {
            let mut out = Vec::new();
            put_varint(&mut out, value);
            let mut pos = 0;
            prop_assert_eq!(get_varint(&out, &mut pos), Ok(value));
            prop_assert_eq!(pos, out.len());
        }

        #[test]
        fn zigzag_round_trips(value: i64) {
            prop_assert_eq!(unzigzag(zigzag(value)), value);
        }

        #[test]
        fn id_deltas_round_trip(previous in 0..=crate::record::MAX_ID,
                                id in 0..=crate::record::MAX_ID) {
            prop_assert_eq!(apply_id_delta(previous, id_delta(previous, id)), id);
        }
    }
}
