//! What a job produced, or why it failed.

use serde::{Deserialize, Serialize};

use super::{OriginKind, Verification};

/// What a finished upload produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobResult {
    pub file_id: String,
    pub url: Option<String>,
    pub thumbnail_url: Option<String>,
    pub display_name: Option<String>,
    pub size_bytes: Option<u64>,
    pub hash: Option<String>,
    pub local_md5: Option<String>,
    pub verified: Verification,
    pub media_type: Option<String>,
    /// Width and height, for images.
    pub image_size: Option<(u64, u64)>,
    /// Uploaded or imported (absent in journals of older versions: uploaded).
    #[serde(default)]
    pub origin: OriginKind,
    /// The MD5 of the original file when the bytes sent differ from it (set by the step that
    /// changes them); `None`: `local_md5` is the file's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_md5: Option<String>,
    /// GPS tags were removed from the bytes sent (the file on disk kept them).
    #[serde(default)]
    pub location_removed: bool,
    /// Set when nothing was sent: the same bytes were already on the site (from the history).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub already: Option<AlreadyThere>,
}

impl JobResult {
    /// What the file Wix made says, for a job of `origin`: nothing compared yet (`verified`
    /// unknown, no local MD5), nothing removed.
    pub fn from_descriptor(d: &crate::wix_media::FileDescriptor, origin: OriginKind) -> Self {
        Self {
            file_id: d.id.clone(),
            url: d.url.clone(),
            thumbnail_url: d.thumbnail_url.clone(),
            display_name: d.display_name.clone(),
            size_bytes: d.size_in_bytes,
            hash: d.hash.clone().filter(|h| !h.is_empty()),
            local_md5: None,
            verified: Verification::Unknown,
            media_type: d.media_type.as_ref().map(|m| m.as_str().to_string()),
            image_size: d.image_size(),
            origin,
            source_md5: None,
            location_removed: false,
            already: None,
        }
    }
}

/// A file found on the site already: an earlier upload of the same bytes, still there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlreadyThere {
    /// When the earlier upload finished, seconds since the Unix epoch.
    pub uploaded_unix: u64,
}

/// Why a job failed: a sentence for the row, and the detail for a tooltip or a log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobError {
    pub message: String,
    pub detail: String,
    /// The HTTP status, when a server answered.
    pub status: Option<u16>,
    /// Trying again cannot help until the file changes (it is empty, or Wix refuses its type):
    /// the window offers no Retry, and `resume` does not try it again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub permanent: bool,
    /// Nothing could be reached (no connection, or a transfer that stalled): the engine waits
    /// for the network rather than failing, for a while (`scheduler/outage.rs`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub offline: bool,
}
