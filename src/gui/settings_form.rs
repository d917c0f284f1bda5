//! The Settings window's form: connection, site fields, destination folder, upload options, and
//! the footer with Save and Cancel (drawn below the fields, which scroll). It edits the draft
//! only; tests, folder loads and saves come back as [`FormAction`]s that the window starts after
//! drawing.

use egui::RichText;

use crate::engine::MAX_PARALLEL;
use crate::settings::{ConnectionKind, Settings};
use crate::size::parse_chunk_size;
use crate::wix_media::Folder;

use super::format::Tone;
use super::network_form::{CaForm, LimitForm, ProxyForm};
use super::rows::tone_color;
use super::style::a11y;

/// The chunk size the form offers when "Fixed chunk size" is first ticked.
const DEFAULT_CHUNK_BYTES: u64 = 16 << 20;

/// What the form edits.
pub struct Form {
    pub draft: Settings,
    /// A key typed in this opening (never shown again once saved).
    pub key_input: String,
    /// A key is saved already: the field shows "saved" with Replace.
    has_saved_key: bool,
    /// Replace was clicked: a key found saved later does not hide the field again.
    replacing: bool,
    chunk_fixed: bool,
    /// The chunk size as typed ("16 MiB", "512 KiB"), read as the CLI's `--chunk-size` is.
    chunk_text: String,
    /// Why `chunk_text` is no chunk size (Save waits until it is one).
    chunk_error: Option<String>,
    /// Advanced → Proxy.
    pub proxy: ProxyForm,
    /// Advanced → Trusted CA file.
    ca: CaForm,
    /// "Limit upload speed".
    limit: LimitForm,
}

impl Form {
    pub fn new(settings: &Settings, has_saved_key: bool) -> Self {
        Form {
            draft: settings.clone(),
            key_input: String::new(),
            has_saved_key,
            replacing: false,
            chunk_fixed: settings.chunk_size_bytes.is_some(),
            chunk_text: chunk_text(settings.chunk_size_bytes.unwrap_or(DEFAULT_CHUNK_BYTES)),
            chunk_error: None,
            proxy: ProxyForm::new(&settings.proxy),
            ca: CaForm::new(settings.ca_file.as_deref()),
            limit: LimitForm::new(settings.limit_rate),
        }
    }
}

impl Form {
    /// What the key store answered when the window opened: a saved key shows as saved (unless
    /// the person chose to replace it meanwhile).
    pub fn key_found(&mut self, saved: bool) {
        if saved && !self.replacing {
            self.has_saved_key = true;
        }
    }
}

/// A chunk size as the field shows it: whole MiB, else whole KiB (chunks are multiples of
/// 256 KiB).
fn chunk_text(bytes: u64) -> String {
    if bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{} KiB", bytes >> 10)
    }
}

/// What the form shows but does not edit: the answers of tasks under way.
pub struct FormStatus<'a> {
    /// `None`: no test yet; `Some(None)`: testing.
    pub test: Option<Option<&'a Result<String, String>>>,
    /// `None`: not loaded; `Some(None)`: loading.
    pub folders: Option<Option<&'a Result<Vec<Folder>, String>>>,
    pub saving: bool,
    pub error: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormAction {
    Test,
    LoadFolders,
    Save,
    Cancel,
}

/// The form's fields (they scroll); [`footer`] is drawn below them, always in view.
pub fn form_ui(ui: &mut egui::Ui, form: &mut Form, status: &FormStatus<'_>) -> Vec<FormAction> {
    let mut out = Vec::new();
    ui.spacing_mut().item_spacing.y = 8.0;
    ui.heading("Connection");
    ui.radio_value(
        &mut form.draft.connection,
        ConnectionKind::Sandbox,
        "Local sandbox (no account; links work on this computer only)",
    );
    ui.radio_value(
        &mut form.draft.connection,
        ConnectionKind::WixSite,
        "My Wix site",
    );
    if form.draft.connection == ConnectionKind::WixSite {
        site_fields(ui, form);
    }
    ui.horizontal(|ui| {
        let can_test = !matches!(status.test, Some(None));
        if ui
            .add_enabled(can_test, egui::Button::new("Test connection"))
            .clicked()
        {
            out.push(FormAction::Test);
        }
        if let Some(None) = status.test {
            ui.spinner();
            ui.label("Testing…");
        }
    });
    match status.test.flatten() {
        Some(Ok(m)) => {
            let ok = tone_color(ui, Tone::Success);
            ui.label(RichText::new(format!("✔ {m}")).color(ok));
        }
        Some(Err(e)) => {
            ui.label(RichText::new(format!("✖ {e}")).color(ui.visuals().error_fg_color));
        }
        None => {}
    }
    ui.separator();
    out.extend(destination(ui, &mut form.draft, status.folders));
    ui.separator();
    ui.heading("Uploads");
    ui.checkbox(
        &mut form.draft.private,
        "Private uploads (cannot be made public later)",
    );
    ui.horizontal_wrapped(|ui| {
        ui.label("Parallel uploads");
        ui.checkbox(&mut form.draft.parallel_auto, "Auto");
        if form.draft.parallel_auto {
            ui.label(
                RichText::new(format!(
                    "adds uploads while they speed things up (up to {MAX_PARALLEL})"
                ))
                .weak(),
            );
        } else {
            let r = ui.add(egui::DragValue::new(&mut form.draft.parallel).range(1..=MAX_PARALLEL));
            a11y(&r, egui::Role::SpinButton, "Parallel uploads".into());
        }
    });
    ui.horizontal_wrapped(|ui| {
        ui.checkbox(&mut form.chunk_fixed, "Fixed chunk size");
        if form.chunk_fixed {
            // Typed like the CLI's --chunk-size: "100 KiB" is 100 KiB (a spin box in MiB read
            // it as 100 MiB).
            let r = ui.add(
                egui::TextEdit::singleline(&mut form.chunk_text)
                    .hint_text("16 MiB")
                    .desired_width(90.0),
            );
            a11y(&r, egui::Role::TextInput, "Chunk size".into());
            ui.label(RichText::new("e.g. 8 MiB or 512 KiB").weak());
        } else {
            ui.label(RichText::new("adapts to the connection (recommended)").weak());
        }
    });
    form.chunk_error = None;
    form.draft.chunk_size_bytes = None;
    if form.chunk_fixed {
        match parse_chunk_size(&form.chunk_text) {
            Ok(c) => form.draft.chunk_size_bytes = Some(c.bytes),
            Err(e) => form.chunk_error = Some(format!("Chunk size: {e}")),
        }
    }
    ui.checkbox(
        &mut form.draft.strip_location,
        "Remove location from photos and videos",
    )
    .on_hover_text(
        "The GPS position is taken out of what is sent (EXIF, XMP, video location tags) in \
         every photo and video format phones and cameras write; the file on disk is never \
         changed",
    );
    ui.checkbox(&mut form.draft.dedupe, "Skip files already on the site")
        .on_hover_text(
            "A file whose bytes match an earlier upload that is still there is not sent again",
        );
    ui.checkbox(
        &mut form.draft.notify_when_done,
        "Notify when a batch finishes",
    );
    ui.checkbox(
        &mut form.draft.keep_awake,
        "Keep the computer awake while uploading",
    )
    .on_hover_text("Asks the system not to sleep while files send, and lets go when they are done");
    form.draft.limit_rate = form.limit.ui(ui);
    out
}

fn site_fields(ui: &mut egui::Ui, form: &mut Form) {
    egui::Grid::new("site")
        .num_columns(2)
        .spacing([12.0, 8.0])
        .show(ui, |ui| {
            ui.label("API key");
            if form.has_saved_key && form.key_input.is_empty() {
                ui.horizontal(|ui| {
                    ui.label(RichText::new("••••••••••••  saved").monospace());
                    if ui.button("Replace").clicked() {
                        form.has_saved_key = false;
                        form.replacing = true;
                    }
                });
            } else {
                let r = ui.add(
                    egui::TextEdit::singleline(&mut form.key_input)
                        .password(true)
                        .hint_text("paste the key from the Wix API Keys Manager")
                        .desired_width(300.0),
                );
                a11y(&r, egui::Role::PasswordInput, "API key".into());
            }
            ui.end_row();
            ui.label("Site id");
            let r = ui.add(
                egui::TextEdit::singleline(&mut form.draft.site_id)
                    .hint_text("1a2b3c4d-… from your dashboard's address")
                    .desired_width(300.0),
            );
            a11y(&r, egui::Role::TextInput, "Site id".into());
            ui.end_row();
        });
    egui::CollapsingHeader::new("Advanced").show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.label("API address");
            let r = ui.text_edit_singleline(&mut form.draft.api_base);
            a11y(&r, egui::Role::TextInput, "API address".into());
        });
        form.proxy.ui(ui);
        if let Ok(choice) = form.proxy.choice() {
            form.draft.proxy = choice;
        }
        form.draft.ca_file = form.ca.ui(ui);
    });
}

fn destination(
    ui: &mut egui::Ui,
    draft: &mut Settings,
    folders: Option<Option<&Result<Vec<Folder>, String>>>,
) -> Vec<FormAction> {
    let mut out = Vec::new();
    ui.heading("Destination");
    let current = draft.destination_label();
    ui.horizontal(|ui| {
        ui.label("Folder");
        let loaded = folders.flatten();
        let combo = egui::ComboBox::from_id_salt("folder")
            .selected_text(current)
            .width(240.0)
            .show_ui(ui, |ui| {
                if ui
                    .selectable_label(draft.folder_id.is_none(), "Site Files (top level)")
                    .clicked()
                {
                    draft.folder_id = None;
                    draft.folder_name = None;
                }
                if let Some(Ok(list)) = loaded {
                    for f in list {
                        let name = f.display_name.clone().unwrap_or_else(|| f.id.clone());
                        let sel = draft.folder_id.as_deref() == Some(&f.id);
                        if ui.selectable_label(sel, &name).clicked() {
                            draft.folder_id = Some(f.id.clone());
                            draft.folder_name = Some(name);
                            draft.folder_path = None;
                        }
                    }
                }
            });
        a11y(
            &combo.response,
            egui::Role::ComboBox,
            "Destination folder".into(),
        );
        if ui.button("Load folders").clicked() {
            out.push(FormAction::LoadFolders);
        }
    });
    // What Load folders found, said (before, an empty site or a failure showed nothing, or a
    // bare ✖ with the reason in a tooltip).
    match folders {
        Some(None) => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Loading the site's folders…");
            });
        }
        Some(Some(Err(e))) => {
            let text = format!("✖ The folders could not be loaded: {e}");
            ui.label(RichText::new(text).color(ui.visuals().error_fg_color));
        }
        Some(Some(Ok(list))) if list.is_empty() => {
            ui.label(
                RichText::new(
                    "No folders on the site yet: files go to Site Files, or type a path.",
                )
                .weak(),
            );
        }
        Some(Some(Ok(list))) => {
            let n = list.len();
            let folders = if n == 1 { "folder" } else { "folders" };
            ui.label(RichText::new(format!("{n} {folders} loaded: pick one in the list.")).weak());
        }
        None => {}
    }
    ui.horizontal(|ui| {
        ui.label("or path");
        let mut path = draft.folder_path.clone().unwrap_or_default();
        let r = ui.add(
            egui::TextEdit::singleline(&mut path)
                .hint_text("/photos/2026")
                .desired_width(240.0),
        );
        a11y(&r, egui::Role::TextInput, "Folder path".into());
        if r.changed() {
            draft.folder_path = Some(path).filter(|p| !p.is_empty());
        }
    });
    out
}

/// What keeps Save from working, and Save and Cancel.
pub fn footer(ui: &mut egui::Ui, form: &Form, status: &FormStatus<'_>) -> Vec<FormAction> {
    let mut out = Vec::new();
    let has_key = form.has_saved_key || !form.key_input.trim().is_empty();
    let mut problems = form.draft.problems(has_key);
    problems.extend(form.chunk_error.clone());
    problems.extend(form.limit.error.clone());
    if form.draft.connection == ConnectionKind::WixSite {
        problems.extend(form.proxy.error.clone());
    }
    for p in &problems {
        ui.label(RichText::new(format!("• {p}")).color(ui.visuals().warn_fg_color));
    }
    if let Some(e) = status.error {
        ui.label(RichText::new(e).color(ui.visuals().error_fg_color));
    }
    ui.horizontal(|ui| {
        let r = ui.add_enabled(
            problems.is_empty() && !status.saving,
            egui::Button::new("Save"),
        );
        if r.clicked() {
            out.push(FormAction::Save);
        }
        if ui.button("Cancel").clicked() {
            out.push(FormAction::Cancel);
        }
        if status.saving {
            ui.spinner();
        }
    });
    out
}
