//! The history's duplicate index: one site's finished uploads by the original file's size, so
//! that only a file whose size and name match an earlier upload is worth hashing.

use std::collections::HashMap;

use super::entry::{HistoryEntry, LOCATION_RULES, OriginKind};

/// One site's finished uploads with an MD5, by the original file's size, newest first.
#[derive(Debug, Default)]
pub struct Index {
    site: String,
    by_size: HashMap<u64, Vec<HistoryEntry>>,
}

impl Index {
    /// From the history (newest first), keeping `site`'s uploads with an MD5.
    pub fn new(site: String, entries: Vec<HistoryEntry>) -> Self {
        let mut index = Self {
            site,
            by_size: HashMap::new(),
        };
        // Oldest first, so that `add` keeps the newest in front.
        for e in entries.into_iter().rev() {
            index.add(e);
        }
        index
    }

    /// A finished upload (ignored unless it is this site's, uploaded, with an MD5).
    pub fn add(&mut self, e: HistoryEntry) {
        if e.site.as_deref() != Some(self.site.as_str())
            || e.origin != OriginKind::Upload
            || e.source_md5.is_none()
        {
            return;
        }
        let size = e.source_size.unwrap_or(e.size_bytes);
        self.by_size.entry(size).or_default().insert(0, e);
    }

    /// Earlier uploads with this size and name, newest first, that answer for a file queued
    /// with `remove_location`: while locations are removed, only one whose location went, or
    /// that today's finders checked, counts (one sent with the setting off, or checked by an
    /// older version that missed HEIC and video locations, may carry one); while they are kept,
    /// one sent without its location does not (the site's copy lacks what is asked for).
    pub fn candidates(&self, size: u64, name: &str, remove_location: bool) -> Vec<HistoryEntry> {
        self.by_size
            .get(&size)
            .map(|v| {
                v.iter()
                    .filter(|e| e.name == name)
                    .filter(|e| answers_for(e, remove_location))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn answers_for(e: &HistoryEntry, remove_location: bool) -> bool {
    if remove_location {
        e.location_removed || (e.location_checked && e.location_rules >= LOCATION_RULES)
    } else {
        !e.location_removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(site: &str, name: &str, size: u64, removed: bool, checked: bool) -> HistoryEntry {
        HistoryEntry {
            file_id: format!("{name}-{size}-{removed}-{checked}"),
            size_bytes: size,
            site: Some(site.into()),
            source_md5: Some("00".into()),
            source_size: Some(size),
            location_removed: removed,
            location_checked: checked,
            location_rules: LOCATION_RULES,
            ..HistoryEntry::example(name, 0)
        }
    }

    #[test]
    fn candidates_match_size_name_site_and_the_location_choice() {
        let ix = Index::new(
            "s".into(),
            vec![
                entry("s", "a.jpg", 10, true, true),
                entry("s", "a.jpg", 10, false, false),
                entry("other", "a.jpg", 10, false, true),
                entry("s", "b.jpg", 10, false, true),
            ],
        );
        let ids = |v: Vec<HistoryEntry>| v.into_iter().map(|e| e.file_id).collect::<Vec<_>>();
        // Removing: only what was sent with removal on.
        assert_eq!(
            ids(ix.candidates(10, "a.jpg", true)),
            ["a.jpg-10-true-true"]
        );
        // Keeping: only what was sent with its location.
        assert_eq!(
            ids(ix.candidates(10, "a.jpg", false)),
            ["a.jpg-10-false-false"]
        );
        assert!(ix.candidates(11, "a.jpg", true).is_empty());
    }

    /// A video sent with its location, and a HEIC an older version "checked" (it knew JPEG,
    /// PNG and WebP only, and sent the HEIC's location): neither answers for a file queued to
    /// lose its location. Before, every video and every older check counted, and the file
    /// ended "already on your site" with its location served there.
    #[test]
    fn a_video_sent_with_its_location_or_an_older_check_does_not_answer_for_removal() {
        let mut mov = entry("s", "v.mov", 10, false, false);
        mov.mime_type = "video/quicktime".into();
        let mut old = entry("s", "p.heic", 10, false, true);
        old.mime_type = "image/heic".into();
        old.location_rules = 0;
        let mut checked = entry("s", "p.heic", 10, false, true);
        checked.file_id = "checked-now".into();
        let ix = Index::new("s".into(), vec![mov, old, checked]);
        let ids = |v: Vec<HistoryEntry>| v.into_iter().map(|e| e.file_id).collect::<Vec<_>>();
        assert!(ix.candidates(10, "v.mov", true).is_empty());
        assert_eq!(ids(ix.candidates(10, "p.heic", true)), ["checked-now"]);
        assert_eq!(ids(ix.candidates(10, "v.mov", false)).len(), 1);
    }
}
