//! One file (or link) in the queue as the engine and the journal know it: where it comes from,
//! where it goes, what the person chose for it, and how far it got.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::result::{JobError, JobResult};
use super::session::{PlainSession, Session};
use super::state::{JobId, JobState};
use crate::history::{HistoryEntry, OriginKind};

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
    /// "Remove location from photos and videos": a photo or video with a location is sent with it taken out.
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
    /// Boxed, as are the other parts most queued jobs lack: a job waiting in a queue of
    /// thousands costs its path, name and choices, not the room of URLs it has not got.
    pub session: Option<Box<Session>>,
    /// The one-PUT upload's URL, when the job took that path (absent in journals of older
    /// versions: none).
    #[serde(default)]
    pub plain: Option<Box<PlainSession>>,
    /// The finalized file's id, once known (so a restart polls instead of uploading again).
    pub file_id: Option<String>,
    /// Bytes the server acknowledged, as last seen.
    pub acknowledged_bytes: u64,
    pub result: Option<Box<JobResult>>,
    pub error: Option<Box<JobError>>,
    /// Seconds since the Unix epoch.
    pub added_unix: u64,
}

impl Job {
    /// A job queued now, with nothing sent and nothing known of its file yet (a file's caller
    /// fills in its size and fingerprint).
    pub fn queued(
        id: JobId,
        origin: Origin,
        path: PathBuf,
        name: String,
        mime_type: String,
        destination: Destination,
        options: JobOptions,
    ) -> Job {
        Job {
            id,
            origin,
            path,
            name,
            mime_type,
            size_bytes: 0,
            mtime_unix_nanos: None,
            identity: None,
            destination,
            options,
            state: JobState::Queued,
            session: None,
            plain: None,
            file_id: None,
            acknowledged_bytes: 0,
            result: None,
            error: None,
            added_unix: crate::clock::unix_now(),
        }
    }

    /// The same file queued anew under `id`: its choices kept, everything sent forgotten.
    pub fn again(&self, id: JobId) -> Job {
        let mut job = Job::queued(
            id,
            self.origin.clone(),
            self.path.clone(),
            self.name.clone(),
            self.mime_type.clone(),
            self.destination.clone(),
            self.options,
        );
        job.size_bytes = self.size_bytes;
        job.mtime_unix_nanos = self.mtime_unix_nanos;
        job.identity = self.identity;
        job
    }

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
            finished_unix: crate::clock::unix_now(),
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
            location_rules: 0,
        }
    }
}
