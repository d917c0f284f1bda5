//! What every handler shares: the configuration, the records in memory and on disk, the locks,
//! and the counters. Handlers take it as `State<AppState>`; nothing here knows a route.

use std::sync::{Arc, Mutex};

use reqwest::Url;

use super::clock::Clock;
use super::config::SandboxConfig;
use super::locks::{FinalizeLocks, UploadLocks};
use super::persist;
use super::quirks::Quirks;
use super::rate_limit::Limiter;
use super::stats::Stats;
use super::store;

/// Image transforms decoding at once.
const TRANSFORMS_AT_ONCE: usize = 2;
/// Links fetched at once by imports; the others wait their turn (PENDING meanwhile).
pub(super) const FETCHES_AT_ONCE: usize = 3;

/// Shared by every handler (cheap to clone).
#[derive(Clone)]
pub(super) struct AppState {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) config: SandboxConfig,
    /// The profile's behaviours, by name (built once from `config.profile`).
    quirks: Quirks,
    /// Where URLs point: `public_url` or the bound address.
    base: Url,
    pub(super) dirs: store::Dirs,
    state: Mutex<store::State>,
    /// Serializes writes of the records (see `persist::flush`).
    save_lock: Mutex<()>,
    /// One finalize at a time per token; the others wait and get the same file.
    pub(super) finalize_locks: FinalizeLocks,
    /// One PATCH at a time per upload; a second one gets 423.
    pub(super) upload_locks: UploadLocks,
    /// Image transforms decoding at once (each holds a whole image in memory).
    pub(super) transforms: Arc<tokio::sync::Semaphore>,
    /// Imports fetching their link at once, and the HTTP client they fetch with.
    pub(super) fetches: Arc<tokio::sync::Semaphore>,
    pub(super) fetcher: reqwest::Client,
    pub(super) stats: Arc<Stats>,
    /// The clock tokens and uploads expire by (tests move it ahead).
    clock: Arc<Clock>,
    /// `--rate-limit` on the REST calls.
    pub(super) limiter: Option<Limiter>,
    /// Signs download URLs (`download.rs`).
    pub(super) download_key: Vec<u8>,
}

impl AppState {
    /// Opens the storage under `config.data_dir` (made owner-only) and loads its records.
    pub(super) fn open(
        config: SandboxConfig,
        base: Url,
        stats: Arc<Stats>,
        clock: Arc<Clock>,
    ) -> std::io::Result<Self> {
        let dirs = store::Dirs::new(&config.data_dir)?;
        let state = persist::load(&dirs)?;
        let limiter = config.rate_limit.map(Limiter::new);
        let download_key = dirs.download_key()?;
        // Wix's servers fetch a link themselves, never through this computer's proxy.
        let fetcher = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(config.import_connect_timeout)
            .read_timeout(config.import_idle_timeout)
            .redirect(reqwest::redirect::Policy::limited(5))
            .user_agent(concat!("wixup-sandbox/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(std::io::Error::other)?;
        Ok(Self {
            inner: Arc::new(Inner {
                limiter,
                download_key,
                quirks: config.profile.quirks(),
                config,
                base,
                dirs,
                state: Mutex::new(state),
                save_lock: Mutex::new(()),
                finalize_locks: FinalizeLocks::default(),
                upload_locks: UploadLocks::default(),
                transforms: Arc::new(tokio::sync::Semaphore::new(TRANSFORMS_AT_ONCE)),
                fetches: Arc::new(tokio::sync::Semaphore::new(FETCHES_AT_ONCE)),
                fetcher,
                stats,
                clock,
            }),
        })
    }

    /// How the profile behaves where Wix and a full tus server part ways.
    pub(super) fn quirks(&self) -> Quirks {
        self.inner.quirks
    }

    /// Now, in seconds since the Unix epoch, for lifetimes: what expires is judged by this.
    pub(super) fn clock_unix(&self) -> u64 {
        self.inner.clock.now_unix()
    }

    /// The URL of `path` (which starts with `/`) under the base the sandbox hands out.
    pub(super) fn url(&self, path: &str) -> String {
        let base = self.inner.base.as_str().trim_end_matches('/');
        format!("{base}{path}")
    }

    /// Runs `f` on the state under its lock (never held across an await).
    pub(super) fn with<R>(&self, f: impl FnOnce(&mut store::State) -> R) -> R {
        let mut g = match self.inner.state.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        f(&mut g)
    }

    /// Saves the records changed since the last save, off the async threads. Runs to the end
    /// even when the request that asked for it is dropped.
    pub(super) async fn save(&self) -> Result<(), persist::SaveError> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            persist::flush(&inner.state, &inner.save_lock, &inner.dirs)
        })
        .await
        .unwrap_or_else(|e| {
            Err(persist::SaveError {
                path: self.inner.dirs.root.clone(),
                source: std::io::Error::other(e),
            })
        })
    }

    /// [`AppState::save`], logging a failure (the change stays in memory and is saved with
    /// the next one).
    pub(super) async fn persist(&self) {
        if let Err(e) = self.save().await {
            tracing::error!("sandbox: {e}");
        }
    }
}
