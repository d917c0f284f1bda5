//! The upload engine: a queue of jobs, N parallel workers, retries, and the journal.
//!
//! The engine owns the truth and runs on the tokio runtime. A front end (the CLI, the window)
//! sends [`Command`]s through an [`EngineHandle`] (never blocking) and drains [`Event`]s; an
//! optional notifier is called after each event is queued, to wake a UI.

mod describe;
pub mod history;
pub mod job;
pub mod journal;
mod progress;
mod scheduler;
mod walk;
mod worker;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use tokio::sync::{mpsc, oneshot};

pub use describe::describe_wix_error;
pub use job::{Destination, Job, JobError, JobId, JobResult, JobState, Session, Verification};
pub use journal::JournalError;

use crate::retry::RetryPolicy;
use crate::tus::TusConfig;
use crate::wix_media::Credentials;

/// The most uploads that run at once: the Settings window's limit, `--parallel`'s, and the
/// engine's own clamp.
pub const MAX_PARALLEL: usize = 16;
/// Uploads at once unless Settings or `--parallel` say otherwise.
pub const DEFAULT_PARALLEL: usize = 3;

/// Everything the engine needs, already validated.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Holds the journal and its lock.
    pub data_dir: PathBuf,
    /// `https://www.wixapis.com`, or a sandbox.
    pub api_base: Url,
    pub credentials: Credentials,
    /// Uploads running at once (clamped to 1..=[`MAX_PARALLEL`]).
    pub parallel: usize,
    pub tus: TusConfig,
    /// Retries of REST calls (upload URL, finalize, file status).
    pub api_retry: RetryPolicy,
    /// Delays between get-file-by-id polls while a file is PENDING; the last one repeats.
    pub poll_delays: Vec<Duration>,
    /// Give up polling after this long (the file may still become ready on the site).
    pub poll_timeout: Duration,
    /// Which jobs from the journal to continue at start.
    pub start: StartMode,
}

impl EngineConfig {
    /// Defaults for everything but the backend.
    pub fn new(data_dir: PathBuf, api_base: Url, credentials: Credentials) -> Self {
        Self {
            data_dir,
            api_base,
            credentials,
            parallel: DEFAULT_PARALLEL,
            tus: TusConfig::default(),
            api_retry: RetryPolicy::default(),
            poll_delays: [500, 1000, 2000, 5000, 10_000]
                .into_iter()
                .map(Duration::from_millis)
                .collect(),
            poll_timeout: Duration::from_secs(30 * 60),
            start: StartMode::Continue,
        }
    }
}

/// What happens to unfinished jobs found in the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartMode {
    /// Continue queued and interrupted jobs; paused ones stay paused (the window).
    Continue,
    /// Continue every unfinished job, paused ones included (`wixup resume`).
    ContinueAll,
    /// Keep them as they are, untouched; only new files run (`wixup upload`). A held job whose
    /// file is added again continues from the server's offset.
    Hold,
}

/// What a front end asks of the engine.
#[derive(Debug)]
pub enum Command {
    /// Queue files and folders (folders recursively). Answered by [`Event::FilesAdded`].
    AddFiles {
        request: u64,
        paths: Vec<PathBuf>,
        destination: Destination,
    },
    Pause(JobId),
    Resume(JobId),
    Cancel(JobId),
    Retry(JobId),
    Remove(JobId),
    PauseAll,
    ResumeAll,
    RetryFailed,
    ClearFinished,
    SetParallelism(usize),
    /// Every job as the engine knows it.
    Snapshot(oneshot::Sender<Vec<Job>>),
    /// Stop workers, flush the journal, then answer.
    Shutdown(oneshot::Sender<()>),
}

/// What the engine reports. Progress is throttled to about 10 events a second per job.
#[derive(Debug, Clone)]
pub enum Event {
    /// A job entered the queue.
    JobAdded(Box<Job>),
    /// The answer to an [`Command::AddFiles`]: what was queued, skipped and refused.
    FilesAdded {
        request: u64,
        added: Vec<JobId>,
        /// Already in the queue and not finished: reported once, not uploaded twice.
        duplicates: Vec<(PathBuf, JobId)>,
        /// Paths that cannot be uploaded, with a sentence saying why and what to do.
        rejected: Vec<(PathBuf, String)>,
    },
    /// Bytes moved. `acknowledged_bytes` is what the server confirmed (never goes back);
    /// `sent_bytes` is what went out, including in-flight data.
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
    /// The journal could not be written (disk full, permissions); uploads go on.
    JournalError(String),
}

/// Wakes a front end after an event was queued.
pub type Notifier = Arc<dyn Fn() + Send + Sync>;

/// Sends commands to a running engine. Cheap to clone; never blocks.
#[derive(Clone)]
pub struct EngineHandle {
    tx: mpsc::UnboundedSender<Command>,
}

impl EngineHandle {
    /// Sends a command; `false` if the engine has stopped.
    pub fn send(&self, command: Command) -> bool {
        self.tx.send(command).is_ok()
    }

    /// Every job as the engine knows it now.
    pub async fn snapshot(&self) -> Vec<Job> {
        let (tx, rx) = oneshot::channel();
        if !self.send(Command::Snapshot(tx)) {
            return Vec::new();
        }
        rx.await.unwrap_or_default()
    }

    /// Stops the workers (uploads stay resumable) and flushes the journal.
    pub async fn shutdown(&self) {
        let (tx, rx) = oneshot::channel();
        if self.send(Command::Shutdown(tx)) {
            let _ = rx.await;
        }
    }
}

/// Starts an engine on the current tokio runtime: locks the data dir, loads the journal, and
/// continues unfinished jobs as `config.start` says.
pub fn start(
    config: EngineConfig,
    notifier: Option<Notifier>,
) -> Result<(EngineHandle, mpsc::UnboundedReceiver<Event>), StartError> {
    let (tx, rx) = mpsc::unbounded_channel();
    let (etx, erx) = mpsc::unbounded_channel();
    scheduler::spawn(config, rx, etx, notifier)?;
    Ok((EngineHandle { tx }, erx))
}

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("cannot set up the HTTP clients: {0}")]
    Http(String),
}
