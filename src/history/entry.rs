//! One finished upload as the history records it, and what it says of the file.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// One finished upload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub name: String,
    #[serde(with = "crate::os_path")]
    pub path: PathBuf,
    pub file_id: String,
    pub url: Option<String>,
    pub thumbnail_url: Option<String>,
    pub size_bytes: u64,
    pub mime_type: String,
    pub verified: Verification,
    pub image_size: Option<(u64, u64)>,
    /// Seconds since the Unix epoch.
    pub finished_unix: u64,
    /// Uploaded or imported (absent in older histories: uploaded).
    #[serde(default)]
    pub origin: OriginKind,
    /// The link an imported file came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_url: Option<String>,
    /// The site it went to ([`site_key`]); absent in older histories: never matched by dedupe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// The MD5 of the original file's bytes (hex); absent in older histories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_md5: Option<String>,
    /// The original file's size (the bytes sent differ when its location was removed);
    /// absent in older histories: `size_bytes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_size: Option<u64>,
    /// GPS tags were removed from the bytes sent.
    #[serde(default)]
    pub location_removed: bool,
    /// "Remove location from photos and videos" was on when it was sent: the copy on the site
    /// carries no location the finders of [`HistoryEntry::location_rules`] know (removed, or
    /// there was none). A file sent with its location is sent again, without it, once the
    /// setting is on, rather than found "already there".
    #[serde(default)]
    pub location_checked: bool,
    /// Which finders looked for its location ([`LOCATION_RULES`] when it was sent): 0 for an
    /// older version's, which knew JPEG, PNG and WebP only and sent a HEIC's or a video's
    /// location. Only a check by today's finders answers for a file queued to lose it.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub location_rules: u32,
}

/// The finders' generation: raise it when they learn to find a location they missed, so that
/// files an earlier generation checked are sent again rather than found "already there".
pub const LOCATION_RULES: u32 = 1;

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl HistoryEntry {
    /// An upload of the JPEG `name` that finished at `finished_unix`, verified, with its URL
    /// under `https://example.com/`: what tests and benchmarks start from (they set the fields
    /// they are about).
    #[doc(hidden)]
    pub fn example(name: &str, finished_unix: u64) -> Self {
        HistoryEntry {
            name: name.into(),
            path: PathBuf::from(format!("/photos/{name}")),
            file_id: format!("id-{name}"),
            url: Some(format!("https://example.com/{name}")),
            thumbnail_url: None,
            size_bytes: 1,
            mime_type: "image/jpeg".into(),
            verified: Verification::Verified,
            image_size: None,
            finished_unix,
            origin: OriginKind::Upload,
            source_url: None,
            site: None,
            source_md5: None,
            source_size: None,
            location_removed: false,
            location_checked: false,
            location_rules: 0,
        }
    }
}

/// Which site a history entry belongs to: the API base and the site id.
pub fn site_key(api_base: &reqwest::Url, site_id: &str) -> String {
    format!("{} {site_id}", api_base.as_str().trim_end_matches('/'))
}

/// Whether the server's hash matched the local file's MD5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    Verified,
    Mismatch,
    /// The server gave no hash.
    Unknown,
}

impl Verification {
    /// `true`, `false` or `null` in JSON output.
    pub fn as_option(self) -> Option<bool> {
        match self {
            Verification::Verified => Some(true),
            Verification::Mismatch => Some(false),
            Verification::Unknown => None,
        }
    }
}

/// Whether a file was uploaded or imported, as results and history record it
/// (`"upload"` / `"import"`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OriginKind {
    #[default]
    Upload,
    Import,
}

impl OriginKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OriginKind::Upload => "upload",
            OriginKind::Import => "import",
        }
    }
}
