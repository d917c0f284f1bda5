//! One frame in three stages: the input, the panels, and the windows above them. Each returns
//! what the person asked for; `ui` in `app.rs` applies a stage's actions once it is laid out.

use std::time::Instant;

use super::action::AppAction;
use super::app::App;
use super::backend::Target;
use super::input::{InputContext, input_actions};
use super::prefs::Tab;
use super::queue_view::{queue_ui, status_bar_ui};
use super::quit::quit_dialog_ui;
use super::remove::remove_dialog_ui;
use super::rows::ROW_HEIGHT;
use super::style;
use super::view::{Link, drop_zone_ui, hover_overlay, messages_ui, tabs_ui, top_bar_ui};

impl App {
    /// The frame's drops, shortcuts and pastes.
    pub(super) fn input(&mut self, ctx: &egui::Context) -> Vec<AppAction> {
        // First: the clipboard keys become the events the widgets below read.
        let opts = &self.services.opts;
        let mut actions = self
            .flows
            .clipboard
            .frame(ctx, &opts.runtime, &opts.clipboard);
        let covered = self.flows.settings_window.open
            || self.flows.link_dialog.open
            || !self.flows.quit.is_running()
            || !self.flows.removing.is_empty();
        actions.extend(input_actions(
            ctx,
            &InputContext {
                covered,
                tab: self.prefs.tab,
                selection: &self.view.queue_view.selection,
                queue: &self.queue,
            },
        ));
        actions
    }

    /// The top bar and tabs, the status bar, and the tab's contents.
    pub(super) fn panels_ui(&mut self, ui: &mut egui::Ui) -> Vec<AppAction> {
        let mut actions = Vec::new();
        let destination = self.settings.destination_label();
        egui::Panel::top("top").show(ui, |ui| {
            ui.add_space(6.0);
            actions.extend(top_bar_ui(ui, self.services.link(), &destination));
            ui.add_space(4.0);
            let history_len = self.history.len();
            tabs_ui(ui, &mut self.prefs, self.queue.len(), history_len);
            ui.add_space(2.0);
        });
        egui::CentralPanel::default_margins().show(ui, |ui| {
            let failed = matches!(self.services.link(), Link::Failed(_));
            let trouble = self.queue.totals().connection_trouble();
            actions.extend(messages_ui(ui, &self.view.messages, failed, trouble));
            match self.prefs.tab {
                Tab::History => self
                    .history
                    .ui(ui, &self.prefs.history_search, &mut self.thumbs),
                Tab::Queue if self.queue.is_empty() => {
                    let art = self.view.illustration.as_ref();
                    let local = matches!(self.services.target(), Some(Target::Sandbox { .. }));
                    actions.extend(drop_zone_ui(ui, art, &destination, local));
                }
                Tab::Queue => actions.extend(self.list_and_status_bar(ui)),
            }
        });
        actions
    }

    /// The rows, and the status bar under them at the bottom of the window. Both are in the
    /// central panel, the list first, so Tab visits the rows before the bar's buttons (a bottom
    /// panel is laid out, and visited, before the central one). The list gets what the bar,
    /// measured first, leaves.
    fn list_and_status_bar(&mut self, ui: &mut egui::Ui) -> Vec<AppAction> {
        // An atomic read: the limit, while it held a transfer back in the last 2 s.
        let throttle = &self.services.throttle;
        self.view.queue_view.limited = throttle
            .rate()
            .filter(|_| throttle.holding(std::time::Duration::from_secs(2)));
        let column = egui::Layout::top_down(egui::Align::Min);
        let bar_id = ui.scope_id().with("status_bar");
        let bar_height = style::measure(ui, bar_id, column, |ui| {
            status_bar(ui, &self.queue, &self.view.queue_view)
        })
        .y + ui.spacing().item_spacing.y;
        let list_height = (ui.available_height() - bar_height).max(ROW_HEIGHT);
        let size = egui::vec2(ui.available_width(), list_height);
        let list = ui.allocate_ui_with_layout(size, column, |ui| {
            queue_ui(
                ui,
                &mut self.view.queue_view,
                &self.queue,
                &mut self.thumbs,
                Instant::now(),
                self.services.target().is_some_and(Target::is_sandbox),
            )
        });
        let mut actions = list.inner;
        actions.extend(status_bar(ui, &self.queue, &self.view.queue_view));
        actions
    }

    /// What floats above the panels: the Settings window, "Add link…", the questions before
    /// removing uploads in progress and before quitting, the drop overlay.
    pub(super) fn windows_ui(&mut self, ctx: &egui::Context) -> Vec<AppAction> {
        self.flows.settings_window.ui(ctx);
        let mut actions: Vec<AppAction> = self.flows.link_dialog.ui(ctx).into_iter().collect();
        let answer = remove_dialog_ui(ctx, &self.flows.removing);
        actions.extend(answer.map(AppAction::RemoveAnswered));
        actions.extend(quit_dialog_ui(ctx, &self.flows.quit).map(AppAction::Quit));
        // The empty state shows where a drop goes itself, on the Queue tab.
        let zone_shown = self.queue.is_empty() && self.prefs.tab == Tab::Queue;
        hover_overlay(ctx, &self.settings.destination_label(), zone_shown);
        actions
    }
}

/// The status bar under a line.
fn status_bar(
    ui: &mut egui::Ui,
    queue: &super::queue::Queue,
    view: &super::queue_view::QueueView,
) -> Vec<AppAction> {
    ui.separator();
    status_bar_ui(ui, queue, view)
}
