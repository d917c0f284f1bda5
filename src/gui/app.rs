//! The application state and its frame loop. `logic` takes in what happened (engine events,
//! finished promises, a close request); `ui` lays the views out (`frame.rs`) and applies the
//! actions they return once each stage is laid out (`apply.rs`). Neither waits: every piece of
//! I/O is a task on the runtime whose result is polled.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use poll_promise::Promise;

use crate::engine::{Command, Event, JobId};
use crate::settings::Settings;

use super::action::AppAction;
use super::backend::Target;
use super::browser::Opening;
use super::clipboard::Clipboard;
use super::download_link::DownloadLinks;
use super::history_tab::History;
use super::link_dialog::LinkDialog;
use super::notify::{self, BatchTracker};
use super::prefs::{Tab, UiPrefs};
use super::queue::Queue;
use super::queue_view::QueueView;
use super::quit::Quit;
use super::services::{AppOptions, Conn, ConnectFailed, EngineLink, Services};
use super::settings_window::SettingsWindow;
use super::thumbs::Thumbs;
use super::view::{Banner, Messages};

pub struct App {
    pub(super) services: Services,
    /// The saved settings the engine runs with, as the connection loaded them or Settings saved
    /// them.
    pub(super) settings: Settings,
    /// The job mirror: rows kept up to date from engine events.
    pub(super) queue: Queue,
    pub(super) thumbs: Thumbs,
    pub(super) history: History,
    pub(super) view: ViewState,
    /// Saved between runs in eframe's storage.
    pub(super) prefs: UiPrefs,
    pub(super) flows: Flows,
    /// The files that ended since the queue was last idle, for the desktop notification.
    pub(super) batch: BatchTracker,
}

/// What the window shows apart from the jobs themselves; lost on quit, harmlessly.
pub(super) struct ViewState {
    /// Selection and scrolling of the list, the "Copied" label.
    pub(super) queue_view: QueueView,
    /// The banner and passing notices.
    pub(super) messages: Messages,
    /// The empty queue's drawing (a texture made once).
    pub(super) illustration: Option<egui::TextureHandle>,
}

/// Work under way that outlives a frame.
pub(super) struct Flows {
    /// The Settings window and its tasks (Test connection, folders, a save).
    pub(super) settings_window: SettingsWindow,
    /// Quitting: running, asking, stopping the engine, done.
    pub(super) quit: Quit,
    /// Uploads in progress the person asked to remove, waiting for "Remove" or "Keep".
    pub(super) removing: Vec<JobId>,
    /// Native file dialogs open, and pasted images being saved: the paths to queue, or what
    /// to tell the person instead (no dialog could open, the image could not be saved).
    pub(super) dialogs: Vec<Promise<Result<Vec<PathBuf>, String>>>,
    /// Paths dropped or given on the command line before the engine was ready.
    pub(super) pending_paths: Vec<PathBuf>,
    /// "Add link…", and links pasted before the engine was ready.
    pub(super) link_dialog: LinkDialog,
    pub(super) pending_links: Vec<String>,
    /// Download links of private files being asked for.
    pub(super) download_links: DownloadLinks,
    /// Ctrl+V's read of the clipboard.
    pub(super) clipboard: Clipboard,
    /// "Open": URLs on their way to the browser.
    pub(super) opening: Opening,
}

impl App {
    pub fn new(cc: &eframe::CreationContext<'_>, opts: AppOptions) -> Self {
        let ctx = cc.egui_ctx.clone();
        super::style::apply(&ctx);
        // Dates in rows are local: the time zone is a file read, done once off the UI thread.
        opts.runtime.spawn_blocking(super::format::load_time_zone);
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
        let flows = Flows {
            settings_window,
            quit: Quit::Running,
            removing: Vec::new(),
            dialogs: Vec::new(),
            pending_paths: opts.initial_paths.clone(),
            link_dialog: LinkDialog::default(),
            pending_links: Vec::new(),
            download_links: DownloadLinks::default(),
            clipboard: Clipboard::default(),
            opening: Opening::default(),
        };
        let view = ViewState {
            queue_view: QueueView::default(),
            messages: Messages::default(),
            illustration: super::style::illustration(&ctx),
        };
        let keep_awake = {
            let _runtime = opts.runtime.enter();
            crate::awake::KeepAwake::start(opts.login_bus.clone(), false)
        };
        let mut app = App {
            services: Services {
                opts,
                ctx,
                conn: Conn::Failed(String::new()),
                next_request: 1,
                throttle: Default::default(),
                keep_awake,
            },
            settings: Settings::default(),
            queue: Queue::default(),
            thumbs,
            history: History::new(),
            view,
            prefs: UiPrefs::load(cc.storage),
            flows,
            batch: BatchTracker::default(),
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
            self.flows.pending_paths.extend(paths);
            return;
        }
        let request = self.services.next_request();
        self.queue.walking(request);
        // The saved settings as they are now: a file queued after Save gets them at once.
        self.services.send(Command::AddFiles {
            request,
            paths,
            destination: self.settings.destination(),
            options: self.settings.job_options(),
        });
    }

    /// Queues http(s) links for Wix to import.
    pub fn add_links(&mut self, urls: Vec<String>) {
        if urls.is_empty() {
            return;
        }
        self.prefs.tab = Tab::Queue;
        if self.services.engine().is_none() {
            self.flows.pending_links.extend(urls);
            return;
        }
        let request = self.services.next_request();
        self.services.send(Command::AddLinks {
            request,
            urls,
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
        let placeholder = ConnectFailed {
            message: String::new(),
            settings: None,
        };
        let taken = std::mem::replace(p.as_mut(), Promise::from_ready(Err(placeholder)));
        match taken.try_take() {
            Err(p) => self.services.conn = Conn::Connecting(Box::new(p)),
            Ok(Err(failed)) => {
                self.view.messages.banner = Some(Banner {
                    text: format!("Not connected: {}", failed.message),
                    open_settings: true,
                });
                if let Some(saved) = failed.settings {
                    self.settings = *saved;
                }
                self.services.conn = Conn::Failed(failed.message);
            }
            Ok(Ok(c)) => {
                self.view.messages.banner = None;
                if let Some(n) = c.notice {
                    self.view.messages.notice(n);
                }
                self.flows.settings_window.sandbox_url = match &c.target {
                    Target::Sandbox { url } => Some(url.clone()),
                    Target::Site { .. } => None,
                };
                self.settings = c.settings;
                self.thumbs.set_proxy(&c.proxy);
                self.queue = Queue::from_jobs(c.jobs);
                self.services.conn = Conn::Ready(Box::new(EngineLink {
                    engine: c.engine,
                    events: c.events,
                    target: c.target,
                    sandbox: c.sandbox,
                    media: c.media,
                }));
                let pending = std::mem::take(&mut self.flows.pending_paths);
                self.add_paths(pending);
                let links = std::mem::take(&mut self.flows.pending_links);
                self.add_links(links);
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
        let ended: Vec<_> = batch
            .iter()
            .filter_map(|e| match e {
                Event::Finished { id, .. } => Some((*id, true)),
                Event::Failed { id, .. } => Some((*id, false)),
                _ => None,
            })
            .collect();
        let mut removed = std::collections::HashSet::new();
        for e in &batch {
            if let Event::Removed(id) = e {
                self.thumbs.forget(*id);
                removed.insert(*id);
            }
        }
        // Once per batch: Ctrl+A then Delete removes thousands of rows in one batch.
        if !removed.is_empty() {
            self.view
                .queue_view
                .selection
                .retain(|k| !removed.contains(k));
        }
        // Finished uploads join the History tab from their events; the file is not read again.
        let (recorded, batch): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .partition(|e| matches!(e, Event::Recorded(_)));
        for e in recorded {
            if let Event::Recorded(entry) = e {
                self.history.record(*entry);
            }
        }
        // A drop, paste or Add into a full list: its first new row is brought into view.
        let added: Vec<JobId> = batch
            .iter()
            .filter_map(|e| match e {
                Event::FilesAdded { added, .. } => Some(added),
                _ => None,
            })
            .flatten()
            .copied()
            .collect();
        for n in self.queue.apply(batch, Instant::now()) {
            self.view.messages.show(n);
        }
        if let Some(at) = added.iter().filter_map(|id| self.queue.position(*id)).min() {
            self.view.queue_view.scroll_to = Some(at);
        }
        for (id, done) in ended {
            let image = self.queue.get(id).is_some_and(|r| r.is_image());
            self.batch.ended(id, image, done);
        }
    }

    /// A batch that finished while the window was in the background: one notification.
    fn notify_batch(&mut self, ctx: &egui::Context, busy: bool) {
        let Some(summary) = self.batch.settle(busy) else {
            return;
        };
        if self.settings.notify_when_done && notify::in_background(ctx) {
            let ctx = ctx.clone();
            let on_click = Box::new(move || notify::raise(&ctx));
            self.services.opts.notifier.notify(summary.text(), on_click);
        }
    }

    /// Whether it is safe to close now (tests check the quit flow with it).
    pub fn may_close(&self) -> bool {
        matches!(self.flows.quit, Quit::Done)
    }

    pub fn is_confirming_quit(&self) -> bool {
        matches!(self.flows.quit, Quit::Confirming)
    }
}

impl eframe::App for App {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.poll_connection();
        self.poll_events();
        self.poll_dialogs();
        self.thumbs.poll();
        self.history.poll();
        if let Some(outcome) = self.flows.settings_window.poll() {
            self.apply(ctx, AppAction::SettingsSaved(outcome));
        }
        let connected = self.services.engine().is_some();
        let busy = self.queue.busy();
        self.notify_batch(ctx, busy);
        if let Some(step) = self.flows.quit.on_close(ctx, connected, busy) {
            self.apply(ctx, AppAction::Quit(step));
        }
        let notices = self.view.messages.expire(Instant::now());
        if busy || notices || self.view.queue_view.shows_copied() {
            // Countdowns ("retrying in 3 s"), notices expiring, "Copied" reverting.
            ctx.request_repaint_after(Duration::from_millis(500));
        }
    }

    /// Input first (shortcuts are taken before a text field sees them), then the panels, then
    /// the windows above them. A stage's actions are applied once it is laid out, never in the
    /// middle of it, and before the next stage: a click on the gear opens Settings this frame.
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        // Copied in a pass (`ui`), where the clipboard command is kept.
        let links = self.flows.download_links.poll();
        self.apply_all(
            &ctx,
            links.into_iter().map(AppAction::DownloadLink).collect(),
        );
        for (url, why) in self.flows.opening.failed() {
            ctx.copy_text(url);
            self.view.messages.notice(super::browser::not_opened(&why));
        }
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
