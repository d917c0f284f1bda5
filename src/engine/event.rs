//! What the engine reports to a front end, and how it wakes one.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::job::{Job, JobError, JobId, JobResult, JobState};
use crate::history::HistoryEntry;

/// What the engine reports. Progress is throttled to about 10 events a second per job.
#[derive(Debug, Clone)]
pub enum Event {
    /// A job entered the queue.
    JobAdded(Box<Job>),
    /// The answer to an [`Command::AddFiles`](super::Command::AddFiles): what was queued,
    /// skipped and refused.
    FilesAdded {
        request: u64,
        added: Vec<JobId>,
        /// Already in the queue and not finished: reported once, not uploaded twice.
        duplicates: Vec<(PathBuf, JobId)>,
        /// Paths that cannot be uploaded, with a sentence saying why and what to do.
        rejected: Vec<(PathBuf, String)>,
        /// What walked folders held that is not uploaded (system files, hidden folders).
        skipped: super::Skipped,
    },
    /// Bytes moved. `acknowledged_bytes` is what the server confirmed: it only grows while an
    /// upload runs, and goes back to 0 when the upload starts anew on the server (gone,
    /// expired, refused at finalize) or a retried file changed on disk. `sent_bytes` is what
    /// went out, including in-flight data.
    Progress {
        id: JobId,
        acknowledged_bytes: u64,
        sent_bytes: u64,
        total_bytes: u64,
        /// Smoothed over a few seconds; `None` until meaningful.
        bytes_per_sec: Option<f64>,
        eta: Option<Duration>,
    },
    StateChanged {
        id: JobId,
        state: JobState,
    },
    /// A transient failure; the job retries by itself after `delay`.
    Retrying {
        id: JobId,
        attempt: usize,
        delay: Duration,
        reason: String,
    },
    Finished {
        id: JobId,
        result: JobResult,
    },
    Failed {
        id: JobId,
        error: JobError,
    },
    Removed(JobId),
    /// The engine started (`true`) or stopped (`false`) looking for an earlier upload of this
    /// queued file: hashing it and asking the site whether that upload is still there. Only
    /// files whose size and name match a history entry are checked.
    Checking {
        id: JobId,
        checking: bool,
    },
    /// A finished upload was added to the history (`history.jsonl`); a front end showing the
    /// history adds it without reading the file again.
    Recorded(Box<HistoryEntry>),
    /// A sentence about a job that its state does not say (Wix is still processing its file
    /// after a while; `resume` could not try it again): shown beside the job.
    Note {
        id: JobId,
        message: String,
    },
    /// The journal could not be written (disk full, permissions); uploads go on.
    JournalError(String),
    /// The upload history (`history.jsonl`) could not be read or written, or is written again:
    /// the message names the file, says why and what it means. `unsaved` finished uploads are
    /// not in it yet (kept, and written as soon as it can be); 0 once they all are.
    History {
        unsaved: usize,
        message: String,
    },
}

/// Wakes a front end after an event was queued.
pub type Notifier = Arc<dyn Fn() + Send + Sync>;
