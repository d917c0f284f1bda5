//! What the window works through and does not draw: the runtime, the data dir and the keychain
//! (in the options), the egui context that repaints, and the connection to the engine, started
//! here and replaced when Settings change it.

use std::sync::Arc;

use poll_promise::Promise;

use crate::engine::{Command, EngineHandle, Event};
use crate::sandbox::SandboxHandle;
use crate::wix_media::WixMediaClient;

use std::path::PathBuf;

use crate::settings::SecretStore;

use super::backend::{self, ConnectSpec, Connected, Target, Tune};
use super::view::Link;

/// How the app is set up: the real window uses [`AppOptions::new`]; tests change the port and
/// the engine's retry delays.
#[derive(Clone)]
pub struct AppOptions {
    pub data_dir: PathBuf,
    pub runtime: tokio::runtime::Handle,
    pub secrets: SecretStore,
    /// Files to queue once connected (`wixup PATH...`, "Open with Wixup").
    pub initial_paths: Vec<PathBuf>,
    pub sandbox_port: u16,
    pub tune: Option<Tune>,
    /// Where "N photos uploaded" goes when a batch finishes in the background.
    pub notifier: Arc<dyn super::notify::DesktopNotifier>,
    /// What Ctrl+V reads (the desktop's clipboard; tests give their own).
    pub clipboard: Arc<dyn super::clipboard::ClipboardReader>,
    /// What "Open" starts (the desktop's browser; tests give their own).
    pub browser: Arc<dyn super::browser::Browser>,
    /// Where logind is, for "Keep the computer awake while uploading" (tests: a stand-in).
    pub login_bus: crate::awake::Bus,
}

impl AppOptions {
    pub fn new(data_dir: PathBuf, runtime: tokio::runtime::Handle) -> Self {
        let sandbox_port = crate::config::Env::from_process().sandbox_port();
        AppOptions {
            secrets: SecretStore::for_data_dir(&data_dir),
            data_dir,
            runtime,
            initial_paths: Vec::new(),
            sandbox_port,
            tune: None,
            notifier: Arc::new(super::notify::Freedesktop::default()),
            clipboard: Arc::new(super::clipboard::SystemClipboard),
            browser: Arc::new(super::browser::SystemBrowser),
            login_bus: crate::awake::Bus::System,
        }
    }
}

/// A running engine and what it talks to.
pub(super) struct EngineLink {
    pub engine: EngineHandle,
    pub events: tokio::sync::mpsc::UnboundedReceiver<Event>,
    pub target: Target,
    pub sandbox: Option<SandboxHandle>,
    /// The site's Media API, for calls outside the engine (download links).
    pub media: WixMediaClient,
}

pub(super) enum Conn {
    Connecting(Box<Promise<Result<Connected, ConnectFailed>>>),
    Ready(Box<EngineLink>),
    Failed(String),
}

/// A connection that failed: why, and the saved settings as they are on disk, so Settings opens
/// on them (before, it opened on the defaults, "Local sandbox" ticked, and a Save there dropped
/// the site).
pub(super) struct ConnectFailed {
    pub message: String,
    pub settings: Option<Box<crate::settings::Settings>>,
}

/// What the window works through and does not draw: the runtime, the data dir and the keychain
/// (in `opts`), the egui context that repaints, and the connection to the engine.
pub(super) struct Services {
    pub opts: AppOptions,
    pub ctx: egui::Context,
    pub conn: Conn,
    /// Numbers `AddFiles` requests.
    pub(super) next_request: u64,
    /// "Limit upload speed", shared with the engine's transfers: a save applies at once.
    pub throttle: crate::file_stream::Throttle,
    /// "Keep the computer awake while uploading", shared with the engine: a save applies at once.
    pub keep_awake: crate::awake::KeepAwake,
}

impl Services {
    /// Starts connecting (at start, and after Settings changed the connection).
    pub(super) fn connect(&mut self) {
        let spec = ConnectSpec {
            data_dir: self.opts.data_dir.clone(),
            secrets: self.opts.secrets.clone(),
            sandbox_port: self.opts.sandbox_port,
            tune: self.opts.tune.clone(),
            throttle: self.throttle.clone(),
            keep_awake: self.keep_awake.clone(),
        };
        let ctx = self.ctx.clone();
        let notifier: crate::engine::Notifier = Arc::new(move || ctx.request_repaint());
        let old = std::mem::replace(&mut self.conn, Conn::Failed(String::new()));
        let (tx, promise) = Promise::new();
        let ctx = self.ctx.clone();
        self.opts.runtime.spawn(async move {
            let old = match old {
                Conn::Ready(live) => Some((live.engine, live.sandbox)),
                // A connection still being made is waited for, never left to run beside this
                // one: whatever it started is stopped before this one opens the journal.
                Conn::Connecting(attempt) => {
                    match tokio::task::spawn_blocking(move || attempt.block_and_take()).await {
                        Ok(Ok(c)) => Some((c.engine, c.sandbox)),
                        _ => None,
                    }
                }
                Conn::Failed(_) => None,
            };
            if let Some((engine, sandbox)) = old {
                // Stop the old engine first: it holds the journal lock and its workers. Then
                // the old sandbox, so the new one can have its port (and its URLs stay valid).
                engine.shutdown().await;
                if let Some(sb) = sandbox {
                    crate::startup::release(sb).await;
                }
            }
            // The banner shows the message; the window keeps only the text.
            let data_dir = spec.data_dir.clone();
            let answer = match backend::connect(spec, notifier).await {
                Ok(c) => Ok(c),
                Err(e) => {
                    let read = move || {
                        crate::settings::Settings::load(&data_dir)
                            .ok()
                            .map(Box::new)
                    };
                    let settings = tokio::task::spawn_blocking(read).await.ok().flatten();
                    Err(ConnectFailed {
                        message: e.to_string(),
                        settings,
                    })
                }
            };
            tx.send(answer);
            ctx.request_repaint();
        });
        self.conn = Conn::Connecting(Box::new(promise));
    }

    pub fn engine(&self) -> Option<&EngineHandle> {
        match &self.conn {
            Conn::Ready(l) => Some(&l.engine),
            _ => None,
        }
    }

    pub fn send(&self, c: Command) {
        if let Some(e) = self.engine() {
            e.send(c);
        }
    }

    /// The site's Media API client, once connected.
    pub fn media(&self) -> Option<&WixMediaClient> {
        match &self.conn {
            Conn::Ready(l) => Some(&l.media),
            _ => None,
        }
    }

    pub fn target(&self) -> Option<&Target> {
        match &self.conn {
            Conn::Ready(l) => Some(&l.target),
            _ => None,
        }
    }

    /// The connection as the top bar shows it.
    pub fn link(&self) -> Link<'_> {
        match &self.conn {
            Conn::Ready(l) => Link::Ready(&l.target),
            Conn::Connecting(_) => Link::Connecting,
            Conn::Failed(e) => Link::Failed(e),
        }
    }

    pub fn next_request(&mut self) -> u64 {
        let request = self.next_request;
        self.next_request += 1;
        request
    }
}
