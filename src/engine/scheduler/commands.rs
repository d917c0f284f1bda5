//! The commands that change jobs: adding files (once walked), pause, resume, cancel, retry.

use super::actor::Scheduler;
use crate::engine::command::Command;
use crate::engine::event::Event;
use crate::engine::job::{JobId, JobOptions, JobState, Session};
use crate::engine::run::stage::remove_staged;
use crate::engine::walk::{read_head, unreadable};

impl Scheduler {
    pub(super) async fn command(&mut self, c: Command) {
        match c {
            Command::AddFiles {
                request,
                paths,
                destination,
                options,
            } => self.add_files(request, paths, destination, options),
            Command::AddLinks {
                request,
                urls,
                destination,
            } => self.add_links(request, urls, destination),
            Command::Pause(id) => self.pause(id),
            Command::Resume(id) => self.resume(id),
            Command::Cancel(id) => self.cancel(id),
            Command::Retry(id) => self.retry(id).await,
            Command::Remove(id) => {
                self.cancel(id);
                // Whatever it was doing (finalizing, processing), its worker stops; reports it
                // still sends find no job and change nothing.
                self.stop_worker(id);
                // A removed job waits for the network no more.
                self.outage.forget(id);
                if self.table.remove(id).is_some() {
                    remove_staged(&self.data_dir, id);
                    self.emit(Event::Removed(id));
                }
            }
            Command::UploadAgain(id) => self.upload_again(id),
            Command::PauseAll => {
                for id in self.ids() {
                    self.pause(id);
                }
            }
            Command::ResumeAll => {
                for id in self.ids() {
                    self.resume(id);
                }
            }
            Command::RetryFailed => {
                for id in self.ids() {
                    // A permanent failure (an empty file) would fail again at once.
                    if self.table.job(id).is_some_and(|j| {
                        j.state == JobState::Failed
                            && !j.error.as_ref().is_some_and(|e| e.permanent)
                    }) {
                        self.retry(id).await;
                    }
                }
            }
            Command::ClearFinished => {
                let done: Vec<JobId> = self
                    .table
                    .jobs()
                    .filter(|j| matches!(j.state, JobState::Done | JobState::Cancelled))
                    .map(|j| j.id)
                    .collect();
                for id in done {
                    self.stop_worker(id);
                    self.table.remove(id);
                    self.emit(Event::Removed(id));
                }
            }
            Command::SetParallelism(p) => self.tuner.set_mode(p, std::time::Instant::now()),
            Command::Snapshot(tx) => {
                let _ = tx.send(self.table.jobs().cloned().collect());
            }
            Command::Shutdown(done) => self.begin_shutdown(Some(done)),
        }
    }

    pub(super) fn pause(&mut self, id: JobId) {
        let Some(state) = self.table.job(id).map(|j| j.state) else {
            return;
        };
        // Finalizing and processing are short and not resumable mid-way: let them finish.
        if matches!(state, JobState::Queued | JobState::Uploading) {
            self.set_state(id, JobState::Paused);
            self.stop_worker(id);
        }
    }

    pub(super) fn resume(&mut self, id: JobId) {
        if self
            .table
            .job(id)
            .is_some_and(|j| j.state == JobState::Paused)
        {
            self.table.release(id);
            self.set_state(id, JobState::Queued);
            // Paused before its turn (or while it was checked): looked for like a new file.
            self.check_if_new(id);
        }
    }

    pub(super) fn cancel(&mut self, id: JobId) {
        let Some(job) = self.table.job(id) else {
            return;
        };
        // Finalizing and processing are all but done: they cannot be cancelled (Remove stops
        // them), and a finished job has nothing left to cancel.
        if !job.state.can_become(JobState::Cancelled) {
            return;
        }
        let session = job.session.clone();
        self.stop_worker(id);
        self.set_state(id, JobState::Cancelled);
        if let Some(job) = self.table.job_mut(id) {
            job.session = None;
        }
        // Its worker may still be staging: it is deleted again when that worker ends.
        remove_staged(&self.data_dir, id);
        if let Some(s) = session {
            self.terminate(*s);
        }
    }

    /// Ends a server-side upload nobody will resume (in the background; best effort).
    pub(super) fn terminate(&self, s: Session) {
        let shared = self.shared.clone();
        tokio::spawn(async move {
            if let Err(e) = shared.tus.terminate(&s.endpoint, &s.upload_url).await {
                tracing::debug!(error = %e, "could not terminate a cancelled upload");
            }
        });
    }

    pub(super) async fn retry(&mut self, id: JobId) {
        let Some(job) = self.table.job(id) else {
            return;
        };
        if !matches!(job.state, JobState::Failed | JobState::Cancelled) {
            return;
        }
        // A file edited since it was queued is uploaded anew, as it is now.
        let path = job.path.clone();
        if let Ok(meta) = tokio::fs::metadata(&path).await {
            let mtime = meta.modified().ok().and_then(crate::clock::unix_nanos);
            let identity = crate::tus::FileIdentity::of(&meta);
            let edited = self.table.job(id).is_some_and(|job| {
                meta.len() != job.size_bytes
                    || mtime != job.mtime_unix_nanos
                    || (job.identity.is_some() && identity != job.identity)
            });
            if edited && let Some(job) = self.table.job_mut(id) {
                job.size_bytes = meta.len();
                job.mtime_unix_nanos = mtime;
                job.identity = identity;
                job.session = None;
                // A one-PUT URL of the old content: the new content gets its own.
                job.plain = None;
                // A file Wix made of the old content is not this one.
                job.file_id = None;
                job.result = None;
                job.acknowledged_bytes = 0;
            }
        }
        if let Some(other) = self.table.unfinished_at(&path)
            && other != id
        {
            return; // the same file is already queued again
        }
        let Some(retyped) = self.recheck(id).await else {
            return;
        };
        if let Some(job) = self.table.job_mut(id) {
            job.error = None;
        }
        self.set_state(id, JobState::Queued);
        if retyped && let Some(job) = self.table.job(id) {
            // Its row shows the kind it is now (an icon, a preview).
            self.emit(Event::JobAdded(Box::new(job.clone())));
        }
    }

    /// Before a Retry: reads the first bytes of a local file again. One that still cannot be
    /// read stays failed, with why as it is now (`None`); one that can has its type taken
    /// from its bytes again when nothing of it was sent yet (it may have been unreadable when
    /// queued, and typed by its name then): `Some(true)` when that changed it. A file that is
    /// gone is left to the upload to say.
    async fn recheck(&mut self, id: JobId) -> Option<bool> {
        let job = self.table.job(id)?;
        if job.origin.is_link() {
            return Some(false);
        }
        let path = job.path.clone();
        let unsent = job.session.is_none() && job.plain.is_none() && job.file_id.is_none();
        let p = path.clone();
        let head = tokio::task::spawn_blocking(move || {
            let meta = std::fs::metadata(&p).ok()?;
            Some(meta.is_file().then(|| read_head(&p)))
        })
        .await
        .ok()
        .flatten()
        .flatten();
        match head {
            None => Some(false),
            // A cancelled one goes again, and its upload says what stops it.
            Some(Err(_)) if job_state(self, id) == Some(JobState::Cancelled) => Some(false),
            Some(Err(e)) => {
                let error = unreadable(&e);
                if let Some(job) = self.table.job_mut(id) {
                    job.error = Some(Box::new(error.clone()));
                }
                self.emit(Event::Failed { id, error });
                None
            }
            Some(Ok(head)) => {
                let mime = crate::metadata::content_type(&head, &path);
                match self.table.job_mut(id) {
                    Some(job) if unsent && job.mime_type != mime => {
                        job.mime_type = mime;
                        Some(true)
                    }
                    _ => Some(false),
                }
            }
        }
    }
}

impl Scheduler {
    /// Queues a held job again (one an interrupted process left behind, added once more): it
    /// kept the state it had when its process stopped (uploading, paused, failed…). A job that
    /// sent nothing yet takes the `options` it is added with now; one under way keeps its own
    /// (its upload must go on with the same bytes). `false` when the job is not held.
    pub(super) fn pick_up_held(&mut self, id: JobId, options: Option<JobOptions>) -> bool {
        if !self.table.release(id) {
            return false;
        }
        if let Some(options) = options
            && let Some(job) = self.table.job_mut(id)
            && job.session.is_none()
            && job.plain.is_none()
            && job.file_id.is_none()
        {
            job.options = options;
        }
        if self
            .table
            .job(id)
            .is_some_and(|j| j.state != JobState::Queued)
        {
            self.set_state(id, JobState::Queued);
        }
        if let Some(job) = self.table.job(id) {
            self.emit(Event::JobAdded(Box::new(job.clone())));
        }
        self.check_if_new(id);
        true
    }
}

fn job_state(s: &Scheduler, id: JobId) -> Option<JobState> {
    s.table.job(id).map(|j| j.state)
}
