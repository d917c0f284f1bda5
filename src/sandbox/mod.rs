//! The local sandbox: a Wix-compatible server on loopback with the same REST paths and JSON
//! shapes as Wix, a real tus 1.0 server, static media URLs and resized thumbnails.
//!
//! It shares no protocol code with the clients (a shared codec would hide shared bugs): the two
//! only meet over HTTP. Tests bind `127.0.0.1:0`; the app and the CLI bind a stable default port
//! so the URLs it handed out stay valid after a restart.

// Handlers return `Result<_, Response>` so an early error is the answer itself; boxing every
// error response would only add noise.
#![allow(clippy::result_large_err)]

mod clock;
mod config;
mod descriptor;
mod disk;
mod download;
mod faults;
mod file_facts;
mod finalize;
mod folders;
mod guard;
mod ids;
mod image_size;
mod import;
mod import_fetch;
mod import_record;
mod killable;
mod locks;
mod media;
mod media_cache;
mod persist;
mod plain_upload;
mod private_file;
mod processing;
mod profile;
mod quirks;
mod ranges;
mod rate_limit;
mod refusal;
mod reply;
mod rest;
mod server;
mod state;
mod stats;
mod store;
mod tls;
mod tus_body;
mod tus_reply;
mod tus_server;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use reqwest::Url;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use clock::Clock;
pub use config::{DEFAULT_API_KEY, DEFAULT_PORT, DEFAULT_SITE_ID, SandboxConfig};
pub use faults::{FaultKind, Faults, Rule};
pub use profile::{Profile, RateLimit, TypeLimits};
pub use quirks::Quirks;
pub use stats::Stats;
pub use tls::{TlsSource, ca_file};

use state::AppState;

/// A running sandbox.
pub struct SandboxHandle {
    /// The address actually bound.
    pub addr: SocketAddr,
    /// The base of the URLs it hands out.
    pub base_url: Url,
    pub faults: Arc<Faults>,
    pub stats: Arc<Stats>,
    /// The clock lifetimes run on: a test advances it to expire tokens and uploads at once.
    pub clock: Arc<Clock>,
    /// Under `--tls` with a certificate it made: the CA file a client trusts for it.
    pub ca_file: Option<std::path::PathBuf>,
    tls: bool,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl SandboxHandle {
    /// `http://ADDR:PORT` (`https://` under TLS), the address actually bound.
    pub fn local_url(&self) -> Url {
        let scheme = if self.tls { "https" } else { "http" };
        Url::parse(&format!("{scheme}://{}", self.addr)).unwrap_or_else(|_| self.base_url.clone())
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
    let clock = Arc::new(Clock::default());
    let addr = listener.local_addr()?;
    let timeouts = timeouts(&config);
    let (router, base, tls) = build(
        &listener,
        config,
        faults.clone(),
        stats.clone(),
        clock.clone(),
    )?;
    let (acceptor, ca_file) = match tls {
        Some(t) => (Some(t.acceptor), t.ca_file),
        None => (None, None),
    };
    let tls = acceptor.is_some();
    let task = tokio::spawn(server::run(listener, router, timeouts, acceptor, async {
        let _ = rx.await;
    }));
    Ok(SandboxHandle {
        addr,
        base_url: base,
        faults,
        stats,
        clock,
        ca_file,
        tls,
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
    let (router, _, tls) = build(
        &listener,
        config,
        Arc::new(Faults::default()),
        Arc::new(Stats::default()),
        Arc::new(Clock::default()),
    )?;
    server::run(
        listener,
        router,
        timeouts,
        tls.map(|t| t.acceptor),
        shutdown,
    )
    .await
}

fn timeouts(config: &SandboxConfig) -> server::Timeouts {
    server::Timeouts {
        header: config.header_timeout,
        shutdown_grace: config.shutdown_grace,
    }
}

/// The router of every sandbox route over freshly opened storage, the base of the URLs it
/// hands out, and its TLS under `--tls`.
fn build(
    listener: &TcpListener,
    config: SandboxConfig,
    faults: Arc<Faults>,
    stats: Arc<Stats>,
    clock: Arc<Clock>,
) -> std::io::Result<(Router, Url, Option<tls::ServerTls>)> {
    let addr = listener.local_addr()?;
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let base = match &config.public_url {
        Some(u) => u.clone(),
        None => Url::parse(&format!("{scheme}://{addr}")).map_err(std::io::Error::other)?,
    };
    let tls = match &config.tls {
        Some(source) => Some(tls::server_tls(
            source,
            &config.data_dir,
            addr,
            config.public_url.as_ref().and_then(Url::host_str),
        )?),
        None => None,
    };
    let allowed_hosts = Arc::new(guard::AllowedHosts::new(addr, config.public_url.as_ref()));
    let app = AppState::open(config, base.clone(), stats.clone(), clock.clone())?;
    let api = Router::new()
        .route(
            "/site-media/v1/files/generate-resumable-upload-url",
            post(rest::generate_resumable_upload_url),
        )
        .route(
            "/site-media/v1/files/get-file-by-id",
            get(rest::get_file_by_id),
        )
        .route(
            "/site-media/v1/files/generate-upload-url",
            post(rest::generate_upload_url),
        )
        .route("/site-media/v1/files/get-files", post(rest::get_files))
        .route("/site-media/v1/files/{id}", get(rest::get_file_by_path))
        .route(
            "/site-media/v1/files/{id}/generate-download-url",
            post(download::generate),
        )
        .route("/site-media/v1/files/import", post(import::import_file))
        .route(
            "/site-media/v1/bulk/files/import-v2",
            post(import::bulk_import),
        )
        .route("/site-media/v1/files", get(rest::list_files))
        .route("/site-media/v1/bulk/files/delete", post(rest::bulk_delete))
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
            post(tus_server::create).options(tus_reply::options),
        )
        .route(
            "/upload/tus/{key}",
            axum::routing::head(tus_server::head)
                .patch(tus_server::patch)
                .delete(tus_server::terminate)
                .put(finalize::finalize)
                .options(tus_reply::options),
        )
        .route("/upload/{token}", axum::routing::put(plain_upload::put))
        .route("/media/{id}", get(media::original))
        .route("/download/{token}", get(download::serve))
        .route(
            "/media/{id}/v1/{mode}/{params}/{name}",
            get(media::transform),
        )
        .route("/_sandbox/stats", get(stats_handler))
        .layer(axum::middleware::from_fn_with_state(
            (faults, clock),
            faults::middleware,
        ))
        .layer(axum::middleware::from_fn_with_state(
            allowed_hosts,
            guard::host_check,
        ))
        .layer(axum::middleware::from_fn_with_state(
            stats,
            stats::count_in_flight,
        ))
        .with_state(app);
    Ok((router, base, tls))
}

async fn stats_handler(State(app): State<AppState>) -> axum::Json<serde_json::Value> {
    let mut json = app.inner.stats.to_json();
    json["uploadLocks"] = app.inner.upload_locks.len().into();
    axum::Json(json)
}
