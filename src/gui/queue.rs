//! The window's copy of the queue: one [`Row`] per job, kept up to date from engine events.
//! The engine owns the truth; this is what the UI thread reads each frame without locking.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::engine::{Event, Job, JobId, JobState};

/// A transient failure the job is waiting out.
#[derive(Debug, Clone)]
pub struct RetryInfo {
    pub attempt: usize,
    pub until: Instant,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct Row {
    pub job: Job,
    /// What the server acknowledged; the bar shows this.
    pub acknowledged: u64,
    pub speed: Option<f64>,
    pub eta: Option<Duration>,
    pub retry: Option<RetryInfo>,
    /// Bytes that have to be sent again after the last retry (progress went back by this much).
    pub went_back: Option<u64>,
    /// Added but not yet picked by a worker for the first time.
    pub preparing: bool,
    /// What the engine said about the job while it goes on (Wix still processing it).
    pub note: Option<String>,
}

impl Row {
    fn new(job: Job) -> Self {
        let acknowledged = if job.state == JobState::Done {
            job.size_bytes
        } else {
            job.acknowledged_bytes
        };
        Row {
            job,
            acknowledged,
            speed: None,
            eta: None,
            retry: None,
            went_back: None,
            preparing: false,
            note: None,
        }
    }

    pub fn is_image(&self) -> bool {
        self.job.mime_type.starts_with("image/")
    }
}

/// Counts for the status bar.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Totals {
    pub queued: usize,
    pub uploading: usize,
    pub paused: usize,
    pub done: usize,
    pub failed: usize,
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
        if let Some(&i) = self.index.get(&job.id) {
            self.rows[i] = Row::new(job);
        } else {
            self.index.insert(job.id, self.rows.len());
            self.rows.push(Row::new(job));
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
                Event::JobAdded(job) => {
                    let mut job = *job;
                    let preparing = job.state == JobState::Queued;
                    job.acknowledged_bytes = job.acknowledged_bytes.min(job.size_bytes);
                    let id = job.id;
                    self.insert(job);
                    if let Some(r) = self.row_mut(id) {
                        r.preparing = preparing;
                    }
                }
                Event::FilesAdded {
                    duplicates,
                    rejected,
                    ..
                } => {
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
                        if acknowledged_bytes < r.acknowledged {
                            r.went_back = Some(r.acknowledged - acknowledged_bytes);
                        } else if acknowledged_bytes > r.acknowledged {
                            r.went_back = None;
                            r.retry = None;
                        }
                        r.acknowledged = acknowledged_bytes;
                        r.job.size_bytes = total_bytes;
                        r.speed = bytes_per_sec;
                        r.eta = eta;
                        r.preparing = false;
                    }
                }
                Event::StateChanged { id, state } => {
                    if let Some(r) = self.row_mut(id) {
                        r.job.state = state;
                        r.preparing = false;
                        r.note = None;
                        if state != JobState::Uploading {
                            r.speed = None;
                            r.eta = None;
                            r.retry = None;
                        }
                        if state == JobState::Queued {
                            r.job.error = None;
                        }
                    }
                }
                Event::Retrying {
                    id,
                    attempt,
                    delay,
                    reason,
                } => {
                    if let Some(r) = self.row_mut(id) {
                        r.retry = Some(RetryInfo {
                            attempt,
                            until: now + delay,
                            reason,
                        });
                        r.speed = None;
                        r.eta = None;
                    }
                }
                Event::Finished { id, result } => {
                    if let Some(r) = self.row_mut(id) {
                        r.acknowledged = r.job.size_bytes;
                        r.job.result = Some(result);
                        r.job.state = JobState::Done;
                        r.job.error = None;
                        r.note = None;
                    }
                }
                Event::Failed { id, error } => {
                    if matches!(error.status, Some(401 | 403)) {
                        notices.push(Notice::Credentials(error.message.clone()));
                    }
                    if let Some(r) = self.row_mut(id) {
                        r.job.error = Some(error);
                        r.job.state = JobState::Failed;
                        r.note = None;
                        r.retry = None;
                    }
                }
                // Removed rows go at the end of the batch, in one pass (Clear finished on
                // thousands of rows stays linear).
                Event::Removed(id) => {
                    removed.insert(id);
                }
                Event::JournalError(m) => notices.push(Notice::JournalError(m)),
                Event::History { message, .. } => notices.push(Notice::History(message)),
                Event::Note { id, message } => {
                    if let Some(r) = self.row_mut(id) {
                        r.note = Some(message);
                    }
                }
            }
        }
        if !removed.is_empty() {
            self.rows.retain(|r| !removed.contains(&r.job.id));
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
            .map(|(i, r)| (r.job.id, i))
            .collect();
    }

    fn recount(&mut self) {
        let mut t = Totals::default();
        for r in &self.rows {
            match r.job.state {
                JobState::Queued => t.queued += 1,
                JobState::Uploading | JobState::Finalizing | JobState::Processing => {
                    t.uploading += 1;
                    t.retrying += usize::from(r.retry.is_some());
                    t.bytes_per_sec += r.speed.unwrap_or(0.0);
                }
                JobState::Paused => t.paused += 1,
                JobState::Done => t.done += 1,
                JobState::Failed => t.failed += 1,
                JobState::Cancelled => t.cancelled += 1,
            }
            if r.job.state != JobState::Cancelled {
                t.bytes_total += r.job.size_bytes;
                t.bytes_acknowledged += r.acknowledged.min(r.job.size_bytes);
            }
        }
        self.totals = t;
    }
}
