//! Pure tus 1.0 header rules: capabilities, metadata, offsets, `Location`, expiry, checksums.
//! No I/O here, so every rule has a unit test next to it.

use std::time::SystemTime;

use base64::Engine as _;
use reqwest::Url;
use reqwest::header::HeaderMap;

use super::error::Error;

pub const TUS_VERSION: &str = "1.0.0";
pub const OFFSET_CONTENT_TYPE: &str = "application/offset+octet-stream";

/// What an endpoint's `OPTIONS` answer says it supports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// `Tus-Version`, preferred first.
    pub versions: Vec<String>,
    /// `Tus-Extension` tokens (`creation`, `checksum`, …).
    pub extensions: Vec<String>,
    /// `Tus-Max-Size`: the largest upload the server accepts.
    pub max_size: Option<u64>,
    /// `Tus-Checksum-Algorithm`, lower case.
    pub checksum_algorithms: Vec<String>,
}

impl Capabilities {
    /// Reads the discovery headers of an `OPTIONS` answer.
    pub fn from_headers(h: &HeaderMap) -> Self {
        let list = |name: &str| -> Vec<String> {
            header_str(h, name)
                .map(|v| {
                    v.split(',')
                        .map(|s| s.trim().to_ascii_lowercase())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default()
        };
        Self {
            versions: list("tus-version"),
            extensions: list("tus-extension"),
            max_size: header_str(h, "tus-max-size").and_then(|v| v.trim().parse().ok()),
            checksum_algorithms: list("tus-checksum-algorithm"),
        }
    }

    /// What we assume of a server that does not answer `OPTIONS`: creation only.
    pub fn assumed() -> Self {
        Self {
            versions: vec![TUS_VERSION.into()],
            extensions: vec!["creation".into()],
            ..Self::default()
        }
    }

    pub fn supports(&self, extension: &str) -> bool {
        self.extensions.iter().any(|e| e == extension)
    }

    /// The checksum algorithm to use, if the server offers one we implement. The checksum is
    /// there to catch bytes damaged in transit, not to resist an attacker, so the cheapest
    /// wins: `crc32` (hardware-accelerated), then `sha1` (which every checksum server must
    /// offer), then `md5`.
    pub fn checksum_algorithm(&self) -> Option<ChecksumAlgorithm> {
        if !self.supports("checksum") {
            return None;
        }
        [
            ChecksumAlgorithm::Crc32,
            ChecksumAlgorithm::Sha1,
            ChecksumAlgorithm::Md5,
        ]
        .into_iter()
        .find(|a| self.checksum_algorithms.iter().any(|x| x == a.name()))
    }

    /// How each PATCH proves its bytes, when checksums are `enabled` and the server offers an
    /// algorithm we implement: as a trailer when it offers `checksum-trailer`, else as a header.
    pub fn checksum_mode(&self, enabled: bool) -> Checksum {
        match self.checksum_algorithm() {
            Some(alg) if enabled && self.supports("checksum-trailer") => Checksum::Trailer(alg),
            Some(alg) if enabled => Checksum::Header(alg),
            _ => Checksum::None,
        }
    }

    /// Refuses a file over `Tus-Max-Size` before anything is created.
    pub fn check_size(&self, size: u64) -> Result<(), Error> {
        match self.max_size {
            Some(max) if size > max => Err(Error::TooLarge {
                size,
                max: Some(max),
                message: String::new(),
            }),
            _ => Ok(()),
        }
    }
}

/// The checksum algorithms our client can compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumAlgorithm {
    /// CRC-32 (IEEE), big-endian digest bytes.
    Crc32,
    Sha1,
    Md5,
}

impl ChecksumAlgorithm {
    pub fn name(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "crc32",
            ChecksumAlgorithm::Sha1 => "sha1",
            ChecksumAlgorithm::Md5 => "md5",
        }
    }
}

/// How a PATCH proves its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checksum {
    None,
    /// `Upload-Checksum` header: the range is hashed before it is sent (a second read).
    Header(ChecksumAlgorithm),
    /// `Upload-Checksum` trailer (`checksum-trailer`): hashed while it streams.
    Trailer(ChecksumAlgorithm),
}

/// The `Upload-Checksum` header value for a digest.
pub fn checksum_header(algorithm: ChecksumAlgorithm, digest: &[u8]) -> String {
    format!(
        "{} {}",
        algorithm.name(),
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// Encodes `Upload-Metadata`: comma-separated `key base64(value)` pairs.
pub fn encode_metadata(pairs: &[(&str, &str)]) -> Result<String, Error> {
    let mut out = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        if k.is_empty() || k.contains([' ', ',']) || !k.is_ascii() {
            return Err(Error::Protocol(format!("invalid metadata key {k:?}")));
        }
        if out.iter().any(|s: &String| s.split(' ').next() == Some(k)) {
            return Err(Error::Protocol(format!("duplicate metadata key {k:?}")));
        }
        out.push(format!(
            "{k} {}",
            base64::engine::general_purpose::STANDARD.encode(v.as_bytes())
        ));
    }
    Ok(out.join(","))
}

/// A header as text, if present and valid.
pub fn header_str<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// Parses `Upload-Offset`: a non-negative integer, required.
pub fn parse_offset(h: &HeaderMap) -> Result<u64, Error> {
    let raw = header_str(h, "upload-offset")
        .ok_or_else(|| Error::Protocol("no Upload-Offset header".into()))?;
    raw.trim()
        .parse::<u64>()
        .map_err(|_| Error::Protocol(format!("Upload-Offset {raw:?} is not a byte count")))
}

/// Parses `Upload-Expires` (an HTTP date), if present.
pub fn parse_expires(h: &HeaderMap) -> Option<SystemTime> {
    header_str(h, "upload-expires").and_then(|v| httpdate::parse_http_date(v.trim()).ok())
}

/// Resolves a `Location` header against the URL of the creation request (it may be relative).
pub fn resolve_location(creation_url: &Url, h: &HeaderMap) -> Result<Url, Error> {
    let loc = header_str(h, "location")
        .ok_or_else(|| Error::Protocol("the creation answer has no Location header".into()))?;
    creation_url
        .join(loc.trim())
        .map_err(|_| Error::Protocol(format!("Location {loc:?} is not a URL")))
}

/// The answer to a creation request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// The upload URL, resolved to an absolute URL.
    pub url: Url,
    /// Bytes the server accepted in the creation request (creation-with-upload), else 0.
    pub offset: u64,
    /// When the server will forget the upload, if it said.
    pub expires: Option<SystemTime>,
}

/// The answer to a HEAD request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadInfo {
    pub offset: u64,
    pub length: Option<u64>,
    pub expires: Option<SystemTime>,
}

impl HeadInfo {
    pub fn from_headers(h: &HeaderMap) -> Result<Self, Error> {
        Ok(Self {
            offset: parse_offset(h)?,
            length: header_str(h, "upload-length").and_then(|v| v.trim().parse().ok()),
            expires: parse_expires(h),
        })
    }

    /// Checks the answer against what we know: the same length, an offset within it, and no
    /// loss of bytes the server had already acknowledged.
    pub fn validate(&self, length: u64, acknowledged: u64) -> Result<u64, Error> {
        if let Some(l) = self.length
            && l != length
        {
            return Err(Error::Protocol(format!(
                "the server holds an upload of {l} bytes, not {length}"
            )));
        }
        if self.offset > length {
            return Err(Error::Protocol(format!(
                "Upload-Offset {} is beyond the length {length}",
                self.offset
            )));
        }
        if self.offset < acknowledged {
            return Err(Error::Protocol(format!(
                "the server's offset moved backwards from {acknowledged} to {}",
                self.offset
            )));
        }
        Ok(self.offset)
    }
}

/// Checks the offset a successful PATCH returned: it must lie within what we sent.
pub fn validate_patch_offset(start: u64, sent: u64, new: u64) -> Result<u64, Error> {
    if new < start {
        return Err(Error::Protocol(format!(
            "the server's offset moved backwards from {start} to {new}"
        )));
    }
    if new > start + sent {
        return Err(Error::Protocol(format!(
            "Upload-Offset {new} is beyond the {sent} bytes sent from {start}"
        )));
    }
    Ok(new)
}

/// True when `Upload-Expires` has passed.
pub fn is_expired(expires: Option<SystemTime>, now: SystemTime) -> bool {
    expires.is_some_and(|e| e <= now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).expect("test header"));
        }
        h
    }

    #[test]
    fn reads_capabilities() {
        let c = Capabilities::from_headers(&headers(&[
            ("tus-version", "1.0.0,0.2.2"),
            (
                "tus-extension",
                "creation, creation-with-upload,checksum,termination",
            ),
            ("tus-max-size", "1073741824"),
            ("tus-checksum-algorithm", "md5,SHA1"),
        ]));
        let fast = Capabilities {
            checksum_algorithms: vec!["sha1".into(), "crc32".into()],
            ..c.clone()
        };
        assert_eq!(fast.checksum_algorithm(), Some(ChecksumAlgorithm::Crc32));
        assert_eq!(c.versions, ["1.0.0", "0.2.2"]);
        assert!(c.supports("creation-with-upload"));
        assert_eq!(c.max_size, Some(1 << 30));
        assert_eq!(c.checksum_algorithm(), Some(ChecksumAlgorithm::Sha1));
        assert!(matches!(
            c.check_size((1 << 30) + 1),
            Err(Error::TooLarge { .. })
        ));
        assert!(c.check_size(1 << 30).is_ok());
        assert_eq!(Capabilities::assumed().checksum_algorithm(), None);
    }

    #[test]
    fn metadata_is_base64_pairs() {
        let m = encode_metadata(&[("filename", "a b.jpg"), ("token", "")]).expect("valid");
        assert_eq!(m, "filename YSBiLmpwZw==,token ");
        assert!(encode_metadata(&[("bad key", "x")]).is_err());
        assert!(encode_metadata(&[("a", "1"), ("a", "2")]).is_err());
    }

    #[test]
    fn offsets_are_checked() {
        assert!(parse_offset(&headers(&[("upload-offset", "-5")])).is_err());
        assert!(parse_offset(&headers(&[("upload-offset", "abc")])).is_err());
        assert!(parse_offset(&HeaderMap::new()).is_err());
        assert_eq!(
            parse_offset(&headers(&[("upload-offset", "42")])).ok(),
            Some(42)
        );
        assert!(validate_patch_offset(10, 5, 16).is_err());
        assert!(validate_patch_offset(10, 5, 9).is_err());
        assert_eq!(validate_patch_offset(10, 5, 13).ok(), Some(13));
        let head = HeadInfo {
            offset: 50,
            length: Some(100),
            expires: None,
        };
        assert_eq!(head.validate(100, 40).ok(), Some(50));
        assert!(head.validate(100, 60).is_err(), "backwards");
        assert!(head.validate(120, 0).is_err(), "other length");
        let beyond = HeadInfo {
            offset: 101,
            length: None,
            expires: None,
        };
        assert!(beyond.validate(100, 0).is_err());
    }

    #[test]
    fn location_is_resolved_relative_to_the_creation_url() {
        let base = Url::parse("http://127.0.0.1:9/upload/tus").expect("url");
        let h = headers(&[("location", "/upload/tus/abc")]);
        assert_eq!(
            resolve_location(&base, &h).expect("ok").as_str(),
            "http://127.0.0.1:9/upload/tus/abc"
        );
        let h = headers(&[("location", "https://cdn.example/x/1")]);
        assert_eq!(
            resolve_location(&base, &h).expect("ok").as_str(),
            "https://cdn.example/x/1"
        );
    }

    #[test]
    fn expiry() {
        let h = headers(&[("upload-expires", "Wed, 25 Jun 2025 10:00:00 GMT")]);
        let e = parse_expires(&h);
        assert!(e.is_some());
        assert!(is_expired(e, SystemTime::now()));
        assert!(!is_expired(None, SystemTime::now()));
    }
}
