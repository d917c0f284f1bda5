//! What the History tab lists: the finished uploads with what their rows show, the days they
//! fall on, the entries that pass the search and the day filter, and the selection. Pure (no
//! egui drawing, no I/O), so it is unit-tested here.
//!
//! Entries are shown newest first, and those that finished in the same second by name, A to Z
//! (a batch finishes in whatever order its parallel uploads end, and the history file, which
//! two processes append to, keeps that order). The file is read once (when the window connects)
//! and sorted off the UI thread; each upload that finishes afterwards is pushed at the end from
//! the engine's `Recorded` event and takes its place in the shown order. So an entry's index
//! never changes until the next read, and the selection (indices) survives new entries; a new
//! read carries it over by each entry's stable key, its file id and finish time.

use std::collections::{BTreeSet, HashMap};

use jiff::tz::TimeZone;

use crate::export::Item;
use crate::history::HistoryEntry;

use super::history_rows::Shown;
use super::selection::Selection;

/// The search and the day the filtered list was made for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Filter {
    search: String,
    day: Option<String>,
}

/// A finished read of the history file: its entries, oldest first, prepared for showing, the
/// days they fall on (newest first), and the time zone they were prepared in.
pub struct Prepared {
    pub shown: Vec<Shown>,
    pub days: Vec<String>,
    pub zone: TimeZone,
}

/// Reads what each entry shows from `entries` (newest first, as `history::load` returns them)
/// once, in `zone`: run it off the UI thread.
pub fn prepare(mut entries: Vec<HistoryEntry>, zone: TimeZone) -> Prepared {
    entries.reverse();
    let mut shown: Vec<Shown> = entries.into_iter().map(|e| shown(e, &zone)).collect();
    shown.sort_by(|a, b| order(a).cmp(&order(b)));
    let days: BTreeSet<&String> = shown.iter().map(|s| &s.day).collect();
    let days = days.into_iter().rev().cloned().collect();
    Prepared { shown, days, zone }
}

fn shown(entry: HistoryEntry, zone: &TimeZone) -> Shown {
    let when = when(entry.finished_unix, zone);
    let day = when.get(..10).unwrap_or_default().to_string();
    let lower = entry.name.to_lowercase();
    Shown {
        entry,
        when,
        day,
        lower,
    }
}

/// "2026-11-25 15:03 CET": when an upload finished, in the computer's time zone.
pub fn when(unix: u64, zone: &TimeZone) -> String {
    let ts = i64::try_from(unix)
        .ok()
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    ts.to_zoned_datetime(zone.clone())
        .strftime("%Y-%m-%d %H:%M %Z")
        .to_string()
}

/// Where an entry goes in the ascending list that is shown from its end: by finish time, then
/// by name backwards (shown A to Z).
fn order(s: &Shown) -> (u64, std::cmp::Reverse<&str>) {
    (s.entry.finished_unix, std::cmp::Reverse(&s.lower))
}

/// An entry's identity across reads of the file.
fn key(e: &HistoryEntry) -> (&str, u64) {
    (&e.file_id, e.finished_unix)
}

pub struct HistoryList {
    /// Oldest first (the file's order).
    entries: Vec<Shown>,
    /// Local days with at least one upload, newest first.
    days: Vec<String>,
    /// The zone the entries were prepared in (read off the UI thread with the file).
    zone: TimeZone,
    /// Indices into `entries` that pass the filter, ascending (shown from the last).
    filtered: Vec<usize>,
    filtered_for: Option<Filter>,
    /// Selected entries (indices into `entries`).
    pub selection: Selection<usize>,
}

impl Default for HistoryList {
    fn default() -> Self {
        HistoryList {
            entries: Vec::new(),
            days: Vec::new(),
            zone: TimeZone::UTC,
            filtered: Vec::new(),
            filtered_for: None,
            selection: Selection::default(),
        }
    }
}

impl HistoryList {
    /// Replaces the entries by a new read of the file; the selection follows its entries.
    pub fn replace(&mut self, p: Prepared) {
        let selected: Vec<(String, u64)> = self
            .selection
            .keys()
            .filter_map(|i| self.entries.get(i))
            .map(|s| (s.entry.file_id.clone(), s.entry.finished_unix))
            .collect();
        self.entries = p.shown;
        self.days = p.days;
        self.zone = p.zone;
        self.filtered.clear();
        self.filtered_for = None;
        self.selection.clear();
        if !selected.is_empty() {
            let at: HashMap<(&str, u64), usize> = self
                .entries
                .iter()
                .enumerate()
                .map(|(i, s)| (key(&s.entry), i))
                .collect();
            let found = selected
                .iter()
                .filter_map(|(id, finished)| at.get(&(id.as_str(), *finished)).copied());
            self.selection.extend(found);
        }
    }

    /// Whether an entry with `e`'s key is listed.
    pub fn contains(&self, e: &HistoryEntry) -> bool {
        let k = key(e);
        self.entries.iter().rev().any(|s| key(&s.entry) == k)
    }

    /// A finished upload the engine just recorded: listed as the newest entry, and shown at
    /// once when it passes the filter. Nothing else changes (indices, selection, scrolling).
    pub fn record(&mut self, entry: HistoryEntry) {
        let s = shown(entry, &self.zone);
        if let Err(at) = self.days.binary_search_by(|d| s.day.cmp(d)) {
            self.days.insert(at, s.day.clone());
        }
        let i = self.entries.len();
        let listed = self
            .filtered_for
            .as_ref()
            .is_some_and(|f| passes(&s, &needle(&f.search), f.day.as_deref()));
        self.entries.push(s);
        if listed {
            let entries = &self.entries;
            let at = self
                .filtered
                .partition_point(|&j| (order(&entries[j]), j) < (order(&entries[i]), i));
            self.filtered.insert(at, i);
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn days(&self) -> &[String] {
        &self.days
    }

    /// Filters for `search` and `day` (does nothing when they did not change). What the filter
    /// hides is no longer selected (Copy takes what is seen).
    pub fn refilter(&mut self, search: &str, day: Option<&str>) {
        let f = Filter {
            search: search.to_string(),
            day: day.map(str::to_string),
        };
        if self.filtered_for.as_ref() == Some(&f) {
            return;
        }
        let needle = needle(search);
        self.filtered = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, s)| passes(s, &needle, day))
            .map(|(i, _)| i)
            .collect();
        // Sorted already but for entries recorded since the read (a sort of a sorted run is
        // one pass).
        let entries = &self.entries;
        self.filtered
            .sort_by(|&a, &b| (order(&entries[a]), a).cmp(&(order(&entries[b]), b)));
        let seen: BTreeSet<usize> = self.filtered.iter().copied().collect();
        self.selection.retain(|i| seen.contains(i));
        self.filtered_for = Some(f);
    }

    /// How many entries pass the filter.
    pub fn shown(&self) -> usize {
        self.filtered.len()
    }

    /// The entry shown at `at` (0: the newest that passes the filter), with its index.
    pub fn at(&self, at: usize) -> Option<(usize, &Shown)> {
        let i = *self
            .filtered
            .get(self.filtered.len().checked_sub(at + 1)?)?;
        Some((i, &self.entries[i]))
    }

    /// A click on entry `i` (Ctrl toggles, Shift extends over what is shown).
    pub fn click(&mut self, i: usize, mods: egui::Modifiers) {
        // A range is the same entries in either direction: the ascending list serves.
        self.selection.click(i, mods, &self.filtered);
    }

    pub fn select_all(&mut self) {
        self.selection.select_all(&self.filtered);
    }

    /// What a block copies: the selection, or every entry shown when none is selected; in the
    /// order shown.
    pub fn block_items(&self) -> Vec<Item<'_>> {
        let all = self.selection.is_empty();
        self.filtered
            .iter()
            .rev()
            .filter(|i| all || self.selection.contains(i))
            .map(|&i| Item::of_history(&self.entries[i].entry))
            .collect()
    }
}

fn needle(search: &str) -> String {
    search.trim().to_lowercase()
}

fn passes(s: &Shown, needle: &str, day: Option<&str>) -> bool {
    (needle.is_empty() || s.lower.contains(needle)) && day.is_none_or(|d| s.day == d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, finished_unix: u64) -> HistoryEntry {
        HistoryEntry {
            path: name.into(),
            ..HistoryEntry::example(name, finished_unix)
        }
    }

    const DAY: u64 = 86_400;

    fn names(l: &HistoryList) -> Vec<String> {
        (0..l.shown())
            .map(|at| l.at(at).unwrap().1.entry.name.clone())
            .collect()
    }

    #[test]
    fn dates_in_the_given_zone() {
        assert_eq!(when(0, &TimeZone::UTC), "1970-01-01 00:00 UTC");
        assert_eq!(when(1_795_000_000, &TimeZone::UTC), "2026-11-18 11:06 UTC");
        // POSIX rules, so the test needs no time-zone database on the machine.
        let paris = TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
        assert_eq!(when(1_795_000_000, &paris), "2026-11-18 12:06 CET");
        let new_york = TimeZone::posix("EST5EDT,M3.2.0,M11.1.0").unwrap();
        assert_eq!(when(1_783_000_000, &new_york), "2026-07-02 09:46 EDT");
    }

    /// A recorded entry joins at the top when it passes the filter, its day joins the days,
    /// and the selection stays on the same entries.
    #[test]
    fn a_recorded_entry_joins_the_list_as_filtered_and_keeps_the_selection() {
        let mut l = HistoryList::default();
        // As `history::load` returns them: newest first.
        let loaded = vec![
            entry("beach-2.jpg", 2 * DAY + 5),
            entry("menu.pdf", DAY + 5),
            entry("beach-1.jpg", 5),
        ];
        l.replace(prepare(loaded, TimeZone::UTC));
        assert_eq!(l.days(), ["1970-01-03", "1970-01-02", "1970-01-01"]);
        l.refilter("  BEACH ", None);
        assert_eq!(names(&l), ["beach-2.jpg", "beach-1.jpg"]);
        let (i2, _) = l.at(0).unwrap();
        let (i1, _) = l.at(1).unwrap();
        l.click(i2, egui::Modifiers::NONE);
        l.click(i1, egui::Modifiers::COMMAND);

        l.record(entry("notes.txt", 3 * DAY + 5));
        l.record(entry("beach-3.jpg", 4 * DAY + 5));
        assert_eq!(names(&l), ["beach-3.jpg", "beach-2.jpg", "beach-1.jpg"]);
        assert_eq!(l.len(), 5);
        assert_eq!(l.days()[..2], ["1970-01-05", "1970-01-04"]);
        let picked: Vec<&str> = l.block_items().iter().map(|i| i.name).collect();
        assert_eq!(
            picked,
            ["beach-2.jpg", "beach-1.jpg"],
            "the same two selected"
        );

        // A day filter: a new entry of another day stays hidden until the filter changes.
        l.refilter("", Some("1970-01-05"));
        assert_eq!(names(&l), ["beach-3.jpg"]);
        l.record(entry("late.jpg", 5 * DAY));
        assert_eq!(names(&l), ["beach-3.jpg"]);
        l.refilter("", None);
        assert_eq!(names(&l)[..2], ["late.jpg", "beach-3.jpg"]);
    }

    /// Uploads that finished in the same second are listed by name, whether read from the file
    /// (in the order they ended) or recorded as they end, and the selection stays put.
    #[test]
    fn entries_of_the_same_second_are_listed_by_name() {
        let mut l = HistoryList::default();
        // Newest first, as the file gives them: c, a and b ended in the same second.
        let loaded = vec![
            entry("b.jpg", 7),
            entry("A.jpg", 7),
            entry("c.jpg", 7),
            entry("z", 6),
        ];
        l.replace(prepare(loaded, TimeZone::UTC));
        l.refilter("", None);
        assert_eq!(names(&l), ["A.jpg", "b.jpg", "c.jpg", "z"]);
        let (ib, _) = l.at(1).unwrap();
        l.click(ib, egui::Modifiers::NONE);
        for name in ["f.jpg", "d.jpg", "e.jpg"] {
            l.record(entry(name, 9));
        }
        l.record(entry("B2.jpg", 7));
        let want = [
            "d.jpg", "e.jpg", "f.jpg", "A.jpg", "b.jpg", "B2.jpg", "c.jpg", "z",
        ];
        assert_eq!(names(&l), want);
        l.refilter("jpg", None);
        l.refilter("", None);
        assert_eq!(names(&l), want, "the same after the filter is made anew");
        let picked: Vec<&str> = l.block_items().iter().map(|i| i.name).collect();
        assert_eq!(picked, ["b.jpg"]);
    }

    /// A new read of the file (another connection) keeps the selected entries selected, found
    /// by file id and finish time wherever they are now.
    #[test]
    fn a_new_read_carries_the_selection_by_key() {
        let mut l = HistoryList::default();
        l.replace(prepare(vec![entry("b", 2), entry("a", 1)], TimeZone::UTC));
        l.refilter("", None);
        let (ib, _) = l.at(0).unwrap();
        l.click(ib, egui::Modifiers::NONE);
        // Another process appended two entries meanwhile; the file is read again.
        let again = vec![entry("d", 4), entry("c", 3), entry("b", 2), entry("a", 1)];
        l.replace(prepare(again, TimeZone::UTC));
        l.refilter("", None);
        let picked: Vec<&str> = l.block_items().iter().map(|i| i.name).collect();
        assert_eq!(picked, ["b"]);
        assert!(l.contains(&entry("d", 4)) && !l.contains(&entry("d", 5)));
    }
}
