//! The sandbox's counters, read by tests and served at `GET /_sandbox/stats`.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters for tests and `GET /_sandbox/stats`.
#[derive(Debug, Default)]
pub struct Stats {
    /// Body bytes received by PATCH and creation-with-upload, resent ones included.
    pub bytes_received: AtomicU64,
    pub patch_requests: AtomicU64,
    pub finalize_requests: AtomicU64,
    /// Files created by finalize (a repeated finalize creates none).
    pub files_created: AtomicU64,
    /// PATCHes verified by an `Upload-Checksum` header, and by a trailer.
    pub checksum_headers: AtomicU64,
    pub checksum_trailers: AtomicU64,
    /// Requests to the upload host that carried an `Authorization` or `wix-site-id` header.
    pub credentials_on_upload_host: AtomicU64,
    /// tus creations that made an upload.
    pub uploads_created: AtomicU64,
    /// tus DELETEs that removed an upload.
    pub uploads_terminated: AtomicU64,
    /// Image transforms decoding right now, and the most there ever were at once.
    pub transforms_running: AtomicU64,
    pub transforms_peak: AtomicU64,
}

impl Stats {
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::SeqCst)
    }

    pub(super) fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "bytesReceived": Self::get(&self.bytes_received),
            "patchRequests": Self::get(&self.patch_requests),
            "finalizeRequests": Self::get(&self.finalize_requests),
            "filesCreated": Self::get(&self.files_created),
            "credentialsOnUploadHost": Self::get(&self.credentials_on_upload_host),
            "checksumHeaders": Self::get(&self.checksum_headers),
            "checksumTrailers": Self::get(&self.checksum_trailers),
            "uploadsCreated": Self::get(&self.uploads_created),
            "uploadsTerminated": Self::get(&self.uploads_terminated),
            "transformsPeak": Self::get(&self.transforms_peak),
        })
    }
}
