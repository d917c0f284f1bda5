//! What the engine is started with, and why a start can fail.

use std::path::PathBuf;
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
    /// Files smaller than this take the one-PUT path (`generate-upload-url`, then one PUT of
    /// the bytes: two requests instead of five); bigger ones, and any a one-PUT was refused
    /// for, the resumable flow. 0: every file goes resumable.
    pub one_put_below: u64,
}

/// Wix's advice: the resumable flow above 10 MB.
pub const DEFAULT_ONE_PUT_BELOW: u64 = 10_000_000;

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
            one_put_below: DEFAULT_ONE_PUT_BELOW,
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
