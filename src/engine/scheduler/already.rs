//! Files that may be on the site already: held (not scheduled) while their MD5 is compared
//! with the history's and the site is asked whether the earlier upload is still there.

use std::ops::Not as _;
use std::path::PathBuf;

use super::actor::Scheduler;
use crate::engine::dedupe::Checked;
use crate::engine::event::Event;
use crate::engine::job::{JobId, JobState};

impl Scheduler {
    /// Earlier uploads this new file may be (same size and name, this site); empty when dedupe
    /// is off or there are none, and the file is queued as usual.
    pub(super) fn may_be_there(&self, size: u64, name: &str) -> bool {
        self.dedupe
            .as_ref()
            .is_some_and(|d| !d.index.candidates(size, name, self.shared.strip_location).is_empty())
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
            .filter(|j| self.may_be_there(j.size_bytes, &j.name))
            .map(|j| (j.id, j.path.clone(), j.size_bytes, j.name.clone()))
            .collect();
        for (id, path, size, name) in restored {
            self.check_already(id, path, size, &name);
        }
    }

    /// Holds the (just inserted, queued) job while its file is hashed and looked for.
    pub(super) fn check_already(&mut self, id: JobId, path: PathBuf, size: u64, name: &str) {
        let Some(d) = &self.dedupe else {
            return;
        };
        let candidates = d.index.candidates(size, name, self.shared.strip_location);
        let checker = d.checker();
        if let Some(e) = self.table.entry_mut(id) {
            e.held = true;
        }
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
        if let Some(d) = &mut self.dedupe {
            d.index.add(entry.clone());
        }
    }
}
