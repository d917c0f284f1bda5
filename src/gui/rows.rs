//! One queue row: preview, name and size, progress or URL, status line, and the actions that
//! apply to its state. Rows have a fixed height so the list virtualizes (`show_rows`).

use std::time::Instant;

use egui::{Align, Color32, Layout, Rect, RichText, Sense, UiBuilder, vec2};

use crate::engine::{JobId, JobState};
use crate::units::format_bytes;

use super::copy_menu;
use super::format::{self, Tone};
use super::queue_row::{Kind, Row};
use super::style::{self, a11y};
use super::thumbs::{Key, Source, Thumbs};

pub const ROW_HEIGHT: f32 = 60.0;
const THUMB: f32 = 48.0;
const ACTIONS_WIDTH: f32 = 250.0;

/// What a click on a row asks for; the app carries it out after drawing.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A click on the row, with the modifiers held (Ctrl toggles, Shift extends).
    Select(JobId, egui::Modifiers),
    Pause(JobId),
    Resume(JobId),
    Cancel(JobId),
    Retry(JobId),
    /// A file found already on the site: send it anyway.
    UploadAgain(JobId),
    Remove(JobId),
    Copy {
        id: JobId,
        text: String,
        what: &'static str,
    },
    /// A private file: ask the site for a download link that expires, and copy it.
    CopyDownloadLink(JobId),
    Open(String),
}

/// Colours for tones, from the current visuals.
pub fn tone_color(ui: &egui::Ui, tone: Tone) -> Color32 {
    let v = ui.visuals();
    match tone {
        Tone::Muted => v.weak_text_color(),
        Tone::Active => v.text_color(),
        Tone::Warning => v.warn_fg_color,
        Tone::Success => {
            if v.dark_mode {
                Color32::from_rgb(110, 200, 120)
            } else {
                Color32::from_rgb(30, 130, 60)
            }
        }
        Tone::Error => v.error_fg_color,
    }
}

/// One row, `ROW_HEIGHT` tall; its clicks come back as actions.
pub fn row_ui(
    ui: &mut egui::Ui,
    row: &Row,
    selected: bool,
    copied: Option<&'static str>,
    thumbs: &mut Thumbs,
    now: Instant,
    sandbox: bool,
) -> Vec<Action> {
    let mut actions = Vec::new();
    let id = row.id;
    let (rect, resp) =
        ui.allocate_exact_size(vec2(ui.available_width(), ROW_HEIGHT), Sense::click());
    a11y(&resp, egui::Role::Row, format!("Queue row {}", row.name));
    if resp.clicked() {
        actions.push(Action::Select(id, ui.input(|i| i.modifiers)));
    }
    style::row_background(ui, &resp, selected);
    let inner = rect.shrink2(vec2(8.0, 4.0));
    let mut ui = ui.new_child(
        UiBuilder::new()
            .max_rect(inner)
            .layout(Layout::left_to_right(Align::Center)),
    );
    let ui = &mut ui;

    preview(ui, row, thumbs);
    let text_width = (ui.available_width() - ACTIONS_WIDTH).max(120.0);
    ui.allocate_ui_with_layout(
        vec2(text_width, inner.height()),
        Layout::top_down(Align::Min),
        |ui| {
            ui.spacing_mut().item_spacing.y = 3.0;
            ui.horizontal(|ui| {
                let max_chars = ((text_width - 90.0) / 7.5).max(8.0) as usize;
                ui.label(
                    RichText::new(format::elide_middle(
                        &crate::text::printable(&row.name),
                        max_chars,
                    ))
                    .strong(),
                )
                .on_hover_text(crate::os_path::lossy(&row.path));
                if let Some(size) = row.shown_size() {
                    ui.label(RichText::new(format_bytes(size)).weak());
                }
                if row.private {
                    ui.label(RichText::new("🔒 private").size(style::DETAIL_SIZE).weak())
                        .on_hover_text(
                            "A private file: its URL is refused; share it with a download \
                             link, which expires",
                        );
                }
            });
            let (status, tone) = format::status(row, now, sandbox);
            match (
                &row.state,
                row.result.as_ref().and_then(|r| r.url.as_ref()),
                &row.link,
            ) {
                (JobState::Done, Some(_), _) if row.private => {
                    ui.label(
                        RichText::new("Share it with a download link; each link expires")
                            .size(style::DETAIL_SIZE)
                            .weak(),
                    );
                }
                (JobState::Done, Some(url), _) => {
                    ui.add(
                        egui::Label::new(RichText::new(url).monospace().size(style::DETAIL_SIZE))
                            .selectable(true)
                            .truncate(),
                    );
                }
                // An import moves no bytes from here: the row shows its link instead.
                (_, _, Some(link)) => {
                    ui.add(
                        egui::Label::new(
                            RichText::new(format!("🔗 {}", crate::text::printable(link)))
                                .monospace()
                                .size(style::DETAIL_SIZE)
                                .weak(),
                        )
                        .truncate(),
                    );
                }
                _ => progress(ui, row, tone, text_width),
            }
            let label = ui.label(
                RichText::new(status)
                    .size(style::DETAIL_SIZE)
                    .color(tone_color(ui, tone)),
            );
            if let Some(e) = &row.error {
                label.on_hover_text(&e.detail);
            } else if row.state == JobState::Done {
                label.on_hover_text("Local MD5 matches the server's hash when marked verified");
            }
        },
    );
    style::right_aligned(ui, resp.id.with("buttons"), |ui| {
        buttons(ui, row, copied, &mut actions);
    });
    actions
}

fn preview(ui: &mut egui::Ui, row: &Row, thumbs: &mut Thumbs) {
    let (rect, _) = ui.allocate_exact_size(vec2(THUMB, THUMB), Sense::hover());
    let done_thumb = row.result.as_ref().and_then(|r| r.thumbnail_url.clone());
    let tex = if let Some(url) = done_thumb {
        let key = Key::Remote(url.clone());
        match thumbs.get(key, || Source::Url(url)) {
            Some(t) => Some(t.clone()),
            None => local(row, thumbs),
        }
    } else {
        local(row, thumbs)
    };
    match tex {
        Some(t) => {
            let size = t.size_vec2();
            let scale = THUMB / size.x.max(size.y).max(1.0);
            let shown = Rect::from_center_size(rect.center(), size * scale);
            egui::Image::from_texture(&t)
                .corner_radius(4.0)
                .paint_at(ui, shown);
        }
        None => placeholder(ui, rect, row.kind),
    }
}

/// Where no preview is (yet): the file type's icon on a faint square, in the queue and in
/// History alike.
pub(super) fn placeholder(ui: &egui::Ui, rect: Rect, kind: Kind) {
    let v = ui.visuals();
    ui.painter().rect_filled(rect, 4.0, v.faint_bg_color);
    ui.painter().text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        type_icon(kind),
        egui::FontId::proportional(22.0),
        v.weak_text_color(),
    );
}

fn local(row: &Row, thumbs: &mut Thumbs) -> Option<egui::TextureHandle> {
    // A link has no local file: its preview is the server's thumbnail, once READY.
    if !row.is_image() || row.is_link() {
        return None;
    }
    let path = row.path.clone();
    thumbs
        .get(Key::Local(row.id), || Source::File(path))
        .cloned()
}

fn type_icon(kind: Kind) -> &'static str {
    match kind {
        Kind::Image => "🖼",
        Kind::Video => "🎞",
        Kind::Audio => "🎵",
        Kind::Other => "📄",
    }
}

fn progress(ui: &mut egui::Ui, row: &Row, tone: Tone, width: f32) {
    let f = format::fraction(row.acknowledged, row.size_bytes);
    let (fill, f) = match row.state {
        JobState::Done | JobState::Finalizing | JobState::Processing => {
            (tone_color(ui, Tone::Success), 1.0)
        }
        JobState::Queued | JobState::Paused | JobState::Cancelled => {
            (ui.visuals().weak_text_color().gamma_multiply(0.6), f)
        }
        _ if row.retry.is_some() => (tone_color(ui, Tone::Warning), f),
        JobState::Failed => (tone_color(ui, tone), f),
        _ => (ui.visuals().selection.bg_fill, f),
    };
    ui.add(
        egui::ProgressBar::new(f)
            .desired_width(width - 8.0)
            .desired_height(6.0)
            .fill(fill)
            .animate(row.state == JobState::Finalizing),
    );
}

fn buttons(ui: &mut egui::Ui, row: &Row, copied: Option<&'static str>, out: &mut Vec<Action>) {
    let id = row.id;
    const CANCEL: (&str, &str, &str) = ("✖ Cancel", "Cancel", "Stop and discard this upload");
    const REMOVE: (&str, &str, &str) = ("✖ Remove", "Remove", "Take it off the list");
    // In reading order (the order Tab visits them): the main action first, Remove or Cancel
    // last, at the right edge.
    let shown: Vec<((&str, &str, &str), Action)> = match row.state {
        JobState::Queued => vec![(REMOVE, Action::Remove(id))],
        JobState::Uploading => vec![
            (CANCEL, Action::Cancel(id)),
            (
                (
                    "⏸ Pause",
                    "Pause",
                    "Pause (Space); resumes where it stopped",
                ),
                Action::Pause(id),
            ),
        ],
        JobState::Paused => vec![
            (CANCEL, Action::Cancel(id)),
            (
                (
                    "▶ Resume",
                    "Resume",
                    "Continue from where it stopped (Space)",
                ),
                Action::Resume(id),
            ),
        ],
        // Failed for good (an empty file): a Retry would fail again at once.
        JobState::Failed if row.error.as_ref().is_some_and(|e| e.permanent) => {
            vec![(REMOVE, Action::Remove(id))]
        }
        JobState::Failed => vec![
            (REMOVE, Action::Remove(id)),
            (
                ("⟳ Retry", "Retry", "Try this file again"),
                Action::Retry(id),
            ),
        ],
        JobState::Cancelled => vec![
            (REMOVE, Action::Remove(id)),
            (
                (
                    "⟳ Upload again",
                    "Upload again",
                    "Send this file again, from the start",
                ),
                Action::Retry(id),
            ),
        ],
        JobState::Finalizing | JobState::Processing => {
            ui.spinner();
            Vec::new()
        }
        JobState::Done => return done_buttons(ui, row, copied, out),
    };
    for ((text, verb, hint), action) in shown.into_iter().rev() {
        let r = ui.button(text).on_hover_text(hint);
        a11y(&r, egui::Role::Button, format!("{verb} {}", row.name));
        if r.clicked() {
            out.push(action);
        }
    }
}

fn done_buttons(ui: &mut egui::Ui, row: &Row, copied: Option<&'static str>, out: &mut Vec<Action>) {
    let id = row.id;
    let name = &row.name;
    let (Some(result), Some(item)) = (&row.result, row.item()) else {
        return;
    };
    // In reading order, as Tab visits them: Copy and ⏷, Open, Upload again, and Remove at the
    // right edge.
    if row.private {
        let text = match copied {
            Some(what) => format!("✔ Copied {what}"),
            None => "🔒 Copy download link".into(),
        };
        let r = ui.button(text).on_hover_text(
            "Copy a link that downloads this private file for a day (its own URL is refused)",
        );
        a11y(
            &r,
            egui::Role::Button,
            format!("Copy download link of {name}"),
        );
        if r.clicked() {
            out.push(Action::CopyDownloadLink(id));
        }
    } else if let Some(url) = result.url.clone() {
        if let Some(c) = copy_menu::file_buttons(ui, &item, copied, "🗐 Copy") {
            out.push(Action::Copy {
                id,
                text: c.text,
                what: c.what,
            });
        }
        // Only a web address goes to the browser; anything else the server sent is just text.
        if format::browsable(&url) {
            let r = ui.button("Open").on_hover_text("Open in the browser");
            a11y(&r, egui::Role::Button, format!("Open {name}"));
            if r.clicked() {
                out.push(Action::Open(url.clone()));
            }
        }
    }
    if result.already.is_some() {
        let r = ui
            .button("Upload again")
            .on_hover_text("Send this file anyway, as a new file on the site");
        a11y(&r, egui::Role::Button, format!("Upload again {name}"));
        if r.clicked() {
            out.push(Action::UploadAgain(id));
        }
    }
    let r = ui
        .button("✖")
        .on_hover_text("Remove from the list (the file stays on the site)");
    a11y(&r, egui::Role::Button, format!("Remove {name}"));
    if r.clicked() {
        out.push(Action::Remove(id));
    }
}
