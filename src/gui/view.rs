//! Drawing the window: top bar, tabs, banner and notices, the queue (or the drop zone, or the
//! history), and the status bar with the totals. Reads state; clicks become commands.

use std::time::{Duration, Instant};

use egui::{Align, Layout, RichText, vec2};

use crate::engine::{Command, JobState};
use crate::size::format_bytes;

use super::app::{App, Conn, Quit, Tab};
use super::backend::Target;
use super::format;
use super::rows::{self, Action, a11y};
use super::style;

impl App {
    pub(super) fn draw(&mut self, ui: &mut egui::Ui) {
        self.handle_input(ui.ctx());
        egui::Panel::top("top").show(ui, |ui| {
            ui.add_space(6.0);
            self.top_bar(ui);
            ui.add_space(4.0);
            self.tabs(ui);
            ui.add_space(2.0);
        });
        if !self.queue.is_empty() && self.tab == Tab::Queue {
            egui::Panel::bottom("status").show(ui, |ui| self.status_bar(ui));
        }
        egui::CentralPanel::default_margins().show(ui, |ui| {
            self.banner_and_notices(ui);
            match self.tab {
                Tab::History => self.history.ui(ui),
                Tab::Queue if self.queue.is_empty() => self.drop_zone(ui),
                Tab::Queue => self.queue_list(ui),
            }
        });
        if let Some(outcome) = self.settings_window.ui(ui.ctx()) {
            self.settings_saved(outcome);
        }
        self.quit_dialog(ui.ctx());
        self.hover_overlay(ui.ctx());
    }

    fn top_bar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.heading(RichText::new("Wixup").strong());
            ui.add_space(8.0);
            let (text, color, tip) = match &self.conn {
                Conn::Ready(live) => match &live.target {
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
                Conn::Connecting(_) => ("○ Connecting…".into(), ui.visuals().weak_text_color(), String::new()),
                Conn::Failed(e) => ("⏺ Not connected".into(), ui.visuals().error_fg_color, e.clone()),
            };
            let badge = ui.button(RichText::new(text).color(color)).on_hover_text(tip);
            a11y(&badge, egui::Role::Button, "Connection settings".into());
            if badge.clicked() {
                self.open_settings();
            }
            ui.label(RichText::new("Upload to:").weak());
            let dest = ui.button(format!("📁 {}", self.settings.destination_label()));
            a11y(&dest, egui::Role::Button, "Destination folder".into());
            if dest.on_hover_text("Change the folder in Settings").clicked() {
                self.open_settings();
            }
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                let s = ui.button("⚙").on_hover_text("Settings (Ctrl+,)");
                a11y(&s, egui::Role::Button, "Settings".into());
                if s.clicked() {
                    self.open_settings();
                }
                if ui.button("➕ Add files…").on_hover_text("Ctrl+O").clicked() {
                    self.choose_files(false);
                }
            });
        });
    }

    fn tabs(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let q = format!("Queue {}", self.queue.len());
            ui.selectable_value(&mut self.tab, Tab::Queue, q);
            let h = ui.selectable_value(&mut self.tab, Tab::History, "History");
            if h.clicked() {
                self.history
                    .reload(&self.opts.runtime, &self.ctx, self.opts.data_dir.clone());
            }
            if self.tab == Tab::History {
                ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                    let r = ui.add(
                        egui::TextEdit::singleline(&mut self.history.search)
                            .hint_text("🔍 Search by name")
                            .desired_width(220.0),
                    );
                    a11y(&r, egui::Role::SearchInput, "Search history".into());
                    ui.label(RichText::new(format!("{} finished", self.history.len())).weak());
                });
            }
        });
    }

    fn banner_and_notices(&mut self, ui: &mut egui::Ui) {
        let mut open = false;
        let mut retry = false;
        let failed = matches!(self.conn, Conn::Failed(_));
        if let Some(b) = &self.banner {
            egui::Frame::new()
                .fill(ui.visuals().error_fg_color.gamma_multiply(0.15))
                .inner_margin(8.0)
                .corner_radius(6.0)
                .show(ui, |ui| {
                    ui.horizontal_wrapped(|ui| {
                        ui.label(RichText::new(&b.text).color(ui.visuals().strong_text_color()));
                        if b.open_settings && ui.button("Open Settings").clicked() {
                            open = true;
                        }
                        if failed && ui.button("Try again").clicked() {
                            retry = true;
                        }
                    });
                });
        }
        if open {
            self.open_settings();
        }
        if retry {
            self.connect();
        }
        if self.banner.is_none() && self.queue.totals().connection_trouble() {
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
        let mut dismiss = None;
        for (i, (text, _)) in self.notices.iter().enumerate() {
            ui.horizontal(|ui| {
                ui.label(RichText::new(format!("⚠ {text}")).color(ui.visuals().warn_fg_color));
                if ui.small_button("✖").on_hover_text("Dismiss").clicked() {
                    dismiss = Some(i);
                }
            });
        }
        if let Some(i) = dismiss {
            self.notices.remove(i);
        }
    }

    fn drop_zone(&mut self, ui: &mut egui::Ui) {
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
        if let Some(tex) = &self.illustration {
            ui.add(egui::Image::from_texture(tex).fit_to_exact_size(vec2(120.0, 120.0)));
        }
        ui.add_space(8.0);
        ui.label(
            RichText::new("Drop photos and files here")
                .size(22.0)
                .strong(),
        );
        ui.label(
            RichText::new(format!(
                "They upload to {}, and can be paused and resumed.",
                self.settings.destination_label()
            ))
            .weak(),
        );
        ui.add_space(10.0);
        ui.horizontal(|ui| {
            let w = 300.0;
            ui.add_space(((ui.available_width() - w) / 2.0).max(0.0));
            if ui
                .add(egui::Button::new(RichText::new("Choose files…").size(16.0)))
                .clicked()
            {
                self.choose_files(false);
            }
            if ui
                .add(egui::Button::new(
                    RichText::new("Choose folder…").size(16.0),
                ))
                .clicked()
            {
                self.choose_files(true);
            }
        });
        ui.add_space(6.0);
        ui.label(
            RichText::new("Ctrl+O to choose · Ctrl+V to paste an image")
                .small()
                .weak(),
        );
    }

    fn queue_list(&mut self, ui: &mut egui::Ui) {
        let now = Instant::now();
        let copied = self
            .copied
            .filter(|(_, _, at)| now.duration_since(*at) < Duration::from_millis(1500));
        let mut actions = Vec::new();
        let n = self.queue.len();
        let scroll_to = self.scroll_to.take();
        let mut area = egui::ScrollArea::vertical().auto_shrink(false);
        if let Some(i) = scroll_to {
            let spacing = ui.spacing().item_spacing.y;
            let y = i as f32 * (rows::ROW_HEIGHT + spacing);
            let visible = ui.available_height();
            let offset = self.list_offset;
            if y < offset || y + rows::ROW_HEIGHT > offset + visible {
                area = area.vertical_scroll_offset((y - visible / 2.0).max(0.0));
            }
        }
        let out = area.show_rows(ui, rows::ROW_HEIGHT, n, |ui, range| {
            for row in &self.queue.rows()[range] {
                let c = copied
                    .filter(|(id, _, _)| *id == row.job.id)
                    .map(|(_, w, _)| w);
                let sel = self.selected == Some(row.job.id);
                actions.extend(rows::draw(ui, row, sel, c, &mut self.thumbs, now));
            }
        });
        self.list_offset = out.state.clamped_offset().y;
        for a in actions {
            self.act(ui.ctx(), a);
        }
    }

    pub(super) fn act(&mut self, ctx: &egui::Context, a: Action) {
        match a {
            Action::Select(id) => self.selected = Some(id),
            Action::Pause(id) => self.send(Command::Pause(id)),
            Action::Resume(id) => self.send(Command::Resume(id)),
            Action::Cancel(id) => self.send(Command::Cancel(id)),
            Action::Retry(id) => self.send(Command::Retry(id)),
            Action::Remove(id) => self.send(Command::Remove(id)),
            Action::Copy { id, text, what } => {
                ctx.copy_text(text);
                self.copied = Some((id, what, Instant::now()));
            }
            Action::Open(url) if super::format::browsable(&url) => {
                ctx.open_url(egui::OpenUrl::new_tab(url));
            }
            Action::Open(_) => tracing::warn!("not opening a URL that is not http(s)"),
        }
    }

    fn status_bar(&mut self, ui: &mut egui::Ui) {
        let t = self.queue.totals();
        ui.add_space(6.0);
        let f = format::fraction(t.bytes_acknowledged, t.bytes_total);
        ui.add(
            egui::ProgressBar::new(f)
                .desired_height(6.0)
                .fill(style::ACCENT),
        );
        ui.horizontal(|ui| {
            let mut parts = vec![format!("{} of {} uploaded", t.done, t.all() - t.cancelled)];
            if t.uploading > 0 {
                parts.push(format!("{} uploading", t.uploading));
            }
            if t.queued > 0 {
                parts.push(format!("{} waiting", t.queued));
            }
            if t.paused > 0 {
                parts.push(format!("{} paused", t.paused));
            }
            if t.failed > 0 {
                parts.push(format!("{} failed", t.failed));
            }
            if t.bytes_per_sec > 0.0 {
                parts.push(format::speed(t.bytes_per_sec));
                let left = t.bytes_total.saturating_sub(t.bytes_acknowledged) as f64;
                parts.push(format::eta(Duration::from_secs_f64(left / t.bytes_per_sec)));
            }
            parts.push(format!(
                "{} of {}",
                format_bytes(t.bytes_acknowledged),
                format_bytes(t.bytes_total)
            ));
            ui.label(parts.join(" · "));
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                let finished = t.done + t.cancelled;
                if ui
                    .add_enabled(finished > 0, egui::Button::new("Clear finished"))
                    .clicked()
                {
                    self.send(Command::ClearFinished);
                }
                if ui
                    .add_enabled(t.failed > 0, egui::Button::new("Retry failed"))
                    .clicked()
                {
                    self.send(Command::RetryFailed);
                }
                if ui
                    .add_enabled(t.paused > 0, egui::Button::new("▶ Resume all"))
                    .clicked()
                {
                    self.send(Command::ResumeAll);
                }
                if ui
                    .add_enabled(t.busy(), egui::Button::new("⏸ Pause all"))
                    .clicked()
                {
                    self.send(Command::PauseAll);
                }
            });
        });
        ui.add_space(4.0);
    }

    fn quit_dialog(&mut self, ctx: &egui::Context) {
        if !matches!(self.quit, Quit::Confirming | Quit::Stopping(_)) {
            return;
        }
        let stopping = matches!(self.quit, Quit::Stopping(_));
        let mut choice = None;
        egui::Modal::new(egui::Id::unique("wixup-quit")).show(ctx, |ui| {
            ui.set_width(380.0);
            if stopping {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Saving the queue…");
                });
                return;
            }
            ui.heading("Uploads are still running");
            ui.label("If you quit now, they continue from where they stopped the next time you open Wixup.");
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                if ui.button("Quit").clicked() {
                    choice = Some(true);
                }
                if ui.button("Keep uploading").clicked() {
                    choice = Some(false);
                }
            });
        });
        match choice {
            Some(true) => self.stop_engine(),
            Some(false) => self.quit = Quit::Running,
            None => {}
        }
    }

    fn hover_overlay(&self, ctx: &egui::Context) {
        if ctx.input(|i| i.raw.hovered_files.is_empty()) {
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
            format!("Drop to upload to {}", self.settings.destination_label()),
            egui::FontId::proportional(24.0),
            egui::Color32::WHITE,
        );
    }

    pub(super) fn selected_state(&self) -> Option<JobState> {
        self.selected
            .and_then(|id| self.queue.get(id))
            .map(|r| r.job.state)
    }
}
