//! The application state and its frame loop. `logic` takes in what happened (engine events,
//! finished promises, a close request); `ui` draws and turns clicks into engine commands.
//! Neither waits: every piece of I/O is a task on the runtime whose result is polled.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use poll_promise::Promise;

use crate::engine::{Command, EngineHandle, Event, JobId};
use crate::sandbox::SandboxHandle;
use crate::settings::{SecretStore, Settings};

use super::backend::{self, ConnectSpec, Connected, Target, Tune};
use super::history_tab::History;
use super::queue::{Notice, Queue};
use super::settings_window::SettingsWindow;
use super::thumbs::Thumbs;

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

pub(super) struct Live {
    pub engine: EngineHandle,
    pub events: tokio::sync::mpsc::UnboundedReceiver<Event>,
    pub target: Target,
    sandbox: Option<SandboxHandle>,
}

pub(super) enum Conn {
    Connecting(Box<Promise<Result<Connected, String>>>),
    Ready(Box<Live>),
    Failed(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tab {
    Queue,
    History,
}

pub(super) enum Quit {
    Running,
    /// Uploads are running; the person is asked.
    Confirming,
    /// The engine is stopping (workers end, the journal is flushed).
    Stopping(Promise<()>),
    /// Safe to close.
    Done,
}

/// A problem that concerns everything, with what fixes it.
pub(super) struct Banner {
    pub text: String,
    pub open_settings: bool,
}

pub struct App {
    pub(super) opts: AppOptions,
    pub(super) ctx: egui::Context,
    pub(super) conn: Conn,
    pub(super) settings: Settings,
    pub(super) queue: Queue,
    pub(super) selected: Option<JobId>,
    pub(super) tab: Tab,
    pub(super) thumbs: Thumbs,
    pub(super) history: History,
    pub(super) settings_window: SettingsWindow,
    pub(super) notices: Vec<(String, Instant)>,
    pub(super) banner: Option<Banner>,
    pub(super) pending_paths: Vec<PathBuf>,
    pub(super) dialogs: Vec<Promise<Vec<PathBuf>>>,
    pub(super) copied: Option<(JobId, &'static str, Instant)>,
    pub(super) next_request: u64,
    pub(super) quit: Quit,
    pub(super) illustration: Option<egui::TextureHandle>,
    /// Row to bring into view (keyboard selection), and the list's scroll offset.
    pub(super) scroll_to: Option<usize>,
    pub(super) list_offset: f32,
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
            conn: Conn::Failed(String::new()),
            opts,
            illustration: super::style::illustration(&ctx),
            ctx,
            settings: Settings::default(),
            queue: Queue::default(),
            selected: None,
            tab: Tab::Queue,
            thumbs,
            history: History::new(),
            settings_window,
            notices: Vec::new(),
            banner: None,
            dialogs: Vec::new(),
            copied: None,
            next_request: 1,
            quit: Quit::Running,
            scroll_to: None,
            list_offset: 0.0,
        };
        app.connect();
        app
    }

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

    pub(super) fn engine(&self) -> Option<&EngineHandle> {
        match &self.conn {
            Conn::Ready(l) => Some(&l.engine),
            _ => None,
        }
    }

    pub(super) fn send(&self, c: Command) {
        if let Some(e) = self.engine() {
            e.send(c);
        }
    }

    /// Queues files and folders (folders are walked by the engine, off this thread).
    pub fn add_paths(&mut self, paths: Vec<PathBuf>) {
        if paths.is_empty() {
            return;
        }
        self.tab = Tab::Queue;
        if self.engine().is_none() {
            self.pending_paths.extend(paths);
            return;
        }
        let request = self.next_request;
        self.next_request += 1;
        self.send(Command::AddFiles {
            request,
            paths,
            destination: self.settings.destination(),
        });
    }

    pub(super) fn notice(&mut self, text: String) {
        self.notices.push((text, Instant::now()));
        if self.notices.len() > 4 {
            self.notices.remove(0);
        }
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
        match &self.conn {
            Conn::Ready(l) => Some(&l.target),
            _ => None,
        }
    }

    fn poll_connection(&mut self) {
        let Conn::Connecting(p) = &mut self.conn else {
            return;
        };
        let taken = std::mem::replace(p.as_mut(), Promise::from_ready(Err(String::new())));
        match taken.try_take() {
            Err(p) => self.conn = Conn::Connecting(Box::new(p)),
            Ok(Err(e)) => {
                self.banner = Some(Banner {
                    text: format!("Not connected: {e}"),
                    open_settings: true,
                });
                self.conn = Conn::Failed(e);
            }
            Ok(Ok(c)) => {
                self.banner = None;
                if let Some(n) = c.notice {
                    self.notice(n);
                }
                self.settings_window.sandbox_url = match &c.target {
                    Target::Sandbox { url } => Some(url.clone()),
                    Target::Site { .. } => None,
                };
                self.settings = c.settings;
                self.queue = Queue::from_jobs(c.jobs);
                self.conn = Conn::Ready(Box::new(Live {
                    engine: c.engine,
                    events: c.events,
                    target: c.target,
                    sandbox: c.sandbox,
                }));
                let pending = std::mem::take(&mut self.pending_paths);
                self.add_paths(pending);
                self.history
                    .reload(&self.opts.runtime, &self.ctx, self.opts.data_dir.clone());
            }
        }
    }

    fn poll_events(&mut self) {
        let Conn::Ready(live) = &mut self.conn else {
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
            self.ctx.request_repaint();
        }
        let finished = batch.iter().any(|e| matches!(e, Event::Finished { .. }));
        for e in &batch {
            if let Event::Removed(id) = e {
                self.thumbs.forget(*id);
                if self.selected == Some(*id) {
                    self.selected = None;
                }
            }
        }
        for n in self.queue.apply(batch, Instant::now()) {
            match n {
                Notice::Rejected(list) => {
                    for (path, why) in list {
                        self.notice(format!(
                            "{}: {}",
                            crate::os_path::lossy(&path),
                            crate::text::printable(&why)
                        ));
                    }
                }
                Notice::Duplicates(1) => self.notice("That file is already in the queue.".into()),
                Notice::Duplicates(n) => {
                    self.notice(format!("{n} files are already in the queue."))
                }
                Notice::Credentials(m) => {
                    self.banner = Some(Banner {
                        text: m,
                        open_settings: true,
                    })
                }
                Notice::JournalError(m) => self.notice(m),
            }
        }
        if finished {
            self.history
                .reload(&self.opts.runtime, &self.ctx, self.opts.data_dir.clone());
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

    /// Quitting while uploads run asks first; then the engine stops and flushes the journal
    /// before the window closes.
    fn handle_close(&mut self, ctx: &egui::Context) {
        if let Quit::Stopping(p) = &self.quit
            && p.ready().is_some()
        {
            self.quit = Quit::Done;
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        if !ctx.input(|i| i.viewport().close_requested()) {
            return;
        }
        match self.quit {
            Quit::Done => {}
            Quit::Running if self.engine().is_some() => {
                ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
                if self.queue.totals().busy() {
                    self.quit = Quit::Confirming;
                } else {
                    self.stop_engine();
                }
            }
            Quit::Running => {}
            Quit::Confirming | Quit::Stopping(_) => {
                ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            }
        }
    }

    pub(super) fn stop_engine(&mut self) {
        let Some(engine) = self.engine().cloned() else {
            self.quit = Quit::Done;
            return;
        };
        let (tx, promise) = Promise::new();
        let ctx = self.ctx.clone();
        self.opts.runtime.spawn(async move {
            engine.shutdown().await;
            tx.send(());
            ctx.request_repaint();
        });
        self.quit = Quit::Stopping(promise);
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
        self.handle_close(ctx);
        let now = Instant::now();
        self.notices
            .retain(|(_, at)| now.duration_since(*at) < Duration::from_secs(12));
        if self.queue.totals().busy() || !self.notices.is_empty() || self.copied.is_some() {
            // Countdowns ("retrying in 3 s"), notices expiring, "Copied" reverting.
            ctx.request_repaint_after(Duration::from_millis(500));
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.draw(ui);
    }

    fn persist_egui_memory(&self) -> bool {
        false
    }
}
