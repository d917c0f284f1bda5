//! What the engine is started with, and why a start can fail.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use reqwest::Url;

use super::journal::JournalError;
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
    /// Bytes the engine's journal writer wrote (records, compactions, the first log), added up
    /// as it writes them; clones of a config share it. Read it to see what the journal costs.
    pub journal_bytes_written: Arc<AtomicU64>,
    /// A test hook, zero in real use: the journal writer waits this long before each write, as
    /// a slow disk would (the engine must go on meanwhile).
    pub journal_write_delay: Duration,
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
            journal_bytes_written: Arc::default(),
            journal_write_delay: Duration::ZERO,
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

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("cannot set up the HTTP clients: {0}")]
    Http(String),
}
