//! The History tab: a small library of finished uploads from this and earlier runs
//! (`history.jsonl`): thumbnails from the disk cache, local dates, a name search and a day
//! filter, the Copy forms of a finished row, and a selection (click, Ctrl/Shift+click, Ctrl+A).
//! The file is read and prepared on the runtime (dates formatted, names lowercased) once, when
//! the window connects; uploads that finish afterwards join from the engine's `Recorded` events
//! without reading the file again (`history_list`). Only visible entries are drawn.

use std::path::PathBuf;
use std::time::Instant;

use egui::RichText;
use jiff::tz::TimeZone;
use poll_promise::Promise;

use crate::history::{self, HistoryEntry};

use super::copy_menu::{self, COPIED_FOR, Copy};
use super::history_list::{HistoryList, Prepared, prepare};
use super::history_rows::{ENTRY_HEIGHT, entry_ui};
use super::style::a11y;
use super::thumbs::Thumbs;

/// A finished read: the entries ready to show, or why the file cannot be read.
type Loaded = Result<Prepared, String>;

pub struct History {
    list: HistoryList,
    loading: Option<Promise<Loaded>>,
    /// Entries recorded while the file is being read: added once it is, unless it had them.
    pending: Vec<HistoryEntry>,
    error: Option<String>,
    /// Show only this local day.
    pub day: Option<String>,
    /// The entry whose Copy was clicked (an index into the list), what it copied, and when.
    copied: Option<(usize, &'static str, Instant)>,
    /// A block copied from the bar (Copy all, a selection, Ctrl+C): how many files, and when.
    block_copied: Option<(usize, Instant)>,
}

impl History {
    pub fn new() -> Self {
        History {
            list: HistoryList::default(),
            loading: None,
            pending: Vec::new(),
            error: None,
            day: None,
            copied: None,
            block_copied: None,
        }
    }

    /// Reads the file in the background (when the window connects).
    pub fn reload(&mut self, rt: &tokio::runtime::Handle, ctx: &egui::Context, dir: PathBuf) {
        let (tx, promise) = Promise::new();
        let ctx = ctx.clone();
        rt.spawn(async move {
            let r = tokio::task::spawn_blocking(move || {
                history::load(&dir).map(|entries| prepare(entries, TimeZone::system()))
            })
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| format!("cannot read the upload history ({e})")));
            tx.send(r);
            ctx.request_repaint();
        });
        self.loading = Some(promise);
    }

    /// A finished upload the engine added to the history file: listed at once (or once the
    /// read under way lands).
    pub fn record(&mut self, entry: HistoryEntry) {
        if self.loading.is_some() {
            self.pending.push(entry);
        } else {
            self.list.record(entry);
        }
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Picks up a finished read. Called from `logic`.
    pub fn poll(&mut self) {
        let Some(p) = self.loading.take() else {
            return;
        };
        match p.try_take() {
            Ok(Ok(prepared)) => {
                self.list.replace(prepared);
                self.copied = None;
                self.error = None;
            }
            Ok(Err(e)) => self.error = Some(e),
            Err(p) => {
                self.loading = Some(p);
                return;
            }
        }
        // Recorded while the file was read: the read may have found them already.
        for e in std::mem::take(&mut self.pending) {
            if !self.list.contains(&e) {
                self.list.record(e);
            }
        }
    }

    /// The filter bar and the entries. A Copy click copies at once (it is the clipboard, not
    /// the engine, and concerns only this tab).
    pub fn ui(&mut self, ui: &mut egui::Ui, search: &str, thumbs: &mut Thumbs) {
        self.list.refilter(search, self.day.as_deref());
        if let Some(e) = &self.error {
            ui.label(RichText::new(e).color(ui.visuals().error_fg_color));
        }
        if self.list.is_empty() {
            ui.centered_and_justified(|ui| {
                ui.label(RichText::new("Finished uploads appear here, with their links.").weak());
            });
            return;
        }
        self.filter_bar(ui);
        if self.list.shown() == 0 {
            ui.label(format!("No finished upload matches \"{}\".", search.trim()));
            return;
        }
        let typing = ui.ctx().egui_wants_keyboard_input();
        if !typing && ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::A)) {
            self.list.select_all();
        }
        // Ctrl+C: the selection's URLs (the text field copies its own text while it has focus).
        if !typing
            && !self.list.selection.is_empty()
            && ui.input(|i| i.events.iter().any(|e| matches!(e, egui::Event::Copy)))
        {
            let urls = copy_menu::urls(&self.list.block_items());
            if let Some(b) = urls {
                self.copy_block(ui.ctx(), b);
            }
        }
        let copied = self.copied.filter(|(_, _, t)| t.elapsed() < COPIED_FOR);
        let mut actions = Vec::new();
        egui::ScrollArea::vertical()
            .id_salt("history")
            .auto_shrink(false)
            .show_rows(ui, ENTRY_HEIGHT, self.list.shown(), |ui, range| {
                for at in range {
                    let Some((i, shown)) = self.list.at(at) else {
                        continue;
                    };
                    let what = copied.filter(|c| c.0 == i).map(|c| c.1);
                    let sel = self.list.selection.contains(&i);
                    let (clicked, copy) = entry_ui(ui, shown, sel, what, thumbs);
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
                Ok(mods) => self.list.click(i, mods),
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
                    for d in self.list.days() {
                        ui.selectable_value(&mut self.day, Some(d.clone()), d);
                    }
                });
            a11y(&combo.response, egui::Role::ComboBox, "Day".into());
            let shown = self.list.shown();
            let label = match self.list.selection.len() {
                0 => format!("{shown} shown"),
                n => format!("{n} of {shown} selected"),
            };
            ui.label(RichText::new(label).weak());
            let menu = match self.list.selection.len() {
                0 => "Copy all ▾".to_string(),
                n => format!("Copy {n} selected ▾"),
            };
            // Built only while the menu is open: 10,000 entries cost nothing per frame.
            let list = &self.list;
            let picked = copy_menu::block_menu(ui, &menu, shown, || list.block_items());
            if let Some(b) = picked {
                self.copy_block(ui.ctx(), b);
            }
            copy_menu::block_feedback(ui, self.block_copied);
        });
    }
}
