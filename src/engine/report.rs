//! What a worker tells the scheduler while it runs, and why it stopped: the vocabulary shared by
//! the worker, its progress forwarder, the description of failures and the scheduler.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::job::{JobError, JobId, JobResult, JobState, PlainSession, Session};

/// A worker's messages to the scheduler.
pub(super) enum Report {
    /// Bytes up to `offset` went out (not yet confirmed); throttled by the worker.
    Sent { id: JobId, offset: u64 },
    /// The server confirmed bytes up to `offset`.
    Acknowledged { id: JobId, offset: u64 },
    /// A transient failure; the worker retries after `delay`.
    Retrying {
        id: JobId,
        attempt: usize,
        delay: Duration,
        reason: String,
    },
    /// The job moved to another step (finalizing, processing, uploading again).
    Phase { id: JobId, state: JobState },
    /// A new server-side upload (or none): persisted before the worker goes on.
    Session {
        id: JobId,
        session: Option<Session>,
        saved: oneshot::Sender<()>,
    },
    /// A one-PUT upload URL (or none): persisted before its first byte is sent.
    Plain {
        id: JobId,
        plain: Option<PlainSession>,
        saved: oneshot::Sender<()>,
    },
    /// The finalized file's id: persisted, so a restart polls instead of uploading again.
    FileId {
        id: JobId,
        file_id: String,
        saved: oneshot::Sender<()>,
    },
    /// Wix marked the job's file FAILED: its id (and for an upload, the upload that made it)
    /// is forgotten, so Retry sends the file (or imports the link) again instead of polling a
    /// file that will never be READY. Journaled before the worker goes on.
    FileFailed {
        id: JobId,
        saved: oneshot::Sender<()>,
    },
    /// A sentence about the job while it goes on (Wix still processing its file).
    Note { id: JobId, message: String },
    /// The worker is done: the last report of every run.
    Finished {
        id: JobId,
        outcome: Result<JobResult, Stop>,
    },
}

impl Report {
    /// The job it is about.
    pub(super) fn id(&self) -> JobId {
        match self {
            Report::Sent { id, .. }
            | Report::Acknowledged { id, .. }
            | Report::Retrying { id, .. }
            | Report::Phase { id, .. }
            | Report::Session { id, .. }
            | Report::Plain { id, .. }
            | Report::FileId { id, .. }
            | Report::FileFailed { id, .. }
            | Report::Note { id, .. }
            | Report::Finished { id, .. } => *id,
        }
    }
}

/// Why a worker stopped without a result.
#[derive(Debug)]
pub(super) enum Stop {
    /// Paused, cancelled or shut down: the scheduler already knows which.
    Interrupted,
    Failed(JobError),
}

pub(super) type Reports = mpsc::UnboundedSender<Report>;

/// Sends the report `make` builds around a `saved` handshake, and waits until the scheduler
/// has journaled it (or is gone).
pub(super) async fn send_saved(
    reports: &Reports,
    make: impl FnOnce(oneshot::Sender<()>) -> Report,
) {
    let (tx, rx) = oneshot::channel();
    let _ = reports.send(make(tx));
    let _ = rx.await;
}
