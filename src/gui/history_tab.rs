//! The History tab: a small library of finished uploads from this and earlier runs
//! (`history.jsonl`): thumbnails from the disk cache, local dates, a name search and a day
//! filter, the Copy forms of a finished row, and a selection (click, Ctrl/Shift+click, Ctrl+A).
//! Loaded and prepared on the runtime (dates formatted, names lowercased), filtered on the UI
//! thread only when the search or the day changes; only visible entries are drawn.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Instant;

use egui::RichText;
use jiff::tz::TimeZone;
use poll_promise::Promise;

use crate::export::Item;
use crate::history::{self, HistoryEntry};

use super::copy_menu::{self, COPIED_FOR, Copy};
use super::history_rows::{ENTRY_HEIGHT, Shown, entry_ui};
use super::selection::Selection;
use super::style::a11y;
use super::thumbs::Thumbs;

/// A finished load: the entries ready to show and the days they fall on (newest first), or why
/// the file cannot be read.
type Loaded = Result<(Vec<Shown>, Vec<String>), String>;

pub struct History {
    entries: Vec<Shown>,
    /// Local days with at least one upload, newest first.
    days: Vec<String>,
    loading: Option<Promise<Loaded>>,
    error: Option<String>,
    /// Show only this local day.
    pub day: Option<String>,
    /// Indices into `entries` matching the search and the day, newest first.
    filtered: Vec<usize>,
    filtered_for: Option<(String, Option<String>)>,
    /// Selected entries (indices into `entries`).
    selection: Selection<usize>,
    /// The entry whose Copy was clicked, what it copied, and when.
    copied: Option<(usize, &'static str, Instant)>,
    /// A block copied from the bar (Copy all, a selection, Ctrl+C): how many files, and when.
    block_copied: Option<(usize, Instant)>,
}

impl History {
    pub fn new() -> Self {
        History {
            entries: Vec::new(),
            days: Vec::new(),
            loading: None,
            error: None,
            day: None,
            filtered: Vec::new(),
            filtered_for: None,
            selection: Selection::default(),
            copied: None,
            block_copied: None,
        }
    }

    /// Reloads the file in the background (on opening the tab and after an upload finished).
    pub fn reload(&mut self, rt: &tokio::runtime::Handle, ctx: &egui::Context, dir: PathBuf) {
        let (tx, promise) = Promise::new();
        let ctx = ctx.clone();
        rt.spawn(async move {
            let r = tokio::task::spawn_blocking(move || {
                history::load(&dir).map(|entries| prepare(entries, &TimeZone::system()))
            })
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| format!("cannot read the upload history ({e})")));
            tx.send(r);
            ctx.request_repaint();
        });
        self.loading = Some(promise);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Picks up a finished load. Called from `logic`.
    pub fn poll(&mut self) {
        if let Some(p) = self.loading.take() {
            match p.try_take() {
                Ok(Ok((entries, days))) => {
                    // A reload can reorder entries: a selection by index would point elsewhere.
                    if entries.len() != self.entries.len() {
                        self.selection.clear();
                    }
                    self.entries = entries;
                    self.days = days;
                    self.filtered_for = None;
                    self.error = None;
                }
                Ok(Err(e)) => self.error = Some(e),
                Err(p) => self.loading = Some(p),
            }
        }
    }

    fn refilter(&mut self, search: &str) {
        let key = (search.to_string(), self.day.clone());
        if self.filtered_for.as_ref() == Some(&key) {
            return;
        }
        let needle = search.trim().to_lowercase();
        let day = self.day.as_deref();
        self.filtered = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, s)| needle.is_empty() || s.lower.contains(&needle))
            .filter(|(_, s)| day.is_none_or(|d| s.day == d))
            .map(|(i, _)| i)
            .collect();
        // What the filter hides is no longer selected (Copy takes what is seen).
        let seen: BTreeSet<usize> = self.filtered.iter().copied().collect();
        self.selection.retain(|i| seen.contains(i));
        self.filtered_for = Some(key);
    }

    /// What a block copies: the selection, or every entry shown when none is selected; in the
    /// order shown.
    fn block_items(&self) -> Vec<Item<'_>> {
        let all = self.selection.is_empty();
        self.filtered
            .iter()
            .filter(|i| all || self.selection.contains(i))
            .map(|&i| Item::of_history(&self.entries[i].entry))
            .collect()
    }

    /// The filter bar and the entries. A Copy click copies at once (it is the clipboard, not
    /// the engine, and concerns only this tab).
    pub fn ui(&mut self, ui: &mut egui::Ui, search: &str, thumbs: &mut Thumbs) {
        self.refilter(search);
        if let Some(e) = &self.error {
            ui.label(RichText::new(e).color(ui.visuals().error_fg_color));
        }
        if self.entries.is_empty() {
            ui.centered_and_justified(|ui| {
                ui.label(RichText::new("Finished uploads appear here, with their links.").weak());
            });
            return;
        }
        self.filter_bar(ui);
        if self.filtered.is_empty() {
            ui.label(format!("No finished upload matches \"{}\".", search.trim()));
            return;
        }
        let typing = ui.ctx().egui_wants_keyboard_input();
        if !typing && ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::A)) {
            self.selection.select_all(&self.filtered);
        }
        // Ctrl+C: the selection's URLs (the text field copies its own text while it has focus).
        if !typing
            && !self.selection.is_empty()
            && ui.input(|i| i.events.iter().any(|e| matches!(e, egui::Event::Copy)))
        {
            let urls = copy_menu::urls(&self.block_items());
            if let Some(b) = urls {
                self.copy_block(ui.ctx(), b);
            }
        }
        let copied = self.copied.filter(|(_, _, t)| t.elapsed() < COPIED_FOR);
        let mut actions = Vec::new();
        egui::ScrollArea::vertical()
            .id_salt("history")
            .auto_shrink(false)
            .show_rows(ui, ENTRY_HEIGHT, self.filtered.len(), |ui, range| {
                for at in range {
                    let i = self.filtered[at];
                    let what = copied.filter(|c| c.0 == i).map(|c| c.1);
                    let sel = self.selection.contains(&i);
                    let (clicked, copy) = entry_ui(ui, &self.entries[i], sel, what, thumbs);
                    if let Some(mods) = clicked {
                        actions.push((i, Ok(mods)));
                    }
                    if let Some(c) = copy {
                        actions.push((i, Err(c)));
                    }
                }
            });
        for (i, a) in actions {
            match a {
                Ok(mods) => self.selection.click(i, mods, &self.filtered),
                Err(Copy { text, what }) => {
                    ui.ctx().copy_text(text);
                    self.copied = Some((i, what, Instant::now()));
                    ui.ctx().request_repaint_after(COPIED_FOR);
                }
            }
        }
    }

    fn copy_block(&mut self, ctx: &egui::Context, b: copy_menu::BlockCopy) {
        ctx.copy_text(b.text);
        self.block_copied = Some((b.files, Instant::now()));
        ctx.request_repaint_after(COPIED_FOR);
    }

    fn filter_bar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let current = self.day.clone().unwrap_or_else(|| "Any day".into());
            let combo = egui::ComboBox::from_id_salt("history-day")
                .selected_text(current)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.day, None, "Any day");
                    for d in &self.days {
                        ui.selectable_value(&mut self.day, Some(d.clone()), d);
                    }
                });
            a11y(&combo.response, egui::Role::ComboBox, "Day".into());
            let shown = self.filtered.len();
            let label = match self.selection.len() {
                0 => format!("{shown} shown"),
                n => format!("{n} of {shown} selected"),
            };
            ui.label(RichText::new(label).weak());
            let menu = match self.selection.len() {
                0 => "Copy all ▾".to_string(),
                n => format!("Copy {n} selected ▾"),
            };
            // Built only while the menu is open: 10,000 entries cost nothing per frame.
            let picked = copy_menu::block_menu(ui, &menu, shown, || self.block_items());
            if let Some(b) = picked {
                self.copy_block(ui.ctx(), b);
            }
            copy_menu::block_feedback(ui, self.block_copied);
        });
    }
}

/// Formats what each entry shows, once, and lists the days (newest first).
fn prepare(entries: Vec<HistoryEntry>, zone: &TimeZone) -> (Vec<Shown>, Vec<String>) {
    let shown: Vec<Shown> = entries
        .into_iter()
        .map(|entry| {
            let when = when(entry.finished_unix, zone);
            let day = when.get(..10).unwrap_or_default().to_string();
            let lower = entry.name.to_lowercase();
            Shown {
                entry,
                when,
                day,
                lower,
            }
        })
        .collect();
    let days: BTreeSet<&String> = shown.iter().map(|s| &s.day).collect();
    let days = days.into_iter().rev().cloned().collect();
    (shown, days)
}

/// "2026-11-25 15:03 CET": when an upload finished, in the computer's time zone.
fn when(unix: u64, zone: &TimeZone) -> String {
    let ts = i64::try_from(unix)
        .ok()
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    ts.to_zoned_datetime(zone.clone())
        .strftime("%Y-%m-%d %H:%M %Z")
        .to_string()
}

#[cfg(test)]
mod tests {
    use jiff::tz::TimeZone;

    #[test]
    fn dates_in_the_given_zone() {
        assert_eq!(super::when(0, &TimeZone::UTC), "1970-01-01 00:00 UTC");
        assert_eq!(
            super::when(1_795_000_000, &TimeZone::UTC),
            "2026-11-18 11:06 UTC"
        );
        // POSIX rules, so the test needs no time-zone database on the machine.
        let paris = TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
        assert_eq!(super::when(1_795_000_000, &paris), "2026-11-18 12:06 CET");
        let new_york = TimeZone::posix("EST5EDT,M3.2.0,M11.1.0").unwrap();
        assert_eq!(
            super::when(1_783_000_000, &new_york),
            "2026-07-02 09:46 EDT"
        );
    }
}
