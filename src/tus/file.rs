//! What an upload reads and who watches it: the local file with its identity, and the progress
//! observer.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use super::error::Error;
use crate::file_stream::{Observer, Redactions};

/// Which file a path named, beyond its size and modification time: a file renamed over
/// another (a new inode), or edited with its time put back (a new change time), is another file
/// even when its size and mtime match. Unix only; elsewhere `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileIdentity {
    pub dev: u64,
    pub ino: u64,
    /// Status change time (`st_ctime`), in nanoseconds since the Unix epoch.
    pub ctime_nanos: i128,
}

impl FileIdentity {
    #[cfg(unix)]
    pub fn of(meta: &std::fs::Metadata) -> Option<Self> {
        use std::os::unix::fs::MetadataExt as _;
        Some(Self {
            dev: meta.dev(),
            ino: meta.ino(),
            ctime_nanos: i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec()),
        })
    }

    #[cfg(not(unix))]
    pub fn of(_meta: &std::fs::Metadata) -> Option<Self> {
        None
    }
}

/// The local file behind an upload, with the identity it had when the upload began.
#[derive(Debug, Clone)]
pub struct FileSource {
    pub path: PathBuf,
    pub len: u64,
    /// Modification time when queued; a change means the file was edited mid-upload.
    pub mtime: Option<SystemTime>,
    /// Device, inode and change time when queued (`None`: not known, not checked).
    pub identity: Option<FileIdentity>,
    /// Same-length overwrites every read of it applies (a location taken out); none by default.
    pub redactions: Redactions,
}

impl FileSource {
    /// Reads the identity of a file on disk.
    pub fn open(path: impl Into<PathBuf>) -> std::io::Result<Self> {
        let path = path.into();
        let meta = std::fs::metadata(&path)?;
        if !meta.is_file() {
            return Err(std::io::Error::other("not a regular file"));
        }
        Ok(Self {
            len: meta.len(),
            mtime: meta.modified().ok(),
            identity: FileIdentity::of(&meta),
            redactions: Redactions::none(),
            path,
        })
    }

    /// The same file, its reads overwritten by `redactions`.
    pub fn redacted(mut self, redactions: Redactions) -> Self {
        self.redactions = redactions;
        self
    }

    /// Fails with [`Error::Io`] (permission denied, not found) when the file cannot be opened
    /// for reading now.
    pub async fn check_readable(&self) -> Result<(), Error> {
        tokio::fs::File::open(&self.path).await?;
        Ok(())
    }

    /// Fails with [`Error::FileChanged`] when the size, modification time or identity moved:
    /// the file was edited, or another file took its name.
    pub async fn check_unchanged(&self) -> Result<(), Error> {
        let meta = tokio::fs::metadata(&self.path).await?;
        if !self.is(&meta) {
            return Err(Error::FileChanged);
        }
        Ok(())
    }

    /// Whether `meta` (of the path, or of a file opened from it) is this file as it was when
    /// queued: the same size, modification time and identity.
    pub fn is(&self, meta: &std::fs::Metadata) -> bool {
        meta.len() == self.len
            && (self.mtime.is_none() || meta.modified().ok() == self.mtime)
            && (self.identity.is_none() || FileIdentity::of(meta) == self.identity)
    }
}

/// Observes an upload: the bytes as they stream ([`Observer`]), and what the server confirmed.
/// Every method has an empty default.
pub trait Progress: Observer {
    /// The server acknowledged bytes up to `offset`. It grows within one `upload` call; when a
    /// gone upload is created anew, the offsets reported start over from 0.
    fn acknowledged(&self, _offset: u64) {}
    /// A transient failure; the client will retry after `delay`.
    fn retrying(&self, _error: &Error, _attempt: usize, _delay: Duration) {}
}

/// A [`Progress`] that ignores everything.
pub struct NoProgress;
impl Observer for NoProgress {}
impl Progress for NoProgress {}
