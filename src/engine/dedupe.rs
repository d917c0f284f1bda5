//! Already on the site: a file whose size, name and MD5 match a finished upload to the same site
//! (the history's [`Index`]), and that get-file-by-id still finds there, is not sent again.
//!
//! Only files whose size and name match an entry are hashed (off the actor, a few at a time);
//! every other file starts at once.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Semaphore;

use super::job::{AlreadyThere, JobId, JobResult, OriginKind};
use crate::history::{HistoryEntry, Index};
use crate::wix_media::WixMediaClient;

/// The answer of one check: the earlier upload's result, or `None` (upload it).
pub(super) struct Checked {
    pub(super) id: JobId,
    /// Which check of the job this answers.
    pub(super) seq: u64,
    pub(super) found: Option<JobResult>,
}

/// Files hashed at once.
const HASHING_AT_ONCE: usize = 2;

/// This site's finished uploads, and what checking a file against them needs.
pub(super) struct Dedupe {
    pub(super) index: Index,
    hashing: Arc<Semaphore>,
    hashed: Arc<AtomicU64>,
}

impl Dedupe {
    pub(super) fn new(index: Index, hashed: Arc<AtomicU64>) -> Self {
        Self {
            index,
            hashing: Arc::new(Semaphore::new(HASHING_AT_ONCE)),
            hashed,
        }
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
        if candidates.is_empty() {
            return None; // none confirmed when their lines were read: nothing to hash for
        }
        let md5 = {
            let _permit = self.hashing.acquire_owned().await.ok()?;
            self.hashed.fetch_add(1, Ordering::Relaxed);
            tokio::task::spawn_blocking(move || crate::fs::md5_hex(&path))
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
