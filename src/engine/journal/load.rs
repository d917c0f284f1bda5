//! Reading a data dir's journal: replaying the log, or reading the `journal.json` of earlier
//! releases; what does not read is kept aside, never lost.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::error::JournalError;
use super::record::{
    FILE_NAME, Header, LEGACY_NAME, LEGACY_SCHEMA, LegacyFile, Record, SCHEMA_VERSION, decode,
    entry_to_record,
};
use crate::engine::job::{Job, JobId};

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

/// The log as found, when it can be appended to as it is.
pub(super) struct Lines {
    /// Bytes of whole lines.
    pub(super) len: u64,
    pub(super) header_len: u64,
    /// Where each live job's latest record is: offset and length, newline included.
    pub(super) at: BTreeMap<JobId, (u64, u64)>,
}

/// What opening a data dir found.
pub(super) struct Found {
    pub(super) loaded: Loaded,
    /// `None`: the log must be written anew from `loaded` (none yet, migrated, torn, or with
    /// records set aside).
    pub(super) log: Option<Lines>,
    /// An old `journal.json` to remove once the log holds what it held.
    pub(super) legacy: Option<PathBuf>,
}

pub(super) fn read(dir: &Path) -> Result<Found, JournalError> {
    let io = |source| JournalError::Io {
        dir: dir.to_path_buf(),
        source,
    };
    let path = dir.join(FILE_NAME);
    let legacy = dir.join(LEGACY_NAME);
    // Reading a FIFO would wait, unkillable by Ctrl+C, for a writer that never comes.
    for p in [&path, &legacy] {
        not_a_file(p)?;
    }
    let mut found = match std::fs::read(&path) {
        // A crash between writing the log and removing `journal.json`: the log has it all.
        Ok(bytes) => read_log(dir, &path, &bytes)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => match std::fs::read(&legacy) {
            Ok(bytes) => read_legacy(dir, &legacy, &bytes)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Found {
                loaded: Table::default().finish(dir, 1)?,
                log: None,
                legacy: None,
            },
            Err(e) => return Err(io(e)),
        },
        Err(e) => return Err(io(e)),
    };
    if legacy.exists() {
        found.legacy = Some(legacy);
    }
    Ok(found)
}

fn read_log(dir: &Path, path: &Path, bytes: &[u8]) -> Result<Found, JournalError> {
    let header_end = bytes.iter().position(|&b| b == b'\n');
    let header = header_end.and_then(|end| serde_json::from_slice::<Header>(&bytes[..end]).ok());
    let (Some(header), Some(header_end)) = (header, header_end) else {
        return unreadable(dir, path, "jsonl", &"no header line");
    };
    if header.schema_version > SCHEMA_VERSION {
        return Err(JournalError::TooNew {
            path: path.to_path_buf(),
            found: header.schema_version,
        });
    }
    let header_len = header_end as u64 + 1;
    let mut table = Table::default();
    let mut at = BTreeMap::new();
    let mut clean = true;
    let mut start = header_end + 1;
    while start < bytes.len() {
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|n| start + n);
        let line = &bytes[start..end.unwrap_or(bytes.len())];
        let last = end.is_none_or(|e| e + 1 >= bytes.len());
        let next = end.map_or(bytes.len(), |e| e + 1);
        if line.iter().all(u8::is_ascii_whitespace) {
            start = next;
            continue;
        }
        match decode(header.schema_version, line) {
            _ if end.is_none() => {
                tracing::warn!(
                    bytes = line.len(),
                    "the journal's last record was cut short (the process stopped mid-write); dropped"
                );
                clean = false;
            }
            Err(e) if last => {
                tracing::warn!(error = %e, "the journal's last record does not read (cut short?); dropped");
                clean = false;
            }
            Err(e) => {
                tracing::warn!(error = %e, "a journal record is not JSON; keeping it aside");
                table
                    .loose
                    .push(String::from_utf8_lossy(line).into_owned().into());
                clean = false;
            }
            Ok(record) => {
                match &record {
                    Record::Put(job) => {
                        at.insert(job.id, (start as u64, (next - start) as u64));
                    }
                    Record::Removed(id) => {
                        at.remove(id);
                    }
                    Record::Unknown { id, .. } => {
                        if let Some(id) = id {
                            at.remove(&JobId(*id));
                        }
                        clean = false;
                    }
                }
                table.apply(record);
            }
        }
        start = next;
    }
    let loaded = table.finish(dir, header.next_id)?;
    Ok(Found {
        log: clean.then_some(Lines {
            len: bytes.len() as u64,
            header_len,
            at,
        }),
        loaded,
        legacy: None,
    })
}

/// `journal.json` of schema 1 or 2, migrated; the log is written from it.
fn read_legacy(dir: &Path, path: &Path, bytes: &[u8]) -> Result<Found, JournalError> {
    let file = match serde_json::from_slice::<LegacyFile>(bytes) {
        Ok(f) => f,
        Err(e) => return unreadable(dir, path, "json", &e),
    };
    if file.schema_version > LEGACY_SCHEMA {
        return Err(JournalError::TooNew {
            path: path.to_path_buf(),
            found: file.schema_version,
        });
    }
    let mut table = Table::default();
    for raw in file.jobs {
        table.apply(entry_to_record(file.schema_version, raw));
    }
    Ok(Found {
        loaded: table.finish(dir, file.next_id)?,
        log: None,
        legacy: None,
    })
}

/// Refuses something in the journal's place that is not a regular file (a FIFO, a folder).
pub(super) fn not_a_file(path: &Path) -> Result<(), JournalError> {
    match crate::fs::not_regular(path) {
        Some(what) => Err(JournalError::NotAFile {
            path: path.to_path_buf(),
            what,
        }),
        None => Ok(()),
    }
}

/// Never lose it: keeps the unreadable file beside the new one, and starts empty.
fn unreadable(
    dir: &Path,
    path: &Path,
    ext: &str,
    why: &dyn std::fmt::Display,
) -> Result<Found, JournalError> {
    let aside = aside_name(dir, "unreadable", ext);
    std::fs::rename(path, &aside).map_err(|source| JournalError::Io {
        dir: dir.to_path_buf(),
        source,
    })?;
    tracing::warn!(error = %why, aside = %aside.display(), "journal unreadable; kept aside, starting empty");
    let mut loaded = Table::default().finish(dir, 1)?;
    loaded.set_aside = Some(SetAside {
        file: aside,
        entries: None,
    });
    Ok(Found {
        loaded,
        log: None,
        legacy: None,
    })
}

/// The table as the records so far make it.
#[derive(Default)]
struct Table {
    good: BTreeMap<JobId, Job>,
    /// Jobs whose latest record does not read, as it was on disk.
    bad: BTreeMap<u64, serde_json::Value>,
    /// Records that do not even name their job.
    loose: Vec<serde_json::Value>,
    max_id: u64,
}

impl Table {
    fn apply(&mut self, record: Record) {
        match record {
            Record::Put(job) => {
                self.max_id = self.max_id.max(job.id.0);
                self.bad.remove(&job.id.0);
                self.good.insert(job.id, *job);
            }
            Record::Removed(id) => {
                self.max_id = self.max_id.max(id.0);
                self.bad.remove(&id.0);
                self.good.remove(&id);
            }
            Record::Unknown { id: Some(id), raw } => {
                self.max_id = self.max_id.max(id);
                self.good.remove(&JobId(id));
                self.bad.insert(id, raw);
            }
            Record::Unknown { id: None, raw } => self.loose.push(raw),
        }
    }

    /// The loaded jobs; what did not read is written aside.
    fn finish(self, dir: &Path, next_id: u64) -> Result<Loaded, JournalError> {
        let io = |source| JournalError::Io {
            dir: dir.to_path_buf(),
            source,
        };
        // Ids of unreadable entries are never reused either.
        let next_id = next_id.max(self.max_id + 1);
        let bad: Vec<serde_json::Value> = self.bad.into_values().chain(self.loose).collect();
        let mut set_aside = None;
        if !bad.is_empty() {
            let aside = aside_name(dir, "entries", "json");
            let body = serde_json::to_vec_pretty(&bad).map_err(|e| io(e.into()))?;
            crate::fs::write_atomic(&aside, &body).map_err(io)?;
            set_aside = Some(SetAside {
                file: aside,
                entries: Some(bad.len()),
            });
        }
        Ok(Loaded {
            jobs: self.good.into_values().collect(),
            next_id,
            set_aside,
        })
    }
}

/// A new name beside the journal for what could not be read.
fn aside_name(dir: &Path, what: &str, ext: &str) -> PathBuf {
    let secs = crate::clock::unix_now();
    let mut n = 0;
    loop {
        let name = if n == 0 {
            format!("journal.{what}-{secs}.{ext}")
        } else {
            format!("journal.{what}-{secs}-{n}.{ext}")
        };
        let p = dir.join(name);
        if !p.exists() || n > 1000 {
            return p;
        }
        n += 1;
    }
}
