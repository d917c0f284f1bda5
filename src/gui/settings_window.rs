//! The Settings window: its form (`settings_form`) and the tasks the form asks for. Saving,
//! testing and loading folders run on the runtime, started after the form was drawn; the
//! window only polls their promises.

use poll_promise::Promise;
use reqwest::Url;

use crate::config::sandbox_credentials;
use crate::net::{Network, ProxyChoice};
use crate::redact::ApiKey;
use crate::settings::{ConnectionKind, SecretStore, Settings};
use crate::trust::Trust;
use crate::wix_media::{Credentials, Folder};

use super::backend;
use super::settings_form::{Form, FormAction, FormStatus, footer, form_ui};

/// The room kept between the Settings window and the edges of the app.
const EDGE: f32 = 12.0;

/// What the window asks the app to do.
pub enum Outcome {
    /// Settings were saved; reconnect when `reconnect` (connection or chunk size changed).
    Saved {
        settings: Settings,
        reconnect: bool,
        note: String,
    },
}

pub struct SettingsWindow {
    pub open: bool,
    form: Form,
    /// The settings the window opened on, to tell whether a save changes the connection.
    saved: Settings,
    runtime: tokio::runtime::Handle,
    secrets: SecretStore,
    data_dir: std::path::PathBuf,
    test: Option<Promise<Result<String, String>>>,
    folders: Option<Promise<Result<Vec<Folder>, String>>>,
    /// A save under way, with what it saves: collected even after the window was closed
    /// (Cancel while saving does not undo a save that already reached the disk).
    save: Option<PendingSave>,
    error: Option<String>,
    /// The sandbox the app runs, for Test connection and folders when it is the backend.
    pub sandbox_url: Option<Url>,
    /// The window's height beside its scrolling fields (title, footer, margins), as last drawn.
    chrome: f32,
    /// The app's size the window was last drawn at; `None` once it closes.
    drawn_at: Option<egui::Vec2>,
    /// Whether a key is saved, read from the store off the UI thread when the window opens (the
    /// connection alone may not say: it can be under way, or have failed, with a key saved).
    key_check: Option<Promise<bool>>,
}

fn spawn<T: Send + 'static>(
    rt: &tokio::runtime::Handle,
    ctx: &egui::Context,
    fut: impl Future<Output = T> + Send + 'static,
) -> Promise<T> {
    let (tx, promise) = Promise::new();
    let ctx = ctx.clone();
    rt.spawn(async move {
        tx.send(fut.await);
        ctx.request_repaint();
    });
    promise
}

/// How Test connection and the folder list reach the site: the key, and the proxy.
type Reach = (Credentials, Network);

/// What a save writes, decided when Save was clicked.
struct PendingSave {
    settings: Settings,
    reconnect: bool,
    done: Promise<Result<String, String>>,
}

impl SettingsWindow {
    pub fn new(
        runtime: tokio::runtime::Handle,
        secrets: SecretStore,
        data_dir: std::path::PathBuf,
    ) -> Self {
        SettingsWindow {
            open: false,
            form: Form::new(&Settings::default(), false),
            saved: Settings::default(),
            runtime,
            secrets,
            data_dir,
            test: None,
            folders: None,
            save: None,
            error: None,
            sandbox_url: None,
            chrome: 160.0,
            drawn_at: None,
            key_check: None,
        }
    }

    /// Opens the window on the current settings. `has_saved_key` comes from the connection;
    /// the store itself is asked too, off the UI thread.
    pub fn show_with(&mut self, ctx: &egui::Context, settings: &Settings, has_saved_key: bool) {
        if self.save.is_some() {
            // A save is still under way: its outcome (collected by `poll`) is what counts, and
            // the window shows it when it lands.
            self.open = true;
            return;
        }
        self.open = true;
        self.form = Form::new(settings, has_saved_key);
        let secrets = self.secrets.clone();
        let read = self
            .runtime
            .spawn_blocking(move || secrets.get().is_ok_and(|k| k.is_some()));
        self.key_check = Some(spawn(&self.runtime, ctx, async move {
            read.await.unwrap_or(false)
        }));
        self.saved = settings.clone();
        self.test = None;
        self.folders = None;
        self.error = None;
    }

    /// "My Wix site" chosen in the open window (from the empty screen's "Connect your Wix site").
    pub fn choose_site(&mut self) {
        if self.open && self.save.is_none() {
            self.form.draft.connection = ConnectionKind::WixSite;
        }
    }

    /// Where to test or list folders, and through which proxy. The saved key and proxy
    /// password are read on the runtime, never here.
    fn target(&self) -> Option<(Url, impl Future<Output = Result<Reach, String>> + use<>)> {
        let draft = &self.form.draft;
        let (base, site_id, typed) = match draft.connection {
            ConnectionKind::Sandbox => {
                let c = sandbox_credentials();
                (self.sandbox_url.clone()?, c.site_id, Some(c.api_key))
            }
            ConnectionKind::WixSite => (
                Url::parse(draft.api_base.trim()).ok()?,
                draft.site_id.trim().to_string(),
                Some(self.form.key_input.trim())
                    .filter(|k| !k.is_empty())
                    .map(ApiKey::new),
            ),
        };
        let secrets = self.secrets.clone();
        let choice = draft.proxy.clone();
        let ca_file = draft.ca_file.clone();
        let typed_password = Some(self.form.proxy.password.clone())
            .filter(|p| !p.is_empty())
            .map(ApiKey::new);
        let creds = async move {
            let (api_key, proxy) = tokio::task::spawn_blocking(move || {
                let api_key = match typed {
                    Some(k) => k,
                    None => secrets
                        .get()
                        .map_err(|e| e.to_string())?
                        .ok_or("Enter the API key first.")?,
                };
                let password = match (&choice, typed_password) {
                    (_, Some(p)) => Some(p),
                    (ProxyChoice::Manual { user: Some(_), .. }, None) => {
                        secrets.proxy_password().get().map_err(|e| e.to_string())?
                    }
                    _ => None,
                };
                // As the connection will: WIXUP_CA_FILE stands in for the saved file.
                let from_env = std::env::var_os("WIXUP_CA_FILE").filter(|v| !v.is_empty());
                let ca_file = from_env.map(std::path::PathBuf::from).or(ca_file);
                let trust = Trust::from_setting(ca_file.as_deref())?;
                let proxy = Network::new(&choice, password.as_ref())?.with_trust(trust);
                Ok::<_, String>((api_key, proxy))
            })
            .await
            .map_err(|e| e.to_string())??;
            Ok((Credentials { api_key, site_id }, proxy))
        };
        Some((base, creds))
    }

    /// Draws the window when open; what the form asks for starts once it is drawn.
    pub fn ui(&mut self, ctx: &egui::Context) {
        if !self.open {
            self.drawn_at = None;
            return;
        }
        if let Some(saved) = self.key_check.as_ref().and_then(|p| p.ready().copied()) {
            self.key_check = None;
            self.form.key_found(saved);
        }
        let mut actions = Vec::new();
        // Escape closes the window, unless it is closing a drop-down of the window first.
        if !egui::Popup::is_any_open(ctx) && ctx.input(|i| i.key_pressed(egui::Key::Escape)) {
            self.open = false;
            return;
        }
        // A modal: in front of everything, the rest dimmed and out of reach. Its fields scroll
        // and the footer stays below them, so Save is in view at any window size from 800×500.
        let screen = ctx.content_rect();
        let frame_margins = egui::Frame::popup(&ctx.global_style())
            .total_margin()
            .sum()
            .y;
        let max_body = (screen.height() - 2.0 * EDGE - self.chrome).max(80.0);
        let opening = self.drawn_at.is_none();
        let width = (screen.width() - 2.0 * EDGE - 24.0).clamp(280.0, 480.0);
        let status = FormStatus {
            test: self.test.as_ref().map(Promise::ready),
            folders: self.folders.as_ref().map(Promise::ready),
            saving: self.save.is_some(),
            error: self.error.as_deref(),
        };
        // Hung from the top, so nothing moves when the form grows (Advanced, a hint, an error).
        let id = egui::Id::unique("wixup-settings");
        let area =
            egui::Modal::default_area(id).anchor(egui::Align2::CENTER_TOP, egui::vec2(0.0, EDGE));
        let chrome = egui::Modal::new(id)
            .area(area)
            .show(ctx, |ui| {
                ui.set_width(width);
                let title = ui.heading("Settings");
                let body_top = ui.cursor().top();
                // An area's room grows frame by frame; a minimum gives the fields their height
                // at once (less when they need less), so Save never drifts.
                let mut fields = egui::ScrollArea::vertical()
                    .min_scrolled_height(max_body)
                    .max_height(max_body)
                    .auto_shrink([false, true]);
                if opening {
                    // Each opening starts at the top (Connection), wherever the last one was.
                    fields = fields.vertical_scroll_offset(0.0);
                }
                let body = fields.show(ui, |ui| {
                    ui.set_width(ui.available_width() - 12.0);
                    form_ui(ui, &mut self.form, &status)
                });
                actions = body.inner;
                let body_height = ui.cursor().top() - body_top - ui.spacing().item_spacing.y;
                ui.separator();
                let foot = ui.scope(|ui| footer(ui, &self.form, &status));
                actions.extend(foot.inner);
                // Everything but the room the fields took (as laid out, scrolled or not): what
                // they must leave room for.
                foot.response.rect.bottom() - title.rect.top() - body_height + frame_margins
            })
            .inner;
        // A second frame at once when the window opens or the app changes size: the area's
        // first frame places it by its last size, and the fields' room is measured as drawn.
        if (chrome - self.chrome).abs() > 0.5 || self.drawn_at != Some(screen.size()) {
            self.chrome = chrome;
            self.drawn_at = Some(screen.size());
            ctx.request_repaint();
        }
        for a in actions {
            match a {
                FormAction::Test => self.start_test(ctx),
                FormAction::LoadFolders => self.load_folders(ctx),
                FormAction::Save => self.start_save(ctx),
                FormAction::Cancel => self.open = false,
            }
        }
    }

    fn start_test(&mut self, ctx: &egui::Context) {
        let Some((base, creds)) = self.target() else {
            self.test = Some(Promise::from_ready(Err(
                "Fill in the site id and a valid API address first.".into(),
            )));
            return;
        };
        self.test = Some(spawn(&self.runtime, ctx, async move {
            let (creds, proxy) = creds.await?;
            backend::test_connection(base, creds, &proxy).await
        }));
    }

    fn load_folders(&mut self, ctx: &egui::Context) {
        let Some((base, creds)) = self.target() else {
            self.folders = Some(Promise::from_ready(Err(
                "Fill in the connection first.".into()
            )));
            return;
        };
        self.folders = Some(spawn(&self.runtime, ctx, async move {
            let (creds, proxy) = creds.await?;
            backend::folders(base, creds, &proxy).await
        }));
    }

    /// The finished save, as an outcome (its settings are those Save was clicked with). Called
    /// from `logic`: a save finishes whether or not the window is still open.
    pub fn poll(&mut self) -> Option<Outcome> {
        let ready = self.save.as_ref().is_some_and(|p| p.done.ready().is_some());
        if !ready {
            return None;
        }
        let p = self.save.take()?;
        match p.done.block_and_take() {
            Ok(note) => {
                self.open = false;
                self.form.key_input.clear();
                Some(Outcome::Saved {
                    settings: p.settings,
                    reconnect: p.reconnect,
                    note,
                })
            }
            Err(e) => {
                // The app keeps its settings; the window (re)opens to say why.
                self.error = Some(e);
                self.open = true;
                None
            }
        }
    }

    fn start_save(&mut self, ctx: &egui::Context) {
        self.error = None;
        let d = &self.form.draft;
        let s = &self.saved;
        let reconnect = d.connection != s.connection
            || d.site_id != s.site_id
            || d.api_base != s.api_base
            || d.chunk_size_bytes != s.chunk_size_bytes
            || d.proxy != s.proxy
            || d.ca_file != s.ca_file
            || !self.form.key_input.trim().is_empty()
            || !self.form.proxy.password.is_empty();
        let settings = d.clone();
        let saving = settings.clone();
        let key = Some(self.form.key_input.trim().to_string())
            .filter(|k| !k.is_empty())
            .map(ApiKey::new);
        let proxy_password = Some(self.form.proxy.password.clone())
            .filter(|p| !p.is_empty())
            .map(ApiKey::new);
        let proxy_user = matches!(&settings.proxy, ProxyChoice::Manual { user: Some(_), .. });
        let secrets = self.secrets.clone();
        let dir = self.data_dir.clone();
        let done = spawn(&self.runtime, ctx, async move {
            tokio::task::spawn_blocking(move || {
                // A CA file that cannot be used is said now, naming it, not at the next upload.
                Trust::from_setting(saving.ca_file.as_deref())?;
                let mut note = String::from("Settings saved.");
                if let Some(k) = key {
                    let place = secrets.set(&k).map_err(|e| e.to_string())?;
                    note = format!("Settings saved; the API key is in {place}.");
                }
                // A proxy password is kept only while a proxy user needs it.
                let store = secrets.proxy_password();
                match proxy_password {
                    Some(p) if proxy_user => {
                        let place = store.set(&p).map_err(|e| e.to_string())?;
                        note = format!("{note} The proxy password is in {place}.");
                    }
                    _ if !proxy_user => store.clear().map_err(|e| e.to_string())?,
                    _ => {}
                }
                saving.save(&dir).map_err(|e| e.to_string())?;
                Ok(note)
            })
            .await
            .map_err(|e| e.to_string())?
        });
        self.save = Some(PendingSave {
            settings,
            reconnect,
            done,
        });
    }
}
