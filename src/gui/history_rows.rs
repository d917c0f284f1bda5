//! One History entry, drawn: the server's thumbnail (from the disk cache), name, size, local
//! date, the URL, and the same Copy forms as a finished row. Clicks come back as actions.

use egui::{Align, Layout, Rect, RichText, Sense, UiBuilder, vec2};

use crate::engine::OriginKind;
use crate::export::Item;
use crate::history::HistoryEntry;
use crate::units::format_bytes;

use super::copy_menu::{self, Copy};
use super::queue_row::Kind;
use super::style::{self, a11y};
use super::thumbs::{Key, Source, Thumbs};

/// Every entry is this tall, so 10,000 scroll as fast as 10 (only the visible ones are drawn).
pub const ENTRY_HEIGHT: f32 = 52.0;
const THUMB: f32 = 40.0;

/// An entry with what its row shows, worked out once when the history loads or the entry is
/// recorded (never per frame).
pub struct Shown {
    pub entry: HistoryEntry,
    /// "2026-11-25 15:03 CET", in the computer's time zone.
    pub when: String,
    /// "2026-11-25", the local day (what the day filter lists).
    pub day: String,
    /// The name, lowercased, for the search.
    pub lower: String,
}

/// Draws an entry; returns the modifiers of a click on it (Ctrl toggles, Shift extends) and
/// what one of its Copy controls asked for.
pub fn entry_ui(
    ui: &mut egui::Ui,
    shown: &Shown,
    selected: bool,
    copied: Option<&'static str>,
    thumbs: &mut Thumbs,
) -> (Option<egui::Modifiers>, Option<Copy>) {
    let e = &shown.entry;
    let (rect, resp) =
        ui.allocate_exact_size(vec2(ui.available_width(), ENTRY_HEIGHT), Sense::click());
    a11y(&resp, egui::Role::Row, format!("History entry {}", e.name));
    let clicked = resp.clicked().then(|| ui.input(|i| i.modifiers));
    style::row_background(ui, &resp, selected);
    let mut child = ui.new_child(
        UiBuilder::new()
            .max_rect(rect.shrink2(vec2(8.0, 3.0)))
            .layout(Layout::left_to_right(Align::Center)),
    );
    let ui = &mut child;
    thumbnail(ui, e, thumbs);
    let text_width = (ui.available_width() - 190.0).max(120.0);
    ui.allocate_ui_with_layout(
        vec2(text_width, ENTRY_HEIGHT - 6.0),
        Layout::top_down(Align::Min),
        |ui| {
            ui.spacing_mut().item_spacing.y = 2.0;
            ui.horizontal(|ui| {
                ui.label(RichText::new(crate::text::printable(&e.name)).strong())
                    .on_hover_text(crate::os_path::lossy(&e.path));
                ui.label(RichText::new(format_bytes(e.size_bytes)).weak());
                ui.label(RichText::new(&shown.when).weak());
                if e.origin == OriginKind::Import {
                    let from = e.source_url.as_deref().unwrap_or_default();
                    ui.label(RichText::new("🔗 imported").weak())
                        .on_hover_text(crate::text::printable(from));
                }
            });
            if let Some(url) = &e.url {
                ui.add(
                    // Not selectable: a click anywhere on the entry selects it (Copy copies).
                    egui::Label::new(RichText::new(url).monospace().size(style::DETAIL_SIZE))
                        .selectable(false)
                        .truncate(),
                );
            }
        },
    );
    let copy = style::right_aligned(ui, resp.id.with("buttons"), |ui| {
        copy_menu::file_buttons(ui, &Item::of_history(e), copied, "🗐 Copy URL")
    });
    (clicked, copy)
}

fn thumbnail(ui: &mut egui::Ui, e: &HistoryEntry, thumbs: &mut Thumbs) {
    let (rect, _) = ui.allocate_exact_size(vec2(THUMB, THUMB), Sense::hover());
    let tex = e.thumbnail_url.as_ref().and_then(|url| {
        let url = url.clone();
        thumbs
            .get(Key::Remote(url.clone()), || Source::Url(url))
            .cloned()
    });
    match tex {
        Some(t) => {
            let size = t.size_vec2();
            let scale = THUMB / size.x.max(size.y).max(1.0);
            egui::Image::from_texture(&t)
                .corner_radius(4.0)
                .paint_at(ui, Rect::from_center_size(rect.center(), size * scale));
        }
        None => super::rows::placeholder(ui, rect, Kind::of_mime(&e.mime_type)),
    }
}
