//! One job as the window shows it: the fields its row draws and copies, taken from
//! `Event::JobAdded` and kept current by each later event. Nothing else of the engine's `Job`
//! is kept (no upload URLs or tokens, no fingerprints), and nothing goes stale: a field either
//! comes from an event or is not here.
//!
//! A row is `Done` only together with its result: the engine reports the state and the result
//! as two events (`StateChanged`, then `Finished`), which may land in different frames, so the
//! state change to `Done` waits for the result and `Finished` applies both at once.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::engine::{AlreadyThere, Job, JobError, JobId, JobResult, JobState, Verification};
use crate::export::Item;

/// What kind of file a row holds (from its MIME type when queued): its icon, whether it has a
/// local preview, and "photos" or "files" in the desktop notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Image,
    Video,
    Audio,
    Other,
}

impl Kind {
    pub fn of_mime(mime: &str) -> Kind {
        match mime.split('/').next().unwrap_or("") {
            "image" => Kind::Image,
            "video" => Kind::Video,
            "audio" => Kind::Audio,
            _ => Kind::Other,
        }
    }
}

/// A transient failure the job is waiting out.
#[derive(Debug, Clone)]
pub struct RetryInfo {
    pub attempt: usize,
    pub until: Instant,
    pub reason: String,
}

/// What a finished row shows and copies, from the engine's result.
#[derive(Debug, Clone, PartialEq)]
pub struct RowResult {
    pub file_id: String,
    pub url: Option<String>,
    pub thumbnail_url: Option<String>,
    /// Bytes as the site has them, when it said.
    pub size_bytes: Option<u64>,
    /// Width and height, for images.
    pub image_size: Option<(u64, u64)>,
    /// Wix calls it an image.
    pub wix_image: bool,
    pub verified: Verification,
    /// GPS tags were removed from the bytes sent.
    pub location_removed: bool,
    /// Nothing was sent: the same bytes were on the site already.
    pub already: Option<AlreadyThere>,
}

impl From<JobResult> for RowResult {
    fn from(r: JobResult) -> Self {
        RowResult {
            wix_image: r.media_type.as_deref() == Some("image"),
            file_id: r.file_id,
            url: r.url,
            thumbnail_url: r.thumbnail_url,
            size_bytes: r.size_bytes,
            image_size: r.image_size,
            verified: r.verified,
            location_removed: r.location_removed,
            already: r.already,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Row {
    pub id: JobId,
    /// The file name sent to Wix.
    pub name: String,
    /// The local file (for a link: the link), as the OS gave it.
    pub path: PathBuf,
    /// The link Wix imports; `None` for a local file.
    pub link: Option<String>,
    /// Bytes to send (the latest total the engine reported).
    pub size_bytes: u64,
    pub kind: Kind,
    pub state: JobState,
    /// What the server acknowledged; the bar shows this.
    pub acknowledged: u64,
    /// Set once finished; `Some` exactly when `state` is `Done`.
    pub result: Option<Box<RowResult>>,
    pub error: Option<JobError>,
    pub speed: Option<f64>,
    pub eta: Option<Duration>,
    pub retry: Option<RetryInfo>,
    /// Bytes that have to be sent again after the last retry (progress went back by this much).
    pub went_back: Option<u64>,
    /// Queued, and the engine is hashing the file and asking the site whether an earlier upload
    /// of it is still there.
    pub checking: bool,
    /// What the engine said about the job while it goes on (Wix still processing its file).
    pub note: Option<String>,
    /// Sent as a private file: its static URL answers 403, a download link reaches it.
    pub private: bool,
}

impl Row {
    /// A job as the engine reported it (`JobAdded`, or the snapshot taken when connecting).
    /// Only what the row shows is kept; the rest of the job (its session, its URLs and tokens,
    /// its fingerprint) is dropped here.
    pub fn from_job(job: Job) -> Self {
        let Job {
            id,
            origin,
            path,
            name,
            mime_type,
            size_bytes,
            state,
            acknowledged_bytes,
            result,
            error,
            destination,
            ..
        } = job;
        let acknowledged = if state == JobState::Done {
            size_bytes
        } else {
            acknowledged_bytes.min(size_bytes)
        };
        Row {
            id,
            name,
            path,
            link: origin.url().map(str::to_string),
            size_bytes,
            kind: Kind::of_mime(&mime_type),
            state,
            acknowledged,
            // A finished job restored from the journal carries its result; nothing else does.
            result: result
                .filter(|_| state == JobState::Done)
                .map(|r| Box::new((*r).into())),
            error: error.map(|e| *e),
            speed: None,
            eta: None,
            retry: None,
            went_back: None,
            checking: false,
            note: None,
            private: destination.private,
        }
    }

    pub fn is_image(&self) -> bool {
        self.kind == Kind::Image
    }

    pub fn is_link(&self) -> bool {
        self.link.is_some()
    }

    /// The size to show: what the site reports once finished; before that, the bytes to send,
    /// unknown (`None`) for a link, which Wix fetches itself.
    pub fn shown_size(&self) -> Option<u64> {
        match self.result.as_deref().and_then(|r| r.size_bytes) {
            Some(n) => Some(n),
            None if self.is_link() && self.size_bytes == 0 => None,
            None => Some(self.size_bytes),
        }
    }

    /// What the Copy controls copy, for a finished row. A private file has no URL to copy (its
    /// static URL answers 403): its row offers a download link instead.
    pub fn item(&self) -> Option<Item<'_>> {
        let r = self.result.as_deref()?;
        Some(Item {
            name: &self.name,
            url: r.url.as_deref().filter(|_| !self.private),
            file_id: &r.file_id,
            size: r.size_bytes.unwrap_or(self.size_bytes),
            image_size: r.image_size,
            image: self.is_image() || r.wix_image,
        })
    }

    pub(super) fn progress(
        &mut self,
        acknowledged: u64,
        total: u64,
        speed: Option<f64>,
        eta: Option<Duration>,
    ) {
        if acknowledged < self.acknowledged {
            self.went_back = Some(self.acknowledged - acknowledged);
        } else if acknowledged > self.acknowledged {
            self.went_back = None;
            self.retry = None;
        }
        self.acknowledged = acknowledged;
        self.size_bytes = total;
        self.speed = speed;
        self.eta = eta;
        self.checking = false;
    }

    pub(super) fn state_changed(&mut self, state: JobState) {
        self.checking = false;
        self.note = None;
        if state == JobState::Done && self.result.is_none() {
            // The result comes with `Finished`, which makes the row Done.
            return;
        }
        self.state = state;
        if state != JobState::Uploading {
            self.speed = None;
            self.eta = None;
            self.retry = None;
        }
        if state == JobState::Queued {
            self.error = None;
        }
    }

    pub(super) fn retrying(&mut self, attempt: usize, until: Instant, reason: String) {
        self.retry = Some(RetryInfo {
            attempt,
            until,
            reason,
        });
        self.speed = None;
        self.eta = None;
    }

    pub(super) fn finished(&mut self, result: JobResult) {
        self.result = Some(Box::new(result.into()));
        self.state = JobState::Done;
        self.acknowledged = self.size_bytes;
        self.error = None;
        self.speed = None;
        self.eta = None;
        self.retry = None;
        self.checking = false;
        self.note = None;
    }

    pub(super) fn failed(&mut self, error: JobError) {
        self.error = Some(error);
        self.state = JobState::Failed;
        self.retry = None;
        self.went_back = None;
        self.speed = None;
        self.eta = None;
        self.checking = false;
        self.note = None;
    }

    /// The engine started or stopped checking whether this queued file is on the site already.
    pub(super) fn checking(&mut self, checking: bool) {
        self.checking = checking && self.state == JobState::Queued;
    }
}
