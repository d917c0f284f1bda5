//! How much the sandbox offers: the `wix` profile behaves like Wix as far as public evidence
//! shows (see `../shared/wix-api-field.md`), `tus-full` offers every tus extension it has, so a
//! client's optional paths stay tested. Also the optional strictness of either: a REST rate
//! limit and per-type size limits.

use std::time::Duration;

use super::quirks::Quirks;

/// Which server the sandbox plays. What each does differently is spelled out, by name, in
/// its [`Quirks`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Profile {
    /// Wix as far as it is known ([`Quirks::WIX`]): OPTIONS lists only `creation`; tokens of
    /// real size; the file id fixed at generate time; a second finalize of a used token
    /// answers 429 `RESOURCE_EXHAUSTED`; PENDING descriptors carry `hash: ""` and `media: null`.
    #[default]
    Wix,
    /// Everything the sandbox's tus server offers; a repeated finalize answers the same file
    /// ([`Quirks::TUS_FULL`]).
    TusFull,
}

impl Profile {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "wix" => Ok(Profile::Wix),
            "tus-full" => Ok(Profile::TusFull),
            other => Err(format!(
                "unknown profile {other:?}; use wix (Wix as far as it is known) or tus-full \
                 (every tus extension)"
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Profile::Wix => "wix",
            Profile::TusFull => "tus-full",
        }
    }

    /// How this server behaves where Wix and a full tus server part ways.
    pub const fn quirks(self) -> Quirks {
        match self {
            Profile::Wix => Quirks::WIX,
            Profile::TusFull => Quirks::TUS_FULL,
        }
    }
}

/// REST calls allowed per window (`--rate-limit N/min`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub calls: u32,
    pub per: Duration,
}

impl RateLimit {
    /// `200/min`, `10/s`, `3000/h`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("{text:?} is not a rate; write e.g. 200/min, 5/s or 3000/h");
        let (n, unit) = text.trim().split_once('/').ok_or_else(bad)?;
        let calls: u32 = n.trim().parse().map_err(|_| bad())?;
        let per = match unit.trim().to_ascii_lowercase().as_str() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            _ => return Err(bad()),
        };
        if calls == 0 {
            return Err(bad());
        }
        Ok(Self { calls, per })
    }
}

/// The kinds a size limit can name, each with the MIME types it covers.
const KINDS: [&str; 7] = ["image", "gif", "svg", "video", "audio", "document", "other"];

/// Per-type size limits (`--limit image=25MB,gif=15MB,video=4GB`); a type without one has none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypeLimits(Vec<(&'static str, u64)>);

impl TypeLimits {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut out = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (kind, size) = part
                .split_once('=')
                .ok_or_else(|| format!("{part:?} is not KIND=SIZE, e.g. image=25MB"))?;
            let kind = KINDS
                .into_iter()
                .find(|k| k.eq_ignore_ascii_case(kind.trim()))
                .ok_or_else(|| format!("unknown kind {kind:?}; use one of {}", KINDS.join(", ")))?;
            let bytes = crate::size::parse_size(size).map_err(|e| e.to_string())?;
            out.retain(|(k, _)| *k != kind);
            out.push((kind, bytes));
        }
        Ok(Self(out))
    }

    /// The limit for a MIME type and the kind it falls under, if that kind has one.
    pub fn for_mime(&self, mime: &str) -> Option<(&'static str, u64)> {
        let kind = kind_of(mime);
        // A GIF or SVG without a limit of its own falls under the image limit.
        let lookup = |k: &str| self.0.iter().find(|(n, _)| *n == k).copied();
        lookup(kind).or_else(|| {
            matches!(kind, "gif" | "svg")
                .then(|| lookup("image"))
                .flatten()
        })
    }
}

fn kind_of(mime: &str) -> &'static str {
    let mime = mime.to_ascii_lowercase();
    match mime.split('/').next().unwrap_or("") {
        _ if mime == "image/gif" => "gif",
        _ if mime == "image/svg+xml" => "svg",
        "image" => "image",
        "video" => "video",
        "audio" => "audio",
        "text" => "document",
        _ if mime == "application/pdf"
            || mime.contains("officedocument")
            || mime.contains("msword") =>
        {
            "document"
        }
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_read_as_people_write_them() {
        let l = TypeLimits::parse("image=25MB, gif=15MB,video=4GB").unwrap();
        assert_eq!(l.for_mime("image/jpeg"), Some(("image", 25_000_000)));
        assert_eq!(l.for_mime("image/gif"), Some(("gif", 15_000_000)));
        // No limit of its own: the image one.
        assert_eq!(l.for_mime("image/svg+xml"), Some(("image", 25_000_000)));
        assert_eq!(l.for_mime("video/mp4"), Some(("video", 4_000_000_000)));
        assert_eq!(l.for_mime("application/pdf"), None);
        assert!(TypeLimits::parse("pictures=1MB").is_err());
        assert!(TypeLimits::parse("image").is_err());
        assert!(TypeLimits::parse("image=lots").is_err());
    }

    #[test]
    fn rates_and_profiles_parse() {
        assert_eq!(
            RateLimit::parse("200/min").unwrap(),
            RateLimit {
                calls: 200,
                per: Duration::from_secs(60)
            }
        );
        assert!(RateLimit::parse("0/min").is_err());
        assert!(RateLimit::parse("200").is_err());
        assert_eq!(Profile::parse("WIX").unwrap(), Profile::Wix);
        assert_eq!(Profile::parse("tus-full").unwrap(), Profile::TusFull);
        assert!(Profile::parse("s3").is_err());
    }
}
