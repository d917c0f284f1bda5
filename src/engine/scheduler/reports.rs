//! Turning worker reports into job changes and events, and progress into throttled events.

use std::time::Instant;

use crate::engine::event::Event;
use crate::engine::history::{self, HistoryEntry};
use crate::engine::job::{JobId, JobResult, JobState};
use crate::engine::report::{Report, Stop};

use super::actor::Scheduler;

impl Scheduler {
    pub(super) async fn report(&mut self, r: Report) {
        match r {
            Report::Sent { id, offset } => {
                let meter = self.meters.entry(id).or_default();
                self.tuner.sent(offset.saturating_sub(meter.sent_bytes()));
                meter.sent(offset, Instant::now());
            }
            Report::Acknowledged { id, offset } => {
                if let Some(job) = self.jobs.get_mut(&id)
                    && offset > job.acknowledged_bytes
                {
                    job.acknowledged_bytes = offset;
                    self.dirty.insert(id);
                }
                self.meters.entry(id).or_default().changed = true;
            }
            Report::Retrying {
                id,
                attempt,
                delay,
                reason,
            } => {
                self.tuner.pushed_back();
                self.emit(Event::Retrying {
                    id,
                    attempt,
                    delay,
                    reason,
                });
            }
            Report::Phase { id, state } => {
                self.set_state(id, state);
            }
            Report::Session { id, session, saved } => {
                let wanted = self
                    .jobs
                    .get(&id)
                    .is_some_and(|j| j.state != JobState::Cancelled);
                if !wanted {
                    // Created just as Cancel (or Remove) landed: nobody will resume it, so it
                    // must not linger on the server.
                    if let Some(s) = session {
                        self.terminate(s);
                    }
                    let _ = saved.send(());
                    return;
                }
                if let Some(job) = self.jobs.get_mut(&id) {
                    if session.is_none() {
                        job.acknowledged_bytes = 0;
                    }
                    job.session = session;
                }
                self.dirty.insert(id);
                self.save(Some(saved));
            }
            Report::Plain { id, plain, saved } => {
                if let Some(job) = self.jobs.get_mut(&id) {
                    job.plain = plain;
                }
                self.dirty.insert(id);
                self.save(Some(saved));
            }
            Report::FileId { id, file_id, saved } => {
                if let Some(job) = self.jobs.get_mut(&id) {
                    job.file_id = Some(file_id);
                    job.acknowledged_bytes = job.size_bytes;
                }
                self.dirty.insert(id);
                self.save(Some(saved));
            }
            Report::FileFailed { id } => {
                if let Some(job) = self.jobs.get_mut(&id) {
                    job.file_id = None;
                    self.dirty.insert(id);
                }
            }
            Report::Finished { id, outcome } => {
                self.running.remove(&id);
                let preparing = self.gates.remove(&id).is_some();
                self.finished(id, outcome, preparing);
            }
        }
    }

    /// `preparing`: the worker was still preparing ahead of a slot (its job queued).
    pub(super) fn finished(
        &mut self,
        id: JobId,
        outcome: Result<JobResult, Stop>,
        preparing: bool,
    ) {
        let Some(state) = self.jobs.get(&id).map(|j| j.state) else {
            return;
        };
        let ours = state.is_active() || (preparing && state == JobState::Queued);
        if !ours {
            return; // paused or cancelled meanwhile: the command already set the state
        }
        match outcome {
            Ok(result) => {
                if let Some(job) = self.jobs.get_mut(&id) {
                    job.result = Some(result.clone());
                    job.error = None;
                    job.session = None; // single-use; nothing left to resume
                    self.dirty.insert(id);
                }
                self.flush_one(id);
                if self.set_state(id, JobState::Done) {
                    if let Some(job) = self.jobs.get(&id) {
                        let entry = HistoryEntry::new(job, &result);
                        let dir = self.data_dir.clone();
                        tokio::task::spawn_blocking(move || {
                            if let Err(e) = history::append(&dir, &entry) {
                                tracing::warn!(error = %e, "cannot append to the upload history");
                            }
                        });
                    }
                    self.emit(Event::Finished { id, result });
                }
            }
            Err(Stop::Interrupted) => {
                if self.shutdown.is_none() {
                    self.set_state(id, JobState::Queued);
                }
            }
            Err(Stop::Failed(error)) => {
                if let Some(job) = self.jobs.get_mut(&id) {
                    job.error = Some(error.clone());
                    self.dirty.insert(id);
                }
                if self.set_state(id, JobState::Failed) {
                    self.emit(Event::Failed { id, error });
                }
            }
        }
    }

    pub(super) fn flush_progress(&mut self) {
        let changed: Vec<JobId> = self
            .meters
            .iter()
            .filter(|(_, m)| m.changed)
            .map(|(id, _)| *id)
            .collect();
        for id in changed {
            self.flush_one(id);
        }
    }

    pub(super) fn flush_one(&mut self, id: JobId) {
        let Some(job) = self.jobs.get(&id) else {
            return;
        };
        let Some(meter) = self.meters.get_mut(&id) else {
            return;
        };
        let event = meter.progress(id, job.acknowledged_bytes, job.size_bytes, Instant::now());
        self.emit(event);
    }
}
