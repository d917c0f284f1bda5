//! Byte sizes as people write them (`8MiB`, `512KiB`, `1.5GB`, `1048576`); how they read them is
//! `units`.

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

/// Parses an upload speed such as `5MB/s`, `500KiB/s` or `2MB` (a size a second; `/s` may be
/// left out), in bytes a second: at least [`crate::file_stream::MIN_RATE`].
pub fn parse_rate(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let size = t
        .strip_suffix("/s")
        .or_else(|| t.strip_suffix("ps"))
        .unwrap_or(t);
    let rate = parse_size(size).map_err(|e| {
        e.to_string().replace(
            "write e.g. 8MiB, 512KiB or a byte count",
            "write e.g. 5MB/s or 500KiB/s",
        )
    })?;
    let min = crate::file_stream::MIN_RATE;
    if rate < min {
        return Err(format!(
            "{text:?} is too slow to keep a connection alive; write at least 64KiB/s"
        ));
    }
    Ok(rate)
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
    fn rates_are_sizes_a_second() {
        assert_eq!(parse_rate("5MB/s"), Ok(5_000_000));
        assert_eq!(parse_rate("500KiB/s"), Ok(500 << 10));
        assert_eq!(parse_rate(" 2MB "), Ok(2_000_000));
        assert_eq!(parse_rate("1.5MiB/s"), Ok(3 << 19));
        assert!(
            parse_rate("10KB/s")
                .unwrap_err()
                .contains("at least 64KiB/s")
        );
        assert!(parse_rate("fast").unwrap_err().contains("5MB/s"));
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
}
