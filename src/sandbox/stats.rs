//! The sandbox's counters, read by tests and served at `GET /_sandbox/stats`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

/// Counters for tests and `GET /_sandbox/stats` (which also reports the upload locks held).
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
    /// tus DELETEs received, whether the profile then honours them or refuses them (`wix`
    /// offers no termination).
    pub delete_requests: AtomicU64,
    /// tus DELETEs that removed an upload.
    pub uploads_terminated: AtomicU64,
    /// Image transforms decoding right now, and the most there ever were at once.
    pub transforms_running: AtomicU64,
    pub transforms_peak: AtomicU64,
    /// REST calls that passed the API-key check, and those refused by the rate limit.
    pub rest_requests: AtomicU64,
    pub rate_limited: AtomicU64,
    /// get-file-by-id (either path) and get-files calls: how often a client asks for status.
    pub status_requests: AtomicU64,
    /// Finalizes of a token that already made its file, refused with 429 (`wix` profile).
    pub finalize_refused: AtomicU64,
    /// One-PUT uploads received (`PUT /upload/{token}`), answered or not.
    pub plain_puts: AtomicU64,
    /// `files/import` requests, and `bulk/files/import-v2` requests (whatever their size).
    pub import_requests: AtomicU64,
    pub bulk_import_requests: AtomicU64,
    /// Links being fetched right now by imports, and the most there ever were at once.
    pub fetches_running: AtomicU64,
    pub fetches_peak: AtomicU64,
    /// Requests being handled right now, and the finalizes and one-PUTs they started, which go
    /// on when their client is gone: zero once everything sent to the sandbox has landed.
    pub requests_in_flight: AtomicU64,
    /// Requests that reached the pause of a `PauseMidway` fault (bytes in, file not recorded).
    pub paused_midway: AtomicU64,
    /// Uploads refused by their content (JPEG XL: 406), their bytes removed.
    pub refused_by_content: AtomicU64,
    /// Requests that came over HTTP/2 (`--tls`, ALPN h2), and of them the transfers of file
    /// bytes (tus PATCHes and one-PUTs).
    pub http2_requests: AtomicU64,
    pub http2_transfers: AtomicU64,
}

/// Counts one request (or the work it left running) in [`Stats::requests_in_flight`] until
/// dropped.
pub(super) struct InFlight(Arc<Stats>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.requests_in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The outermost layer: every request is in flight until its answer is made or it is dropped.
pub(super) async fn count_in_flight(
    State(stats): State<Arc<Stats>>,
    req: Request,
    next: Next,
) -> Response {
    let _in_flight = Stats::in_flight(&stats);
    if req.version() == axum::http::Version::HTTP_2 {
        stats.http2_requests.fetch_add(1, Ordering::SeqCst);
        let path = req.uri().path();
        let transfer = req.method() == axum::http::Method::PATCH
            || (req.method() == axum::http::Method::PUT
                && path.starts_with("/upload/")
                && !path.starts_with("/upload/tus"));
        if transfer {
            stats.http2_transfers.fetch_add(1, Ordering::SeqCst);
        }
    }
    next.run(req).await
}

impl Stats {
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::SeqCst)
    }

    /// Counts work in flight until the guard is dropped.
    pub(super) fn in_flight(stats: &Arc<Stats>) -> InFlight {
        stats.requests_in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(Arc::clone(stats))
    }

    /// Counts a request to the upload host (tus and finalize) that carries an `Authorization`
    /// or `wix-site-id` header: the client must keep its API key for the REST host.
    pub(super) fn count_credentials(&self, headers: &axum::http::HeaderMap) {
        if headers.contains_key("authorization") || headers.contains_key("wix-site-id") {
            self.credentials_on_upload_host
                .fetch_add(1, Ordering::SeqCst);
        }
    }

    pub(super) fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "http2Requests": Self::get(&self.http2_requests),
            "http2Transfers": Self::get(&self.http2_transfers),
            "bytesReceived": Self::get(&self.bytes_received),
            "patchRequests": Self::get(&self.patch_requests),
            "finalizeRequests": Self::get(&self.finalize_requests),
            "filesCreated": Self::get(&self.files_created),
            "credentialsOnUploadHost": Self::get(&self.credentials_on_upload_host),
            "checksumHeaders": Self::get(&self.checksum_headers),
            "checksumTrailers": Self::get(&self.checksum_trailers),
            "uploadsCreated": Self::get(&self.uploads_created),
            "deleteRequests": Self::get(&self.delete_requests),
            "uploadsTerminated": Self::get(&self.uploads_terminated),
            "transformsPeak": Self::get(&self.transforms_peak),
            "restRequests": Self::get(&self.rest_requests),
            "statusRequests": Self::get(&self.status_requests),
            "rateLimited": Self::get(&self.rate_limited),
            "finalizeRefused": Self::get(&self.finalize_refused),
            "plainPuts": Self::get(&self.plain_puts),
            "importRequests": Self::get(&self.import_requests),
            "bulkImportRequests": Self::get(&self.bulk_import_requests),
            "fetchesPeak": Self::get(&self.fetches_peak),
            "requestsInFlight": Self::get(&self.requests_in_flight),
            "pausedMidway": Self::get(&self.paused_midway),
            "refusedByContent": Self::get(&self.refused_by_content),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, HeaderValue};

    #[test]
    fn only_requests_with_credentials_are_counted() {
        let stats = Stats::default();
        let mut h = HeaderMap::new();
        h.insert("tus-resumable", HeaderValue::from_static("1.0.0"));
        stats.count_credentials(&h);
        assert_eq!(Stats::get(&stats.credentials_on_upload_host), 0);
        for name in ["authorization", "wix-site-id"] {
            let mut with = h.clone();
            with.insert(name, HeaderValue::from_static("x"));
            stats.count_credentials(&with);
        }
        assert_eq!(Stats::get(&stats.credentials_on_upload_host), 2);
        assert_eq!(stats.to_json()["credentialsOnUploadHost"], 2);
    }
}
