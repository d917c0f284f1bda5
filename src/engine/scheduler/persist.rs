//! The journal side of the actor: the jobs it held at start, and saving the table.

use crate::engine::config::StartMode;
use crate::engine::event::Event;
use crate::engine::job::{Job, JobState};
use crate::engine::journal::Loaded;

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
            if mode == StartMode::Hold && !job.state.is_finished() {
                self.held.insert(job.id);
            } else if job.state.is_active()
                || (mode == StartMode::ContinueAll && job.state == JobState::Paused)
            {
                job.state = JobState::Queued;
            }
            if !job.state.is_finished() {
                self.unfinished_by_path.insert(job.path.clone(), job.id);
            }
            self.jobs.insert(job.id, job);
        }
    }

    pub(super) async fn save(&mut self) {
        self.dirty = false;
        let jobs: Vec<&Job> = self.jobs.values().collect();
        let bytes = self.journal.encode(&jobs, self.next_id);
        let path = self.journal.path().to_path_buf();
        // The write and fsync happen off the async threads; the actor waits for them, so a
        // critical entry (a new upload URL) is on disk before the worker sends a byte.
        let result = match bytes {
            Ok(bytes) => {
                tokio::task::spawn_blocking(move || crate::fs::write_atomic(&path, &bytes))
                    .await
                    .unwrap_or_else(|e| Err(std::io::Error::other(e)))
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => self.journal_failed = false,
            Err(e) => {
                tracing::warn!(error = %e, journal = %self.journal.path().display(), "cannot write the journal");
                if !self.journal_failed {
                    self.journal_failed = true;
                    self.emit(Event::JournalError(format!(
                        "cannot save the upload journal ({e}); uploads go on but may not resume after a restart"
                    )));
                }
            }
        }
    }
}
