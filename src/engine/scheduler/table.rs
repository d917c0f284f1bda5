//! The job table: one entry per job (the job, its runtime state, its live figures) and the
//! rules that keep them together. Every state change goes through [`JobTable::transition`],
//! which refuses what [`JobState::can_become`] forbids, and every runtime change through the
//! methods below, which refuse what [`Kind::can_become`] forbids (a warning, and a panic in
//! debug builds: an illegal move is a bug in the engine, not something a user can cause); the
//! index of unfinished files by path, the queues and the set of entries the journal must save
//! follow every change.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use super::meter::ProgressMeter;
use super::runtime::{Ended, Kind, Runtime};
use crate::engine::job::{Job, JobId, JobState};

/// Everything the actor knows of one job.
pub(super) struct Entry {
    pub(super) job: Job,
    /// What the actor does with it now (never journaled).
    pub(super) runtime: Runtime,
    /// Runtime-only progress figures (never journaled).
    pub(super) meter: ProgressMeter,
}

impl Entry {
    pub(super) fn kind(&self) -> Kind {
        self.runtime.kind()
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
    /// Jobs with a worker (preparing, running or stopping).
    running: BTreeSet<JobId>,
    /// Checks for an earlier upload begun so far: each one's number.
    checks: u64,
}

impl JobTable {
    /// Adds a job (replacing none: ids are never reused), idle or `held`.
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
                runtime: if held { Runtime::Held } else { Runtime::Idle },
                meter: ProgressMeter::default(),
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

    /// The live figures of an entry (never journaled).
    pub(super) fn meter_mut(&mut self, id: JobId) -> Option<&mut ProgressMeter> {
        self.entries.get_mut(&id).map(|e| &mut e.meter)
    }

    pub(super) fn kind(&self, id: JobId) -> Option<Kind> {
        self.entries.get(&id).map(Entry::kind)
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

    /// Moves the runtime of `id` to `to` if the rules allow it; what it was.
    fn move_runtime(&mut self, id: JobId, to: Runtime) -> Option<Runtime> {
        let e = self.entries.get_mut(&id)?;
        let (from, next) = (e.kind(), to.kind());
        if !from.can_become(next) {
            tracing::warn!(%id, ?from, to = ?next, "illegal runtime move refused");
            debug_assert!(false, "illegal runtime move {from:?} -> {next:?} of {id}");
            return None;
        }
        if to.has_worker() {
            self.running.insert(id);
        } else {
            self.running.remove(&id);
        }
        Some(std::mem::replace(&mut e.runtime, to))
    }

    /// A worker starts for `id`: sending at once, or (`gate`) preparing until the gate opens.
    pub(super) fn started(
        &mut self,
        id: JobId,
        cancel: CancellationToken,
        gate: Option<oneshot::Sender<()>>,
    ) -> bool {
        let to = match gate {
            Some(gate) => Runtime::Preparing {
                cancel,
                gate,
                fresh_plain: false,
            },
            None => Runtime::Running { cancel },
        };
        self.move_runtime(id, to).is_some()
    }

    /// Gives a preparing worker its slot; `false` when `id` was not preparing, or its worker
    /// has already ended (its report is on the way: it stays preparing until then).
    pub(super) fn open_gate(&mut self, id: JobId) -> bool {
        let Some(Runtime::Preparing { cancel, gate, .. }) =
            self.entries.get(&id).map(|e| &e.runtime)
        else {
            return false;
        };
        if gate.is_closed() {
            return false;
        }
        let running = Runtime::Running {
            cancel: cancel.clone(),
        };
        match self.move_runtime(id, running) {
            Some(Runtime::Preparing { gate, .. }) => gate.send(()).is_ok(),
            _ => false,
        }
    }

    /// A worker whose gate never opened (preparing, or stopped while it was) was handed a
    /// one-PUT URL (`true`), or gave it up.
    pub(super) fn fresh_plain(&mut self, id: JobId, fresh: bool) {
        match self.entries.get_mut(&id).map(|e| &mut e.runtime) {
            Some(Runtime::Preparing { fresh_plain, .. })
            | Some(Runtime::Stopping {
                preparing: true,
                fresh_plain,
            }) => *fresh_plain = fresh,
            _ => {}
        }
    }

    /// Stops whatever runs for `id`: its worker is told to stop (it is stopping until it ended),
    /// a check's answer or a hold no longer applies.
    pub(super) fn stop(&mut self, id: JobId) {
        if let Some(e) = self.entries.get_mut(&id) {
            let runtime = std::mem::replace(&mut e.runtime, Runtime::Idle);
            e.runtime = runtime.stopped();
            if !e.runtime.has_worker() {
                self.running.remove(&id);
            }
        }
    }

    /// Stops every worker (shutting down).
    pub(super) fn stop_all(&mut self) {
        for id in self.running.clone() {
            self.stop(id);
        }
    }

    /// An idle job is held (waiting for the network); `false` when it was not idle.
    pub(super) fn hold(&mut self, id: JobId) -> bool {
        self.kind(id) == Some(Kind::Idle) && self.move_runtime(id, Runtime::Held).is_some()
    }

    /// A held job is let go (added again, or a command touched it); `false` when it was not held.
    pub(super) fn release(&mut self, id: JobId) -> bool {
        self.kind(id) == Some(Kind::Held) && self.move_runtime(id, Runtime::Idle).is_some()
    }

    /// An idle job's file starts being checked for an earlier upload: the check's number, for
    /// its answer (`None` when the job was not idle).
    pub(super) fn begin_check(&mut self, id: JobId) -> Option<u64> {
        self.checks += 1;
        let seq = self.checks;
        self.move_runtime(id, Runtime::Checking { seq })?;
        Some(seq)
    }

    /// Check `seq` of `id` answered; `false` when nothing waits for that answer (a command
    /// stopped the check, maybe starting another since).
    pub(super) fn end_check(&mut self, id: JobId, seq: u64) -> bool {
        let waiting = matches!(
            self.entries.get(&id).map(|e| &e.runtime),
            Some(Runtime::Checking { seq: s }) if *s == seq
        );
        waiting && self.move_runtime(id, Runtime::Idle).is_some()
    }

    /// The worker of `id` ended: how, as the actor saw it (`None`: there was none, a stale
    /// report).
    pub(super) fn worker_ended(&mut self, id: JobId) -> Option<Ended> {
        let ended = self.entries.get(&id)?.runtime.ended()?;
        self.move_runtime(id, Runtime::Idle)?;
        Some(ended)
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
