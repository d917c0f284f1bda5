//! The journal: every job with its upload URL, token and fingerprint, so that uploads survive a
//! restart or a crash. Versioned JSON, replaced atomically (temp file, fsync, rename), mode 0600.
//! The data dir is owned by one process at a time through an OS file lock that dies with the
//! process, so a `kill -9` never leaves a stale lock.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::job::Job;

/// The schema this version writes. 2: the session's URLs in tus words (`endpoint`, `upload_url`;
/// see [`migrate`]). Older journals are read and migrated; newer ones are refused.
const SCHEMA_VERSION: u32 = 2;
const FILE_NAME: &str = "journal.json";
const LOCK_NAME: &str = "wixup.lock";
/// A temporary older than this is no write in progress (a write takes milliseconds), but the
/// leftover of one that a crash cut short.
const STALE_TEMPORARY_AGE: std::time::Duration = std::time::Duration::from_secs(60);

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

/// The file as read: entries stay raw so one that does not parse costs only itself.
#[derive(Deserialize)]
struct OnDisk {
    schema_version: u32,
    next_id: u64,
    jobs: Vec<serde_json::Value>,
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
    /// Set when an unreadable journal, or the entries of it that did not read, were moved aside
    /// (their new file) while the rest loaded.
    pub set_aside: Option<SetAside>,
}

/// What was kept aside when a journal was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAside {
    pub file: PathBuf,
    /// How many entries did not read (`None`: the whole file did not).
    pub entries: Option<usize>,
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
        // Temporaries of writes that a crash cut short (journal, settings, key file).
        crate::fs::remove_stale_temporaries(dir, STALE_TEMPORARY_AGE);
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
                    let mut bad = Vec::new();
                    for raw in d.jobs {
                        match serde_json::from_value::<Job>(migrate(d.schema_version, raw.clone()))
                        {
                            Ok(job) => loaded.jobs.push(job),
                            Err(e) => {
                                tracing::warn!(error = %e, "a journal entry does not read; keeping it aside");
                                bad.push(raw);
                            }
                        }
                    }
                    let max = loaded.jobs.iter().map(|j| j.id.0).max().unwrap_or(0);
                    // Ids of unreadable entries are never reused either.
                    let max_bad = bad
                        .iter()
                        .filter_map(|v| v.get("id").and_then(serde_json::Value::as_u64))
                        .max()
                        .unwrap_or(0);
                    loaded.next_id = d.next_id.max(max.max(max_bad) + 1);
                    if !bad.is_empty() {
                        let aside = aside_name(dir, "entries");
                        let body = serde_json::to_vec_pretty(&bad).map_err(|e| io(e.into()))?;
                        crate::fs::write_atomic(&aside, &body).map_err(io)?;
                        loaded.set_aside = Some(SetAside {
                            file: aside,
                            entries: Some(bad.len()),
                        });
                    }
                }
                Err(e) => {
                    // Never lose it: keep the unreadable file beside the new one.
                    let aside = aside_name(dir, "unreadable");
                    std::fs::rename(&path, &aside).map_err(io)?;
                    tracing::warn!(error = %e, aside = %aside.display(), "journal unreadable; kept aside, starting empty");
                    loaded.set_aside = Some(SetAside {
                        file: aside,
                        entries: None,
                    });
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

    /// The journal's bytes for these jobs (write them with [`crate::fs::write_atomic`]). Each entry is
    /// encoded on its own: one that cannot be (it should never happen) is left out with a
    /// warning and never stops the others from being saved.
    pub fn encode(&self, jobs: &[&Job], next_id: u64) -> std::io::Result<Vec<u8>> {
        #[derive(Serialize)]
        struct Out {
            schema_version: u32,
            next_id: u64,
            jobs: Vec<serde_json::Value>,
        }
        let mut out = Out {
            schema_version: SCHEMA_VERSION,
            next_id,
            jobs: Vec::with_capacity(jobs.len()),
        };
        for job in jobs {
            match serde_json::to_value(job) {
                Ok(v) => out.jobs.push(v),
                Err(e) => {
                    tracing::warn!(id = %job.id, error = %e, "a job cannot be saved in the journal")
                }
            }
        }
        serde_json::to_vec_pretty(&out).map_err(std::io::Error::other)
    }
}

/// Brings one entry written under `schema` up to [`SCHEMA_VERSION`]. Schema 1 named the tus
/// creation endpoint `upload_url` and the tus upload URL `location`; schema 2 calls them
/// `endpoint` and `upload_url`, as tus does. (An entry that still does not read is kept aside as
/// it was on disk.)
fn migrate(schema: u32, mut entry: serde_json::Value) -> serde_json::Value {
    if schema < 2
        && let Some(session) = entry
            .get_mut("session")
            .and_then(serde_json::Value::as_object_mut)
    {
        // In this order: `upload_url` is free again before `location` takes the name.
        if let Some(endpoint) = session.remove("upload_url") {
            session.insert("endpoint".into(), endpoint);
        }
        if let Some(upload_url) = session.remove("location") {
            session.insert("upload_url".into(), upload_url);
        }
    }
    entry
}

/// A new name beside the journal for what could not be read.
fn aside_name(dir: &Path, what: &str) -> PathBuf {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut n = 0;
    loop {
        let name = if n == 0 {
            format!("journal.{what}-{secs}.json")
        } else {
            format!("journal.{what}-{secs}-{n}.json")
        };
        let p = dir.join(name);
        if !p.exists() || n > 1000 {
            return p;
        }
        n += 1;
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::job::{JobState, Session};

    /// An entry exactly as Wixup wrote it under schema 1 (a `wixup upload` stopped mid-file),
    /// only the token shortened.
    const SCHEMA_1: &str = r#"{
  "schema_version": 1,
  "next_id": 2,
  "jobs": [
    {
      "acknowledged_bytes": 524288,
      "added_unix": 1796167841,
      "destination": {
        "folder_id": null,
        "path": null,
        "private": false
      },
      "error": null,
      "file_id": null,
      "id": 1,
      "identity": {
        "ctime_nanos": 1796167841494890633,
        "dev": 65024,
        "ino": 10035246
      },
      "mime_type": "application/octet-stream",
      "mtime_unix_nanos": 1796167841494890633,
      "name": "slow.bin",
      "path": "/tmp/.tmpFmCQHR/slow.bin",
      "result": null,
      "session": {
        "expires_unix": 1796772641,
        "location": "http://127.0.0.1:45273/upload/tus/21b30ff65a3db64d367515931effcbd9",
        "upload_token": "eyJhbGciOiJub25lIn0.e30.85e9c5be",
        "upload_url": "http://127.0.0.1:45273/upload/tus"
      },
      "size_bytes": 2097152,
      "state": "uploading"
    }
  ]
}"#;

    #[test]
    fn a_schema_1_journal_loads_into_the_tus_names_and_is_written_back_in_them() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), SCHEMA_1).unwrap();
        let (journal, loaded) = Journal::open(dir.path()).unwrap();
        assert!(loaded.set_aside.is_none(), "every entry read");
        assert_eq!(loaded.next_id, 2);
        let job = &loaded.jobs[0];
        assert_eq!(job.state, JobState::Uploading);
        assert_eq!(job.acknowledged_bytes, 524_288);
        assert_eq!(
            job.session,
            Some(Session {
                endpoint: "http://127.0.0.1:45273/upload/tus".into(),
                upload_token: "eyJhbGciOiJub25lIn0.e30.85e9c5be".into(),
                upload_url: "http://127.0.0.1:45273/upload/tus/21b30ff65a3db64d367515931effcbd9"
                    .into(),
                expires_unix: Some(1_796_772_641),
                created_unix: None,
            })
        );
        let written: serde_json::Value =
            serde_json::from_slice(&journal.encode(&[job], loaded.next_id).unwrap()).unwrap();
        assert_eq!(written["schema_version"], 2);
        let session = &written["jobs"][0]["session"];
        assert_eq!(session["endpoint"], "http://127.0.0.1:45273/upload/tus");
        assert_eq!(
            session["upload_url"],
            "http://127.0.0.1:45273/upload/tus/21b30ff65a3db64d367515931effcbd9"
        );
        assert!(session.get("location").is_none(), "only the new names");
    }

    #[test]
    fn schema_2_entries_are_read_as_they_are() {
        let dir = tempfile::tempdir().unwrap();
        let schema_2 = SCHEMA_1
            .replace(r#""schema_version": 1"#, r#""schema_version": 2"#)
            .replace(r#""upload_url""#, r#""endpoint""#)
            .replace(r#""location""#, r#""upload_url""#);
        std::fs::write(dir.path().join(FILE_NAME), schema_2).unwrap();
        let (_journal, loaded) = Journal::open(dir.path()).unwrap();
        let session = loaded.jobs[0].session.clone().unwrap();
        assert_eq!(session.endpoint, "http://127.0.0.1:45273/upload/tus");
        assert!(
            session
                .upload_url
                .ends_with("/21b30ff65a3db64d367515931effcbd9")
        );
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let schema_3 = SCHEMA_1.replace(r#""schema_version": 1"#, r#""schema_version": 3"#);
        std::fs::write(dir.path().join(FILE_NAME), schema_3).unwrap();
        assert!(matches!(
            Journal::open(dir.path()),
            Err(JournalError::TooNew { found: 3, .. })
        ));
    }
}
