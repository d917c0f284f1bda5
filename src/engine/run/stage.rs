//! Location stays private: a photo that carries GPS tags is sent from a copy without them
//! (`crate::metadata` makes it), staged in `<data_dir>/staged/` and kept as long as its upload
//! may need it. The file on disk is never modified; files without GPS are sent from the
//! original, unchanged. What a file is comes from its first bytes, never its name.

use std::path::{Path, PathBuf};

use md5::Digest as _;

use crate::engine::describe::failed;
use crate::engine::job::JobId;
use crate::engine::report::Stop;
use crate::metadata::{self, Kind};
use crate::tus::FileSource;

/// What staging gave the worker: the source to send, and what the row and history show.
pub(super) struct Staged {
    /// The bytes to send: the stripped copy, or the original.
    pub source: FileSource,
    /// Whether GPS tags were removed (the source is the copy).
    pub location_removed: bool,
    /// MD5 of the original file on disk.
    pub source_md5: Option<String>,
}

/// Where the stripped copy of a job lives.
pub(super) fn staged_path(data_dir: &Path, id: JobId, ext: &str) -> PathBuf {
    data_dir.join("staged").join(format!("{id}.{ext}"))
}

/// Decides what the worker sends for `original`. `resuming`: a session exists, so a copy staged
/// before is reused as it is (the same bytes the server already has).
pub(super) async fn stage(
    data_dir: &Path,
    id: JobId,
    original: FileSource,
    resuming: bool,
) -> Result<Staged, Stop> {
    let data_dir = data_dir.to_path_buf();
    let name = crate::text::printable(&original.path.display().to_string()).to_string();
    let path = original.path.clone();
    let job = tokio::task::spawn_blocking(move || -> Result<Staged, String> {
        let head = metadata::read_head(&path).map_err(|e| format!("it could not be read: {e}"))?;
        let as_it_is = |source| {
            Ok(Staged {
                source,
                location_removed: false,
                source_md5: None,
            })
        };
        // What the bytes are, not what the name says: a file that is no JPEG, PNG or WebP has
        // none of their metadata to remove (the site judges it like any other file).
        let Some(kind) = metadata::sniff(&head) else {
            return as_it_is(original);
        };
        let copy = staged_path(&data_dir, id, kind.extension());
        let bytes = std::fs::read(&path).map_err(|e| format!("it could not be read: {e}"))?;
        let md5 = hex::encode(md5::Md5::digest(&bytes));
        let stripped = metadata::strip_gps(&bytes, kind)?;
        let Some(stripped) = stripped else {
            let _ = std::fs::remove_file(&copy);
            return Ok(Staged {
                source: original,
                location_removed: false,
                source_md5: Some(md5),
            });
        };
        let reuse = resuming && std::fs::read(&copy).is_ok_and(|old| old == stripped);
        if !reuse {
            if let Some(dir) = copy.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("its copy could not be staged: {e}"))?;
            }
            crate::fs::write_atomic(&copy, &stripped)
                .map_err(|e| format!("its copy could not be staged: {e}"))?;
        }
        let source = FileSource::open(&copy)
            .map_err(|e| format!("its staged copy could not be opened: {e}"))?;
        Ok(Staged {
            source,
            location_removed: true,
            source_md5: Some(md5),
        })
    })
    .await
    .map_err(|e| failed("internal: staging stopped", &e.to_string()))?;
    job.map_err(|why| {
        failed(
            &format!(
                "Could not remove the location from {name} ({why}); it was not sent. To send it \
                 with its location, turn off \"Remove location from photos\" in Settings and add \
                 the file again (wixup upload --keep-location on the command line); Retry keeps \
                 the choice it was queued with."
            ),
            "location stripping failed",
        )
    })
}

/// Whether a job has a staged copy (an upload begun from it continues from it).
pub(super) async fn has_staged(data_dir: &Path, id: JobId) -> bool {
    staged_copy(data_dir, id).await.is_some()
}

/// A job's staged copy, if it has one.
pub(super) async fn staged_copy(data_dir: &Path, id: JobId) -> Option<PathBuf> {
    for ext in Kind::EXTENSIONS {
        let path = staged_path(data_dir, id, ext);
        if tokio::fs::try_exists(&path).await.unwrap_or(false) {
            return Some(path);
        }
    }
    None
}

/// What a file made from a staged copy was sent as (its id known, READY not seen yet, after a
/// restart): the copy, and the original's MD5. `None` when it has no copy, or it cannot be read.
pub(super) async fn made_from_copy(data_dir: &Path, id: JobId, original: &Path) -> Option<Staged> {
    let copy = staged_copy(data_dir, id).await?;
    let original = original.to_path_buf();
    tokio::task::spawn_blocking(move || {
        Some(Staged {
            source: FileSource::open(&copy).ok()?,
            location_removed: true,
            source_md5: crate::fs::md5_hex(&original).ok(),
        })
    })
    .await
    .ok()?
}

/// Deletes a job's staged copy, if any.
pub(crate) fn remove_staged(data_dir: &Path, id: JobId) {
    for ext in Kind::EXTENSIONS {
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
            .filter(|(_, ext)| Kind::EXTENSIONS.contains(ext))
            .and_then(|(n, _)| n.parse().ok())
            .map(JobId);
        if !id.is_some_and(&keep)
            && let Err(e) = std::fs::remove_file(&path)
        {
            tracing::debug!(error = %e, "cannot delete a staged copy left behind");
        }
    }
}
