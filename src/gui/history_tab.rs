//! The History tab: finished uploads from this and earlier runs (`history.jsonl`), searchable by
//! name, each with its URL and a Copy button. Loaded on the runtime, filtered on the UI thread
//! (a substring match over names is microseconds even for thousands of entries).

use std::path::PathBuf;

use egui::RichText;
use jiff::tz::TimeZone;
use poll_promise::Promise;

use crate::engine::history::{self, HistoryEntry};
use crate::units::format_bytes;

use super::rows::a11y;

/// A finished load: the entries and the computer's time zone, or why the file cannot be read.
type Loaded = Result<(Vec<HistoryEntry>, TimeZone), String>;

pub struct History {
    entries: Vec<HistoryEntry>,
    loading: Option<Promise<Loaded>>,
    /// The computer's time zone, read with the entries (off the UI thread): dates show in it.
    zone: TimeZone,
    error: Option<String>,
    /// Indices into `entries` matching the search (which the saved preferences hold).
    filtered: Vec<usize>,
    filtered_for: Option<String>,
    copied: Option<(usize, std::time::Instant)>,
}

impl History {
    pub fn new() -> Self {
        History {
            entries: Vec::new(),
            loading: None,
            zone: TimeZone::UTC,
            error: None,
            filtered: Vec::new(),
            filtered_for: None,
            copied: None,
        }
    }

    /// Reloads the file in the background (on opening the tab and after an upload finished).
    pub fn reload(&mut self, rt: &tokio::runtime::Handle, ctx: &egui::Context, dir: PathBuf) {
        let (tx, promise) = Promise::new();
        let ctx = ctx.clone();
        rt.spawn(async move {
            let r = tokio::task::spawn_blocking(move || {
                history::load(&dir).map(|entries| (entries, TimeZone::system()))
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
                Ok(Ok((entries, zone))) => {
                    self.entries = entries;
                    self.zone = zone;
                    self.filtered_for = None;
                    self.error = None;
                }
                Ok(Err(e)) => self.error = Some(e),
                Err(p) => self.loading = Some(p),
            }
        }
    }

    fn refilter(&mut self, search: &str) {
        if self.filtered_for.as_deref() == Some(search) {
            return;
        }
        let needle = search.trim().to_lowercase();
        self.filtered = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| needle.is_empty() || e.name.to_lowercase().contains(&needle))
            .map(|(i, _)| i)
            .collect();
        self.filtered_for = Some(search.to_string());
    }

    /// The entries whose name contains `search`; a Copy click copies at once (it is the
    /// clipboard, not the engine, and concerns only this tab).
    pub fn ui(&mut self, ui: &mut egui::Ui, search: &str) {
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
        if self.filtered.is_empty() {
            ui.label(format!("No finished upload matches \"{}\".", search.trim()));
            return;
        }
        let copied = self
            .copied
            .filter(|(_, t)| t.elapsed().as_secs_f32() < 1.5)
            .map(|(i, _)| i);
        let mut copy = None;
        let row_h = 40.0;
        egui::ScrollArea::vertical().auto_shrink(false).show_rows(
            ui,
            row_h,
            self.filtered.len(),
            |ui, range| {
                for &i in &self.filtered[range] {
                    let e = &self.entries[i];
                    ui.allocate_ui(egui::vec2(ui.available_width(), row_h), |ui| {
                        ui.horizontal(|ui| {
                            ui.vertical(|ui| {
                                ui.horizontal(|ui| {
                                    ui.label(
                                        RichText::new(crate::text::printable(&e.name)).strong(),
                                    )
                                    .on_hover_text(crate::os_path::lossy(&e.path));
                                    ui.label(RichText::new(format_bytes(e.size_bytes)).weak());
                                    ui.label(
                                        RichText::new(when(e.finished_unix, &self.zone)).weak(),
                                    );
                                    if e.origin == crate::engine::OriginKind::Import {
                                        let from = e.source_url.as_deref().unwrap_or_default();
                                        ui.label(RichText::new("🔗 imported").weak())
                                            .on_hover_text(crate::text::printable(from));
                                    }
                                });
                                if let Some(url) = &e.url {
                                    ui.add(
                                        egui::Label::new(RichText::new(url).monospace().small())
                                            .selectable(true)
                                            .truncate(),
                                    );
                                }
                            });
                            if let Some(url) = &e.url {
                                ui.with_layout(
                                    egui::Layout::right_to_left(egui::Align::Center),
                                    |ui| {
                                        let text = if copied == Some(i) {
                                            "✔ Copied"
                                        } else {
                                            "🗐 Copy URL"
                                        };
                                        let r = ui.button(text);
                                        a11y(
                                            &r,
                                            egui::Role::Button,
                                            format!("Copy URL of {}", e.name),
                                        );
                                        if r.clicked() {
                                            copy = Some((i, url.clone()));
                                        }
                                    },
                                );
                            }
                        });
                    });
                }
            },
        );
        if let Some((i, url)) = copy {
            ui.ctx().copy_text(url);
            self.copied = Some((i, std::time::Instant::now()));
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(1600));
        }
    }
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
