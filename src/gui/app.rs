//! The application state and its frame loop. `logic` takes in what happened (engine events,
//! finished promises, a close request); `ui` lays the views out (`frame.rs`) and applies the
//! actions they return once each stage is laid out (`apply.rs`). Neither waits: every piece of
//! I/O is a task on the runtime whose result is polled.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use poll_promise::Promise;

use crate::engine::{Command, EngineHandle, Event};
use crate::sandbox::SandboxHandle;
use crate::settings::{SecretStore, Settings};

use super::action::AppAction;
use super::backend::{self, ConnectSpec, Connected, Target, Tune};
use super::history_tab::History;
use super::prefs::{Tab, UiPrefs};
use super::queue::Queue;
use super::queue_view::QueueView;
use super::quit::Quit;
use super::settings_window::SettingsWindow;
use super::thumbs::Thumbs;
use super::view::{Banner, Link, Messages};

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
        }
    }
}

/// A running engine and what it talks to.
pub(super) struct EngineLink {
    pub engine: EngineHandle,
    pub events: tokio::sync::mpsc::UnboundedReceiver<Event>,
    pub target: Target,
    sandbox: Option<SandboxHandle>,
}

pub(super) enum Conn {
    Connecting(Box<Promise<Result<Connected, String>>>),
    Ready(Box<EngineLink>),
    Failed(String),
}

/// What the window works through and does not draw: the runtime, the data dir and the keychain
/// (in `opts`), the egui context that repaints, and the connection to the engine.
pub(super) struct Services {
    pub opts: AppOptions,
    pub ctx: egui::Context,
    pub conn: Conn,
    /// Numbers `AddFiles` requests.
    next_request: u64,
}

impl Services {
    /// Starts connecting (at start, and after Settings changed the connection).
    pub(super) fn connect(&mut self) {
        let spec = ConnectSpec {
            data_dir: self.opts.data_dir.clone(),
            secrets: self.opts.secrets.clone(),
            sandbox_port: self.opts.sandbox_port,
            tune: self.opts.tune.clone(),
        };
        let ctx = self.ctx.clone();
        let notifier: crate::engine::Notifier = Arc::new(move || ctx.request_repaint());
        let old = match std::mem::replace(&mut self.conn, Conn::Failed(String::new())) {
            Conn::Ready(live) => Some(live),
            _ => None,
        };
        let (tx, promise) = Promise::new();
        let ctx = self.ctx.clone();
        self.opts.runtime.spawn(async move {
            if let Some(old) = old {
                // Stop the old engine first: it holds the journal lock and its workers. Then
                // the old sandbox, so the new one can have its port (and its URLs stay valid).
                old.engine.shutdown().await;
                if let Some(sb) = old.sandbox {
                    crate::startup::release(sb).await;
                }
            }
            // The banner shows the message; the window keeps only the text.
            tx.send(
                backend::connect(spec, notifier)
                    .await
                    .map_err(|e| e.to_string()),
            );
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

pub struct App {
    pub(super) services: Services,
    /// The saved settings the engine runs with, as the connection loaded them or Settings saved
    /// them.
    pub(super) settings: Settings,
    /// The job mirror: rows kept up to date from engine events.
    pub(super) queue: Queue,
    pub(super) thumbs: Thumbs,
    pub(super) history: History,
    /// View state: selection and scrolling of the list, the banner and notices.
    pub(super) queue_view: QueueView,
    pub(super) messages: Messages,
    /// Saved between runs in eframe's storage.
    pub(super) prefs: UiPrefs,
    /// Flows under way: the Settings window and its tasks, quitting, open dialogs (and pasted
    /// images being saved), paths waiting for a connection.
    pub(super) settings_window: SettingsWindow,
    pub(super) quit: Quit,
    pub(super) dialogs: Vec<Promise<Vec<PathBuf>>>,
    pub(super) pending_paths: Vec<PathBuf>,
    pub(super) illustration: Option<egui::TextureHandle>,
}

impl App {
    pub fn new(cc: &eframe::CreationContext<'_>, opts: AppOptions) -> Self {
        let ctx = cc.egui_ctx.clone();
        super::style::apply(&ctx);
        let thumbs = Thumbs::new(
            ctx.clone(),
            opts.runtime.clone(),
            opts.data_dir.join("cache").join("thumbs"),
        );
        let settings_window = SettingsWindow::new(
            opts.runtime.clone(),
            opts.secrets.clone(),
            opts.data_dir.clone(),
        );
        let mut app = App {
            pending_paths: opts.initial_paths.clone(),
            illustration: super::style::illustration(&ctx),
            services: Services {
                opts,
                ctx,
                conn: Conn::Failed(String::new()),
                next_request: 1,
            },
            settings: Settings::default(),
            queue: Queue::default(),
            thumbs,
            history: History::new(),
            queue_view: QueueView::default(),
            messages: Messages::default(),
            prefs: UiPrefs::load(cc.storage),
            settings_window,
            quit: Quit::Running,
            dialogs: Vec::new(),
        };
        // The history (for a History tab left open last time) loads once connected.
        app.services.connect();
        app
    }

    /// Queues files and folders (folders are walked by the engine, off this thread).
    pub fn add_paths(&mut self, paths: Vec<PathBuf>) {
        if paths.is_empty() {
            return;
        }
        self.prefs.tab = Tab::Queue;
        if self.services.engine().is_none() {
            self.pending_paths.extend(paths);
            return;
        }
        let request = self.services.next_request();
        self.services.send(Command::AddFiles {
            request,
            paths,
            destination: self.settings.destination(),
        });
    }

    pub(super) fn reload_history(&mut self) {
        let s = &self.services;
        self.history
            .reload(&s.opts.runtime, &s.ctx, s.opts.data_dir.clone());
    }

    /// The queue as the window shows it (tests read it).
    pub fn queue(&self) -> &Queue {
        &self.queue
    }

    /// Row previews still being read or fetched (for tests that wait for them to settle).
    pub fn previews_loading(&self) -> usize {
        self.thumbs.loading()
    }

    /// Where uploads go now, once connected.
    pub fn target(&self) -> Option<&Target> {
        self.services.target()
    }

    fn poll_connection(&mut self) {
        let Conn::Connecting(p) = &mut self.services.conn else {
            return;
        };
        let taken = std::mem::replace(p.as_mut(), Promise::from_ready(Err(String::new())));
        match taken.try_take() {
            Err(p) => self.services.conn = Conn::Connecting(Box::new(p)),
            Ok(Err(e)) => {
                self.messages.banner = Some(Banner {
                    text: format!("Not connected: {e}"),
                    open_settings: true,
                });
                self.services.conn = Conn::Failed(e);
            }
            Ok(Ok(c)) => {
                self.messages.banner = None;
                if let Some(n) = c.notice {
                    self.messages.notice(n);
                }
                self.settings_window.sandbox_url = match &c.target {
                    Target::Sandbox { url } => Some(url.clone()),
                    Target::Site { .. } => None,
                };
                self.settings = c.settings;
                self.queue = Queue::from_jobs(c.jobs);
                self.services.conn = Conn::Ready(Box::new(EngineLink {
                    engine: c.engine,
                    events: c.events,
                    target: c.target,
                    sandbox: c.sandbox,
                }));
                let pending = std::mem::take(&mut self.pending_paths);
                self.add_paths(pending);
                self.reload_history();
            }
        }
    }

    fn poll_events(&mut self) {
        let Conn::Ready(live) = &mut self.services.conn else {
            return;
        };
        // At most this many events a frame: a dropped folder of 10,000 files arrives over a few
        // frames instead of one long one.
        const PER_FRAME: usize = 2_000;
        let mut batch = Vec::new();
        while batch.len() < PER_FRAME {
            match live.events.try_recv() {
                Ok(e) => batch.push(e),
                Err(_) => break,
            }
        }
        if batch.is_empty() {
            return;
        }
        if batch.len() == PER_FRAME {
            self.services.ctx.request_repaint();
        }
        let finished = batch.iter().any(|e| matches!(e, Event::Finished { .. }));
        for e in &batch {
            if let Event::Removed(id) = e {
                self.thumbs.forget(*id);
                if self.queue_view.selected == Some(*id) {
                    self.queue_view.selected = None;
                }
            }
        }
        for n in self.queue.apply(batch, Instant::now()) {
            self.messages.show(n);
        }
        if finished {
            self.reload_history();
        }
    }

    fn poll_dialogs(&mut self) {
        let mut picked = Vec::new();
        self.dialogs.retain_mut(|p| match p.ready() {
            Some(paths) => {
                picked.extend(paths.iter().cloned());
                false
            }
            None => true,
        });
        self.add_paths(picked);
    }

    /// Whether it is safe to close now (tests check the quit flow with it).
    pub fn may_close(&self) -> bool {
        matches!(self.quit, Quit::Done)
    }

    pub fn is_confirming_quit(&self) -> bool {
        matches!(self.quit, Quit::Confirming)
    }
}

impl eframe::App for App {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.poll_connection();
        self.poll_events();
        self.poll_dialogs();
        self.thumbs.poll();
        self.history.poll();
        if let Some(outcome) = self.settings_window.poll() {
            self.apply(ctx, AppAction::SettingsSaved(outcome));
        }
        let connected = self.services.engine().is_some();
        let busy = self.queue.totals().busy();
        if let Some(step) = self.quit.on_close(ctx, connected, busy) {
            self.apply(ctx, AppAction::Quit(step));
        }
        let notices = self.messages.expire(Instant::now());
        if busy || notices || self.queue_view.shows_copied() {
            // Countdowns ("retrying in 3 s"), notices expiring, "Copied" reverting.
            ctx.request_repaint_after(Duration::from_millis(500));
        }
    }

    /// Input first (shortcuts are taken before a text field sees them), then the panels, then
    /// the windows above them. A stage's actions are applied once it is laid out, never in the
    /// middle of it, and before the next stage: a click on the gear opens Settings this frame.
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        let input = self.input(&ctx);
        self.apply_all(&ctx, input);
        let panels = self.panels_ui(ui);
        self.apply_all(&ctx, panels);
        let windows = self.windows_ui(&ctx);
        self.apply_all(&ctx, windows);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.prefs.save(storage);
    }

    fn persist_egui_memory(&self) -> bool {
        false
    }
}
