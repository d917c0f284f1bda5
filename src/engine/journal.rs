//! The journal: every job with its upload URL, token and fingerprint, so that uploads survive a
//! restart or a crash. Versioned JSON, replaced atomically (temp file, fsync, rename), mode 0600.
//! The data dir is owned by one process at a time through an OS file lock that dies with the
//! process, so a `kill -9` never leaves a stale lock.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::job::Job;

pub const SCHEMA_VERSION: u32 = 1;
const FILE_NAME: &str = "journal.json";
const LOCK_NAME: &str = "wixup.lock";

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error(
        "another Wixup (process {pid}) is using the data dir {}; close it or set WIXUP_DATA_DIR to another folder",
        .dir.display()
    )]
    Locked { dir: PathBuf, pid: String },
    #[error("cannot use the data dir {}: {source}", .dir.display())]
    Io {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the journal {} was written by a newer Wixup (schema {found}); update Wixup",
        .path.display()
    )]
    TooNew { path: PathBuf, found: u32 },
}

#[derive(Serialize, Deserialize)]
struct OnDisk {
    schema_version: u32,
    next_id: u64,
    jobs: Vec<Job>,
}

/// The journal of one data dir, held with its lock.
pub struct Journal {
    path: PathBuf,
    /// Holding the file keeps the OS lock; the OS drops it when the process ends.
    _lock: File,
}

/// What a journal held when it was opened.
pub struct Loaded {
    pub jobs: Vec<Job>,
    pub next_id: u64,
    /// Set when an unreadable journal was moved aside (its new name) and an empty one started.
    pub set_aside: Option<PathBuf>,
}

impl Journal {
    /// Locks the data dir and reads its journal.
    pub fn open(dir: &Path) -> Result<(Journal, Loaded), JournalError> {
        let io = |source| JournalError::Io {
            dir: dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let lock = lock_dir(dir)?;
        let path = dir.join(FILE_NAME);
        let mut loaded = Loaded {
            jobs: Vec::new(),
            next_id: 1,
            set_aside: None,
        };
        match std::fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice::<OnDisk>(&bytes) {
                Ok(d) if d.schema_version > SCHEMA_VERSION => {
                    return Err(JournalError::TooNew {
                        path,
                        found: d.schema_version,
                    });
                }
                Ok(d) => {
                    let max = d.jobs.iter().map(|j| j.id.0).max().unwrap_or(0);
                    loaded.next_id = d.next_id.max(max + 1);
                    loaded.jobs = d.jobs;
                }
                Err(e) => {
                    // Never lose it: keep the unreadable file beside the new one.
                    let aside = dir.join(format!(
                        "journal.unreadable-{}.json",
                        std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .map(|d| d.as_secs())
                            .unwrap_or(0)
                    ));
                    std::fs::rename(&path, &aside).map_err(io)?;
                    tracing::warn!(error = %e, aside = %aside.display(), "journal unreadable; kept aside, starting empty");
                    loaded.set_aside = Some(aside);
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        Ok((Journal { path, _lock: lock }, loaded))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The journal's bytes for these jobs (write them with [`write_atomic`]).
    pub fn encode(&self, jobs: &[&Job], next_id: u64) -> std::io::Result<Vec<u8>> {
        #[derive(Serialize)]
        struct Out<'a> {
            schema_version: u32,
            next_id: u64,
            jobs: &'a [&'a Job],
        }
        serde_json::to_vec_pretty(&Out {
            schema_version: SCHEMA_VERSION,
            next_id,
            jobs,
        })
        .map_err(std::io::Error::other)
    }
}

/// Writes `bytes` to `path` through a temp file, fsync and rename, with mode 0600.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("json.tmp");
    {
        let mut opts = OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    if let Some(parent) = path.parent()
        && let Ok(d) = File::open(parent)
    {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Takes the data dir's OS lock, or says who holds it.
fn lock_dir(dir: &Path) -> Result<File, JournalError> {
    let path = dir.join(LOCK_NAME);
    let io = |source| JournalError::Io {
        dir: dir.to_path_buf(),
        source,
    };
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    match f.try_lock() {
        Ok(()) => {
            f.set_len(0).map_err(io)?;
            f.write_all(std::process::id().to_string().as_bytes())
                .map_err(io)?;
            Ok(f)
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = f.read_to_string(&mut pid);
            Err(JournalError::Locked {
                dir: dir.to_path_buf(),
                pid: if pid.trim().is_empty() {
                    "unknown".into()
                } else {
                    pid.trim().to_string()
                },
            })
        }
        Err(std::fs::TryLockError::Error(e)) => Err(io(e)),
    }
}
