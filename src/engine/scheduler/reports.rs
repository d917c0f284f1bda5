//! Turning worker reports into job changes and events, and progress into throttled events.

use std::time::Instant;

use crate::engine::event::Event;
use crate::engine::job::{JobError, JobId, JobResult, JobState};
use crate::engine::report::{Report, Stop};
use crate::engine::run::stage::remove_staged;

use super::actor::Scheduler;
use super::outage::{Probed, WAITING};
use super::runtime::{Ended, Kind};

impl Scheduler {
    pub(super) async fn report(&mut self, r: Report) {
        // Reports come from a job's own worker; one from a job without a worker (removed, or
        // a stale one) changes nothing but what must still happen on the server.
        let id = r.id();
        if !self.table.is_running(id) {
            tracing::debug!(%id, "a report from a job with no worker; ignored");
            self.stale_report(r);
            return;
        }
        match r {
            Report::Sent { id, offset } => {
                if let Some(m) = self.table.meter_mut(id) {
                    self.tuner.sent(offset.saturating_sub(m.sent_bytes()));
                    m.sent(offset, Instant::now());
                }
            }
            Report::Acknowledged { id, offset } => {
                if self
                    .table
                    .job(id)
                    .is_some_and(|j| offset > j.acknowledged_bytes)
                    && let Some(job) = self.table.job_mut(id)
                {
                    job.acknowledged_bytes = offset;
                }
                if let Some(m) = self.table.meter_mut(id) {
                    m.acknowledged(offset, Instant::now());
                }
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
                // Only a job that is still the worker's to move: not paused or cancelled
                // meanwhile (the command already set its state). A worker stopped by a shutdown
                // still moves its job (its state is untouched), so a file it made is Done.
                let ours = matches!(self.table.kind(id), Some(Kind::Running | Kind::Stopping))
                    && self.table.job(id).is_some_and(|j| j.state.is_active());
                if ours {
                    self.set_state(id, state);
                }
            }
            Report::Session { id, session, saved } => {
                let wanted = self
                    .table
                    .job(id)
                    .is_some_and(|j| j.state != JobState::Cancelled);
                if !wanted {
                    // Created just as Cancel landed: nobody will resume it, so it must not
                    // linger on the server.
                    if let Some(s) = session {
                        self.terminate(s);
                    }
                    let _ = saved.send(());
                    return;
                }
                if let Some(job) = self.table.job_mut(id) {
                    if session.is_none() {
                        job.acknowledged_bytes = 0;
                    }
                    job.session = session.map(Box::new);
                }
                self.save(Some(saved));
            }
            Report::Plain { id, plain, saved } => {
                self.table.fresh_plain(id, plain.is_some());
                if let Some(job) = self.table.job_mut(id) {
                    job.plain = plain.map(Box::new);
                }
                self.save(Some(saved));
            }
            Report::FileId { id, file_id, saved } => {
                if let Some(job) = self.table.job_mut(id) {
                    job.file_id = Some(file_id);
                    job.acknowledged_bytes = job.size_bytes;
                }
                self.save(Some(saved));
            }
            Report::Note { id, message } => self.emit(Event::Note { id, message }),
            Report::FileFailed { id, saved } => {
                if let Some(job) = self.table.job_mut(id) {
                    job.file_id = None;
                    if !job.origin.is_link() {
                        // Its upload made that file: the next one starts anew.
                        job.session = None;
                        job.plain = None;
                        job.acknowledged_bytes = 0;
                    }
                }
                self.save(Some(saved));
            }
            Report::Finished { id, outcome } => {
                if let Some(ended) = self.table.worker_ended(id) {
                    self.finished(id, outcome, ended);
                }
            }
        }
    }

    /// A report no worker of the table sent (its job was removed): a new server-side upload is
    /// ended, and a worker waiting for its save is let go.
    fn stale_report(&mut self, r: Report) {
        match r {
            Report::Session { session, saved, .. } => {
                if let Some(s) = session {
                    self.terminate(s);
                }
                let _ = saved.send(());
            }
            Report::Plain { saved, .. }
            | Report::FileId { saved, .. }
            | Report::FileFailed { saved, .. } => {
                let _ = saved.send(());
            }
            // The worker of a removed job ended: whatever it staged goes too.
            Report::Finished { id, .. } => remove_staged(&self.data_dir, id),
            _ => {}
        }
    }

    /// The worker of `id` ended, as `ended` says: its outcome becomes the job's, unless a
    /// command stopped it (then the command already set the state).
    pub(super) fn finished(&mut self, id: JobId, outcome: Result<JobResult, Stop>, ended: Ended) {
        let Some(state) = self.table.job(id).map(|j| j.state) else {
            return;
        };
        if let Ended::Preparing { fresh_plain: true } | Ended::Stopped { fresh_plain: true } = ended
            && let Some(job) = self.table.job_mut(id)
        {
            // Its one-PUT URL came while it prepared, and its gate never opened: no PUT went
            // there. The next run asks for a new URL instead of searching the site for a file
            // that cannot be there. (A URL from the journal may have been used: it stays.)
            job.plain = None;
        }
        let ours = match ended {
            Ended::Running => state.is_active(),
            Ended::Preparing { .. } => state == JobState::Queued,
            // Stopped by a shutdown (its state untouched) as it ended: what it found out is
            // kept (a file made; a file Wix marked FAILED, whose id is forgotten already).
            Ended::Stopped { .. } => {
                state.is_active() && !matches!(outcome, Err(Stop::Interrupted))
            }
        };
        if !ours {
            // Paused or cancelled meanwhile: the command already set the state. A cancelled
            // job's copy may have been staged after the command deleted it; one resumed while
            // its worker wound down is looked for like a new file, now that it is idle.
            match state {
                JobState::Cancelled => remove_staged(&self.data_dir, id),
                JobState::Queued => self.check_if_new(id),
                _ => {}
            }
            return;
        }
        match outcome {
            Ok(result) => {
                self.outage.forget(id);
                if let Some(job) = self.table.job_mut(id) {
                    job.result = Some(Box::new(result.clone()));
                    job.error = None;
                    // Single-use, and nothing is left to resume: a finished job keeps what
                    // its row shows, not its upload URLs and tokens (3 KB each on Wix).
                    job.session = None;
                    job.plain = None;
                }
                self.flush_one(id);
                if self.set_state(id, JobState::Done) {
                    let entry = self.table.job(id).map(|job| job.history_entry(&result));
                    if let Some(mut entry) = entry {
                        entry.site = Some(self.site.clone());
                        entry.location_checked = self
                            .table
                            .job(id)
                            .is_some_and(|j| j.options.remove_location);
                        if entry.location_checked {
                            entry.location_rules = crate::history::LOCATION_RULES;
                        }
                        self.remember(&entry);
                        self.emit(Event::Recorded(Box::new(entry.clone())));
                        self.history.append(entry, Some(id));
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
                // Nothing could be reached: the job waits for the network (a while) rather
                // than failing, unless the network turns out to be there.
                if self.shutdown.is_none() && self.park_if_offline(id, &error) {
                    return;
                }
                self.outage.forget(id);
                self.fail(id, error);
            }
        }
    }

    fn fail(&mut self, id: JobId, error: JobError) {
        if let Some(job) = self.table.job_mut(id) {
            job.error = Some(Box::new(error.clone()));
        }
        // A job that keeps its session keeps its copy: a Retry continues the upload from the
        // same bytes, even once "Remove location from photos and videos" is off.
        let sent = self
            .table
            .job(id)
            .is_some_and(|j| j.session.is_some() || j.plain.is_some());
        if !sent {
            remove_staged(&self.data_dir, id);
        }
        // The row shows what the server keeps (nothing, once Wix failed the file), not the
        // last progress of an upload that is gone: the same as after a restart.
        self.flush_one(id);
        if self.set_state(id, JobState::Failed) {
            self.emit(Event::Failed { id, error });
        }
    }

    /// Parks `id` (queued, held, its row saying so) when its failure was the network's and it
    /// may still wait; `true` when parked.
    fn park_if_offline(&mut self, id: JobId, error: &JobError) -> bool {
        if !self.outage.park(id, error) {
            return false;
        }
        // A job that failed while preparing ahead of a slot is queued already.
        let queued = self
            .table
            .job(id)
            .is_some_and(|j| j.state == JobState::Queued);
        if !queued && !self.set_state(id, JobState::Queued) {
            self.outage.forget(id);
            return false;
        }
        self.table.hold(id);
        tracing::info!(%id, error = %error.detail, "nothing could be reached; waiting for the network");
        // Said once the probe found the network gone (a job parked meanwhile, at once).
        if self.outage.gone {
            self.say_waiting(id);
        }
        true
    }

    fn say_waiting(&self, id: JobId) {
        self.emit(Event::Note {
            id,
            message: WAITING.to_string(),
        });
    }

    /// What the probe found: the network back (the parked jobs go on, the scheduling that
    /// follows starts them), or never gone (the server failed them: they fail as before).
    pub(super) fn probed(&mut self, found: Probed) {
        if found == Probed::Gone {
            self.outage.gone = true;
            for id in self.outage.waiting() {
                self.say_waiting(id);
            }
            return;
        }
        for (id, fail) in self.outage.let_go(found) {
            // Not held any more: a command (pause, cancel, remove) touched it meanwhile.
            if !self.table.release(id) {
                continue;
            }
            match fail {
                Some(error) => {
                    self.outage.forget(id);
                    self.fail(id, error);
                }
                None => tracing::info!(%id, ?found, "the network is there; the upload goes on"),
            }
        }
    }

    pub(super) fn flush_progress(&mut self) {
        let changed: Vec<JobId> = self
            .table
            .entries()
            .filter(|e| e.meter.changed)
            .map(|e| e.job.id)
            .collect();
        for id in changed {
            self.flush_one(id);
        }
    }

    pub(super) fn flush_one(&mut self, id: JobId) {
        let Some((done, size)) = self
            .table
            .job(id)
            .map(|j| (j.acknowledged_bytes, j.size_bytes))
        else {
            return;
        };
        let Some(m) = self.table.meter_mut(id) else {
            return;
        };
        let event = m.progress(id, done, size);
        self.emit(event);
    }
}
