//! Files that may be on the site already: checked (not scheduled) while their MD5 is compared
//! with the history's and the site is asked whether the earlier upload is still there.

use std::ops::Not as _;

use super::actor::Scheduler;
use super::runtime::Kind;
use crate::engine::dedupe::Checked;
use crate::engine::event::Event;
use crate::engine::job::{Job, JobId, JobState};

impl Scheduler {
    /// Whether this job's file may be an earlier upload (queued to skip duplicates, and an
    /// entry of this site has its size and name); if not, it is queued as usual.
    pub(super) fn may_be_there(&self, job: &Job) -> bool {
        job.options.skip_duplicates
            && !self
                .dedupe
                .index
                .candidates(job.size_bytes, &job.name, job.options.remove_location)
                .is_empty()
    }

    /// Queued files restored from the journal with nothing sent yet (the last process quit
    /// before their turn, maybe while they were hashed) are looked for like new ones.
    pub(super) fn check_restored(&mut self) {
        let restored: Vec<_> = self
            .table
            .queued()
            .filter(|e| e.kind() == Kind::Idle)
            .map(|e| e.job.id)
            .collect();
        for id in restored {
            self.check_if_new(id);
        }
    }

    /// Checks a queued, idle job that has sent nothing yet (no upload URL, no file) if its
    /// file may be an earlier upload.
    pub(super) fn check_if_new(&mut self, id: JobId) {
        let new = self.table.entry(id).is_some_and(|e| {
            let j = &e.job;
            e.kind() == Kind::Idle
                && j.state == JobState::Queued
                && !j.origin.is_link()
                && j.session.is_none()
                && j.plain.is_none()
                && j.file_id.is_none()
                && self.may_be_there(j)
        });
        if new {
            self.check_already(id);
        }
    }

    /// Keeps the (queued, idle) job from being scheduled while its file is hashed and looked
    /// for.
    pub(super) fn check_already(&mut self, id: JobId) {
        let Some(job) = self.table.job(id) else {
            return;
        };
        let path = job.path.clone();
        // Their lines are read in the check's task, off the actor.
        let candidates =
            self.dedupe
                .index
                .candidates(job.size_bytes, &job.name, job.options.remove_location);
        let checker = self.dedupe.checker();
        let Some(seq) = self.table.begin_check(id) else {
            return;
        };
        self.emit(Event::Checking { id, checking: true });
        let tx = self.checks_tx.clone();
        let shared = self.shared.clone();
        tokio::spawn(async move {
            let candidates = tokio::task::spawn_blocking(move || candidates.read())
                .await
                .unwrap_or_default();
            let found = checker.find(path, candidates, &shared.wix).await;
            let _ = tx.send(Checked { id, seq, found });
        });
    }

    pub(super) fn checked(&mut self, c: Checked) {
        // Still being checked: nothing touched it meanwhile (a command stops the check).
        if !self.table.end_check(c.id, c.seq) {
            return;
        }
        self.emit(Event::Checking {
            id: c.id,
            checking: false,
        });
        let Some(result) = c.found else {
            return; // scheduled as usual
        };
        if let Some(job) = self.table.job_mut(c.id) {
            job.result = Some(Box::new(result.clone()));
            job.file_id = Some(result.file_id.clone());
        }
        if self.set_state(c.id, JobState::Done) {
            self.emit(Event::Finished { id: c.id, result });
            // Its upload is in the history already.
            self.forget_finished(c.id);
        }
    }

    /// Replaces a job found on the site already by a fresh upload of the same file.
    pub(super) fn upload_again(&mut self, id: JobId) {
        let Some(old) = self.table.job(id) else {
            return;
        };
        let already = old.result.as_ref().is_some_and(|r| r.already.is_some());
        if old.state != JobState::Done || already.not() {
            return;
        }
        let mut job = old.again(JobId(self.next_id));
        self.next_id += 1;
        // Asked to send it anew: it is not looked for again, even after a pause.
        job.options.skip_duplicates = false;
        self.table.remove(id);
        self.emit(Event::Removed(id));
        self.emit(Event::JobAdded(Box::new(job.clone())));
        self.table.insert(job, false);
    }

    /// Takes the history's duplicate index, read off the actor's thread (before the first
    /// command is applied): a few dozen bytes per earlier upload, whatever the history's size.
    pub(super) fn load_history(
        &mut self,
        read: Result<std::io::Result<crate::history::Index>, tokio::task::JoinError>,
    ) {
        self.dedupe.index = match read {
            Ok(Ok(index)) => index,
            Ok(Err(e)) => {
                self.emit(Event::History {
                    unsaved: 0,
                    message: format!(
                        "cannot read the upload history ({e}); until it can be read, files already on your site are sent again"
                    ),
                });
                crate::history::Index::new(self.site.clone())
            }
            Err(_) => crate::history::Index::new(self.site.clone()),
        };
    }

    /// A file just finished: later files with its bytes find it.
    pub(super) fn remember(&mut self, entry: &crate::history::HistoryEntry) {
        self.dedupe.index.add(entry.clone());
    }
}
