//! How gclab writes sizes, shares and counts in its own text, so that every command says the
//! same thing the same way.
//!
//! Invariant: a size said in "MiB" is bytes / 2^20 (binary, as the progress bar's indicatif
//! also says it); a share is a percentage with one decimal and `%`; a counted noun is singular
//! for 1 and plural otherwise. Formats other programs define keep their own units: V8's
//! `--trace-gc` lines say "MB" for 2^20 bytes as V8 does, memwatch's `HeapDiff` JSON keeps
//! memwatch's; the `_mb` figures of `results.csv` and `results.json` keep their names and hold
//! MiB.

/// Bytes in a mebibyte.
pub const MIB: f64 = 1024.0 * 1024.0;

/// `bytes` in mebibytes, the number alone (for tables whose header says the unit).
pub fn mebibytes(bytes: u64) -> f64 {
    bytes as f64 / MIB
}

/// `12.3 MiB`.
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", mebibytes(bytes))
}

/// A signed size in the largest binary unit it reaches: `512 bytes`, `1.5 KiB`, `-3.2 MiB`,
/// `1.1 GiB` (for text whose sizes range widely: snapshot summaries and diffs).
pub fn binary_size(bytes: i64) -> String {
    let sign = if bytes < 0 { "-" } else { "" };
    let magnitude = bytes.unsigned_abs();
    let units = [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    match units.into_iter().find(|&(_, scale)| magnitude >= scale) {
        Some((unit, scale)) => format!("{sign}{:.1} {unit}", magnitude as f64 / scale as f64),
        None => format!("{sign}{}", count(magnitude, "byte")),
    }
}

/// A number to 0, 1, 2 or 3 decimals: the formats of the tables' columns.
pub fn whole(value: f64) -> String {
    format!("{value:.0}")
}

pub fn tenths(value: f64) -> String {
    format!("{value:.1}")
}

pub fn hundredths(value: f64) -> String {
    format!("{value:.2}")
}

pub fn thousandths(value: f64) -> String {
    format!("{value:.3}")
}

/// A fraction as a percentage: `0.1234` is `12.3%`.
pub fn percent(fraction: f64) -> String {
    format!("{:.1}%", fraction * 100.0)
}

/// `1 pause`, `0 pauses`, `2 pauses`: the count and its noun, `noun` + "s" in the plural.
pub fn count(n: u64, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        _ => format!("{n} {noun}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_binary_and_say_so() {
        assert_eq!(mib(1024 * 1024), "1.0 MiB");
        assert_eq!(mib(1_000_000), "1.0 MiB");
        assert_eq!(mib(3 * 1024 * 1024 / 2), "1.5 MiB");
        assert_eq!(mib(0), "0.0 MiB");
    }

    #[test]
    fn sizes_of_any_range_take_their_largest_unit() {
        assert_eq!(binary_size(0), "0 bytes");
        assert_eq!(binary_size(1), "1 byte");
        assert_eq!(binary_size(-512), "-512 bytes");
        assert_eq!(binary_size(1536), "1.5 KiB");
        assert_eq!(binary_size(-(3 << 20)), "-3.0 MiB");
        assert_eq!(binary_size(5 << 30), "5.0 GiB");
    }

    #[test]
    fn shares_are_percentages() {
        assert_eq!(percent(0.1234), "12.3%");
        assert_eq!(percent(1.0), "100.0%");
    }

    #[test]
    fn one_is_singular() {
        assert_eq!(count(1, "pause"), "1 pause");
        assert_eq!(count(0, "pause"), "0 pauses");
        assert_eq!(count(2, "leak event"), "2 leak events");
    }
}
