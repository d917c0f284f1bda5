//! The window's copy of the queue: one [`Row`] per job, kept up to date from engine events.
//! The engine owns the truth; this is what the UI thread reads each frame without locking.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use crate::engine::{Event, Job, JobId};

use super::queue_row::Row;
pub use super::totals::Totals;

/// What happened that the person should read about outside a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Files that could not be added, with why.
    Rejected(Vec<(PathBuf, String)>),
    /// Files already in the queue.
    Duplicates(usize),
    /// System files and hidden folders left out of dropped folders, in a sentence.
    Skipped(String),
    /// A failure that is about the connection, not the file (401/403).
    Credentials(String),
    JournalError(String),
    /// The upload history could not be read or written, or is written again.
    History(String),
}

#[derive(Debug, Default)]
pub struct Queue {
    rows: Vec<Row>,
    index: HashMap<JobId, usize>,
    totals: Totals,
}

impl Queue {
    pub fn from_jobs(jobs: Vec<Job>) -> Self {
        let mut q = Queue::default();
        for j in jobs {
            q.insert(j);
        }
        q.recount();
        q
    }

    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn get(&self, id: JobId) -> Option<&Row> {
        self.index.get(&id).map(|&i| &self.rows[i])
    }

    pub fn position(&self, id: JobId) -> Option<usize> {
        self.index.get(&id).copied()
    }

    pub fn totals(&self) -> Totals {
        self.totals
    }

    fn insert(&mut self, job: Job) {
        let row = Row::from_job(job);
        if let Some(&i) = self.index.get(&row.id) {
            self.rows[i] = row;
        } else {
            self.index.insert(row.id, self.rows.len());
            self.rows.push(row);
        }
    }

    fn row_mut(&mut self, id: JobId) -> Option<&mut Row> {
        self.index.get(&id).map(|&i| &mut self.rows[i])
    }

    /// Applies a batch of events, then recounts once. Returns what needs a notice.
    pub fn apply(&mut self, events: Vec<Event>, now: Instant) -> Vec<Notice> {
        let mut notices = Vec::new();
        let mut removed = std::collections::HashSet::new();
        for e in events {
            match e {
                Event::JobAdded(job) => self.insert(*job),
                Event::FilesAdded {
                    duplicates,
                    rejected,
                    skipped,
                    ..
                } => {
                    if let Some(sentence) = skipped.sentence() {
                        notices.push(Notice::Skipped(sentence));
                    }
                    if !rejected.is_empty() {
                        notices.push(Notice::Rejected(rejected));
                    }
                    if !duplicates.is_empty() {
                        notices.push(Notice::Duplicates(duplicates.len()));
                    }
                }
                Event::Progress {
                    id,
                    acknowledged_bytes,
                    total_bytes,
                    bytes_per_sec,
                    eta,
                    ..
                } => {
                    if let Some(r) = self.row_mut(id) {
                        r.progress(acknowledged_bytes, total_bytes, bytes_per_sec, eta);
                    }
                }
                Event::StateChanged { id, state } => {
                    if let Some(r) = self.row_mut(id) {
                        r.state_changed(state);
                    }
                }
                Event::Retrying {
                    id,
                    attempt,
                    delay,
                    reason,
                } => {
                    if let Some(r) = self.row_mut(id) {
                        r.retrying(attempt, now + delay, reason);
                    }
                }
                Event::Finished { id, result } => {
                    if let Some(r) = self.row_mut(id) {
                        r.finished(result);
                    }
                }
                Event::Failed { id, error } => {
                    if matches!(error.status, Some(401 | 403)) {
                        notices.push(Notice::Credentials(error.message.clone()));
                    }
                    if let Some(r) = self.row_mut(id) {
                        r.failed(error);
                    }
                }
                Event::Checking { id, checking } => {
                    if let Some(r) = self.row_mut(id) {
                        r.checking(checking);
                    }
                }
                // Removed rows go at the end of the batch, in one pass (Clear finished on
                // thousands of rows stays linear).
                Event::Removed(id) => {
                    removed.insert(id);
                }
                Event::JournalError(m) => notices.push(Notice::JournalError(m)),
                // The History tab's (the app hands them to it).
                Event::Recorded(_) => {}
                Event::History { message, .. } => notices.push(Notice::History(message)),
                Event::Note { id, message } => {
                    if let Some(r) = self.row_mut(id) {
                        r.note = Some(message);
                    }
                }
            }
        }
        if !removed.is_empty() {
            self.rows.retain(|r| !removed.contains(&r.id));
            self.reindex();
        }
        self.recount();
        notices
    }

    fn reindex(&mut self) {
        self.index = self
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id, i))
            .collect();
    }

    fn recount(&mut self) {
        self.totals = Totals::of(&self.rows);
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::engine::{JobResult, JobState, Verification};
    use crate::gui::format;

    fn queued(id: u64) -> Job {
        serde_json::from_value(serde_json::json!({
            "id": id,
            "path": "/photos/beach.jpg",
            "name": "beach.jpg",
            "mime_type": "image/jpeg",
            "size_bytes": 1000,
            "destination": {"private": false},
            "state": "queued",
            "acknowledged_bytes": 0,
            "added_unix": 0,
        }))
        .unwrap()
    }

    fn result() -> JobResult {
        serde_json::from_value(serde_json::json!({
            "file_id": "f1",
            "url": "https://example.com/f1.jpg",
            "thumbnail_url": null,
            "display_name": null,
            "size_bytes": 1000,
            "hash": null,
            "local_md5": null,
            "verified": "verified",
            "media_type": "image",
            "image_size": [4, 3],
        }))
        .unwrap()
    }

    fn state(id: JobId, state: JobState) -> Event {
        Event::StateChanged { id, state }
    }

    fn status(q: &Queue) -> String {
        format::status(&q.rows()[0], Instant::now(), false).0
    }

    fn progress(id: u64, acknowledged: u64, speed: Option<f64>, eta: Option<u64>) -> Event {
        Event::Progress {
            id: JobId(id),
            acknowledged_bytes: acknowledged,
            sent_bytes: acknowledged,
            total_bytes: 1000,
            bytes_per_sec: speed,
            eta: eta.map(Duration::from_secs),
        }
    }

    /// Before, the total said "about 2 min" while a row said "about 6 min": the total came from
    /// its own sum and ignored that one slow file holds the batch up.
    #[test]
    fn the_total_time_left_is_never_sooner_than_a_running_row() {
        let now = Instant::now();
        let mut q = Queue::default();
        let jobs = (1..=3)
            .map(|i| Event::JobAdded(Box::new(queued(i))))
            .collect();
        q.apply(jobs, now);
        q.apply(
            (1..=2)
                .map(|i| state(JobId(i), JobState::Uploading))
                .collect(),
            now,
        );
        assert_eq!(q.totals().eta, None, "no speed yet, no time left");
        // Row 1: 900 bytes left at 10 B/s (90 s); row 2: 500 left at 100 B/s (5 s); row 3
        // waits. 2,400 bytes left at 110 B/s is about 22 s: row 1 holds the batch up longer.
        q.apply(
            vec![
                progress(1, 100, Some(10.0), Some(90)),
                progress(2, 500, Some(100.0), Some(5)),
            ],
            now,
        );
        let t = q.totals();
        assert_eq!(t.bytes_per_sec, 110.0);
        assert_eq!(t.eta, Some(Duration::from_secs(90)));
        // Both fast: the batch's own figure (2,400 bytes, the waiting row's included, at
        // 2,000 B/s) is the longer one.
        q.apply(
            vec![
                progress(1, 100, Some(1000.0), Some(1)),
                progress(2, 500, Some(1000.0), Some(1)),
            ],
            now,
        );
        let eta = q.totals().eta.unwrap().as_secs_f64();
        assert!((eta - 1.2).abs() < 1e-6, "{eta}");
        // A row still measuring its speed adds nothing to it.
        q.apply(
            vec![progress(1, 100, None, None), progress(2, 500, None, None)],
            now,
        );
        assert_eq!((q.totals().bytes_per_sec, q.totals().eta), (0.0, None));
    }

    /// A job waiting for the network says so on its row, with what is sent already, until it
    /// sends again.
    #[test]
    fn a_row_waiting_for_the_network_says_so_until_it_sends_again() {
        let now = Instant::now();
        let id = JobId(1);
        let mut q = Queue::default();
        q.apply(vec![Event::JobAdded(Box::new(queued(1)))], now);
        q.apply(
            vec![state(id, JobState::Uploading), progress(1, 400, None, None)],
            now,
        );
        let waiting = "Waiting for the network… the upload goes on by itself";
        q.apply(
            vec![
                state(id, JobState::Queued),
                Event::Note {
                    id,
                    message: waiting.into(),
                },
            ],
            now,
        );
        assert_eq!(status(&q), format!("{waiting} · 40% sent"));
        q.apply(vec![state(id, JobState::Uploading)], now);
        assert!(status(&q).starts_with("40% · "), "{}", status(&q));
    }

    /// On a sandbox, nothing claims that Wix is processing the file.
    #[test]
    fn processing_names_wix_only_on_a_wix_site() {
        let now = Instant::now();
        let id = JobId(1);
        let mut q = Queue::default();
        q.apply(vec![Event::JobAdded(Box::new(queued(1)))], now);
        q.apply(vec![state(id, JobState::Processing)], now);
        let row = &q.rows()[0];
        assert_eq!(format::status(row, now, true).0, "Processing…");
        assert_eq!(format::status(row, now, false).0, "Processing on Wix…");
    }

    /// The engine reports Done and the result as two events, which may land in two frames: the
    /// row becomes Done with its result, never before.
    #[test]
    fn a_row_is_done_only_with_its_result() {
        let now = Instant::now();
        let id = JobId(1);
        let mut q = Queue::default();
        q.apply(vec![Event::JobAdded(Box::new(queued(1)))], now);
        q.apply(vec![state(id, JobState::Uploading)], now);
        q.apply(vec![state(id, JobState::Processing)], now);
        q.apply(vec![state(id, JobState::Done)], now);
        assert_eq!(q.rows()[0].state, JobState::Processing);
        assert_eq!(q.totals().done, 0);
        q.apply(
            vec![Event::Finished {
                id,
                result: result(),
            }],
            now,
        );
        let row = &q.rows()[0];
        assert_eq!(row.state, JobState::Done);
        assert_eq!(q.totals().done, 1);
        assert_eq!(row.acknowledged, 1000);
        let r = row.result.as_deref().unwrap();
        assert_eq!(r.url.as_deref(), Some("https://example.com/f1.jpg"));
        assert_eq!(r.verified, Verification::Verified);
        let item = row.item().unwrap();
        assert_eq!((item.name, item.file_id), ("beach.jpg", "f1"));
        assert_eq!(item.image_size, Some((4, 3)));
        assert!(status(&q).starts_with("Ready"), "{}", status(&q));
    }

    /// "Checking file…" only between the engine's `Checking` events; a queued row otherwise
    /// waits.
    #[test]
    fn a_queued_row_says_checking_only_while_the_engine_checks_it() {
        let now = Instant::now();
        let id = JobId(1);
        let mut q = Queue::default();
        q.apply(vec![Event::JobAdded(Box::new(queued(1)))], now);
        assert_eq!(status(&q), "Waiting");
        q.apply(vec![Event::Checking { id, checking: true }], now);
        assert_eq!(status(&q), "Checking file…");
        q.apply(
            vec![Event::Checking {
                id,
                checking: false,
            }],
            now,
        );
        assert_eq!(status(&q), "Waiting");
        // A check that ends with the upload starting (or anything else changing the state).
        q.apply(vec![Event::Checking { id, checking: true }], now);
        q.apply(vec![state(id, JobState::Uploading)], now);
        q.apply(vec![state(id, JobState::Queued)], now);
        assert_eq!(status(&q), "Waiting");
    }
}
