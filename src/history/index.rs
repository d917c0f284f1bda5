//! The history's duplicate index: one site's finished uploads by the original file's size and
//! name, so that only a file whose size and name match an earlier upload is worth hashing.
//!
//! It holds a few dozen bytes per upload (its size, a hash of its name, which location choice
//! it answers for, and where its line is in `history.jsonl`), never the entries themselves: a
//! history of 100,000 uploads costs a few MB, read one line at a time. The lines of the few
//! uploads a file matches are read when it is checked, off the engine's actor.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::io::{BufRead as _, Seek as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use super::entry::{HistoryEntry, LOCATION_RULES, OriginKind};

/// One site's finished uploads with an MD5, by the original file's size, newest first.
#[derive(Debug, Default)]
pub struct Index {
    site: String,
    /// The history the lines' offsets point into.
    file: Option<PathBuf>,
    names: RandomState,
    /// Per size, the uploads of that size, oldest first.
    by_size: HashMap<u64, Vec<Slot>>,
}

/// One upload in the index.
#[derive(Debug, Clone)]
struct Slot {
    /// Its name's hash (the name itself is compared once its line is read).
    name: u64,
    /// It answers for a file queued to lose its location / to keep it ([`answers_for`]).
    removing: bool,
    keeping: bool,
    at: At,
}

#[derive(Debug, Clone)]
enum At {
    /// Its line starts at this offset of the history.
    Line(u64),
    /// Finished in this run (its line may not be written yet).
    Entry(Arc<HistoryEntry>),
}

/// The uploads a file may be (same size, same name's hash, answering for its location
/// choice); [`Candidates::read`] reads and confirms them.
#[derive(Debug)]
pub struct Candidates {
    file: Option<PathBuf>,
    site: String,
    name: String,
    remove_location: bool,
    at: Vec<At>,
}

impl Candidates {
    pub fn is_empty(&self) -> bool {
        self.at.is_empty()
    }

    /// The entries, newest first, read from the history (blocking: call it off the actor).
    /// A line that no longer reads as the same upload (the file was replaced meanwhile) is
    /// left out: a file then goes to the site again rather than being called already there.
    pub fn read(self) -> Vec<HistoryEntry> {
        let mut reader = None;
        let mut out = Vec::with_capacity(self.at.len());
        for at in self.at {
            let entry = match at {
                At::Entry(e) => Some((*e).clone()),
                At::Line(offset) => {
                    if reader.is_none() {
                        reader = self
                            .file
                            .as_deref()
                            .and_then(|f| std::fs::File::open(f).ok())
                            .map(std::io::BufReader::new);
                    }
                    reader.as_mut().and_then(|r| line_at(r, offset))
                }
            };
            if let Some(e) = entry.filter(|e| {
                e.name == self.name && counts(e, &self.site) && answers_for(e, self.remove_location)
            }) {
                out.push(e);
            }
        }
        out
    }
}

fn line_at(r: &mut std::io::BufReader<std::fs::File>, offset: u64) -> Option<HistoryEntry> {
    r.seek(std::io::SeekFrom::Start(offset)).ok()?;
    let mut line = Vec::new();
    r.read_until(b'\n', &mut line).ok()?;
    serde_json::from_slice(&line).ok()
}

/// What the index reads of each line: no more than it keeps (names borrowed where they can be).
#[derive(Deserialize)]
struct Light<'a> {
    #[serde(borrow)]
    name: std::borrow::Cow<'a, str>,
    size_bytes: u64,
    #[serde(default)]
    origin: OriginKind,
    #[serde(default, borrow)]
    site: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    source_md5: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    source_size: Option<u64>,
    #[serde(default)]
    location_removed: bool,
    #[serde(default)]
    location_checked: bool,
    #[serde(default)]
    location_rules: u32,
}

impl Index {
    /// An empty index of `site`'s uploads.
    pub fn new(site: String) -> Self {
        Self {
            site,
            ..Self::default()
        }
    }

    /// `site`'s uploads in the history of `data_dir`, read one line at a time (a missing file
    /// is an empty history; lines that do not read are skipped, as `load` skips them).
    pub fn load(data_dir: &Path, site: String) -> std::io::Result<Self> {
        let path = super::file::path(data_dir);
        // Reading a FIFO waits for a writer that never comes.
        crate::fs::regular_or_absent(&path)?;
        let mut index = Self::new(site);
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                index.file = Some(path);
                return Ok(index);
            }
            Err(e) => return Err(e),
        };
        let mut reader = std::io::BufReader::with_capacity(1 << 16, file);
        let mut line = Vec::new();
        let mut offset = 0u64;
        loop {
            line.clear();
            let n = reader.read_until(b'\n', &mut line)?;
            if n == 0 {
                break;
            }
            if let Ok(e) = serde_json::from_slice::<Light<'_>>(&line)
                && e.origin == OriginKind::Upload
                && e.source_md5.is_some()
                && e.site.as_deref() == Some(index.site.as_str())
            {
                let slot = Slot {
                    name: index.names.hash_one(&*e.name),
                    removing: location_gone(
                        e.location_removed,
                        e.location_checked,
                        e.location_rules,
                    ),
                    keeping: !e.location_removed,
                    at: At::Line(offset),
                };
                index.put(e.source_size.unwrap_or(e.size_bytes), slot);
            }
            offset += n as u64;
        }
        index.file = Some(path);
        Ok(index)
    }

    /// Oldest first: each upload goes after the older ones of its size (at the end, so that a
    /// hundred thousand files of one size load in one pass, not in a quadratic one).
    fn put(&mut self, size: u64, slot: Slot) {
        self.by_size.entry(size).or_default().push(slot);
    }

    /// A finished upload (ignored unless it is this site's, uploaded, with an MD5).
    pub fn add(&mut self, e: HistoryEntry) {
        if !counts(&e, &self.site) {
            return;
        }
        let size = e.source_size.unwrap_or(e.size_bytes);
        let slot = Slot {
            name: self.names.hash_one(e.name.as_str()),
            removing: answers_for(&e, true),
            keeping: answers_for(&e, false),
            at: At::Entry(Arc::new(e)),
        };
        self.put(size, slot);
    }

    /// Earlier uploads with this size and name, newest first, that answer for a file queued
    /// with `remove_location`: while locations are removed, only one whose location went, or
    /// that today's finders checked, counts (one sent with the setting off, or checked by an
    /// older version that missed HEIC and video locations, may carry one); while they are kept,
    /// one sent without its location does not (the site's copy lacks what is asked for).
    pub fn candidates(&self, size: u64, name: &str, remove_location: bool) -> Candidates {
        let hash = self.names.hash_one(name);
        let at = self
            .by_size
            .get(&size)
            .map(|v| {
                v.iter()
                    .rev()
                    .filter(|s| s.name == hash)
                    .filter(|s| {
                        if remove_location {
                            s.removing
                        } else {
                            s.keeping
                        }
                    })
                    .map(|s| s.at.clone())
                    .collect()
            })
            .unwrap_or_default();
        Candidates {
            file: self.file.clone(),
            site: self.site.clone(),
            name: name.to_string(),
            remove_location,
            at,
        }
    }
}

/// This site's upload, with an MD5 to compare.
fn counts(e: &HistoryEntry, site: &str) -> bool {
    e.site.as_deref() == Some(site) && e.origin == OriginKind::Upload && e.source_md5.is_some()
}

fn answers_for(e: &HistoryEntry, remove_location: bool) -> bool {
    if remove_location {
        location_gone(e.location_removed, e.location_checked, e.location_rules)
    } else {
        !e.location_removed
    }
}

/// The upload carries no location: removed, or checked by today's finders and found none.
fn location_gone(removed: bool, checked: bool, rules: u32) -> bool {
    removed || (checked && rules >= LOCATION_RULES)
}

#[cfg(test)]
mod tests;
