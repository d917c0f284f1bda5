//! The window's copy of the queue: one [`Row`] per job, kept up to date from engine events.
//! The engine owns the truth; this is what the UI thread reads each frame without locking.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use crate::engine::{Event, Job, JobId, JobState};

use super::queue_row::Row;

/// Counts for the status bar.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Totals {
    pub queued: usize,
    pub uploading: usize,
    pub paused: usize,
    pub done: usize,
    pub failed: usize,
    /// Failed rows a Retry can help (not those that failed for good, like an empty file).
    pub retryable: usize,
    pub cancelled: usize,
    /// Uploading rows that are waiting out a transient failure.
    pub retrying: usize,
    pub bytes_total: u64,
    pub bytes_acknowledged: u64,
    pub bytes_per_sec: f64,
}

impl Totals {
    pub fn all(&self) -> usize {
        self.queued + self.uploading + self.paused + self.done + self.failed + self.cancelled
    }

    /// Every running upload is retrying: the connection, not a file, is the problem.
    pub fn connection_trouble(&self) -> bool {
        self.uploading > 0 && self.retrying == self.uploading
    }

    /// Something will still move without the person doing anything.
    pub fn busy(&self) -> bool {
        self.queued + self.uploading > 0
    }
}

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
        let mut t = Totals::default();
        for r in &self.rows {
            match r.state {
                JobState::Queued => t.queued += 1,
                JobState::Uploading | JobState::Finalizing | JobState::Processing => {
                    t.uploading += 1;
                    t.retrying += usize::from(r.retry.is_some());
                    t.bytes_per_sec += r.speed.unwrap_or(0.0);
                }
                JobState::Paused => t.paused += 1,
                JobState::Done => t.done += 1,
                JobState::Failed => {
                    t.failed += 1;
                    t.retryable += usize::from(!r.error.as_ref().is_some_and(|e| e.permanent));
                }
                JobState::Cancelled => t.cancelled += 1,
            }
            if r.state != JobState::Cancelled {
                t.bytes_total += r.size_bytes;
                t.bytes_acknowledged += r.acknowledged.min(r.size_bytes);
            }
        }
        self.totals = t;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::engine::{JobResult, Verification};
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
