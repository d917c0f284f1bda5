//! Files that may be on the site already: held (not scheduled) while their MD5 is compared
//! with the history's and the site is asked whether the earlier upload is still there.

use std::ops::Not as _;

use super::actor::Scheduler;
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
            .filter(|e| !e.held && e.worker.is_none() && !e.job.origin.is_link())
            .map(|e| &e.job)
            .filter(|j| j.session.is_none() && j.plain.is_none() && j.file_id.is_none())
            .filter(|j| self.may_be_there(j))
            .map(|j| j.id)
            .collect();
        for id in restored {
            self.check_already(id);
        }
    }

    /// Holds the (just inserted, queued) job while its file is hashed and looked for.
    pub(super) fn check_already(&mut self, id: JobId) {
        let Some(job) = self.table.job(id) else {
            return;
        };
        let path = job.path.clone();
        let candidates =
            self.dedupe
                .index
                .candidates(job.size_bytes, &job.name, job.options.remove_location);
        let checker = self.dedupe.checker();
        if let Some(e) = self.table.entry_mut(id) {
            e.held = true;
        }
        self.emit(Event::Checking { id, checking: true });
        let tx = self.checks_tx.clone();
        let shared = self.shared.clone();
        tokio::spawn(async move {
            let found = checker.find(path, candidates, &shared.wix).await;
            let _ = tx.send(Checked { id, found });
        });
    }

    pub(super) fn checked(&mut self, c: Checked) {
        // Still queued and held: nothing touched it meanwhile (a command releases the hold).
        let waiting = self
            .table
            .entry(c.id)
            .is_some_and(|e| e.held && e.job.state == JobState::Queued);
        if !waiting {
            return;
        }
        if let Some(e) = self.table.entry_mut(c.id) {
            e.held = false;
        }
        self.emit(Event::Checking {
            id: c.id,
            checking: false,
        });
        let Some(result) = c.found else {
            return; // scheduled as usual
        };
        if let Some(job) = self.table.job_mut(c.id) {
            job.result = Some(result.clone());
            job.file_id = Some(result.file_id.clone());
        }
        if self.set_state(c.id, JobState::Done) {
            self.emit(Event::Finished { id: c.id, result });
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
        let mut job = old.clone();
        self.table.remove(id);
        self.emit(Event::Removed(id));
        job.id = JobId(self.next_id);
        self.next_id += 1;
        job.state = JobState::Queued;
        job.result = None;
        job.file_id = None;
        job.session = None;
        job.plain = None;
        job.acknowledged_bytes = 0;
        job.error = None;
        self.emit(Event::JobAdded(Box::new(job.clone())));
        self.table.insert(job, false);
    }

    /// A file just finished: later files with its bytes find it.
    pub(super) fn remember(&mut self, entry: &crate::history::HistoryEntry) {
        self.dedupe.index.add(entry.clone());
    }
}
