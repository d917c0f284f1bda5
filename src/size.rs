//! Byte sizes as people write them (`8MiB`, `512KiB`, `1.5GB`, `1048576`) and as they read them.

/// Why a size could not be read. Each message quotes what was written and shows a form that
/// works.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SizeError {
    #[error("unknown unit {unit:?} in {text:?}; write e.g. 8MiB, 512KiB or a byte count")]
    UnknownUnit { text: String, unit: String },
    #[error("{text:?} is not a size; write e.g. 8MiB, 512KiB or a byte count")]
    NotANumber { text: String },
    /// Zero, negative, or too large for 64 bits.
    #[error("{text:?} is not a usable size")]
    Unusable { text: String },
    /// A chunk size under [`CHUNK_UNIT_BYTES`].
    #[error(
        "{text:?} is too small: a chunk is at least 256 KiB (each request costs a round trip); write e.g. 8MiB"
    )]
    ChunkTooSmall { text: String },
}

/// Parses a size such as `8MiB`, `512 KiB`, `2GB` or a plain byte count.
pub fn parse_size(text: &str) -> Result<u64, SizeError> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let unit = unit.trim();
    let mult: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        _ => {
            return Err(SizeError::UnknownUnit {
                text: text.to_string(),
                unit: unit.to_string(),
            });
        }
    };
    let value: f64 = num.parse().map_err(|_| SizeError::NotANumber {
        text: text.to_string(),
    })?;
    let bytes = value * mult as f64;
    if !bytes.is_finite() || bytes < 1.0 || bytes > u64::MAX as f64 {
        return Err(SizeError::Unusable {
            text: text.to_string(),
        });
    }
    Ok(bytes.round() as u64)
}

/// Chunk sizes are multiples of this: a Google Cloud Storage resumable session (what Wix's
/// upload service sits on) wants non-final chunks in multiples of 256 KiB.
pub const CHUNK_UNIT_BYTES: u64 = 256 << 10;

/// A `--chunk-size` as given and as it will be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkArg {
    /// A multiple of [`CHUNK_UNIT_BYTES`], at least one unit.
    pub bytes: u64,
    /// What the person wrote, in bytes.
    pub requested: u64,
}

/// Parses a chunk size: at least 256 KiB, rounded to the nearest multiple of 256 KiB.
pub fn parse_chunk_size(text: &str) -> Result<ChunkArg, SizeError> {
    let requested = parse_size(text)?;
    if requested < CHUNK_UNIT_BYTES {
        return Err(SizeError::ChunkTooSmall {
            text: text.to_string(),
        });
    }
    let units = requested.saturating_add(CHUNK_UNIT_BYTES / 2) / CHUNK_UNIT_BYTES;
    Ok(ChunkArg {
        bytes: units.max(1).saturating_mul(CHUNK_UNIT_BYTES),
        requested,
    })
}

/// Formats bytes in binary units with one decimal: `4.2 MiB`, `310.0 KiB`, `88 B`.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_people_write() {
        assert_eq!(parse_size("8MiB"), Ok(8 << 20));
        assert_eq!(parse_size("512KiB"), Ok(512 << 10));
        assert_eq!(parse_size("512 kib"), Ok(512 << 10));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size("2MB"), Ok(2_000_000));
        assert!(parse_size("8 parsecs").is_err());
        assert!(parse_size("").is_err());
        assert!(parse_size("0").is_err());
        assert!(parse_size("-5MiB").is_err());
        assert_eq!(
            parse_size("8 parsecs"),
            Err(SizeError::UnknownUnit {
                text: "8 parsecs".into(),
                unit: "parsecs".into()
            })
        );
        assert!(matches!(parse_size("0"), Err(SizeError::Unusable { .. })));
        assert!(matches!(parse_size(""), Err(SizeError::NotANumber { .. })));
    }

    #[test]
    fn chunk_sizes_are_whole_units_of_256_kib() {
        assert_eq!(parse_chunk_size("8MiB").map(|c| c.bytes), Ok(8 << 20));
        assert_eq!(
            parse_chunk_size("1000000"),
            Ok(ChunkArg {
                bytes: 1 << 20,
                requested: 1_000_000
            })
        );
        assert_eq!(parse_chunk_size("300KiB").map(|c| c.bytes), Ok(256 << 10));
        assert_eq!(parse_chunk_size("400KiB").map(|c| c.bytes), Ok(512 << 10));
        let e = parse_chunk_size("1").expect_err("refused");
        assert!(e.to_string().contains("at least 256 KiB"), "{e}");
        assert!(parse_chunk_size("255KiB").is_err());
    }

    #[test]
    fn formats_in_one_system() {
        assert_eq!(format_bytes(88), "88 B");
        assert_eq!(format_bytes(4_404_019), "4.2 MiB");
        assert_eq!(format_bytes(1 << 30), "1.0 GiB");
    }
}
