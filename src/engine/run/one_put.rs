//! The one-PUT path for small files: `generate-upload-url`, then one `PUT` of the raw bytes
//! (two requests where the resumable flow takes five). Two steps, so a scheduler can run the
//! first ahead of a free slot: [`prepare`] (REST only: the URL, journaled before any byte goes)
//! and [`transfer`] (the PUT).
//!
//! The URL is one-time, and a PUT whose answer was lost (a cut connection, a 5xx or a stall
//! after the body went, a crash, a pause) may have made the file. So the file is looked for
//! where it went, by name and size, among the files made since the URL was handed out: found,
//! it is adopted; not found, the bytes go again to the same URL, never to a new one (a listing
//! that lags would otherwise let a second copy be made). Wix refuses a used URL with 429: after
//! a possible loss that means "look again"; otherwise it is a rate limit, waited out by time.
//! Any other refusal (4xx) hands the job to the resumable flow.
//!
//! The body is a snapshot (`snapshot.rs`): the file read whole, found unchanged, hashed, and
//! those bytes sent (again, after a loss): the file made is always one version the file had.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::finalize::find_made;
use super::progress::JobProgress;
use super::snapshot::{self, Snapshot};
use crate::engine::describe::{stop_for_tus_error, stop_for_wix_error};
use crate::engine::job::{Job, PlainSession};
use crate::engine::report::{self, Report, Reports, Stop};
use crate::retry::{self, Backoff, RetryPolicy};
use crate::tus::FileSource;
use crate::wix_media::{self, FileDescriptor, PutFile, UploadRequest, WixMediaClient};

/// What the one-PUT path uses of what workers share.
pub(super) struct Ctx<'a> {
    pub wix: &'a WixMediaClient,
    /// Waits between PUTs that were lost or rate-limited.
    pub retry: &'a RetryPolicy,
    /// A PUT that moves no byte for this long is stalled (as a tus PATCH).
    pub put_idle: Duration,
    /// Files below this size go by one PUT: the most a snapshot holds in memory.
    pub one_put_below: u64,
}

/// How the one-PUT path ended when it did not stop the job.
pub(super) enum OnePut {
    /// The file, from the PUT's answer or found on the site.
    File(Box<FileDescriptor>),
    /// Refused (a 4xx other than 429): the job goes the resumable way.
    Refused(wix_media::Error),
}

/// Runs the one-PUT path to the file (or to a refusal). `prepared`: a URL [`prepare`] just
/// handed out (ahead of the slot), never used.
///
/// A URL whose PUT may have made the file (its answer was lost, or the URL comes from the
/// journal) is never traded for a new one: the file is looked for, and when it is not (yet)
/// listed the same URL is sent again. Wix refuses a used URL (429), so a second copy can never
/// be made however late the listing shows the first.
pub(super) async fn run(
    ctx: &Ctx<'_>,
    job: &Job,
    file: &FileSource,
    prepared: Option<PlainSession>,
    progress: Arc<JobProgress>,
    reports: &Reports,
    cancel: &CancellationToken,
) -> Result<OnePut, Stop> {
    let mut backoff = Backoff::new(ctx.retry.clone());
    let mut used = prepared.is_none() && job.plain.is_some();
    // Look before sending: the last PUT to this URL may have made the file.
    let mut look = used;
    let mut plain = prepared.or_else(|| job.plain.as_deref().cloned());
    // Read once, before the first PUT; every PUT of this run sends these bytes.
    let mut body: Option<Snapshot> = None;
    loop {
        let p = match plain.take() {
            Some(p) => p,
            None => prepare(ctx, job, reports, cancel).await?,
        };
        if std::mem::take(&mut look)
            && let Some(d) = look_for(ctx, job, &p, cancel).await?
        {
            tracing::info!(id = %job.id, file = %d.id, "one-PUT answer lost; the file is on the site");
            return Ok(found(d, body.as_ref(), &progress));
        }
        let snap = match &body {
            Some(s) => s,
            None => body.insert(
                snapshot::take(file, ctx.one_put_below)
                    .await
                    .map_err(stop_for_tus_error)?,
            ),
        };
        let err = match transfer(ctx, job, &snap.bytes, &p, progress.clone(), cancel).await {
            // The bytes sent are the file as queued, whatever it holds by now.
            Ok(d) => return Ok(found(d, Some(snap), &progress)),
            Err(wix_media::Error::Cancelled) => return Err(Stop::Interrupted),
            Err(e) if e.status() == Some(429) => {
                // A used URL is refused like a rate limit: the file may be there.
                if used && let Some(d) = look_for(ctx, job, &p, cancel).await? {
                    return Ok(found(d, body.as_ref(), &progress));
                }
                plain = Some(p);
                let Some(delay) = backoff.next_throttled_delay(e.retry_after()) else {
                    return Err(stop_for_wix_error(
                        "Wix keeps refusing the file; Retry later",
                        e,
                    ));
                };
                wait(reports, job, &backoff, delay, &e, ctx.wix.beacon(), cancel).await?;
                continue;
            }
            Err(e) if e.status().is_some_and(|s| (400..500).contains(&s)) => {
                if used && let Some(d) = look_for(ctx, job, &p, cancel).await? {
                    return Ok(found(d, body.as_ref(), &progress));
                }
                report::send_saved(reports, |saved| Report::Plain {
                    id: job.id,
                    plain: None,
                    saved,
                })
                .await;
                return Ok(OnePut::Refused(e));
            }
            // A certificate this computer does not trust: sending again cannot help.
            Err(e @ wix_media::Error::Untrusted { .. }) => {
                return Err(stop_for_wix_error("Wix did not take the file", e));
            }
            // Lost on the way (a cut, a stall, a 5xx, an unreadable answer): maybe made, so
            // the same URL goes again.
            Err(e) => {
                plain = Some(p);
                used = true;
                look = true;
                e
            }
        };
        let Some(delay) = backoff.next_delay(true, err.retry_after()) else {
            return Err(stop_for_wix_error("Wix did not take the file", err));
        };
        wait(
            reports,
            job,
            &backoff,
            delay,
            &err,
            ctx.wix.beacon(),
            cancel,
        )
        .await?;
    }
}

/// The file a PUT made: when this run sent it, from `sent`, whose MD5 it is verified with.
fn found(d: FileDescriptor, sent: Option<&Snapshot>, progress: &JobProgress) -> OnePut {
    if let Some(s) = sent {
        progress.sent_snapshot(&s.md5);
    }
    OnePut::File(Box::new(d))
}

/// Says a retry is coming, and waits for it.
async fn wait(
    reports: &Reports,
    job: &Job,
    backoff: &Backoff,
    delay: Duration,
    err: &wix_media::Error,
    beacon: Option<&retry::Beacon>,
    cancel: &CancellationToken,
) -> Result<(), Stop> {
    let _ = reports.send(Report::Retrying {
        id: job.id,
        attempt: backoff.attempt(),
        delay,
        reason: err.to_string(),
    });
    let waited = if err.is_offline() {
        retry::wait_offline(delay, beacon, cancel).await
    } else {
        retry::wait(delay, cancel).await
    };
    if waited {
        Ok(())
    } else {
        Err(Stop::Interrupted)
    }
}

/// Step 1: a one-time upload URL from Wix (REST only, no file bytes), journaled through the
/// `saved` handshake before this returns, so it is on disk before the first byte is sent.
pub(super) async fn prepare(
    ctx: &Ctx<'_>,
    job: &Job,
    reports: &Reports,
    cancel: &CancellationToken,
) -> Result<PlainSession, Stop> {
    let created_unix = crate::clock::unix_now();
    let req = upload_request(job);
    let url = tokio::select! {
        r = ctx.wix.generate_upload_url(&req) => {
            r.map_err(|e| stop_for_wix_error("Wix did not hand out an upload URL", e))?
        }
        _ = cancel.cancelled() => return Err(Stop::Interrupted),
    };
    let plain = PlainSession {
        upload_url: url,
        created_unix,
    };
    let saved = plain.clone();
    report::send_saved(reports, |tx| Report::Plain {
        id: job.id,
        plain: Some(saved),
        saved: tx,
    })
    .await;
    Ok(plain)
}

/// Step 2: the PUT of the whole file (its snapshot) to the prepared URL, with progress.
pub(super) async fn transfer(
    ctx: &Ctx<'_>,
    job: &Job,
    bytes: &bytes::Bytes,
    plain: &PlainSession,
    progress: Arc<JobProgress>,
    cancel: &CancellationToken,
) -> Result<FileDescriptor, wix_media::Error> {
    let url = &plain.upload_url;
    let put = PutFile {
        bytes,
        name: &job.name,
        mime_type: &job.mime_type,
    };
    let d = ctx
        .wix
        .put_file(url, put, progress, ctx.put_idle, cancel)
        .await?;
    if d.id.is_empty() {
        return Err(wix_media::Error::BadResponse(
            "Wix took the file but gave no file id".into(),
        ));
    }
    Ok(d)
}

/// The file a PUT to `plain` made, if it is on the site. A failed look is no answer: the caller
/// goes on as if it was not found only when the site said so.
async fn look_for(
    ctx: &Ctx<'_>,
    job: &Job,
    plain: &PlainSession,
    cancel: &CancellationToken,
) -> Result<Option<FileDescriptor>, Stop> {
    let found = tokio::select! {
        r = find_made(ctx.wix, job, Some(plain.created_unix)) => r,
        _ = cancel.cancelled() => return Err(Stop::Interrupted),
    };
    found.map_err(|e| stop_for_wix_error("Wix could not say whether the file was made", e))
}

/// What Wix needs to know about the job's file to hand out an upload URL.
pub(super) fn upload_request(job: &Job) -> UploadRequest {
    UploadRequest {
        mime_type: job.mime_type.clone(),
        file_name: job.name.clone(),
        size_in_bytes: job.size_bytes,
        parent_folder_id: job.destination.folder_id.clone(),
        file_path: job.destination.path.clone(),
        private: job.destination.private,
        upload_protocol: "TUS",
    }
}
