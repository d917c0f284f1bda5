//! Jobs: one file to upload, its explicit state, and what it produced.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use reqwest::Url;
use serde::{Deserialize, Serialize};

use crate::history::HistoryEntry;
pub use crate::history::{OriginKind, Verification};

/// Identifies a job within one data dir (never reused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct JobId(pub u64);

impl std::fmt::Display for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Where a job stands. Transitions are checked by [`JobState::can_become`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for a free upload slot.
    Queued,
    /// Getting a tus endpoint from Wix, creating the tus upload, sending bytes (retries included).
    Uploading,
    /// Stopped by the person; keeps its upload URL and continues from the server's offset.
    Paused,
    /// All bytes are on the server; the finalize request is under way.
    Finalizing,
    /// Finalized; waiting for Wix to report the file READY.
    Processing,
    /// READY on the site.
    Done,
    /// Stopped by an error that retries could not fix; Retry starts it again.
    Failed,
    /// Cancelled by the person; the server-side upload was terminated.
    Cancelled,
}

impl JobState {
    /// Done, failed or cancelled: nothing more happens without a command.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            JobState::Done | JobState::Failed | JobState::Cancelled
        )
    }

    /// A worker is (or should be) running for it.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            JobState::Uploading | JobState::Finalizing | JobState::Processing
        )
    }

    /// The transitions the engine allows.
    pub fn can_become(self, to: JobState) -> bool {
        use JobState::*;
        match (self, to) {
            (a, b) if a == b => false,
            // Done: the same bytes were found on the site already (nothing sent).
            (Queued, Uploading | Paused | Cancelled | Failed | Done) => true,
            (Uploading, Queued | Paused | Finalizing | Processing | Failed | Cancelled) => true,
            (Paused, Queued | Cancelled) => true,
            (Finalizing, Processing | Queued | Uploading | Failed | Done) => true,
            (Processing, Queued | Done | Failed) => true,
            (Failed, Queued | Cancelled) => true,
            (Cancelled, Queued) => true,
            (Done, _) => false,
            _ => false,
        }
    }
}

/// Where on the site a file goes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Destination {
    /// A Media Manager folder id (`media-root` when neither this nor `path` is set).
    pub folder_id: Option<String>,
    /// A folder path such as `/photos/2026`; Wix creates missing folders.
    pub path: Option<String>,
    /// Private files cannot be made public later.
    pub private: bool,
}

/// What the person chose for a file when it was queued. It is journaled with the job, so
/// `wixup resume`, a restart of the window and Retry finish the file the way it was queued,
/// whatever the settings say by then (journals written before it read as the defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobOptions {
    /// "Remove location from photos": a photo with GPS tags is sent from a copy without them.
    #[serde(default = "yes")]
    pub remove_location: bool,
    /// "Skip files already on the site": an earlier upload of the same bytes still on the site
    /// is the result, and nothing is sent.
    #[serde(default = "yes")]
    pub skip_duplicates: bool,
}

fn yes() -> bool {
    true
}

impl Default for JobOptions {
    /// What a new install does: both on.
    fn default() -> Self {
        Self {
            remove_location: true,
            skip_duplicates: true,
        }
    }
}

/// A server-side upload: what step 1 handed out and where the tus upload lives. (Journals of
/// schema 1 named `endpoint` `upload_url` and `upload_url` `location`; the journal migrates them.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The tus creation endpoint Wix handed out in step 1 (Wix calls it the upload URL).
    pub endpoint: Url,
    /// Wix's token for this upload; sent with the creation and the finalize requests.
    pub upload_token: String,
    /// The tus upload URL (the creation's `Location`), absolute.
    pub upload_url: Url,
    /// `Upload-Expires`, as seconds since the Unix epoch.
    pub expires_unix: Option<u64>,
    /// When the upload URL was handed out, as seconds since the Unix epoch: a file made by
    /// this upload is no older (absent in journals of older versions).
    #[serde(default)]
    pub created_unix: Option<u64>,
}

impl Session {
    pub fn is_expired(&self, now: SystemTime) -> bool {
        self.expires_unix.is_some_and(|e| {
            now.duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_secs() >= e)
                .unwrap_or(false)
        })
    }
}

/// A one-PUT upload (files below [`EngineConfig::one_put_below`](super::EngineConfig)): the
/// one-time URL `generate-upload-url` handed out. It is on disk before the PUT's first byte,
/// and stays after the file is made, so the journal says which path the job took (`plain`
/// set: one-PUT; `session` set: resumable). A job that starts with one found in the journal
/// may have been sent already (its answer lost to a crash or a pause): the file is looked for
/// first, and only when it is not on the site does the upload start over with a new URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlainSession {
    /// `PUT` the bytes here (Wix's `uploadUrl`, about 2.8 KB; one-time).
    pub upload_url: Url,
    /// When it was handed out, as seconds since the Unix epoch: a file this PUT made is no
    /// older.
    pub created_unix: u64,
}

/// Where a job's file comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// A local file, uploaded with tus.
    #[default]
    File,
    /// A link that Wix fetches itself (import from a link).
    Link { url: String },
}

impl Origin {
    pub fn kind(&self) -> OriginKind {
        match self {
            Origin::File => OriginKind::Upload,
            Origin::Link { .. } => OriginKind::Import,
        }
    }

    /// The link, for an import.
    pub fn url(&self) -> Option<&str> {
        match self {
            Origin::File => None,
            Origin::Link { url } => Some(url),
        }
    }

    pub fn is_link(&self) -> bool {
        matches!(self, Origin::Link { .. })
    }
}

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
}

/// One file in the queue, as the engine (and the journal) knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: JobId,
    /// Where the file comes from (absent in journals of older versions: a local file).
    #[serde(default)]
    pub origin: Origin,
    /// Exactly as the OS gave it (on Unix, bytes that need not be UTF-8). For a link, the link
    /// itself, so the same link queued twice is reported once, like the same file.
    #[serde(with = "crate::os_path")]
    pub path: PathBuf,
    /// The file name sent to Wix.
    pub name: String,
    pub mime_type: String,
    /// Fingerprint: size and modification time when queued.
    pub size_bytes: u64,
    pub mtime_unix_nanos: Option<u128>,
    /// Fingerprint: device, inode and change time when queued, so a file renamed over this
    /// one is noticed (absent in journals of older versions: not checked then).
    #[serde(default)]
    pub identity: Option<crate::tus::FileIdentity>,
    pub destination: Destination,
    /// What the person chose when it was queued (absent in journals of older versions: the
    /// defaults).
    #[serde(default)]
    pub options: JobOptions,
    pub state: JobState,
    pub session: Option<Session>,
    /// The one-PUT upload's URL, when the job took that path (absent in journals of older
    /// versions: none).
    #[serde(default)]
    pub plain: Option<PlainSession>,
    /// The finalized file's id, once known (so a restart polls instead of uploading again).
    pub file_id: Option<String>,
    /// Bytes the server acknowledged, as last seen.
    pub acknowledged_bytes: u64,
    pub result: Option<JobResult>,
    pub error: Option<JobError>,
    /// Seconds since the Unix epoch.
    pub added_unix: u64,
}

impl Job {
    pub fn mtime(&self) -> Option<SystemTime> {
        self.mtime_unix_nanos.and_then(|n| {
            let secs = u64::try_from(n / 1_000_000_000).ok()?;
            SystemTime::UNIX_EPOCH.checked_add(Duration::new(secs, (n % 1_000_000_000) as u32))
        })
    }
}

impl Job {
    /// The history's record of this job finished with `result` (the site and whether location
    /// removal was on are the caller's to fill in).
    pub fn history_entry(&self, result: &JobResult) -> HistoryEntry {
        HistoryEntry {
            name: result
                .display_name
                .clone()
                .unwrap_or_else(|| self.name.clone()),
            path: self.path.clone(),
            file_id: result.file_id.clone(),
            url: result.url.clone(),
            thumbnail_url: result.thumbnail_url.clone(),
            size_bytes: result.size_bytes.unwrap_or(self.size_bytes),
            mime_type: self.mime_type.clone(),
            verified: result.verified,
            image_size: result.image_size,
            finished_unix: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            origin: self.origin.kind(),
            source_url: self.origin.url().map(str::to_string),
            site: None,
            source_md5: result
                .source_md5
                .clone()
                .or_else(|| result.local_md5.clone()),
            source_size: Some(self.size_bytes),
            location_removed: result.location_removed,
            location_checked: false,
        }
    }
}

/// Nanoseconds since the Unix epoch, for the journal.
pub fn unix_nanos(t: SystemTime) -> Option<u128> {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_nanos())
}

#[cfg(test)]
mod tests {
    use super::JobState::*;

    #[test]
    fn transitions() {
        assert!(Queued.can_become(Uploading));
        assert!(Uploading.can_become(Paused));
        assert!(Paused.can_become(Queued));
        assert!(Failed.can_become(Queued));
        assert!(
            !Done.can_become(Queued),
            "finished uploads are never redone"
        );
        assert!(!Paused.can_become(Done));
        assert!(!Queued.can_become(Queued));
        assert!(Done.is_finished() && Failed.is_finished() && Cancelled.is_finished());
        assert!(Uploading.is_active() && !Paused.is_active());
    }
}
