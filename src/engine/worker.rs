//! One upload, start to finish: a tus endpoint and token from Wix → tus creation → PATCH loop →
//! finalize → poll until READY → MD5 check; a small file takes one PUT instead (`one_put`). Reports to the scheduler; never touches the job table
//! itself.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use reqwest::Url;
use tokio_util::sync::CancellationToken;

use super::describe::{failed, stop_for_tus_error, stop_for_wix_error};
use super::finalize::{Finalized, finalize};
use super::job::{Job, JobId, JobResult, JobState, OriginKind, Session, Verification};
use super::one_put::{self, OnePut, upload_request};
use super::progress::JobProgress;
use super::report::{self, Report, Reports, Stop};
use crate::tus::{self, FileSource, TusClient};
use crate::wix_media::{self, OperationStatus, UploadTarget, WixMediaClient};

/// How long a creation request in flight may still finish after Pause or Cancel.
const CREATION_GRACE: Duration = Duration::from_secs(2);

/// What workers share.
pub(super) struct Shared {
    pub tus: TusClient,
    pub wix: WixMediaClient,
    pub poll_delays: Vec<Duration>,
    pub poll_timeout: Duration,
    /// Waits between finalizes refused by a rate limit.
    pub api_retry: crate::retry::RetryPolicy,
    /// Files smaller than this take the one-PUT path (0: none).
    pub one_put_below: u64,
    /// A one-PUT that moves no byte for this long is stalled (as a tus PATCH).
    pub put_idle: Duration,
}

/// Runs one job to the end and reports how it ended.
pub(super) async fn run(
    shared: Arc<Shared>,
    job: Job,
    reports: Reports,
    cancel: CancellationToken,
) {
    let id = job.id;
    let outcome = upload(&shared, job, &reports, &cancel).await;
    let _ = reports.send(Report::Finished { id, outcome });
}

async fn upload(
    shared: &Shared,
    job: Job,
    reports: &Reports,
    cancel: &CancellationToken,
) -> Result<JobResult, Stop> {
    let id = job.id;
    let file = FileSource {
        path: job.path.clone(),
        len: job.size_bytes,
        mtime: job.mtime(),
        identity: job.identity,
    };
    let progress = Arc::new(JobProgress::new(id, reports.clone()));
    let mut file_id = job.file_id.clone();
    let mut session = job.session.clone();
    let mut restarted = false;
    let mut finalized = None;

    if file_id.is_none() {
        // Before anything is created on the server: a file that cannot be read fails now.
        file.check_readable().await.map_err(stop_for_tus_error)?;
        check_file(&file).await?;
    }
    // Small files: one PUT, unless a resumable upload is already under way.
    if file_id.is_none() && one_put::takes(shared.one_put_below, &job) {
        let ctx = one_put::Ctx {
            wix: &shared.wix,
            retry: &shared.api_retry,
            put_idle: shared.put_idle,
        };
        match one_put::run(&ctx, &job, &file, progress.clone(), reports, cancel).await? {
            OnePut::File(d) => (file_id, finalized) = made(reports, id, d).await,
            OnePut::Refused(e) => {
                tracing::info!(%id, error = %e, "one-PUT refused; sending the file resumably");
            }
        }
    }
    while file_id.is_none() {
        // 1–2: a server-side upload, new or resumed.
        let mut known_offset = None;
        if session
            .as_ref()
            .is_none_or(|s| s.is_expired(SystemTime::now()))
        {
            let s = new_session(shared, &job, &file, progress.clone(), cancel).await?;
            known_offset = Some(s.1);
            session = Some(s.0.clone());
            persist_session(reports, id, Some(s.0)).await;
            if cancel.is_cancelled() {
                return Err(Stop::Interrupted);
            }
        }
        let s = session
            .clone()
            .ok_or_else(|| failed("internal: no upload session", ""))?;
        let (endpoint, upload_url) = session_urls(&s)?;
        let sent = shared
            .tus
            .upload(
                &endpoint,
                &upload_url,
                &file,
                known_offset,
                progress.clone(),
                cancel,
            )
            .await;
        match sent {
            Ok(()) => {}
            Err(tus::Error::Gone { .. } | tus::Error::Expired) if !restarted => {
                tracing::info!(%id, "upload gone or expired on the server; starting it anew");
                restarted = true;
                session = None;
                persist_session(reports, id, None).await;
                continue;
            }
            Err(e) => return Err(stop_for_tus_error(e)),
        }
        // Never finalize a file that changed while it was sent.
        check_file(&file).await?;

        // 3: finalize.
        let _ = reports.send(Report::Phase {
            id,
            state: JobState::Finalizing,
        });
        let target = UploadTarget {
            endpoint,
            upload_token: s.upload_token.clone(),
        };
        match finalize(&shared.wix, &shared.api_retry, &job, &s, &target, cancel).await? {
            Finalized::File(d) if !d.id.is_empty() => {
                (file_id, finalized) = made(reports, id, d).await;
            }
            Finalized::File(_) => {
                return Err(failed("Wix finalized the upload but gave no file id", ""));
            }
            Finalized::Refused(e) if !restarted => {
                tracing::info!(%id, error = %e, "finalize refused; starting the upload anew");
                restarted = true;
                session = None;
                persist_session(reports, id, None).await;
                // Bytes move again: the row shows it, and Pause works.
                let _ = reports.send(Report::Phase {
                    id,
                    state: JobState::Uploading,
                });
            }
            Finalized::Refused(e) => {
                return Err(stop_for_wix_error("Wix could not finish the upload", e));
            }
        }
    }

    // 4: wait for READY.
    let _ = reports.send(Report::Phase {
        id,
        state: JobState::Processing,
    });
    let file_id = file_id.unwrap_or_default();
    // A finalize answer that already says READY (with its hash) needs no poll.
    let desc = match finalized {
        Some(d) if d.is_ready() && d.hash.as_deref().is_some_and(|h| !h.is_empty()) => *d,
        _ => poll_ready(shared, &file_id, UPLOAD_FAILED, cancel).await?,
    };

    // Integrity: the local MD5 against the server's hash.
    let local_md5 = progress.finish_md5(&file).await.ok();
    let verified = match (&desc.hash, &local_md5) {
        (Some(h), Some(l)) if !h.is_empty() => {
            if h.eq_ignore_ascii_case(l) {
                Verification::Verified
            } else {
                Verification::Mismatch
            }
        }
        _ => Verification::Unknown,
    };
    Ok(JobResult {
        image_size: desc.image_size(),
        file_id: desc.id.clone(),
        url: desc.url.clone(),
        thumbnail_url: desc.thumbnail_url.clone(),
        display_name: desc.display_name.clone(),
        size_bytes: desc.size_in_bytes,
        hash: desc.hash.clone(),
        local_md5,
        verified,
        media_type: desc.media_type.as_ref().map(|m| m.as_str().to_string()),
        origin: OriginKind::Upload,
    })
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
            endpoint: target.endpoint.to_string(),
            upload_token: target.upload_token,
            upload_url: created.url.to_string(),
            created_unix: Some(unix_now()),
            expires_unix: created.expires.and_then(|e| {
                e.duration_since(SystemTime::UNIX_EPOCH)
                    .ok()
                    .map(|d| d.as_secs())
            }),
        },
        created.offset,
    ))
}

/// The file is made: its id is journaled (so a restart polls it instead of uploading again)
/// before the worker goes on. Returns the id and the descriptor, for the worker to keep.
async fn made(
    reports: &Reports,
    id: JobId,
    d: Box<wix_media::FileDescriptor>,
) -> (Option<String>, Option<Box<wix_media::FileDescriptor>>) {
    let file_id = d.id.clone();
    report::send_saved(reports, |saved| Report::FileId {
        id,
        file_id: file_id.clone(),
        saved,
    })
    .await;
    (Some(file_id), Some(d))
}

async fn persist_session(reports: &Reports, id: JobId, session: Option<Session>) {
    report::send_saved(reports, |saved| Report::Session { id, session, saved }).await;
}

fn session_urls(s: &Session) -> Result<(Url, Url), Stop> {
    let bad = |_| failed("the saved upload URL is not valid; retry to start anew", "");
    Ok((
        Url::parse(&s.endpoint).map_err(bad)?,
        Url::parse(&s.upload_url).map_err(bad)?,
    ))
}

/// What a FAILED upload says when Wix gives no reason.
const UPLOAD_FAILED: &str = "Wix could not process the file; check that its type is supported";

/// Polls get-file-by-id with growing delays until READY or FAILED (`otherwise` is the message
/// when Wix says FAILED without a reason, as it documents none).
pub(super) async fn poll_ready(
    shared: &Shared,
    file_id: &str,
    otherwise: &str,
    cancel: &CancellationToken,
) -> Result<wix_media::FileDescriptor, Stop> {
    let started = Instant::now();
    let mut i = 0;
    loop {
        let desc = tokio::select! {
            r = shared.wix.get_file(file_id) => r.map_err(|e| stop_for_wix_error("Wix could not report the file's status", e))?,
            _ = cancel.cancelled() => return Err(Stop::Interrupted),
        };
        match desc.operation_status {
            Some(OperationStatus::Ready) => return Ok(desc),
            Some(OperationStatus::Failed) => {
                return Err(match &desc.failure_reason {
                    Some(why) => failed(
                        &crate::text::printable(&format!("Wix could not process the file: {why}")),
                        "operationStatus FAILED",
                    ),
                    None => failed(otherwise, "operationStatus FAILED"),
                });
            }
            _ => {}
        }
        if started.elapsed() >= shared.poll_timeout {
            return Err(failed(
                "Wix is still processing the file; it will appear in the Media Manager when ready",
                "gave up polling get-file-by-id",
            ));
        }
        let delay = shared
            .poll_delays
            .get(i)
            .or(shared.poll_delays.last())
            .copied()
            .unwrap_or(Duration::from_secs(1));
        i += 1;
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = cancel.cancelled() => return Err(Stop::Interrupted),
        }
    }
}

/// The file must still be there with the size and time it was queued with.
async fn check_file(file: &FileSource) -> Result<(), Stop> {
    match file.check_unchanged().await {
        Ok(()) => Ok(()),
        Err(e) => Err(stop_for_tus_error(e)),
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
