//! The actor's side of imports from a link: queueing links, and starting queued ones in
//! batches (one import call for up to 100 links; jobs that already have a file id are polled).
//! Imports move no bytes from here, so they do not take upload slots.

use std::path::PathBuf;

use reqwest::Url;
use tokio_util::sync::CancellationToken;

use super::actor::Scheduler;
use super::runtime::Kind;
use crate::engine::event::Event;
use crate::engine::job::{Destination, Job, JobId, JobState, Origin};
use crate::engine::run::import::parse_link;
use crate::wix_media::BULK_IMPORT_MAX;

/// The file name a link suggests: its last path segment (percent-decoded), else its host.
fn name_of(url: &Url) -> String {
    url.path_segments()
        .and_then(|mut s| s.next_back())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .chars()
                .filter(|c| !c.is_control() && *c != '/')
                .collect::<String>()
        })
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| url.host_str().unwrap_or("link").to_string())
}

impl Scheduler {
    /// Queues one import job per link; answers with `FilesAdded`, each link as its path.
    pub(super) fn add_links(&mut self, request: u64, urls: Vec<String>, destination: Destination) {
        let mut added = Vec::new();
        let mut duplicates = Vec::new();
        let mut rejected = Vec::new();
        for text in urls {
            let Some(url) = parse_link(&text) else {
                rejected.push((
                    PathBuf::from(&text),
                    "not an http or https link; Wix can import only those".to_string(),
                ));
                continue;
            };
            let path = PathBuf::from(url.as_str());
            if let Some(existing) = self.table.unfinished_at(&path) {
                // An interrupted `wixup import` of the same link: it continues (polled when
                // Wix already has its file, never imported twice).
                if self.pick_up_held(existing, None) {
                    added.push(existing);
                } else {
                    duplicates.push((path, existing));
                }
                continue;
            }
            let id = JobId(self.next_id);
            self.next_id += 1;
            let mime = mime_guess::from_path(url.path())
                .first_or_octet_stream()
                .essence_str()
                .to_string();
            let origin = Origin::Link {
                url: url.to_string(),
            };
            let job = Job::queued(
                id,
                origin,
                path.clone(),
                name_of(&url),
                mime,
                destination.clone(),
                Default::default(),
            );
            self.emit(Event::JobAdded(Box::new(job.clone())));
            self.table.insert(job, false);
            added.push(id);
        }
        self.emit(Event::FilesAdded {
            request,
            added,
            duplicates,
            rejected,
            skipped: Default::default(),
        });
    }

    /// Starts every queued link job: those without a file id in batches of at most
    /// [`BULK_IMPORT_MAX`] (one import call each), those with one to be polled.
    pub(super) fn schedule_links(&mut self) {
        let ready: Vec<JobId> = self
            .table
            .queued_links()
            .filter(|e| e.kind() == Kind::Idle)
            .map(|e| e.job.id)
            .collect();
        if ready.is_empty() {
            return;
        }
        let (fresh, known): (Vec<JobId>, Vec<JobId>) = ready
            .into_iter()
            .partition(|id| self.table.job(*id).is_some_and(|j| j.file_id.is_none()));
        for batch in fresh.chunks(BULK_IMPORT_MAX) {
            self.start_batch(batch);
        }
        for id in known {
            self.start_batch(&[id]);
        }
    }

    fn start_batch(&mut self, ids: &[JobId]) {
        let mut batch = Vec::with_capacity(ids.len());
        for &id in ids {
            self.set_state(id, JobState::Uploading);
            let Some(job) = self.table.job(id).cloned() else {
                continue;
            };
            let cancel = CancellationToken::new();
            if !self.table.started(id, cancel.clone(), None) {
                continue;
            }
            if let Some(m) = self.table.meter_mut(id) {
                m.start(job.acknowledged_bytes);
            }
            batch.push((job, cancel));
        }
        if !batch.is_empty() {
            tokio::spawn(crate::engine::run::import::run_batch(
                self.shared.clone(),
                batch,
                self.reports_tx.clone(),
            ));
        }
    }
}
