//! The window's frame around the queue: top bar, tabs, banner and notices, the drop zone, and
//! the overlay while files hover. Each `*_ui` takes only what it shows or edits and returns
//! what was asked for; the app applies it after layout.

use std::time::{Duration, Instant};

use egui::{Align, Layout, RichText, vec2};

use super::action::AppAction;
use super::backend::Target;
use super::format::Tone;
use super::prefs::{Tab, UiPrefs};
use super::queue::Notice;
use super::rows::tone_color;
use super::style::{self, a11y};

/// The connection as the badge shows it.
pub enum Link<'a> {
    Connecting,
    Ready(&'a Target),
    Failed(&'a str),
}

/// A problem that concerns everything, with what fixes it.
pub struct Banner {
    pub text: String,
    pub open_settings: bool,
}

/// How long a notice stays.
const NOTICE_SECS: u64 = 12;
/// Notices shown at once; the oldest goes first.
const MAX_NOTICES: usize = 4;

/// What the window tells the person outside the rows: one banner and a few passing notices.
#[derive(Default)]
pub struct Messages {
    pub banner: Option<Banner>,
    notices: Vec<Passing>,
}

/// A passing notice: a warning, or news that something worked ("Settings saved.").
struct Passing {
    text: String,
    at: Instant,
    good: bool,
}

impl Messages {
    /// Something that went wrong or was left out, shown as a warning.
    pub fn notice(&mut self, text: String) {
        self.push(text, false);
    }

    /// Something that worked, shown in the success colour without a warning sign.
    pub fn success(&mut self, text: String) {
        self.push(text, true);
    }

    fn push(&mut self, text: String, good: bool) {
        self.notices.push(Passing {
            text,
            at: Instant::now(),
            good,
        });
        if self.notices.len() > MAX_NOTICES {
            self.notices.remove(0);
        }
    }

    /// What the mirror noticed in the engine's events, in words.
    pub fn show(&mut self, n: Notice) {
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
            Notice::Duplicates(n) => self.notice(format!("{n} files are already in the queue.")),
            Notice::Credentials(m) => {
                self.banner = Some(Banner {
                    text: m,
                    open_settings: true,
                })
            }
            Notice::JournalError(m) | Notice::History(m) | Notice::Skipped(m) => self.notice(m),
        }
    }

    pub fn dismiss(&mut self, i: usize) {
        if i < self.notices.len() {
            self.notices.remove(i);
        }
    }

    /// Drops expired notices; whether some are still shown (they need a repaint to expire).
    pub fn expire(&mut self, now: Instant) -> bool {
        self.notices
            .retain(|n| now.duration_since(n.at) < Duration::from_secs(NOTICE_SECS));
        !self.notices.is_empty()
    }
}

pub fn top_bar_ui(ui: &mut egui::Ui, link: Link<'_>, destination: &str) -> Vec<AppAction> {
    let mut out = Vec::new();
    ui.horizontal(|ui| {
        ui.heading(RichText::new("Wixup").strong());
        ui.add_space(8.0);
        let (text, color, tip) = match link {
            Link::Ready(target) => match target {
                Target::Sandbox { url } => (
                    "⏺ Local sandbox".to_string(),
                    style::SANDBOX,
                    format!("Uploading to the built-in sandbox at {url}. Links work on this computer only. Click to connect a Wix site."),
                ),
                Target::Site { site_id, base, .. } if site_id == crate::sandbox::DEFAULT_SITE_ID => (
                    "⏺ Local sandbox".to_string(),
                    style::SANDBOX,
                    format!("Uploading to the sandbox server at {base}. Links work where that server runs."),
                ),
                Target::Site { site_id, from_env, .. } => (
                    "⏺ Wix site".to_string(),
                    style::SITE,
                    if *from_env {
                        format!("Site {site_id}, from WIX_API_KEY / WIX_SITE_ID")
                    } else {
                        format!("Site {site_id}")
                    },
                ),
            },
            Link::Connecting => ("○ Connecting…".into(), ui.visuals().weak_text_color(), String::new()),
            Link::Failed(e) => ("⏺ Not connected".into(), ui.visuals().error_fg_color, e.to_string()),
        };
        let badge = ui.button(RichText::new(text).color(color)).on_hover_text(tip);
        a11y(&badge, egui::Role::Button, "Connection settings".into());
        if badge.clicked() {
            out.push(AppAction::OpenSettings);
        }
        ui.label(RichText::new("Upload to:").weak());
        let dest = ui.button(format!("📁 {destination}"));
        a11y(&dest, egui::Role::Button, "Destination folder".into());
        if dest.on_hover_text("Change the folder in Settings").clicked() {
            out.push(AppAction::OpenSettings);
        }
        // In reading order against the right edge, as Tab visits them.
        style::right_aligned(ui, ui.scope_id().with("top_buttons"), |ui| {
            let link = ui
                .button("🔗 Add link…")
                .on_hover_text("Import a file from an http(s) link (or paste a link: Ctrl+V)");
            a11y(&link, egui::Role::Button, "Add link".into());
            // The window opens under its button.
            let at = link.rect.right_bottom() + egui::vec2(0.0, 4.0);
            ui.data_mut(|d| d.insert_temp(super::link_dialog::anchor_id(), at));
            if link.clicked() {
                out.push(AppAction::OpenLinkDialog);
            }
            if ui.button("➕ Add files…").on_hover_text("Ctrl+O").clicked() {
                out.push(AppAction::ChooseFiles { folders: false });
            }
            let s = ui.button("⚙").on_hover_text("Settings (Ctrl+,)");
            a11y(&s, egui::Role::Button, "Settings".into());
            if s.clicked() {
                out.push(AppAction::OpenSettings);
            }
        });
    });
    out
}

/// The Queue and History tabs; on History, its search field (part of the saved preferences).
pub fn tabs_ui(ui: &mut egui::Ui, prefs: &mut UiPrefs, queue_len: usize, history_len: usize) {
    ui.horizontal(|ui| {
        let q = format!("Queue {queue_len}");
        ui.selectable_value(&mut prefs.tab, Tab::Queue, q);
        ui.selectable_value(&mut prefs.tab, Tab::History, "History");
        if prefs.tab == Tab::History {
            style::right_aligned(ui, ui.scope_id().with("history_search"), |ui| {
                ui.label(RichText::new(format!("{history_len} finished")).weak());
                let r = ui.add(
                    egui::TextEdit::singleline(&mut prefs.history_search)
                        .hint_text("🔍 Search by name")
                        .desired_width(220.0),
                );
                a11y(&r, egui::Role::SearchInput, "Search history".into());
            });
        }
    });
}

/// The banner (with Open Settings, and Try again when `failed`), the warning when every upload
/// retries, and the notices.
pub fn messages_ui(
    ui: &mut egui::Ui,
    messages: &Messages,
    failed: bool,
    connection_trouble: bool,
) -> Vec<AppAction> {
    let mut out = Vec::new();
    if let Some(b) = &messages.banner {
        egui::Frame::new()
            .fill(ui.visuals().error_fg_color.gamma_multiply(0.15))
            .inner_margin(8.0)
            .corner_radius(6.0)
            .show(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(&b.text).color(ui.visuals().strong_text_color()));
                    if b.open_settings && ui.button("Open Settings").clicked() {
                        out.push(AppAction::OpenSettings);
                    }
                    if failed && ui.button("Try again").clicked() {
                        out.push(AppAction::Reconnect);
                    }
                });
            });
    }
    if messages.banner.is_none() && connection_trouble {
        egui::Frame::new()
            .fill(ui.visuals().warn_fg_color.gamma_multiply(0.15))
            .inner_margin(8.0)
            .corner_radius(6.0)
            .show(ui, |ui| {
                ui.label(
                    "Every upload is retrying: the connection to the server is failing. Check your network; uploads continue by themselves when it is back.",
                );
            });
    }
    for (i, n) in messages.notices.iter().enumerate() {
        ui.horizontal(|ui| {
            let shown = if n.good {
                RichText::new(format!("✔ {}", n.text)).color(tone_color(ui, Tone::Success))
            } else {
                RichText::new(format!("⚠ {}", n.text)).color(ui.visuals().warn_fg_color)
            };
            ui.label(shown);
            if ui.small_button("✖").on_hover_text("Dismiss").clicked() {
                out.push(AppAction::DismissNotice(i));
            }
        });
    }
    out
}

/// The empty queue: where to drop, where files go, and the buttons to choose instead. On the
/// built-in sandbox (`local_sandbox`) it says that files stay on this computer, and offers to
/// connect a Wix site.
pub fn drop_zone_ui(
    ui: &mut egui::Ui,
    illustration: Option<&egui::TextureHandle>,
    destination: &str,
    local_sandbox: bool,
) -> Vec<AppAction> {
    let mut out = Vec::new();
    let hovering = ui.ctx().input(|i| !i.raw.hovered_files.is_empty());
    let rect = ui.available_rect_before_wrap().shrink(12.0);
    let stroke_color = if hovering {
        style::ACCENT
    } else {
        ui.visuals().weak_text_color()
    };
    ui.painter().rect_stroke(
        rect,
        12.0,
        egui::Stroke::new(if hovering { 3.0 } else { 1.5 }, stroke_color),
        egui::StrokeKind::Inside,
    );
    let mut child = ui.new_child(
        egui::UiBuilder::new()
            .max_rect(rect)
            .layout(Layout::top_down(Align::Center)),
    );
    let ui = &mut child;
    ui.add_space((rect.height() / 2.0 - 150.0).max(12.0));
    if let Some(tex) = illustration {
        ui.add(egui::Image::from_texture(tex).fit_to_exact_size(vec2(120.0, 120.0)));
    }
    ui.add_space(8.0);
    // While files hover, the zone itself says where they go (the overlay stays away from an
    // empty queue), so one message shows, never two on top of each other.
    let title = if hovering {
        drop_message(destination)
    } else {
        "Drop photos and files here".to_string()
    };
    ui.label(RichText::new(title).size(22.0).strong());
    if local_sandbox {
        ui.label(
            RichText::new(
                "They go to a local sandbox on this computer, not to a Wix site: their links work only here.",
            )
            .color(ui.visuals().strong_text_color()),
        );
        if ui.button("Connect your Wix site").clicked() {
            out.push(AppAction::ConnectSite);
        }
    } else {
        ui.label(
            RichText::new(format!(
                "They upload to {destination}, and can be paused and resumed."
            ))
            .weak(),
        );
    }
    ui.add_space(10.0);
    ui.horizontal(|ui| {
        let w = 300.0;
        ui.add_space(((ui.available_width() - w) / 2.0).max(0.0));
        if ui
            .add(egui::Button::new(RichText::new("Choose files…").size(16.0)))
            .clicked()
        {
            out.push(AppAction::ChooseFiles { folders: false });
        }
        if ui
            .add(egui::Button::new(
                RichText::new("Choose folder…").size(16.0),
            ))
            .clicked()
        {
            out.push(AppAction::ChooseFiles { folders: true });
        }
    });
    ui.add_space(6.0);
    // Full size and the body's colour: small grey text was hard to read.
    ui.label("Ctrl+O to choose · Ctrl+V to paste files, an image or a link");
    out
}

fn drop_message(destination: &str) -> String {
    format!("Drop to upload to {destination}")
}

/// Dims the window while files hover over a queue that has rows, saying where they will go. An
/// empty queue's drop zone says it itself ([`drop_zone_ui`]).
pub fn hover_overlay(ctx: &egui::Context, destination: &str, queue_empty: bool) {
    if queue_empty || ctx.input(|i| i.raw.hovered_files.is_empty()) {
        return;
    }
    let rect = ctx.content_rect();
    let painter = ctx.layer_painter(egui::LayerId::new(
        egui::Order::Foreground,
        egui::Id::unique("wixup-drop-overlay"),
    ));
    painter.rect_filled(rect, 0.0, egui::Color32::from_black_alpha(150));
    painter.rect_stroke(
        rect.shrink(16.0),
        12.0,
        egui::Stroke::new(3.0, style::ACCENT),
        egui::StrokeKind::Inside,
    );
    painter.text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        drop_message(destination),
        egui::FontId::proportional(24.0),
        egui::Color32::WHITE,
    );
}
