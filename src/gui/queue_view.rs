//! The queue tab: the list of rows (virtualized, kept in view for the keyboard) and the status
//! bar with the totals and the buttons for all rows.

use std::time::Instant;

use crate::engine::{Command, JobId};
use crate::export::Item;
use crate::units::{format_bytes, format_speed};

use super::action::AppAction;
use super::copy_menu::{self, COPIED_FOR};
use super::format;
use super::queue::{Queue, Totals};
use super::rows;
use super::selection::Selection;
use super::style;
use super::thumbs::Thumbs;

/// What the list remembers between frames.
#[derive(Default)]
pub struct QueueView {
    /// Selected rows; its focus is the row the keyboard acts on.
    pub selection: Selection<JobId>,
    /// Row to bring into view (keyboard selection, the first of rows just added).
    pub scroll_to: Option<usize>,
    /// The list's scroll offset, to tell whether `scroll_to` is already visible.
    pub list_offset: f32,
    /// The row whose Copy was clicked, what it copied, and when.
    pub copied: Option<(JobId, &'static str, Instant)>,
    /// A block copied (Copy all, a selection): how many files, and when.
    pub block_copied: Option<(usize, Instant)>,
    /// The upload speed limit while it holds the speed down (bytes a second), for the bar.
    pub limited: Option<u64>,
}

impl QueueView {
    /// Whether a "Copied" label still shows (it needs a repaint to revert).
    pub fn shows_copied(&self) -> bool {
        self.copied
            .is_some_and(|(_, _, at)| at.elapsed() < COPIED_FOR)
            || self
                .block_copied
                .is_some_and(|(_, at)| at.elapsed() < COPIED_FOR)
    }
}

/// The finished rows of `queue` among `ids` (every row when `None`), in queue order.
pub fn finished_items<'a>(queue: &'a Queue, ids: Option<&Selection<JobId>>) -> Vec<Item<'a>> {
    queue
        .rows()
        .iter()
        .filter(|r| ids.is_none_or(|s| s.contains(&r.id)))
        .filter_map(|r| r.item())
        .collect()
}

/// The rows. Takes the scroll request, records the offset; row clicks come back as actions.
pub fn queue_ui(
    ui: &mut egui::Ui,
    view: &mut QueueView,
    queue: &Queue,
    thumbs: &mut Thumbs,
    now: Instant,
    sandbox: bool,
) -> Vec<AppAction> {
    let copied = view
        .copied
        .filter(|(_, _, at)| now.duration_since(*at) < COPIED_FOR);
    let mut actions = Vec::new();
    let n = queue.len();
    let mut area = egui::ScrollArea::vertical().auto_shrink(false);
    if let Some(i) = view.scroll_to.take() {
        let spacing = ui.spacing().item_spacing.y;
        let y = i as f32 * (rows::ROW_HEIGHT + spacing);
        let visible = ui.available_height();
        let offset = view.list_offset;
        if y < offset || y + rows::ROW_HEIGHT > offset + visible {
            area = area.vertical_scroll_offset((y - visible / 2.0).max(0.0));
        }
    }
    let out = area.show_rows(ui, rows::ROW_HEIGHT, n, |ui, range| {
        for row in &queue.rows()[range] {
            let c = copied.filter(|(id, _, _)| *id == row.id).map(|(_, w, _)| w);
            let sel = view.selection.contains(&row.id);
            actions.extend(rows::row_ui(ui, row, sel, c, thumbs, now, sandbox));
        }
    });
    view.list_offset = out.state.clamped_offset().y;
    actions.into_iter().map(AppAction::Row).collect()
}

/// The bar under the list: overall progress, counts, speed and time left, and the buttons.
///
/// The figures come first and the buttons after them against the right edge, in reading order
/// (the order Tab visits them). When the figures would not fit beside the buttons (measured
/// first) they take a line of their own above them and wrap there: text and buttons never
/// overlap, at any width.
pub fn status_bar_ui(ui: &mut egui::Ui, queue: &Queue, view: &QueueView) -> Vec<AppAction> {
    let t = queue.totals();
    ui.add_space(6.0);
    let f = format::fraction(t.bytes_acknowledged, t.bytes_total);
    ui.add(
        egui::ProgressBar::new(f)
            .desired_height(6.0)
            .fill(style::ACCENT),
    );
    let line = status_line(&t, view.limited);
    let buttons_id = ui.scope_id().with("status_buttons");
    let row = egui::Layout::left_to_right(egui::Align::Center);
    let buttons_width = style::measure(ui, buttons_id, row, |ui| {
        status_buttons(ui, queue, view, &t)
    })
    .x;
    let text_width = egui::WidgetText::from(line.as_str())
        .into_galley(
            ui,
            Some(egui::TextWrapMode::Extend),
            f32::INFINITY,
            egui::TextStyle::Body,
        )
        .size()
        .x;
    let gap = 2.0 * ui.spacing().item_spacing.x;
    let own_line = text_width + gap + buttons_width > ui.available_width();
    if own_line {
        ui.add(egui::Label::new(line.as_str()).wrap());
    }
    let out = ui
        .horizontal(|ui| {
            if !own_line {
                ui.label(line.as_str());
            }
            style::right_aligned(ui, buttons_id, |ui| status_buttons(ui, queue, view, &t))
        })
        .inner;
    ui.add_space(4.0);
    out
}

/// The status bar's buttons, in reading order: Pause all, Resume all, Retry failed, Clear
/// finished, then the Copy menus at the right edge, where a finished batch's next step is.
fn status_buttons(
    ui: &mut egui::Ui,
    queue: &Queue,
    view: &QueueView,
    t: &Totals,
) -> Vec<AppAction> {
    let mut out = Vec::new();
    let finished = t.done + t.cancelled;
    let buttons = [
        (t.busy(), "⏸ Pause all", Command::PauseAll),
        (t.paused > 0, "▶ Resume all", Command::ResumeAll),
        (t.retryable > 0, "Retry failed", Command::RetryFailed),
        (finished > 0, "Clear finished", Command::ClearFinished),
    ];
    for (enabled, text, command) in buttons {
        if ui.add_enabled(enabled, egui::Button::new(text)).clicked() {
            out.push(AppAction::Send(command));
        }
    }
    copy_menu::block_feedback(ui, view.block_copied);
    // Several rows selected: the same forms for them alone.
    if view.selection.len() > 1 {
        let sel = &view.selection;
        // The finished ones among them are found only while the menu is open.
        let label = format!("Copy {} selected ▾", sel.len());
        if let Some(b) =
            copy_menu::block_menu(ui, &label, sel.len(), || finished_items(queue, Some(sel)))
        {
            out.push(AppAction::CopyBlock(b));
        }
    }
    if let Some(b) =
        copy_menu::block_menu(ui, "Copy all ▾", t.done, || finished_items(queue, None))
    {
        out.push(AppAction::CopyBlock(b));
    }
    out
}

/// "2 of 5 uploaded · 1 uploading · 2 waiting · 8.4 MiB/s · about 2 min left · 3.1 MiB of 9.0 MiB".
fn status_line(t: &Totals, limited: Option<u64>) -> String {
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
    if let Some(eta) = t.eta.filter(|_| t.bytes_per_sec > 0.0) {
        parts.push(format_speed(t.bytes_per_sec));
        parts.push(format::time_left(eta));
    }
    if let Some(rate) = limited.filter(|_| t.uploading > 0) {
        parts.push(format!("limited to {}", format_speed(rate as f64)));
    }
    parts.push(format!(
        "{} of {}",
        format_bytes(t.bytes_acknowledged),
        format_bytes(t.bytes_total)
    ));
    parts.join(" · ")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// Before, a Copy kept the window repainting twice a second forever.
    #[test]
    fn a_copied_label_needs_repaints_only_while_it_shows() {
        let mut view = QueueView::default();
        assert!(!view.shows_copied());
        view.copied = Some((JobId(1), "URL", Instant::now()));
        assert!(view.shows_copied());
        let long_ago = Instant::now()
            .checked_sub(COPIED_FOR + Duration::from_millis(10))
            .unwrap();
        view.copied = Some((JobId(1), "URL", long_ago));
        assert!(!view.shows_copied());
        view.block_copied = Some((3, Instant::now()));
        assert!(view.shows_copied());
    }

    #[test]
    fn the_status_line_says_only_what_is_there() {
        let t = Totals {
            done: 2,
            queued: 1,
            uploading: 1,
            cancelled: 1,
            bytes_total: 3 << 20,
            bytes_acknowledged: 1 << 20,
            bytes_per_sec: 1024.0 * 1024.0 / 60.0,
            eta: Some(Duration::from_secs(120)),
            ..Totals::default()
        };
        assert_eq!(
            status_line(&t, None),
            "2 of 4 uploaded · 1 uploading · 1 waiting · 17.1 KiB/s · about 2 min left · 1.0 MiB of 3.0 MiB"
        );
        assert_eq!(
            status_line(&t, Some(2_000_000)),
            "2 of 4 uploaded · 1 uploading · 1 waiting · 17.1 KiB/s · about 2 min left · limited to 1.9 MiB/s · 1.0 MiB of 3.0 MiB"
        );
        assert_eq!(
            status_line(&Totals::default(), None),
            "0 of 0 uploaded · 0 B of 0 B"
        );
    }
}
