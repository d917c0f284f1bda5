//! Adding files: the paths of an `AddFiles` are walked off the actor, which hands over what it
//! finds a batch at a time, so the first files of a folder of 100,000 start sending while the
//! rest are still walked; the request is answered ([`Event::FilesAdded`]) once the walk is over.

use std::path::PathBuf;

use super::actor::Scheduler;
use crate::engine::event::Event;
use crate::engine::job::{Destination, Job, JobId, JobOptions, JobState, Origin};
use crate::engine::walk::{Skipped, Walked, walk};

impl Scheduler {
    pub(super) fn add_files(
        &mut self,
        request: u64,
        paths: Vec<PathBuf>,
        destination: Destination,
        options: JobOptions,
    ) {
        let tx = self.walks_tx.clone();
        tokio::task::spawn_blocking(move || {
            let batch = |files| Walked {
                request,
                destination: destination.clone(),
                options,
                files,
                last: false,
                rejected: Vec::new(),
                skipped: Skipped::default(),
            };
            let (files, rejected, skipped) = walk(&paths, |files| {
                let _ = tx.send(batch(files));
            });
            let _ = tx.send(Walked {
                last: true,
                rejected,
                skipped,
                ..batch(files)
            });
        });
    }

    pub(super) fn walked(&mut self, w: Walked) {
        let mut so_far = self.adding.remove(&w.request).unwrap_or_default();
        for c in w.files {
            if let Some(existing) = self.table.unfinished_at(&c.path) {
                // A held job (an interrupted `wixup upload` of the same file) is picked up
                // again and continues from the server's offset, instead of being skipped; any
                // other (queued, being checked, sending) is the same file added twice.
                if self.pick_up_held(existing, Some(w.options)) {
                    so_far.added.push(existing);
                } else {
                    so_far.duplicates.push((c.path, existing));
                }
                continue;
            }
            let id = JobId(self.next_id);
            self.next_id += 1;
            let name = c
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "file".into());
            let mut job = Job::queued(
                id,
                Origin::File,
                c.path,
                name,
                c.mime,
                w.destination.clone(),
                w.options,
            );
            job.size_bytes = c.size;
            job.mtime_unix_nanos = c.mtime.and_then(crate::clock::unix_nanos);
            job.identity = c.identity;
            so_far.added.push(id);
            if let Some(error) = c.unreadable {
                // A file that cannot be read gets its row all the same, failed with why (and
                // counted, and journaled): Retry reads it again once it is fixed.
                job.state = JobState::Failed;
                job.error = Some(Box::new(error.clone()));
                self.emit(Event::JobAdded(Box::new(job.clone())));
                self.table.insert(job, false);
                self.emit(Event::Failed { id, error });
                continue;
            }
            self.emit(Event::JobAdded(Box::new(job.clone())));
            self.table.insert(job, false);
            self.check_if_new(id);
        }
        if !w.last {
            self.adding.insert(w.request, so_far);
            return;
        }
        self.emit(Event::FilesAdded {
            request: w.request,
            added: so_far.added,
            duplicates: so_far.duplicates,
            rejected: w.rejected,
            skipped: w.skipped,
        });
    }
}
