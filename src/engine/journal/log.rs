//! The log on disk: records appended and fsynced in batches, compacted once it is more than
//! twice its live size, so a change costs amortized O(1) bytes whatever the queue's length.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::JournalError;
use super::load::{self, Loaded};
use super::lock::lock_dir;
use super::record::{Change, FILE_NAME, encode, header_line};
use crate::engine::job::JobId;

/// Compacted when the log is more than this many times its live records…
const COMPACT_RATIO: u64 = 2;
/// …and bigger than this: a log of a few MiB replays in milliseconds, and below it compaction
/// would cost more than it saves (a queue of a few hundred files never needs one).
const COMPACT_MIN_BYTES: u64 = 4 << 20;
/// A temporary older than this is no write in progress (a write takes milliseconds), but the
/// leftover of one that a crash cut short.
const STALE_TEMPORARY_AGE: Duration = Duration::from_secs(60);

/// The journal of one data dir, held with its lock.
pub struct Journal {
    path: PathBuf,
    /// Opened for appending.
    file: File,
    /// Bytes of whole records (a write that failed half-way is cut back to this).
    len: u64,
    header_len: u64,
    next_id: u64,
    /// Each live job's latest record in the log: offset and length.
    at: BTreeMap<JobId, (u64, u64)>,
    /// The sum of `at`'s lengths.
    live: u64,
    /// Everything written since opening: records, compactions, the first log.
    written: u64,
    /// A failed write whose partial bytes could not be cut off yet.
    torn: bool,
    /// After a failed compaction, the next is tried once the log has grown this far.
    compact_not_before: u64,
    /// [`COMPACT_MIN_BYTES`], smaller in tests of compaction (so they need few fsyncs).
    compact_min_bytes: u64,
    /// Holding the file keeps the OS lock; the OS drops it when the process ends.
    _lock: File,
}

/// A log written whole.
struct Fresh {
    file: File,
    len: u64,
    header_len: u64,
    at: BTreeMap<JobId, (u64, u64)>,
    live: u64,
}

impl Journal {
    /// Locks the data dir and reads its journal. A log that cannot be appended to as it is (none
    /// yet, an old `journal.json`, a torn last line, records set aside) is written anew first.
    pub fn open(dir: &Path) -> Result<(Journal, Loaded), JournalError> {
        let io = |source| JournalError::Io {
            dir: dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let lock = lock_dir(dir)?;
        // Temporaries of writes that a crash cut short (journal, settings, key file).
        crate::fs::remove_stale_temporaries(dir, STALE_TEMPORARY_AGE);
        let found = load::read(dir)?;
        let path = dir.join(FILE_NAME);
        let next_id = found.loaded.next_id;
        let (fresh, written) = match found.log {
            Some(lines) => {
                let file = append_to(&path).map_err(io)?;
                let live = lines.at.values().map(|(_, len)| len).sum();
                let fresh = Fresh {
                    file,
                    len: lines.len,
                    header_len: lines.header_len,
                    at: lines.at,
                    live,
                };
                (fresh, 0)
            }
            None => {
                let mut encoded = Vec::with_capacity(found.loaded.jobs.len());
                for job in &found.loaded.jobs {
                    match encode(&Change::Put(Box::new(job.clone()))) {
                        Ok(line) => encoded.push((job.id, line)),
                        Err(e) => {
                            tracing::warn!(id = %job.id, error = %e, "a job cannot be saved in the journal")
                        }
                    }
                }
                let fresh = write_fresh(&path, next_id, |sink| {
                    encoded.iter().try_for_each(|(id, l)| sink.record(*id, l))
                })
                .map_err(io)?;
                let len = fresh.len;
                (fresh, len)
            }
        };
        if let Some(legacy) = found.legacy {
            // The log holds what it held (fsynced): the old file goes.
            if let Err(e) = std::fs::remove_file(&legacy)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(error = %e, "cannot remove the old journal.json; the new log is used");
            }
        }
        let mut journal = Journal {
            path,
            file: fresh.file,
            len: fresh.len,
            header_len: fresh.header_len,
            next_id,
            at: fresh.at,
            live: fresh.live,
            written,
            torn: false,
            compact_not_before: 0,
            compact_min_bytes: COMPACT_MIN_BYTES,
            _lock: lock,
        };
        journal.compact_if_due();
        Ok((journal, found.loaded))
    }

    /// The log's path (`journal.jsonl` in the data dir).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Compacts from this size on instead of [`COMPACT_MIN_BYTES`].
    #[cfg(test)]
    pub(super) fn set_compact_min_bytes(&mut self, bytes: u64) {
        self.compact_min_bytes = bytes;
    }

    /// Bytes this journal wrote since it was opened: records, compactions and the first log.
    pub fn bytes_written(&self) -> u64 {
        self.written
    }

    /// Appends these changes as one batch and fsyncs once; compacts the log when it is due.
    /// `next_id` is the table's (kept in the header at the next compaction; records carry ids,
    /// so no id is reused meanwhile). A change that cannot be encoded (it should never happen) is
    /// left out with a warning and never stops the others.
    pub fn write(&mut self, changes: &[Change], next_id: u64) -> std::io::Result<()> {
        self.next_id = self.next_id.max(next_id);
        if self.torn {
            self.file.set_len(self.len)?;
            self.torn = false;
        }
        let mut buf = Vec::new();
        let mut placed = Vec::with_capacity(changes.len());
        for change in changes {
            match encode(change) {
                Ok(line) => {
                    placed.push((change, buf.len() as u64, line.len() as u64));
                    buf.extend_from_slice(&line);
                }
                Err(e) => {
                    tracing::warn!(id = %change.id(), error = %e, "a job cannot be saved in the journal")
                }
            }
        }
        if buf.is_empty() {
            return Ok(());
        }
        if let Err(e) = self
            .file
            .write_all(&buf)
            .and_then(|()| self.file.sync_data())
        {
            // What landed of it is cut off, so the next records start on a line of their own.
            self.torn = self.file.set_len(self.len).is_err();
            return Err(e);
        }
        self.written += buf.len() as u64;
        for (change, offset, len) in placed {
            let old = match change {
                Change::Put(job) => self.at.insert(job.id, (self.len + offset, len)),
                Change::Remove(id) => self.at.remove(id),
            };
            self.live -= old.map_or(0, |(_, l)| l);
            if let Change::Put(_) = change {
                self.live += len;
            }
        }
        self.len += buf.len() as u64;
        self.compact_if_due();
        Ok(())
    }

    /// Compacts when the log is over twice its live size and over [`COMPACT_MIN_BYTES`]. A compaction that fails
    /// costs nothing (the log stays as it was) and is tried again a few MiB later.
    fn compact_if_due(&mut self) {
        let live = self.header_len + self.live;
        if self.len > COMPACT_RATIO * live
            && self.len > self.compact_min_bytes
            && self.len >= self.compact_not_before
            && let Err(e) = self.compact()
        {
            tracing::warn!(error = %e, journal = %self.path.display(), "cannot compact the journal; it keeps growing until the next try");
            self.compact_not_before = self.len + self.compact_min_bytes;
        }
    }

    /// Compacts before the journal is let go, whatever its size, when it is more than twice
    /// its live records: a run that finished (and forgot) thousands of files leaves a journal
    /// of what is left to do, not a log of everything it did.
    pub fn compact_before_closing(&mut self) {
        let live = self.header_len + self.live;
        if self.len > COMPACT_RATIO * live
            && let Err(e) = self.compact()
        {
            tracing::warn!(error = %e, journal = %self.path.display(), "cannot compact the journal; it is compacted at a later start");
        }
    }

    /// Rewrites the log with only each live job's latest record, atomically. The records are
    /// read one at a time (in the order they lie in the file) and streamed to the new log: a
    /// log of thousands of records is never whole in memory.
    fn compact(&mut self) -> std::io::Result<()> {
        use std::io::{Read as _, Seek as _, SeekFrom};
        let mut old = File::open(&self.path)?;
        let mut by_offset: Vec<(JobId, u64, u64)> = self
            .at
            .iter()
            .map(|(id, &(offset, len))| (*id, offset, len))
            .collect();
        by_offset.sort_unstable_by_key(|&(_, offset, _)| offset);
        let mut line = Vec::new();
        let fresh = write_fresh(&self.path, self.next_id, |sink| {
            for (id, offset, len) in by_offset {
                line.resize(usize::try_from(len).map_err(std::io::Error::other)?, 0);
                old.seek(SeekFrom::Start(offset))?;
                old.read_exact(&mut line).map_err(|e| match e.kind() {
                    std::io::ErrorKind::UnexpectedEof => {
                        std::io::Error::other("the journal is shorter than its records")
                    }
                    _ => e,
                })?;
                sink.record(id, &line)?;
            }
            Ok(())
        })?;
        self.written += fresh.len;
        self.file = fresh.file;
        self.len = fresh.len;
        self.header_len = fresh.header_len;
        self.at = fresh.at;
        self.live = fresh.live;
        self.torn = false;
        Ok(())
    }
}

/// Where the records of a log being written go, and where each lands.
struct Sink<'w> {
    out: &'w mut dyn std::io::Write,
    len: u64,
    at: BTreeMap<JobId, (u64, u64)>,
    live: u64,
}

impl Sink<'_> {
    fn record(&mut self, id: JobId, line: &[u8]) -> std::io::Result<()> {
        self.out.write_all(line)?;
        let len = line.len() as u64;
        self.at.insert(id, (self.len, len));
        self.len += len;
        self.live += len;
        Ok(())
    }
}

/// Writes a whole log (header, then the records `fill` gives) atomically: temporary file,
/// fsync, rename, owner-only; and opens it for appending.
fn write_fresh(
    path: &Path,
    next_id: u64,
    fill: impl FnOnce(&mut Sink<'_>) -> std::io::Result<()>,
) -> std::io::Result<Fresh> {
    let header = header_line(next_id);
    let mut written = None;
    crate::fs::write_atomic_with(path, |file| {
        let mut out = std::io::BufWriter::new(file);
        out.write_all(&header)?;
        let mut sink = Sink {
            out: &mut out,
            len: header.len() as u64,
            at: BTreeMap::new(),
            live: 0,
        };
        fill(&mut sink)?;
        written = Some((sink.len, sink.at, sink.live));
        out.flush()
    })?;
    let (len, at, live) =
        written.ok_or_else(|| std::io::Error::other("the log was not written"))?;
    Ok(Fresh {
        file: append_to(path)?,
        len,
        header_len: header.len() as u64,
        at,
        live,
    })
}

fn append_to(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().append(true).open(path)
}
