//! One upload, start to finish: a tus endpoint and token from Wix → tus creation → PATCH loop →
//! finalize → poll until READY → MD5 check; a small file takes one PUT instead (`one_put`). Reports to the scheduler; never touches the job table
//! itself.

use std::sync::Arc;

use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use super::describe::{failed, stop_for_tus_error, stop_for_wix_error};
use super::finalize::{Finalized, finalize};
use super::job::{Job, JobId, JobResult, JobState, OriginKind, Verification};
use super::one_put::{self, OnePut};
use super::processing;
use super::progress::JobProgress;
use super::report::{self, Report, Reports, Stop};
use super::session::{ensure_session, persist_session, session_urls};
pub(super) use super::shared::Shared;
use super::stage::{has_staged, remove_staged, stage};
use crate::tus::{self, FileSource};
use crate::wix_media::{self, OperationStatus, UploadTarget};

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
    let mut job = job;
    let mut location_removed = false;
    let mut source_md5 = None;
    let resuming = job.session.is_some() || job.plain.is_some();
    // An upload begun from a copy without the location ends from it, even once the setting is
    // off: the server holds those bytes.
    let had_copy = resuming && has_staged(&shared.data_dir, id).await;
    let strip = shared.strip_location || had_copy;
    let file = if strip && job.file_id.is_none() {
        // The original must still be the file queued before its copy is made or reused.
        file.check_readable().await.map_err(stop_for_tus_error)?;
        check_file(&file).await?;
        let s = stage(&shared.data_dir, id, &job.mime_type, file, resuming).await?;
        location_removed = s.location_removed;
        source_md5 = s.source_md5;
        // An upload begun from the original (the setting was off then) cannot go on from a copy
        // of another size: it starts anew, without the location (the part sent never became a
        // file on the site).
        if location_removed && !had_copy && job.session.is_some() {
            tracing::info!(%id, "location removal was turned on mid-upload; starting it anew");
            job.session = None;
            persist_session(reports, id, None).await;
        }
        job.size_bytes = s.source.len;
        s.source
    } else {
        file
    };
    let job = job;
    let progress = Arc::new(JobProgress::new(id, reports.clone()));
    let mut file_id = job.file_id.clone();
    let mut session = job.session.clone();
    let mut restarted = false;
    let mut finalized = None;

    let one_put_ctx = one_put::Ctx {
        wix: &shared.wix,
        retry: &shared.api_retry,
        put_idle: shared.put_idle,
        one_put_below: shared.one_put_below,
    };
    // Small files: one PUT, unless a resumable upload is already under way.
    let one_put = file_id.is_none() && one_put::takes(shared.one_put_below, &job);
    let mut known_offset = None;
    let mut prepared = None;
    if file_id.is_none() {
        // Before anything is created on the server: a file that cannot be read fails now.
        file.check_readable().await.map_err(stop_for_tus_error)?;
        check_file(&file).await?;
        // Ahead of the slot: the upload URL (and for tus, the creation), journaled.
        if !one_put {
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
        } else if job.plain.is_none() {
            prepared = Some(one_put::prepare(&one_put_ctx, &job, reports, cancel).await?);
        }
    }
    gate.pass(cancel).await?;
    if one_put {
        let sent = one_put::run(
            &one_put_ctx,
            &job,
            &file,
            prepared,
            progress.clone(),
            reports,
            cancel,
        )
        .await?;
        match sent {
            OnePut::File(d) => (file_id, finalized) = made(reports, id, d).await,
            OnePut::Refused(e) => {
                tracing::info!(%id, error = %e, "one-PUT refused; sending the file resumably");
            }
        }
    }
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
        _ => poll_ready(shared, id, &file_id, UPLOAD_FAILED, reports, cancel).await?,
    };

    // Integrity: the local MD5 against the server's hash.
    let local_md5 = progress.finish_md5(&file).await.ok();
    if location_removed {
        remove_staged(&shared.data_dir, id);
    }
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
        location_removed,
        source_md5,
        already: None,
    })
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

/// What a FAILED upload says when Wix gives no reason.
const UPLOAD_FAILED: &str = "Wix could not process the file; check that its type is supported";

/// Waits, through the shared poller, until Wix says READY or FAILED (`otherwise` is the message
/// when Wix says FAILED without a reason, as it documents none); a long wait is said, and the
/// poll timeout ends it keeping the file id (`processing.rs`).
pub(super) async fn poll_ready(
    shared: &Shared,
    id: JobId,
    file_id: &str,
    otherwise: &str,
    reports: &Reports,
    cancel: &CancellationToken,
) -> Result<wix_media::FileDescriptor, Stop> {
    let desc = tokio::select! {
        r = shared.poller.wait(file_id) => {
            r.map_err(|e| stop_for_wix_error("Wix could not report the file's status", e))?
        }
        _ = processing::overdue(shared, id, reports) => {
            return Err(processing::gave_up(shared.poll_timeout));
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
