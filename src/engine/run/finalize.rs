//! Step 3, finalize, made safe against a lost answer. Wix's upload token is one-time: a second
//! finalize of a token that already made its file is refused with 429 `RESOURCE_EXHAUSTED`,
//! the same answer as a rate limit. So on a 429 the file is first looked for where it went
//! (by name and size, made since the upload began); only when it is not there is the 429 a
//! rate limit, and the finalize waits and goes again. The upload is never sent a second time
//! on a 429, so a lost answer never leaves a duplicate on the site.

use tokio_util::sync::CancellationToken;

use crate::engine::describe::stop_for_wix_error;
use crate::engine::job::{Job, Session};
use crate::engine::report::Stop;
use crate::retry::{self, Backoff, RetryPolicy};
use crate::wix_media::{self, FileDescriptor, Place, UploadTarget, Wanted, WixMediaClient};

/// How a finalize ended when it did not stop the job.
pub(super) enum Finalized {
    /// The file, from the answer or found on the site.
    File(Box<FileDescriptor>),
    /// Refused for good (4xx other than 429): the upload may start anew.
    Refused(wix_media::Error),
}

pub(super) async fn finalize(
    wix: &WixMediaClient,
    retry_policy: &RetryPolicy,
    job: &Job,
    session: &Session,
    target: &UploadTarget,
    cancel: &CancellationToken,
) -> Result<Finalized, Stop> {
    let mut backoff = Backoff::new(retry_policy.clone());
    loop {
        let answer = tokio::select! {
            r = wix.finalize(target, &job.name) => r,
            _ = cancel.cancelled() => return Err(Stop::Interrupted),
        };
        let err = match answer {
            Ok(d) => return Ok(Finalized::File(Box::new(d))),
            Err(e) if e.status() == Some(429) => e,
            Err(e) if e.status().is_some_and(|s| (400..500).contains(&s)) => {
                return Ok(Finalized::Refused(e));
            }
            Err(e) => return Err(stop_for_wix_error("Wix could not finish the upload", e)),
        };
        let found = tokio::select! {
            r = find_made(wix, job, session.created_unix) => r,
            _ = cancel.cancelled() => return Err(Stop::Interrupted),
        };
        match found {
            Ok(Some(d)) => {
                tracing::info!(id = %job.id, file = %d.id,
                    "finalize refused (429), and the file it made is on the site");
                return Ok(Finalized::File(Box::new(d)));
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(id = %job.id, error = %e, "could not look for the finalized file")
            }
        }
        // Not made yet: the 429 was a rate limit.
        let Some(delay) = backoff.next_throttled_delay(err.retry_after()) else {
            return Err(stop_for_wix_error(
                "Wix keeps refusing to finish the upload; Retry later",
                err,
            ));
        };
        tracing::debug!(id = %job.id, ?delay, "finalize rate-limited; finalizing again");
        if !retry::wait(delay, cancel).await {
            return Err(Stop::Interrupted);
        }
    }
}

/// The file this upload (begun at `since_unix`) made, if it is on the site.
pub(super) async fn find_made(
    wix: &WixMediaClient,
    job: &Job,
    since_unix: Option<u64>,
) -> Result<Option<FileDescriptor>, wix_media::Error> {
    let dest = &job.destination;
    let place = match (&dest.path, &dest.folder_id) {
        (Some(p), _) => Place::Path(p),
        (None, id) => Place::Folder(id.as_deref()),
    };
    let wanted = Wanted {
        display_name: &job.name,
        size_bytes: job.size_bytes,
        since_unix,
    };
    wix.find_file(place, wanted).await
}
