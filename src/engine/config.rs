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
/// Uploads at once to start with: where "auto" begins, and the fixed default of older settings.
pub const DEFAULT_PARALLEL: usize = 3;

/// How many files send at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Parallelism {
    /// Start at [`DEFAULT_PARALLEL`] and add transfers while the total goodput grows, up to
    /// [`MAX_PARALLEL`]; fewer when the server pushes back (429, errors). The default.
    #[default]
    Auto,
    /// Exactly this many (clamped to 1..=[`MAX_PARALLEL`]).
    Fixed(usize),
}

impl Parallelism {
    /// How many run at first.
    pub fn initial(self) -> usize {
        match self {
            Parallelism::Auto => DEFAULT_PARALLEL,
            Parallelism::Fixed(n) => n.clamp(1, MAX_PARALLEL),
        }
    }
}

impl std::fmt::Display for Parallelism {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Parallelism::Auto => f.write_str("auto"),
            Parallelism::Fixed(n) => write!(f, "{n}"),
        }
    }
}

impl std::str::FromStr for Parallelism {
    type Err = String;

    /// `auto`, or a number from 1 to [`MAX_PARALLEL`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("auto") {
            return Ok(Parallelism::Auto);
        }
        match s.parse::<usize>() {
            Ok(n) if (1..=MAX_PARALLEL).contains(&n) => Ok(Parallelism::Fixed(n)),
            _ => Err(format!(
                "expected auto or a number from 1 to {MAX_PARALLEL}"
            )),
        }
    }
}

/// Everything the engine needs, already validated.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Holds the journal and its lock.
    pub data_dir: PathBuf,
    /// `https://www.wixapis.com`, or a sandbox.
    pub api_base: Url,
    pub credentials: Credentials,
    /// Uploads sending at once: adapting (the default) or fixed.
    pub parallel: Parallelism,
    pub tus: TusConfig,
    /// Retries of REST calls (upload URL, finalize, file status).
    pub api_retry: RetryPolicy,
    /// Delays between get-file-by-id polls while a file is PENDING; the last one repeats.
    pub poll_delays: Vec<Duration>,
    /// Give up polling after this long (the file may still become ready on the site): the job
    /// fails keeping its file id, and `wixup resume` (or Retry) polls it again.
    pub poll_timeout: Duration,
    /// After this long waiting for Wix to process a file, the engine says so ([`Event::Note`])
    /// and how to check later; it keeps polling until `poll_timeout`.
    ///
    /// [`Event::Note`]: super::Event::Note
    pub processing_notice_after: Duration,
    /// Which jobs from the journal to continue at start.
    pub start: StartMode,
    /// Bytes the engine's journal writer wrote (records, compactions, the first log), added up
    /// as it writes them; clones of a config share it. Read it to see what the journal costs.
    pub journal_bytes_written: Arc<AtomicU64>,
    /// A test hook, zero in real use: the journal writer waits this long before each write, as
    /// a slow disk would (the engine must go on meanwhile).
    pub journal_write_delay: Duration,
    /// Files smaller than this take the one-PUT path (`generate-upload-url`, then one PUT of
    /// the bytes: two requests instead of five); bigger ones, and any a one-PUT was refused
    /// for, the resumable flow. 0: every file goes resumable.
    pub one_put_below: u64,
    /// Files hashed before sending, to look for them in the history, added up; clones of a
    /// config share it. Only files whose size and name match an entry are hashed.
    pub dedupe_hashed: Arc<AtomicU64>,
    /// The proxy every request but those to loopback goes through.
    pub proxy: crate::net::Network,
    /// Told whether anything sends, so the computer stays awake meanwhile (off by default).
    pub keep_awake: crate::awake::KeepAwake,
    /// Finished uploads stay in the table (and the journal) until the front end clears them,
    /// as the window's rows do (`true`, the default). `false` (the CLI): a finished upload
    /// leaves the table and the journal as soon as the history holds it, so the journal keeps
    /// only unfinished work and its cost never grows with what was ever uploaded.
    pub keep_finished: bool,
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
            parallel: Parallelism::Auto,
            tus: TusConfig::default(),
            api_retry: RetryPolicy::default(),
            poll_delays: [300, 700, 1500, 3000, 5000, 10_000]
                .into_iter()
                .map(Duration::from_millis)
                .collect(),
            poll_timeout: Duration::from_secs(30 * 60),
            processing_notice_after: Duration::from_secs(2 * 60),
            start: StartMode::Continue,
            journal_bytes_written: Arc::default(),
            journal_write_delay: Duration::ZERO,
            one_put_below: DEFAULT_ONE_PUT_BELOW,
            dedupe_hashed: Arc::default(),
            proxy: crate::net::Network::default(),
            keep_awake: crate::awake::KeepAwake::default(),
            keep_finished: true,
        }
    }
}

/// What happens to unfinished jobs found in the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartMode {
    /// Continue queued and interrupted jobs; paused ones stay paused (the window).
    Continue,
    /// Continue every unfinished job, paused ones included, and try failed ones again (a file
    /// no longer there is said instead) (`wixup resume`).
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
