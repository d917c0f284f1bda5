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
    /// Files and folders sent to the engine whose adding is not over: a folder's files arrive
    /// a batch at a time while it is walked, and the batch is not finished before the walk is.
    walks: std::collections::HashSet<u64>,
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

    /// Request `request` adds files: the queue is busy until the engine says it added them all.
    pub fn walking(&mut self, request: u64) {
        self.walks.insert(request);
    }

    /// Something will still move without the person doing anything: files queued or sending,
    /// or a folder still being walked.
    pub fn busy(&self) -> bool {
        self.totals.busy() || !self.walks.is_empty()
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
                    request,
                    duplicates,
                    rejected,
                    skipped,
                    ..
                } => {
                    self.walks.remove(&request);
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
mod tests;
