//! The Settings window: connection (sandbox or a Wix site, with Test connection), destination
//! folder, and upload options. Saving and testing run on the runtime; the window only polls.

use egui::RichText;
use poll_promise::Promise;
use reqwest::Url;

use crate::config::sandbox_credentials;
use crate::engine::MAX_PARALLEL;
use crate::redact::ApiKey;
use crate::settings::{ConnectionKind, SecretStore, Settings};
use crate::wix_media::{Credentials, Folder};

use super::backend;
use super::rows::a11y;

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
    draft: Settings,
    saved: Settings,
    key_input: String,
    has_saved_key: bool,
    chunk_fixed: bool,
    chunk_mib: u32,
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
            draft: Settings::default(),
            saved: Settings::default(),
            key_input: String::new(),
            has_saved_key: false,
            chunk_fixed: false,
            chunk_mib: 16,
            runtime,
            secrets,
            data_dir,
            test: None,
            folders: None,
            save: None,
            error: None,
            sandbox_url: None,
        }
    }

    /// Opens the window on the current settings. `has_saved_key` comes from the connection.
    pub fn show_with(&mut self, settings: &Settings, has_saved_key: bool) {
        if self.save.is_some() {
            // A save is still under way: its outcome (collected in `ui`) is what counts, and
            // the window shows it when it lands.
            self.open = true;
            return;
        }
        self.open = true;
        self.draft = settings.clone();
        self.saved = settings.clone();
        self.key_input.clear();
        self.has_saved_key = has_saved_key;
        self.chunk_fixed = settings.chunk_size_bytes.is_some();
        self.chunk_mib = settings
            .chunk_size_bytes
            .map_or(16, |c| (c >> 20).max(1) as u32);
        self.test = None;
        self.folders = None;
        self.error = None;
    }

    /// Where to test or list folders. The saved key is read on the runtime, never here.
    fn target(
        &self,
    ) -> Option<(
        Url,
        impl Future<Output = Result<Credentials, String>> + use<>,
    )> {
        let (base, site_id, typed) = match self.draft.connection {
            ConnectionKind::Sandbox => {
                let c = sandbox_credentials();
                (self.sandbox_url.clone()?, c.site_id, Some(c.api_key))
            }
            ConnectionKind::WixSite => (
                Url::parse(self.draft.api_base.trim()).ok()?,
                self.draft.site_id.trim().to_string(),
                Some(self.key_input.trim())
                    .filter(|k| !k.is_empty())
                    .map(ApiKey::new),
            ),
        };
        let secrets = self.secrets.clone();
        let creds = async move {
            let api_key = match typed {
                Some(k) => k,
                None => tokio::task::spawn_blocking(move || secrets.get())
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| e.to_string())?
                    .ok_or("Enter the API key first.")?,
            };
            Ok(Credentials { api_key, site_id })
        };
        Some((base, creds))
    }

    pub fn ui(&mut self, ctx: &egui::Context) -> Option<Outcome> {
        // A save finishes whether or not the window is still open.
        if let Some(done) = self.collect_save() {
            return Some(done);
        }
        if !self.open {
            return None;
        }
        let mut outcome = None;
        let mut open = self.open;
        // Escape closes the window, unless it is closing a drop-down of the window first.
        if !egui::Popup::is_any_open(ctx) && ctx.input(|i| i.key_pressed(egui::Key::Escape)) {
            self.open = false;
            return None;
        }
        egui::Window::new("Settings")
            .open(&mut open)
            .default_pos(ctx.content_rect().center_top() + egui::vec2(-240.0, 56.0))
            .collapsible(false)
            .resizable(false)
            .default_width(460.0)
            .max_width(520.0)
            .show(ctx, |ui| outcome = self.contents(ui));
        self.open = open && self.open;
        outcome
    }

    fn contents(&mut self, ui: &mut egui::Ui) -> Option<Outcome> {
        ui.spacing_mut().item_spacing.y = 8.0;
        ui.heading("Connection");
        ui.radio_value(
            &mut self.draft.connection,
            ConnectionKind::Sandbox,
            "Local sandbox (no account; links work on this computer only)",
        );
        ui.radio_value(
            &mut self.draft.connection,
            ConnectionKind::WixSite,
            "My Wix site",
        );
        if self.draft.connection == ConnectionKind::WixSite {
            self.site_fields(ui);
        }
        ui.horizontal(|ui| {
            let can_test = self.test.as_ref().is_none_or(|p| p.ready().is_some());
            if ui
                .add_enabled(can_test, egui::Button::new("Test connection"))
                .clicked()
            {
                self.start_test(ui.ctx());
            }
            if let Some(None) = self.test.as_ref().map(|p| p.ready()) {
                ui.spinner();
                ui.label("Testing…");
            }
        });
        match self.test.as_ref().and_then(|p| p.ready()) {
            Some(Ok(m)) => {
                let ok = super::rows::tone_color(ui, super::format::Tone::Success);
                ui.label(RichText::new(format!("✔ {m}")).color(ok));
            }
            Some(Err(e)) => {
                ui.label(RichText::new(format!("✖ {e}")).color(ui.visuals().error_fg_color));
            }
            None => {}
        }
        ui.separator();
        self.destination(ui);
        ui.separator();
        ui.heading("Uploads");
        ui.checkbox(
            &mut self.draft.private,
            "Private uploads (cannot be made public later)",
        );
        ui.horizontal(|ui| {
            ui.label("Parallel uploads");
            let r = ui.add(egui::DragValue::new(&mut self.draft.parallel).range(1..=MAX_PARALLEL));
            a11y(&r, egui::Role::SpinButton, "Parallel uploads".into());
        });
        ui.horizontal(|ui| {
            ui.checkbox(&mut self.chunk_fixed, "Fixed chunk size");
            if self.chunk_fixed {
                let r = ui.add(
                    egui::DragValue::new(&mut self.chunk_mib)
                        .range(1..=1024)
                        .suffix(" MiB"),
                );
                a11y(&r, egui::Role::SpinButton, "Chunk size in MiB".into());
            } else {
                ui.label(RichText::new("adapts to the connection (recommended)").weak());
            }
        });
        self.draft.chunk_size_bytes = self.chunk_fixed.then(|| u64::from(self.chunk_mib) << 20);
        ui.separator();
        self.footer(ui)
    }

    fn site_fields(&mut self, ui: &mut egui::Ui) {
        egui::Grid::new("site")
            .num_columns(2)
            .spacing([12.0, 8.0])
            .show(ui, |ui| {
                ui.label("API key");
                if self.has_saved_key && self.key_input.is_empty() {
                    ui.horizontal(|ui| {
                        ui.label(RichText::new("••••••••••••  saved").monospace());
                        if ui.button("Replace").clicked() {
                            self.has_saved_key = false;
                        }
                    });
                } else {
                    let r = ui.add(
                        egui::TextEdit::singleline(&mut self.key_input)
                            .password(true)
                            .hint_text("paste the key from the Wix API Keys Manager")
                            .desired_width(300.0),
                    );
                    a11y(&r, egui::Role::PasswordInput, "API key".into());
                }
                ui.end_row();
                ui.label("Site id");
                let r = ui.add(
                    egui::TextEdit::singleline(&mut self.draft.site_id)
                        .hint_text("1a2b3c4d-… from your dashboard's address")
                        .desired_width(300.0),
                );
                a11y(&r, egui::Role::TextInput, "Site id".into());
                ui.end_row();
            });
        egui::CollapsingHeader::new("Advanced").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.label("API address");
                let r = ui.text_edit_singleline(&mut self.draft.api_base);
                a11y(&r, egui::Role::TextInput, "API address".into());
            });
        });
    }

    fn destination(&mut self, ui: &mut egui::Ui) {
        ui.heading("Destination");
        let current = self.draft.destination_label();
        ui.horizontal(|ui| {
            ui.label("Folder");
            let folders = self.folders.as_ref().and_then(|p| p.ready());
            let combo = egui::ComboBox::from_id_salt("folder")
                .selected_text(current)
                .width(240.0)
                .show_ui(ui, |ui| {
                    if ui
                        .selectable_label(self.draft.folder_id.is_none(), "Site Files (top level)")
                        .clicked()
                    {
                        self.draft.folder_id = None;
                        self.draft.folder_name = None;
                    }
                    if let Some(Ok(list)) = folders {
                        for f in list {
                            let name = f.display_name.clone().unwrap_or_else(|| f.id.clone());
                            let sel = self.draft.folder_id.as_deref() == Some(&f.id);
                            if ui.selectable_label(sel, &name).clicked() {
                                self.draft.folder_id = Some(f.id.clone());
                                self.draft.folder_name = Some(name);
                                self.draft.folder_path = None;
                            }
                        }
                    }
                });
            a11y(
                &combo.response,
                egui::Role::ComboBox,
                "Destination folder".into(),
            );
            match folders {
                None if self.folders.is_some() => {
                    ui.spinner();
                }
                Some(Err(e)) => {
                    ui.label(RichText::new("✖").color(ui.visuals().error_fg_color))
                        .on_hover_text(e);
                }
                _ => {}
            }
            if ui.button("Load folders").clicked() {
                self.load_folders(ui.ctx());
            }
        });
        ui.horizontal(|ui| {
            ui.label("or path");
            let mut path = self.draft.folder_path.clone().unwrap_or_default();
            let r = ui.add(
                egui::TextEdit::singleline(&mut path)
                    .hint_text("/photos/2026")
                    .desired_width(240.0),
            );
            a11y(&r, egui::Role::TextInput, "Folder path".into());
            if r.changed() {
                self.draft.folder_path = Some(path).filter(|p| !p.is_empty());
            }
        });
    }

    fn footer(&mut self, ui: &mut egui::Ui) -> Option<Outcome> {
        let has_key = self.has_saved_key || !self.key_input.trim().is_empty();
        let problems = self.draft.problems(has_key);
        for p in &problems {
            ui.label(RichText::new(format!("• {p}")).color(ui.visuals().warn_fg_color));
        }
        if let Some(e) = &self.error {
            ui.label(RichText::new(e).color(ui.visuals().error_fg_color));
        }
        let outcome = None;
        ui.horizontal(|ui| {
            let saving = self.save.is_some();
            let r = ui.add_enabled(problems.is_empty() && !saving, egui::Button::new("Save"));
            if r.clicked() {
                self.start_save(ui.ctx());
            }
            if ui.button("Cancel").clicked() {
                self.open = false;
            }
            if saving {
                ui.spinner();
            }
        });
        outcome
    }

    fn start_test(&mut self, ctx: &egui::Context) {
        let Some((base, creds)) = self.target() else {
            self.test = Some(Promise::from_ready(Err(
                "Fill in the site id and a valid API address first.".into(),
            )));
            return;
        };
        self.test = Some(spawn(&self.runtime, ctx, async move {
            backend::test_connection(base, creds.await?)
                .await
                .map_err(|e| e.to_string())
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
            backend::folders(base, creds.await?)
                .await
                .map_err(|e| e.to_string())
        }));
    }

    /// The finished save, as an outcome (its settings are those Save was clicked with).
    fn collect_save(&mut self) -> Option<Outcome> {
        let ready = self.save.as_ref().is_some_and(|p| p.done.ready().is_some());
        if !ready {
            return None;
        }
        let p = self.save.take()?;
        match p.done.block_and_take() {
            Ok(note) => {
                self.open = false;
                self.key_input.clear();
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
        let d = &self.draft;
        let s = &self.saved;
        let reconnect = d.connection != s.connection
            || d.site_id != s.site_id
            || d.api_base != s.api_base
            || d.chunk_size_bytes != s.chunk_size_bytes
            || !self.key_input.trim().is_empty();
        let settings = self.draft.clone();
        let saving = settings.clone();
        let key = Some(self.key_input.trim().to_string())
            .filter(|k| !k.is_empty())
            .map(ApiKey::new);
        let secrets = self.secrets.clone();
        let dir = self.data_dir.clone();
        let done = spawn(&self.runtime, ctx, async move {
            tokio::task::spawn_blocking(move || {
                let mut note = String::from("Settings saved.");
                if let Some(k) = key {
                    let place = secrets.set(&k).map_err(|e| e.to_string())?;
                    note = format!("Settings saved; the API key is in {place}.");
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
