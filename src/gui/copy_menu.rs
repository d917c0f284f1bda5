//! The Copy controls, shared by queue rows and History entries: one file's "Copy" and its "⏷"
//! menu of forms, and the "Copy all ▾" / "Copy N selected ▾" menus of a block. The text comes
//! from `engine::export`, the same as `wixup upload --format`.

use std::time::{Duration, Instant};

use crate::export::{self, Format, Item};

use super::style::a11y;

/// How long a Copy button, or the bar, says "Copied".
pub const COPIED_FOR: Duration = Duration::from_millis(1500);

/// Text to put on the clipboard, and what it was, for the feedback.
#[derive(Debug, Clone, PartialEq)]
pub struct Copy {
    pub text: String,
    pub what: &'static str,
}

/// A block copied: how many files it held, for "Copied 40".
#[derive(Debug, Clone, PartialEq)]
pub struct BlockCopy {
    pub text: String,
    pub files: usize,
}

/// The "🗐 Copy" button (the URL) and the "⏷" menu (Markdown, HTML, and the wix:image URI for
/// an image of known size) of one finished file, in that order. `copied` is what it copied a
/// moment ago.
pub fn file_buttons(
    ui: &mut egui::Ui,
    item: &Item<'_>,
    copied: Option<&'static str>,
    copy_label: &str,
) -> Option<Copy> {
    let url = item.web_url()?;
    let name = item.name;
    let mut out = None;
    // Copy, then ⏷: the reading order, which Tab follows.
    let text = match copied {
        Some(what) => format!("✔ Copied {what}"),
        None => copy_label.to_string(),
    };
    let r = ui.button(text).on_hover_text("Copy the URL (Ctrl+C)");
    a11y(&r, egui::Role::Button, format!("Copy URL of {name}"));
    if r.clicked() {
        out = Some(Copy {
            text: url.to_string(),
            what: "URL",
        });
    }
    let menu = ui.menu_button("⏷", |ui| {
        let mut entry = |ui: &mut egui::Ui, label: &str, what: &'static str, text: String| {
            if ui.button(label).clicked() {
                out = Some(Copy { text, what });
                ui.close();
            }
        };
        entry(
            ui,
            "Copy Markdown",
            "Markdown",
            export::markdown(name, url, item.image),
        );
        let html = if item.image {
            "Copy HTML <img>"
        } else {
            "Copy HTML link"
        };
        entry(
            ui,
            html,
            "HTML",
            export::html(name, url, item.image, item.image_size),
        );
        if let Some(uri) = item.wix_uri() {
            entry(ui, "Copy wix:image URI", "wix:image URI", uri);
        }
    });
    let more = menu
        .response
        .on_hover_text("More copy formats: Markdown, HTML, wix:image URI");
    a11y(
        &more,
        egui::Role::Button,
        format!("More copy formats for {name}"),
    );
    out
}

/// A menu button over a block of files (`label`, e.g. "Copy all ▾") with one entry per format,
/// disabled when `available` is 0. `items` runs only while the menu is open, so a long list
/// costs nothing in the frames it stays shut. What was picked comes back as text to copy.
pub fn block_menu<'a>(
    ui: &mut egui::Ui,
    label: &str,
    available: usize,
    items: impl FnOnce() -> Vec<Item<'a>>,
) -> Option<BlockCopy> {
    let mut out = None;
    ui.add_enabled_ui(available > 0, |ui| {
        // egui's fonts have no "▾": the button shows the row menus' "⏷" and is named with "▾".
        let menu = ui.menu_button(label.replace('▾', "⏷"), |ui| {
            let items = items();
            for format in Format::ALL {
                let files = export::count(format, &items);
                let r = ui.add_enabled(files > 0, egui::Button::new(format.label()));
                if r.clicked() {
                    out = Some(BlockCopy {
                        text: export::block(format, &items),
                        files,
                    });
                    ui.close();
                }
            }
        });
        let tip = if available == 0 {
            "Nothing has finished yet"
        } else {
            "The finished files as URLs, Markdown, HTML or CSV"
        };
        a11y(&menu.response, egui::Role::Button, label.to_string());
        menu.response.on_hover_text(tip);
    });
    out
}

/// Ctrl+C over a selection: one file's URL as it is (as its Copy button copies it), several as
/// lines; `None` when none of them has a web URL.
pub fn urls(items: &[Item<'_>]) -> Option<BlockCopy> {
    let files = export::count(Format::Urls, items);
    let text = match files {
        0 => return None,
        1 => export::block(Format::Urls, items).trim_end().to_string(),
        _ => export::block(Format::Urls, items),
    };
    Some(BlockCopy { text, files })
}

/// "✔ Copied 40" while the feedback lasts.
pub fn block_feedback(ui: &mut egui::Ui, copied: Option<(usize, Instant)>) {
    if let Some((n, at)) = copied
        && at.elapsed() < COPIED_FOR
    {
        ui.label(egui::RichText::new(format!("✔ Copied {n}")).color(ui.visuals().hyperlink_color));
    }
}
