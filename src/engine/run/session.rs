//! Steps 1 and 2a of the resumable flow: a tus endpoint and token from Wix, then the tus
//! creation; the server-side upload (the job's `Session`) saved in the journal before a byte
//! is sent.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio_util::sync::CancellationToken;

use super::one_put::upload_request;
use super::progress::JobProgress;
use crate::engine::describe::{stop_for_tus_error, stop_for_wix_error};
use crate::engine::job::{Job, JobId, Session};
use crate::engine::report::{self, Report, Reports, Stop};
use crate::engine::shared::Shared;
use crate::tus::FileSource;

/// How long a creation request in flight may still finish after Pause or Cancel.
const CREATION_GRACE: Duration = Duration::from_secs(2);

/// A server-side upload to send to: the one the job has, or (none, or expired) a new one, saved
/// in the journal before anything is sent. The offset the creation reported, when it is new.
pub(super) async fn ensure_session(
    shared: &Shared,
    job: &Job,
    file: &FileSource,
    session: &mut Option<Session>,
    progress: &Arc<JobProgress>,
    reports: &Reports,
    cancel: &CancellationToken,
) -> Result<Option<u64>, Stop> {
    if session
        .as_ref()
        .is_some_and(|s| !s.is_expired(SystemTime::now()))
    {
        return Ok(None);
    }
    let (s, offset) = new_session(shared, job, file, progress.clone(), cancel).await?;
    *session = Some(s.clone());
    persist_session(reports, job.id, Some(s)).await;
    if cancel.is_cancelled() {
        return Err(Stop::Interrupted);
    }
    Ok(Some(offset))
}

/// Steps 1 and 2a: a tus endpoint and token from Wix (its "upload URL"), then the tus creation
/// request, which says where the upload lives (the tus upload URL).
async fn new_session(
    shared: &Shared,
    job: &Job,
    file: &FileSource,
    progress: Arc<JobProgress>,
    cancel: &CancellationToken,
) -> Result<(Session, u64), Stop> {
    let req = upload_request(job);
    let target = tokio::select! {
        r = shared.wix.generate_resumable_upload_url(&req) => {
            r.map_err(|e| stop_for_wix_error("Wix did not hand out an upload URL", e))?
        }
        _ = cancel.cancelled() => return Err(Stop::Interrupted),
    };
    let metadata = [
        ("filename", job.name.as_str()),
        ("contentType", job.mime_type.as_str()),
        ("token", target.upload_token.as_str()),
    ];
    // The creation request is not abandoned the moment Pause or Cancel lands: the server may
    // have made the upload already, and only its answer says where it is. Once it is known,
    // the scheduler keeps it (paused) or terminates it (cancelled). The grace is bounded, so a
    // silent or failing server never holds up Cancel, Pause or quitting for longer.
    let shield = CancellationToken::new();
    let grace = {
        let (cancel, shield) = (cancel.clone(), shield.clone());
        tokio::spawn(async move {
            cancel.cancelled().await;
            tokio::time::sleep(CREATION_GRACE).await;
            shield.cancel();
        })
    };
    let created = shared
        .tus
        .create(&target.endpoint, file, &metadata, progress, &shield)
        .await;
    grace.abort();
    let created = created.map_err(stop_for_tus_error)?;
    Ok((
        Session {
            endpoint: target.endpoint,
            upload_token: target.upload_token,
            upload_url: created.url,
            created_unix: Some(crate::clock::unix_now()),
            redacted: file.redactions.mark(),
            expires_unix: created.expires.and_then(crate::clock::unix_secs),
        },
        created.offset,
    ))
}

pub(super) async fn persist_session(reports: &Reports, id: JobId, session: Option<Session>) {
    report::send_saved(reports, |saved| Report::Session { id, session, saved }).await;
}
