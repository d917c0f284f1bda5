//! The journal side of the actor: the jobs it held at start, and saving what changed.

use tokio::sync::oneshot;

use crate::engine::config::StartMode;
use crate::engine::event::Event;
use crate::engine::job::{JobId, JobState};
use crate::engine::journal::{Change, Loaded};

use super::actor::Scheduler;

impl Scheduler {
    pub(super) fn load(&mut self, loaded: Loaded, mode: StartMode) {
        self.next_id = loaded.next_id;
        if let Some(aside) = loaded.set_aside {
            let file = crate::os_path::lossy(&aside.file);
            self.emit(Event::JournalError(match aside.entries {
                None => format!(
                    "the journal could not be read; it was kept as {file} and a new one started"
                ),
                Some(n) => format!(
                    "{n} journal {} could not be read (written by a newer Wixup?) and {} kept in {file}; the others were loaded",
                    if n == 1 { "entry" } else { "entries" },
                    if n == 1 { "was" } else { "were" },
                ),
            }));
        }
        for mut job in loaded.jobs {
            let held = mode == StartMode::Hold && !job.state.is_finished();
            if !held
                && (job.state.is_active()
                    || (mode == StartMode::ContinueAll && job.state == JobState::Paused))
            {
                // What ran when the last process stopped runs again (as loaded, not a move).
                job.state = JobState::Queued;
            }
            self.table.insert(job, held);
        }
        // Copies without location of files that will not be sent again; an unfinished upload
        // keeps its copy, as its resume must send the same bytes.
        crate::engine::run::stage::sweep_staged(&self.data_dir, |id| {
            self.table.job(id).is_some_and(|j| {
                let retryable =
                    j.state == JobState::Failed && (j.session.is_some() || j.plain.is_some());
                !j.state.is_finished() || retryable
            })
        });
    }

    /// `wixup resume`: every failed job goes again, as Retry sends it (a file edited since is
    /// sent as it is now; one Wix still processed is polled again). A file that is no longer
    /// there, or that failed for good (empty, refused by its type), stays failed, and the person
    /// reads how to go on.
    pub(super) async fn retry_failed(&mut self) {
        let failed: Vec<_> = self
            .table
            .jobs()
            .filter(|j| j.state == JobState::Failed)
            .map(|j| (j.id, j.path.clone(), j.origin.is_link(), j.error.clone()))
            .collect();
        for (id, path, link, error) in failed {
            if let Some(e) = error.filter(|e| e.permanent) {
                let message = format!(
                    "{}: {}; `wixup resume` does not try it again: fix the file, then upload it with `wixup upload`",
                    crate::os_path::lossy(&path),
                    e.message
                );
                self.emit(Event::Note { id, message });
                continue;
            }
            if !link && tokio::fs::symlink_metadata(&path).await.is_err() {
                let message = format!(
                    "{} is no longer there, so its failed upload was not tried again; put it back and run `wixup resume` again, or upload it from where it is now with `wixup upload` (the window's queue can remove it)",
                    crate::os_path::lossy(&path)
                );
                self.emit(Event::Note { id, message });
                continue;
            }
            self.retry(id).await;
            let Some(job) = self.table.job(id).filter(|j| j.state == JobState::Failed) else {
                continue;
            };
            let message = if self.table.unfinished_at(&path).is_some_and(|o| o != id) {
                format!(
                    "{} is queued again as another upload, so this failed one was not tried again",
                    crate::os_path::lossy(&path)
                )
            } else {
                // It still cannot be read.
                format!(
                    "{}: {}; fix it, then run `wixup resume` again",
                    crate::os_path::lossy(&path),
                    job.error.as_ref().map_or("cannot read it", |e| &e.message)
                )
            };
            self.emit(Event::Note { id, message });
        }
    }

    /// A finished upload the history now holds leaves the table and the journal, where
    /// finished jobs are not kept (the CLI: what it printed, and the history, say the rest).
    pub(super) fn forget_finished(&mut self, id: JobId) {
        if self.keep_finished || self.table.job(id).is_none_or(|j| j.state != JobState::Done) {
            return;
        }
        self.table.remove(id);
        self.emit(Event::Removed(id));
    }

    /// Hands the changed jobs to the journal writer and goes on at once: the actor never waits
    /// for the disk. `saved` is answered after the fsync that covered them, so a worker that
    /// waits on it (a new upload URL, a file id) goes on only once its record is on disk.
    pub(super) fn save(&mut self, saved: Option<oneshot::Sender<()>>) {
        let changes = self
            .table
            .take_dirty()
            .into_iter()
            .map(|id| match self.table.job(id) {
                Some(job) => Change::Put(Box::new(job.clone())),
                None => Change::Remove(id),
            })
            .collect();
        self.journal.save(changes, self.next_id, saved);
    }
}
