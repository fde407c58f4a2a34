//! Byte counts as the command line takes them (`--heap-limit 64M`): shared by the commands that
//! accept a size, so that every one reads `K`, `M` and `G` alike.

/// Parses a byte count: digits, then optionally `K`, `M` or `G` (powers of 1024; a trailing `B`
/// or `iB` is allowed).
pub fn parse_bytes(text: &str) -> Result<usize, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let shift = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        _ => return Err(format!("`{unit}` is not a unit; use K, M or G")),
    };
    let number: usize = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a number of bytes"))?;
    number
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("`{text}` is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts_take_binary_units() {
        assert_eq!(parse_bytes("1000000"), Ok(1_000_000));
        assert_eq!(parse_bytes("64K"), Ok(64 << 10));
        assert_eq!(parse_bytes("3mb"), Ok(3 << 20));
        assert_eq!(parse_bytes("2GiB"), Ok(2 << 30));
        assert!(parse_bytes("").is_err());
        assert!(parse_bytes("12X").is_err());
        assert!(parse_bytes("-5").is_err());
        assert!(parse_bytes("99999999999999999999G").is_err());
    }
}
