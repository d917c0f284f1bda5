//! Location stays private: a photo or a video that carries a location is sent with it taken out
//! by same-length overwrites applied as its bytes are read (`crate::metadata` finds them): the
//! file on disk is never modified, nothing is copied, and a resumed upload sends the same bytes
//! again. What a file is comes from its first bytes, never its name. Copies that versions before
//! this one staged in `<data_dir>/staged/` are still finished from, and swept once done.

use std::path::{Path, PathBuf};

use tokio_util::sync::CancellationToken;

use crate::engine::describe::failed;
use crate::engine::job::JobId;
use crate::engine::report::Stop;
use crate::metadata;
use crate::tus::FileSource;

/// The extensions of the copies older versions staged.
const LEGACY_EXTENSIONS: [&str; 3] = ["jpg", "png", "webp"];

/// What staging gave the worker: the source to send, and what the row and history show.
pub(super) struct Staged {
    /// The bytes to send: the original with its overwrites, or an older version's copy.
    pub source: FileSource,
    /// Whether a location was taken out.
    pub location_removed: bool,
    /// MD5 of the original file on disk, when what is sent differs from it.
    pub source_md5: Option<String>,
    /// The source is a copy an older version staged.
    pub from_copy: bool,
}

impl Staged {
    /// Whether a location went, and the original's MD5.
    pub(super) fn clone_flags(&self) -> (bool, Option<String>) {
        (self.location_removed, self.source_md5.clone())
    }
}

/// What a file already made (its id journaled, READY not seen yet, after a restart) was sent as:
/// an older version's staged copy, or the file with the overwrites found again; `None`: the
/// file as it is.
pub(super) async fn sent_as(
    data_dir: &Path,
    id: JobId,
    source: &FileSource,
    remove_location: bool,
) -> Option<Staged> {
    match made_from_copy(data_dir, id, &source.path).await {
        Some(s) => Some(s),
        None if remove_location => made_redacted(source).await,
        None => None,
    }
}

/// Where an older version's copy of a job lives.
fn staged_path(data_dir: &Path, id: JobId, ext: &str) -> PathBuf {
    data_dir.join("staged").join(format!("{id}.{ext}"))
}

/// Decides what the worker sends for `original`. `resuming`: a session exists, so a copy an
/// older version staged is sent as it is (the server holds a prefix of it). Finding the
/// location reads the file's structure on the blocking pool; a cancel does not wait for it.
pub(super) async fn stage(
    data_dir: &Path,
    id: JobId,
    original: FileSource,
    resuming: bool,
    cancel: &CancellationToken,
) -> Result<Staged, Stop> {
    if resuming && let Some(copy) = made_from_copy(data_dir, id, &original.path).await {
        return Ok(copy);
    }
    let name = crate::text::printable(&original.path.display().to_string()).to_string();
    let path = original.path.clone();
    let found = tokio::task::spawn_blocking(move || -> Result<_, String> {
        let (_, redactions) = metadata::location_redactions(&path)?;
        // History knows a file by its own MD5 when what is sent differs from it.
        let md5 = if redactions.is_empty() {
            None
        } else {
            Some(crate::fs::md5_hex(&path).map_err(|e| format!("it could not be read: {e}"))?)
        };
        Ok((redactions, md5))
    });
    let found = tokio::select! {
        r = found => r.map_err(|e| failed("internal: staging stopped", &e.to_string()))?,
        _ = cancel.cancelled() => return Err(Stop::Interrupted),
    };
    let (redactions, source_md5) = found.map_err(|why| {
        failed(
            &format!(
                "Could not remove the location from {name} ({why}); it was not sent. To send it \
                 with its location, turn off \"Remove location from photos and videos\" in \
                 Settings and add the file again; Retry keeps the choice it was queued with."
            ),
            "location removal failed",
        )
    })?;
    Ok(Staged {
        location_removed: !redactions.is_empty(),
        source: original.redacted(redactions),
        source_md5,
        from_copy: false,
    })
}

/// The overwrites a file made (its id known, READY not seen yet, after a restart) was sent
/// with, found again, so its MD5 is compared with the bytes sent. `None` when there are none,
/// or they cannot be found.
async fn made_redacted(original: &FileSource) -> Option<Staged> {
    let path = original.path.clone();
    let found = tokio::task::spawn_blocking(move || {
        let (_, r) = metadata::location_redactions(&path).ok()?;
        let md5 = if r.is_empty() {
            None
        } else {
            crate::fs::md5_hex(&path).ok()
        };
        Some((r, md5))
    })
    .await
    .ok()??;
    let (redactions, source_md5) = found;
    if redactions.is_empty() {
        return None;
    }
    Some(Staged {
        source: original.clone().redacted(redactions),
        location_removed: true,
        source_md5,
        from_copy: false,
    })
}

/// A job's copy staged by an older version, if it has one.
async fn staged_copy(data_dir: &Path, id: JobId) -> Option<PathBuf> {
    for ext in LEGACY_EXTENSIONS {
        let path = staged_path(data_dir, id, ext);
        if tokio::fs::try_exists(&path).await.unwrap_or(false) {
            return Some(path);
        }
    }
    None
}

/// What a file sent from an older version's staged copy was sent as: the copy, and the
/// original's MD5. `None` when it has no copy, or it cannot be read.
async fn made_from_copy(data_dir: &Path, id: JobId, original: &Path) -> Option<Staged> {
    let copy = staged_copy(data_dir, id).await?;
    let original = original.to_path_buf();
    tokio::task::spawn_blocking(move || {
        Some(Staged {
            source: FileSource::open(&copy).ok()?,
            location_removed: true,
            source_md5: crate::fs::md5_hex(&original).ok(),
            from_copy: true,
        })
    })
    .await
    .ok()?
}

/// Deletes a job's staged copy, if any.
pub(crate) fn remove_staged(data_dir: &Path, id: JobId) {
    for ext in LEGACY_EXTENSIONS {
        let _ = std::fs::remove_file(staged_path(data_dir, id, ext));
    }
}

/// Deletes every staged copy no job will send: that of a job `keep` does not name (not in the
/// journal, or finished) and any leftover of a write cut short. Run at start, before any
/// worker stages.
pub(crate) fn sweep_staged(data_dir: &Path, keep: impl Fn(JobId) -> bool) {
    let Ok(dir) = std::fs::read_dir(data_dir.join("staged")) else {
        return;
    };
    for entry in dir.flatten() {
        let path = entry.path();
        let id = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix('#'))
            .and_then(|n| n.split_once('.'))
            .filter(|(_, ext)| LEGACY_EXTENSIONS.contains(ext))
            .and_then(|(n, _)| n.parse().ok())
            .map(JobId);
        if !id.is_some_and(&keep)
            && let Err(e) = std::fs::remove_file(&path)
        {
            tracing::debug!(error = %e, "cannot delete a staged copy left behind");
        }
    }
}
