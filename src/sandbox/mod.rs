//! The local sandbox: a Wix-compatible server on loopback with the same REST paths and JSON
//! shapes as Wix, a real tus 1.0 server, static media URLs and resized thumbnails.
//!
//! It shares no protocol code with the clients (a shared codec would hide shared bugs): the two
//! only meet over HTTP. Tests bind `127.0.0.1:0`; the app and the CLI bind a stable default port
//! so the URLs it handed out stay valid after a restart.

// Handlers return `Result<_, Response>` so an early error is the answer itself; boxing every
// error response would only add noise.
#![allow(clippy::result_large_err)]

mod descriptor;
pub mod faults;
mod finalize;
mod folders;
mod guard;
mod locks;
mod media;
mod media_cache;
mod persist;
mod private_file;
mod rest;
mod server;
pub mod store;
mod tus_body;
mod tus_server;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use reqwest::Url;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use faults::{FaultKind, Faults, Rule};

/// The API key the sandbox accepts unless told otherwise (public: it guards nothing).
pub const DEFAULT_API_KEY: &str = "wixup-sandbox-key";
/// The site id the sandbox accepts unless told otherwise.
pub const DEFAULT_SITE_ID: &str = "wixup-sandbox-site";
/// The stable loopback port of the embedded sandbox.
pub const DEFAULT_PORT: u16 = 47_913;

/// Image transforms decoding at once.
const TRANSFORMS_AT_ONCE: usize = 2;

/// How the sandbox behaves.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Tokens, uploads and files live here.
    pub data_dir: PathBuf,
    /// The base of every URL handed out (`--public-url`); the bound address when `None`.
    pub public_url: Option<Url>,
    pub api_key: String,
    pub site_id: String,
    /// `Tus-Max-Size`.
    pub max_size_bytes: u64,
    /// Lifetime of a tus upload (`Upload-Expires`).
    pub upload_ttl: Duration,
    /// Lifetime of an upload token.
    pub token_ttl: Duration,
    /// How long a finalized file stays PENDING.
    pub processing_delay: Duration,
    /// Offer `checksum-trailer` (checksums sent after the data) besides `checksum`.
    pub checksum_trailer: bool,
    /// `Tus-Checksum-Algorithm`, in the server's order (it verifies any of these).
    pub checksum_algorithms: Vec<String>,
    /// Bytes of resized images kept on disk; the oldest go first.
    pub transform_cache_bytes: u64,
    /// A connection that sends no complete request headers for this long is closed (a new
    /// one, or a kept-alive one after its last answer).
    pub header_timeout: Duration,
    /// A request body that sends nothing for this long ends its request (a PATCH keeps the
    /// bytes received so far and lets go of its upload).
    pub body_read_timeout: Duration,
    /// At shutdown, requests in flight get this long to finish before they are dropped.
    pub shutdown_grace: Duration,
}

impl SandboxConfig {
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            public_url: None,
            api_key: DEFAULT_API_KEY.into(),
            site_id: DEFAULT_SITE_ID.into(),
            max_size_bytes: 64 * 1024 * 1024 * 1024,
            upload_ttl: Duration::from_secs(7 * 24 * 3600),
            token_ttl: Duration::from_secs(7 * 24 * 3600),
            processing_delay: Duration::from_millis(300),
            checksum_trailer: true,
            checksum_algorithms: ["crc32", "sha1", "md5"].map(String::from).to_vec(),
            transform_cache_bytes: 256 * 1024 * 1024,
            header_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// Counters for tests and `GET /_sandbox/stats`.
#[derive(Debug, Default)]
pub struct Stats {
    /// Body bytes received by PATCH and creation-with-upload, resent ones included.
    pub bytes_received: AtomicU64,
    pub patch_requests: AtomicU64,
    pub finalize_requests: AtomicU64,
    /// Files created by finalize (a repeated finalize creates none).
    pub files_created: AtomicU64,
    /// PATCHes verified by an `Upload-Checksum` header, and by a trailer.
    pub checksum_headers: AtomicU64,
    pub checksum_trailers: AtomicU64,
    /// Requests to the upload host that carried an `Authorization` or `wix-site-id` header.
    pub credentials_on_upload_host: AtomicU64,
    /// tus creations that made an upload.
    pub uploads_created: AtomicU64,
    /// tus DELETEs that removed an upload.
    pub uploads_terminated: AtomicU64,
    /// Image transforms decoding right now, and the most there ever were at once.
    pub transforms_running: AtomicU64,
    pub transforms_peak: AtomicU64,
}

impl Stats {
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::SeqCst)
    }

    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "bytesReceived": Self::get(&self.bytes_received),
            "patchRequests": Self::get(&self.patch_requests),
            "finalizeRequests": Self::get(&self.finalize_requests),
            "filesCreated": Self::get(&self.files_created),
            "credentialsOnUploadHost": Self::get(&self.credentials_on_upload_host),
            "checksumHeaders": Self::get(&self.checksum_headers),
            "checksumTrailers": Self::get(&self.checksum_trailers),
            "uploadsCreated": Self::get(&self.uploads_created),
            "uploadsTerminated": Self::get(&self.uploads_terminated),
            "transformsPeak": Self::get(&self.transforms_peak),
        })
    }
}

/// Shared by every handler.
#[derive(Clone)]
pub(crate) struct AppState {
    inner: Arc<Inner>,
    pub(crate) faults: Arc<Faults>,
}

pub(crate) struct Inner {
    config: SandboxConfig,
    /// Where URLs point: `public_url` or the bound address.
    base: Url,
    dirs: store::Dirs,
    state: Mutex<store::State>,
    /// Serializes writes of the records (see `persist::flush`).
    save_lock: Mutex<()>,
    /// One finalize at a time per token; the others wait and get the same file.
    finalize_locks: finalize::Locks,
    /// One PATCH at a time per upload; a second one gets 423.
    upload_locks: locks::UploadLocks,
    /// Image transforms decoding at once (each holds a whole image in memory).
    transforms: Arc<tokio::sync::Semaphore>,
    stats: Arc<Stats>,
}

impl AppState {
    fn url(&self, path: &str) -> String {
        let base = self.inner.base.as_str().trim_end_matches('/');
        format!("{base}{path}")
    }

    /// Runs `f` on the state under its lock (never held across an await).
    fn with<R>(&self, f: impl FnOnce(&mut store::State) -> R) -> R {
        let mut g = match self.inner.state.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        f(&mut g)
    }

    /// Saves the records changed since the last save, off the async threads. Runs to the end
    /// even when the request that asked for it is dropped.
    async fn save(&self) -> Result<(), persist::SaveError> {
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
    async fn persist(&self) {
        if let Err(e) = self.save().await {
            tracing::error!("sandbox: {e}");
        }
    }
}

/// A running sandbox.
pub struct SandboxHandle {
    /// The address actually bound.
    pub addr: SocketAddr,
    /// The base of the URLs it hands out.
    pub base_url: Url,
    pub faults: Arc<Faults>,
    pub stats: Arc<Stats>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl SandboxHandle {
    /// `http://ADDR:PORT`, the address actually bound.
    pub fn local_url(&self) -> Url {
        Url::parse(&format!("http://{}", self.addr)).unwrap_or_else(|_| self.base_url.clone())
    }

    /// Stops accepting, lets open requests finish (for at most `shutdown_grace`), and waits.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Starts the sandbox on `listener` in a background task.
pub async fn start(listener: TcpListener, config: SandboxConfig) -> std::io::Result<SandboxHandle> {
    let (tx, rx) = oneshot::channel();
    let faults = Arc::new(Faults::default());
    let stats = Arc::new(Stats::default());
    let addr = listener.local_addr()?;
    let timeouts = timeouts(&config);
    let (router, base) = build(&listener, config, faults.clone(), stats.clone())?;
    let task = tokio::spawn(server::run(listener, router, timeouts, async {
        let _ = rx.await;
    }));
    Ok(SandboxHandle {
        addr,
        base_url: base,
        faults,
        stats,
        shutdown: Some(tx),
        task: Some(task),
    })
}

/// Serves the sandbox on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    config: SandboxConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let timeouts = timeouts(&config);
    let (router, _) = build(
        &listener,
        config,
        Arc::new(Faults::default()),
        Arc::new(Stats::default()),
    )?;
    server::run(listener, router, timeouts, shutdown).await
}

fn timeouts(config: &SandboxConfig) -> server::Timeouts {
    server::Timeouts {
        header: config.header_timeout,
        shutdown_grace: config.shutdown_grace,
    }
}

fn build(
    listener: &TcpListener,
    config: SandboxConfig,
    faults: Arc<Faults>,
    stats: Arc<Stats>,
) -> std::io::Result<(Router, Url)> {
    let addr = listener.local_addr()?;
    let base = match &config.public_url {
        Some(u) => u.clone(),
        None => Url::parse(&format!("http://{addr}")).map_err(std::io::Error::other)?,
    };
    let allowed_hosts = Arc::new(guard::AllowedHosts::new(addr, config.public_url.as_ref()));
    let dirs = store::Dirs::new(&config.data_dir)?;
    let state = persist::load(&dirs)?;
    let app = AppState {
        inner: Arc::new(Inner {
            config,
            base: base.clone(),
            dirs,
            state: Mutex::new(state),
            save_lock: Mutex::new(()),
            finalize_locks: Default::default(),
            upload_locks: Default::default(),
            transforms: Arc::new(tokio::sync::Semaphore::new(TRANSFORMS_AT_ONCE)),
            stats,
        }),
        faults,
    };
    let api = Router::new()
        .route(
            "/site-media/v1/files/generate-resumable-upload-url",
            post(rest::generate_resumable_upload_url),
        )
        .route(
            "/site-media/v1/files/get-file-by-id",
            get(rest::get_file_by_id),
        )
        .route("/site-media/v1/files/get-files", post(rest::get_files))
        .route("/site-media/v1/files", get(rest::list_files))
        .route(
            "/site-media/v1/folders",
            get(folders::list_folders).post(folders::create_folder),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            app.clone(),
            rest::auth,
        ));
    let router = Router::new()
        .merge(api)
        .route(
            "/upload/tus",
            post(tus_server::create).options(tus_server::options),
        )
        .route(
            "/upload/tus/{key}",
            axum::routing::head(tus_server::head)
                .patch(tus_server::patch)
                .delete(tus_server::terminate)
                .put(finalize::finalize)
                .options(tus_server::options),
        )
        .route("/media/{id}", get(media::original))
        .route(
            "/media/{id}/v1/{mode}/{params}/{name}",
            get(media::transform),
        )
        .route("/_sandbox/stats", get(stats_handler))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            faults::middleware,
        ))
        .layer(axum::middleware::from_fn_with_state(
            allowed_hosts,
            guard::host_check,
        ))
        .with_state(app);
    Ok((router, base))
}

async fn stats_handler(
    axum::extract::State(app): axum::extract::State<AppState>,
) -> axum::Json<serde_json::Value> {
    let mut json = app.inner.stats.to_json();
    json["uploadLocks"] = app.inner.upload_locks.len().into();
    axum::Json(json)
}
