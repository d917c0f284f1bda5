//! Already on the site: a file whose size, name and MD5 match a finished upload to the same site
//! (in the history), and that get-file-by-id still finds there, is not sent again.
//!
//! Only files whose size and name match an entry are hashed (off the actor, a few at a time);
//! every other file starts at once.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use md5::Digest as _;
use tokio::sync::Semaphore;

use super::history::HistoryEntry;
use super::job::{AlreadyThere, JobResult, OriginKind};
use crate::wix_media::WixMediaClient;

/// The answer of one check: the earlier upload's result, or `None` (upload it).
pub(super) struct Checked {
    pub(super) id: super::job::JobId,
    pub(super) found: Option<JobResult>,
}

/// Files hashed at once.
const HASHING_AT_ONCE: usize = 2;

/// This site's finished uploads, by size.
pub(super) struct Index {
    site: String,
    /// Location removal is on: an upload sent with its location does not count; off: one sent
    /// without it does not.
    private: bool,
    by_size: HashMap<u64, Vec<HistoryEntry>>,
    hashing: Arc<Semaphore>,
    hashed: Arc<AtomicU64>,
}

impl Index {
    /// From the history (newest first), keeping this site's uploads with an MD5.
    pub(super) fn new(
        site: String,
        private: bool,
        entries: Vec<HistoryEntry>,
        hashed: Arc<AtomicU64>,
    ) -> Self {
        let mut index = Self {
            site,
            private,
            by_size: HashMap::new(),
            hashing: Arc::new(Semaphore::new(HASHING_AT_ONCE)),
            hashed,
        };
        // Oldest first, so that `add` keeps the newest in front.
        for e in entries.into_iter().rev() {
            index.add(e);
        }
        index
    }

    /// A finished upload (ignored unless it is this site's, uploaded, with an MD5, and, while
    /// locations are removed, an image sent with that setting on; while they are kept, one sent
    /// with its location: the site's copy of a photo sent without it lacks what is asked for).
    pub(super) fn add(&mut self, e: HistoryEntry) {
        if e.site.as_deref() != Some(self.site.as_str())
            || e.origin != OriginKind::Upload
            || e.source_md5.is_none()
            || (self.private && !e.location_checked && e.mime_type.starts_with("image/"))
            || (!self.private && e.location_removed)
        {
            return;
        }
        let size = e.source_size.unwrap_or(e.size_bytes);
        self.by_size.entry(size).or_default().insert(0, e);
    }

    /// Earlier uploads with this size and name, newest first: worth hashing the file for.
    pub(super) fn candidates(&self, size: u64, name: &str) -> Vec<HistoryEntry> {
        self.by_size
            .get(&size)
            .map(|v| v.iter().filter(|e| e.name == name).cloned().collect())
            .unwrap_or_default()
    }

    /// What checking a file needs, for a task off the actor.
    pub(super) fn checker(&self) -> Checker {
        Checker {
            hashing: self.hashing.clone(),
            hashed: self.hashed.clone(),
        }
    }
}

pub(super) struct Checker {
    hashing: Arc<Semaphore>,
    hashed: Arc<AtomicU64>,
}

impl Checker {
    /// The earlier upload's result when the file's MD5 matches one of `candidates` and the
    /// file is still on the site; `None`: upload it (no match, gone, or it cannot be told).
    pub(super) async fn find(
        self,
        path: PathBuf,
        candidates: Vec<HistoryEntry>,
        wix: &WixMediaClient,
    ) -> Option<JobResult> {
        let md5 = {
            let _permit = self.hashing.acquire_owned().await.ok()?;
            self.hashed.fetch_add(1, Ordering::Relaxed);
            tokio::task::spawn_blocking(move || md5_of(&path))
                .await
                .ok()?
                .ok()?
        };
        for entry in candidates {
            if !entry
                .source_md5
                .as_deref()
                .is_some_and(|h| h.eq_ignore_ascii_case(&md5))
            {
                continue;
            }
            match wix.get_file(&entry.file_id).await {
                Ok(d) if d.is_ready() => return Some(result_of(&entry, &md5, d.url)),
                Ok(_) => {}
                Err(e) => tracing::debug!(error = %e, "an earlier upload is not on the site"),
            }
        }
        None
    }
}

fn result_of(e: &HistoryEntry, md5: &str, url: Option<String>) -> JobResult {
    JobResult {
        file_id: e.file_id.clone(),
        url: url.or_else(|| e.url.clone()),
        thumbnail_url: e.thumbnail_url.clone(),
        display_name: Some(e.name.clone()),
        size_bytes: Some(e.size_bytes),
        hash: None,
        local_md5: Some(md5.to_string()),
        verified: e.verified,
        media_type: None,
        image_size: e.image_size,
        origin: OriginKind::Upload,
        source_md5: None,
        location_removed: e.location_removed,
        already: Some(AlreadyThere {
            uploaded_unix: e.finished_unix,
        }),
    }
}

fn md5_of(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = md5::Md5::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}
