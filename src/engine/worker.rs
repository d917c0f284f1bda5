//! One upload, start to finish: a tus endpoint and token from Wix → tus creation → PATCH loop →
//! finalize → poll until READY → MD5 check. Reports to the scheduler; never touches the job table
//! itself.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::Url;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use super::describe::{failed, stop_for_tus_error, stop_for_wix_error};
use super::finalize::{Finalized, finalize};
use super::job::{Job, JobId, JobResult, JobState, OriginKind, Session, Verification};
use super::progress::JobProgress;
use super::report::{Report, Reports, Stop};
use crate::tus::{self, FileSource, TusClient};
use crate::wix_media::{self, OperationStatus, UploadRequest, UploadTarget, WixMediaClient};

/// How long a creation request in flight may still finish after Pause or Cancel.
const CREATION_GRACE: Duration = Duration::from_secs(2);

/// What workers share.
pub(super) struct Shared {
    pub tus: TusClient,
    pub wix: WixMediaClient,
    /// Asks Wix about every file still processing, together.
    pub poller: super::poller::Poller,
    pub poll_timeout: Duration,
    /// Waits between finalizes refused by a rate limit.
    pub api_retry: crate::retry::RetryPolicy,
}

/// When a worker may start sending: at once, or when the scheduler gives it a slot. Until then
/// it only prepares (the REST calls and the tus creation, saved in the journal), so the link
/// never idles between files.
pub(super) enum Gate {
    Open,
    Closed(oneshot::Receiver<()>),
}

impl Gate {
    /// Waits for the slot; `Interrupted` when the job was paused, cancelled or shut down first.
    async fn pass(self, cancel: &CancellationToken) -> Result<(), Stop> {
        match self {
            Gate::Open => Ok(()),
            Gate::Closed(rx) => tokio::select! {
                r = rx => r.map_err(|_| Stop::Interrupted),
                _ = cancel.cancelled() => Err(Stop::Interrupted),
            },
        }
    }
}

/// Runs one job to the end and reports how it ended.
pub(super) async fn run(
    shared: Arc<Shared>,
    job: Job,
    reports: Reports,
    cancel: CancellationToken,
    gate: Gate,
) {
    let id = job.id;
    let outcome = upload(&shared, job, &reports, &cancel, gate).await;
    let _ = reports.send(Report::Finished { id, outcome });
}

async fn upload(
    shared: &Shared,
    job: Job,
    reports: &Reports,
    cancel: &CancellationToken,
    gate: Gate,
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

    let mut known_offset = None;
    if file_id.is_none() {
        // Before anything is created on the server: a file that cannot be read fails now.
        file.check_readable().await.map_err(stop_for_tus_error)?;
        check_file(&file).await?;
        // 1–2a, ahead of the slot: the upload URL and the tus creation.
        known_offset = ensure_session(
            shared,
            &job,
            &file,
            &mut session,
            &progress,
            reports,
            cancel,
        )
        .await?;
    }
    gate.pass(cancel).await?;
    while file_id.is_none() {
        // 1–2: a server-side upload, new or resumed.
        if let Some(o) = ensure_session(
            shared,
            &job,
            &file,
            &mut session,
            &progress,
            reports,
            cancel,
        )
        .await?
        {
            known_offset = Some(o);
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
                known_offset.take(),
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
                let (tx, rx) = oneshot::channel();
                let _ = reports.send(Report::FileId {
                    id,
                    file_id: d.id.clone(),
                    saved: tx,
                });
                let _ = rx.await;
                file_id = Some(d.id.clone());
                finalized = Some(d);
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

/// A server-side upload to send to: the one the job has, or (none, or expired) a new one, saved
/// in the journal before anything is sent. The offset the creation reported, when it is new.
async fn ensure_session(
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
    let req = UploadRequest {
        mime_type: job.mime_type.clone(),
        file_name: job.name.clone(),
        size_in_bytes: job.size_bytes,
        parent_folder_id: job.destination.folder_id.clone(),
        file_path: job.destination.path.clone(),
        private: job.destination.private,
        upload_protocol: "TUS",
    };
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

async fn persist_session(reports: &Reports, id: JobId, session: Option<Session>) {
    let (tx, rx) = oneshot::channel();
    let _ = reports.send(Report::Session {
        id,
        session,
        saved: tx,
    });
    let _ = rx.await;
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

/// Waits, through the shared poller, until Wix says READY or FAILED (`otherwise` is the message
/// when Wix says FAILED without a reason, as it documents none).
pub(super) async fn poll_ready(
    shared: &Shared,
    file_id: &str,
    otherwise: &str,
    cancel: &CancellationToken,
) -> Result<wix_media::FileDescriptor, Stop> {
    let desc = tokio::select! {
        r = shared.poller.wait(file_id) => {
            r.map_err(|e| stop_for_wix_error("Wix could not report the file's status", e))?
        }
        _ = tokio::time::sleep(shared.poll_timeout) => {
            return Err(failed(
                "Wix is still processing the file; it will appear in the Media Manager when ready",
                "gave up polling get-files",
            ));
        }
        _ = cancel.cancelled() => return Err(Stop::Interrupted),
    };
    match (&desc.operation_status, &desc.failure_reason) {
        (Some(OperationStatus::Failed), Some(why)) => Err(failed(
            &crate::text::printable(&format!("Wix could not process the file: {why}")),
            "operationStatus FAILED",
        )),
        (Some(OperationStatus::Failed), None) => Err(failed(otherwise, "operationStatus FAILED")),
        _ => Ok(desc),
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
