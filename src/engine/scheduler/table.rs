//! The job table: one entry per job (the job, its worker, its live figures, whether it is held)
//! and the rules that keep them together. Every state change goes through [`JobTable::transition`],
//! which refuses what [`JobState::can_become`] forbids (a warning, and a panic in debug builds:
//! an illegal transition is a bug in the engine, not something a user can cause); the index of
//! unfinished files by path and the set of entries the journal must save follow every change.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use super::meter::ProgressMeter;
use crate::engine::job::{Job, JobId, JobState};

/// A job's running worker: what stops it, and (while it prepares ahead of a slot) what lets it
/// send.
pub(super) struct Worker {
    pub(super) cancel: CancellationToken,
    pub(super) gate: Option<oneshot::Sender<()>>,
}

/// Everything the actor knows of one job.
pub(super) struct Entry {
    pub(super) job: Job,
    pub(super) worker: Option<Worker>,
    /// Runtime-only progress figures (never journaled).
    pub(super) meter: ProgressMeter,
    /// A journal job left untouched in `StartMode::Hold`.
    pub(super) held: bool,
    /// Its one-PUT URL was handed out to the worker preparing it now (so no PUT used it yet).
    pub(super) fresh_plain: bool,
}

impl Entry {
    /// A worker runs and prepares ahead of a slot (its job still queued).
    pub(super) fn is_preparing(&self) -> bool {
        self.worker.as_ref().is_some_and(|w| w.gate.is_some())
    }
}

#[derive(Default)]
pub(super) struct JobTable {
    /// Ordered by id: the oldest queued job starts first.
    entries: BTreeMap<JobId, Entry>,
    /// Unfinished jobs by canonical path, to report a file added twice only once.
    unfinished_by_path: HashMap<PathBuf, JobId>,
    /// Entries changed (or removed) since the journal was last given them.
    dirty: BTreeSet<JobId>,
    /// Queued files and queued links, oldest first: what scheduling looks at, however many
    /// jobs are done (or of the other kind).
    queued: BTreeSet<JobId>,
    queued_links: BTreeSet<JobId>,
    /// Jobs with a worker.
    running: BTreeSet<JobId>,
}

impl JobTable {
    /// Adds a job (replacing none: ids are never reused).
    pub(super) fn insert(&mut self, job: Job, held: bool) {
        let id = job.id;
        if !job.state.is_finished() {
            self.unfinished_by_path.insert(job.path.clone(), id);
        }
        if job.state == JobState::Queued {
            self.queue_of(&job).insert(id);
        }
        let previous = self.entries.insert(
            id,
            Entry {
                job,
                worker: None,
                meter: ProgressMeter::default(),
                held,
                fresh_plain: false,
            },
        );
        debug_assert!(previous.is_none(), "job {id} added twice");
        self.dirty.insert(id);
    }

    /// Takes a job out of the table (its worker, if any, must have been stopped).
    pub(super) fn remove(&mut self, id: JobId) -> Option<Entry> {
        let entry = self.entries.remove(&id)?;
        if self.unfinished_by_path.get(&entry.job.path) == Some(&id) {
            self.unfinished_by_path.remove(&entry.job.path);
        }
        self.queued.remove(&id);
        self.queued_links.remove(&id);
        self.running.remove(&id);
        self.dirty.insert(id);
        Some(entry)
    }

    pub(super) fn job(&self, id: JobId) -> Option<&Job> {
        self.entries.get(&id).map(|e| &e.job)
    }

    /// The job to change; it will be saved in the journal. Its state changes only through
    /// [`JobTable::transition`].
    pub(super) fn job_mut(&mut self, id: JobId) -> Option<&mut Job> {
        let entry = self.entries.get_mut(&id)?;
        self.dirty.insert(id);
        Some(&mut entry.job)
    }

    pub(super) fn entry(&self, id: JobId) -> Option<&Entry> {
        self.entries.get(&id)
    }

    /// The runtime side of an entry (worker, meter, held); nothing here is journaled.
    pub(super) fn entry_mut(&mut self, id: JobId) -> Option<&mut Entry> {
        self.entries.get_mut(&id)
    }

    pub(super) fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.values()
    }

    pub(super) fn jobs(&self) -> impl Iterator<Item = &Job> {
        self.entries.values().map(|e| &e.job)
    }

    pub(super) fn ids(&self) -> Vec<JobId> {
        self.entries.keys().copied().collect()
    }

    pub(super) fn unfinished_at(&self, path: &Path) -> Option<JobId> {
        self.unfinished_by_path.get(path).copied()
    }

    /// Moves a job to `to`. `false` when it is already there (nothing to do) or when the move
    /// is not allowed: that one is a bug, logged, and fatal in debug builds.
    pub(super) fn transition(&mut self, id: JobId, to: JobState) -> bool {
        let Some(entry) = self.entries.get_mut(&id) else {
            return false;
        };
        let from = entry.job.state;
        if from == to {
            return false;
        }
        if !from.can_become(to) {
            tracing::warn!(%id, ?from, ?to, "illegal job transition refused");
            debug_assert!(false, "illegal job transition {from:?} -> {to:?} of {id}");
            return false;
        }
        entry.job.state = to;
        let queue = if entry.job.origin.is_link() {
            &mut self.queued_links
        } else {
            &mut self.queued
        };
        if to == JobState::Queued {
            queue.insert(id);
        } else {
            queue.remove(&id);
        }
        if to.is_finished() {
            if self.unfinished_by_path.get(&entry.job.path) == Some(&id) {
                self.unfinished_by_path.remove(&entry.job.path);
            }
        } else {
            self.unfinished_by_path.insert(entry.job.path.clone(), id);
        }
        self.dirty.insert(id);
        true
    }

    /// Records the worker started for `id`.
    pub(super) fn started(&mut self, id: JobId, worker: Worker) {
        if let Some(e) = self.entries.get_mut(&id) {
            debug_assert!(e.worker.is_none(), "a second worker for {id}");
            e.worker = Some(worker);
            self.running.insert(id);
        }
    }

    /// The worker of `id` ended: what it was (`None` when there was none, which is a stale
    /// report).
    pub(super) fn worker_ended(&mut self, id: JobId) -> Option<Worker> {
        self.running.remove(&id);
        self.entries.get_mut(&id)?.worker.take()
    }

    pub(super) fn is_running(&self, id: JobId) -> bool {
        self.running.contains(&id)
    }

    /// Jobs with a worker, by id.
    pub(super) fn running(&self) -> impl Iterator<Item = &Entry> {
        self.running.iter().filter_map(|id| self.entries.get(id))
    }

    /// Queued files (not links), oldest first.
    pub(super) fn queued(&self) -> impl Iterator<Item = &Entry> {
        self.queued.iter().filter_map(|id| self.entries.get(id))
    }

    /// Queued links, oldest first.
    pub(super) fn queued_links(&self) -> impl Iterator<Item = &Entry> {
        self.queued_links
            .iter()
            .filter_map(|id| self.entries.get(id))
    }

    fn queue_of(&mut self, job: &Job) -> &mut BTreeSet<JobId> {
        if job.origin.is_link() {
            &mut self.queued_links
        } else {
            &mut self.queued
        }
    }

    /// The entries to hand the journal, and forget.
    pub(super) fn take_dirty(&mut self) -> BTreeSet<JobId> {
        std::mem::take(&mut self.dirty)
    }

    pub(super) fn has_dirty(&self) -> bool {
        !self.dirty.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: u64, path: &str) -> Job {
        serde_json::from_value(serde_json::json!({
            "id": id, "path": path, "name": "a", "mime_type": "image/jpeg",
            "size_bytes": 1, "mtime_unix_nanos": null, "destination": {"private": false},
            "state": "queued", "session": null, "file_id": null,
            "acknowledged_bytes": 0, "result": null, "error": null, "added_unix": 0
        }))
        .expect("a job")
    }

    #[test]
    fn the_path_index_follows_every_transition_and_removal() {
        let mut t = JobTable::default();
        t.insert(job(1, "/a"), false);
        assert_eq!(t.unfinished_at(Path::new("/a")), Some(JobId(1)));
        assert!(t.transition(JobId(1), JobState::Uploading));
        assert!(t.transition(JobId(1), JobState::Failed));
        assert_eq!(t.unfinished_at(Path::new("/a")), None, "failed is finished");
        assert!(t.transition(JobId(1), JobState::Queued));
        assert_eq!(t.unfinished_at(Path::new("/a")), Some(JobId(1)));
        assert!(!t.transition(JobId(1), JobState::Queued), "already there");
        assert_eq!(t.take_dirty().len(), 1);
        t.remove(JobId(1));
        assert_eq!(t.unfinished_at(Path::new("/a")), None);
        assert!(t.take_dirty().contains(&JobId(1)), "a removal is saved too");
    }

    #[test]
    #[cfg_attr(debug_assertions, should_panic(expected = "illegal job transition"))]
    fn an_illegal_transition_is_refused_and_fails_debug_builds() {
        let mut t = JobTable::default();
        t.insert(job(1, "/a"), false);
        assert!(t.transition(JobId(1), JobState::Uploading));
        assert!(t.transition(JobId(1), JobState::Processing));
        // Processing cannot go back to sending bytes.
        assert!(!t.transition(JobId(1), JobState::Uploading));
        assert_eq!(t.job(JobId(1)).map(|j| j.state), Some(JobState::Processing));
    }
}
