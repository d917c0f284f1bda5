//! One upload, start to finish, as a loop over its phases (`phase.rs` names them and chooses the
//! next one; each method here does one phase's I/O): stage the bytes → prepare ahead of a slot
//! (a one-PUT URL, or Wix's upload URL and the tus creation) → wait for the slot → one PUT, or
//! the tus PATCHes and the finalize → wait for READY → verify the MD5. What carries across the
//! phases is one [`Upload`]. It reports to the scheduler and never touches the job table.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::finalize::{Finalized, finalize};
use super::gate::Gate;
use super::one_put::{self, OnePut};
use super::phase::{self, AfterFinalize, FinalizeAnswer, OnSendError, Phase};
use super::poll::{failed_on_site, poll_ready};
use super::progress::JobProgress;
use super::session::{ensure_session, persist_session};
use super::stage::{remove_staged, sent_as, stage};
use crate::engine::describe::{failed, refuse_empty, stop_for_tus_error, stop_for_wix_error};
use crate::engine::job::{Job, JobId, JobResult, JobState, OriginKind, PlainSession, Session};
use crate::engine::report::{self, Report, Reports, Stop};
use crate::engine::shared::Shared;
use crate::tus::FileSource;
use crate::wix_media::{FileDescriptor, UploadTarget};

/// What a FAILED upload says when Wix gives no reason.
const UPLOAD_FAILED: &str = "Wix could not process the file; check that its type is supported";

/// Runs one upload to the end and reports how it ended.
pub(crate) async fn run(
    shared: Arc<Shared>,
    job: Job,
    reports: Reports,
    cancel: CancellationToken,
    gate: Gate,
) {
    let id = job.id;
    let outcome = Upload::new(&shared, job, &reports, &cancel).go(gate).await;
    let _ = reports.send(Report::Finished { id, outcome });
}

/// One upload and what carries from one phase to the next.
struct Upload<'a> {
    shared: &'a Shared,
    reports: &'a Reports,
    cancel: &'a CancellationToken,
    /// The job as queued, and the bytes to send (the file, its location overwritten).
    job: Job,
    source: FileSource,
    progress: Arc<JobProgress>,
    location_removed: bool,
    /// The MD5 of the original file, when the bytes sent differ from it.
    source_md5: Option<String>,
    /// The tus upload on the server (from the journal, or created here).
    session: Option<Session>,
    /// A one-PUT URL just handed out, never used.
    prepared: Option<PlainSession>,
    /// The offset the tus creation reported (no HEAD needed before the first PATCH).
    known_offset: Option<u64>,
    one_put: bool,
    /// The server-side upload was started anew once (gone, expired, refused at finalize).
    restarted: bool,
    /// The file Wix made, once known (journaled first).
    file_id: Option<String>,
    made: Option<Box<FileDescriptor>>,
    /// READY on the site.
    ready: Option<FileDescriptor>,
}

impl<'a> Upload<'a> {
    fn new(
        shared: &'a Shared,
        job: Job,
        reports: &'a Reports,
        cancel: &'a CancellationToken,
    ) -> Self {
        Upload {
            shared,
            reports,
            cancel,
            source: FileSource {
                path: job.path.clone(),
                len: job.size_bytes,
                mtime: job.mtime(),
                identity: job.identity,
                redactions: Default::default(),
            },
            progress: Arc::new(JobProgress::new(job.id, reports.clone())),
            location_removed: false,
            source_md5: None,
            session: job.session.as_deref().cloned(),
            prepared: None,
            known_offset: None,
            one_put: false,
            restarted: false,
            file_id: job.file_id.clone(),
            made: None,
            ready: None,
            job,
        }
    }

    fn id(&self) -> JobId {
        self.job.id
    }

    async fn go(mut self, gate: Gate) -> Result<JobResult, Stop> {
        let mut gate = Some(gate);
        let mut phase = phase::first(&self.job);
        if phase != Phase::Stage {
            self.made_from_copy().await;
        }
        loop {
            phase = match phase {
                Phase::Stage => self.stage().await?,
                Phase::Prepare => self.prepare().await?,
                Phase::WaitSlot => {
                    if let Some(gate) = gate.take() {
                        gate.pass(self.cancel).await?;
                    }
                    phase::after_slot(self.file_id.is_some(), self.one_put)
                }
                Phase::Put => self.put().await?,
                Phase::Send => self.send().await?,
                Phase::Finalize => self.finalize().await?,
                Phase::WaitReady => self.wait_ready().await?,
                Phase::Verify => return self.verify().await,
            };
        }
    }

    /// The bytes to send: a file whose location is to be removed goes with it taken out. An
    /// upload under way whose bytes were other than those to send now (begun by an older
    /// version that sent the location, or that found other overwrites) starts anew.
    async fn stage(&mut self) -> Result<Phase, Stop> {
        let (id, dir) = (self.id(), &self.shared.data_dir);
        let resuming = self.job.session.is_some() || self.job.plain.is_some();
        let (mark, from_copy) = if self.job.options.remove_location {
            // The original must still be the file queued before its location is looked for.
            self.check_file().await?;
            let s = stage(dir, id, self.source.clone(), resuming, self.cancel).await?;
            self.job.size_bytes = s.source.len;
            let mark = s.source.redactions.mark();
            self.take(s.clone_flags(), s.source);
            (mark, s.from_copy)
        } else {
            (None, false)
        };
        let begun = self.session.as_ref().map(|s| s.redacted.clone());
        if let Some(begun) = begun
            && phase::restart_for_bytes(begun.as_deref(), mark.as_deref(), from_copy)
        {
            tracing::info!(%id, "an upload begun with other bytes starts anew");
            self.start_anew().await;
        }
        Ok(Phase::Prepare)
    }

    /// A file already made (its id journaled): the bytes sent are what its hash is checked with.
    async fn made_from_copy(&mut self) {
        let remove = self.job.options.remove_location;
        if let Some(s) = sent_as(&self.shared.data_dir, self.id(), &self.source, remove).await {
            self.take(s.clone_flags(), s.source);
        }
    }

    /// What staging found: the source to send, whether a location went, the original's MD5.
    fn take(&mut self, (location_removed, source_md5): (bool, Option<String>), source: FileSource) {
        self.location_removed = location_removed;
        self.source_md5 = source_md5;
        self.source = source;
    }

    /// Ahead of the slot: the upload URL (and for tus, the creation), journaled. A file that
    /// cannot be read fails now, before anything is created on the server.
    async fn prepare(&mut self) -> Result<Phase, Stop> {
        self.check_file().await?;
        let one_put_below = self.shared.one_put_below;
        self.one_put =
            phase::takes_one_put(one_put_below, self.job.size_bytes, self.session.is_some());
        if !self.one_put {
            self.known_offset = self.ensure_session().await?;
        } else if self.job.plain.is_none() {
            let ctx = self.one_put_ctx();
            self.prepared =
                Some(one_put::prepare(&ctx, &self.job, self.reports, self.cancel).await?);
        }
        Ok(Phase::WaitSlot)
    }

    /// Small files: one PUT (a refused one goes the resumable way).
    async fn put(&mut self) -> Result<Phase, Stop> {
        let ctx = self.one_put_ctx();
        let prepared = self.prepared.take();
        let progress = self.progress.clone();
        let sent = one_put::run(
            &ctx,
            &self.job,
            &self.source,
            prepared,
            progress,
            self.reports,
            self.cancel,
        )
        .await?;
        match sent {
            OnePut::File(d) => {
                self.made(d).await;
                Ok(Phase::WaitReady)
            }
            OnePut::Refused(e) => {
                tracing::info!(id = %self.id(), error = %e, "one-PUT refused; sending resumably");
                Ok(Phase::Send)
            }
        }
    }

    /// The tus upload to its end (a new one when there is none, or it expired).
    async fn send(&mut self) -> Result<Phase, Stop> {
        if let Some(offset) = self.ensure_session().await? {
            self.known_offset = Some(offset);
        }
        let s = self
            .session
            .clone()
            .ok_or_else(|| failed("internal: no upload session", ""))?;
        let sent = self
            .shared
            .tus
            .upload(
                &s.endpoint,
                &s.upload_url,
                &self.source,
                self.known_offset.take(),
                self.progress.clone(),
                self.cancel,
            )
            .await;
        if let Err(e) = sent {
            return match phase::on_send_error(&e, self.restarted) {
                OnSendError::StartAnew => {
                    tracing::info!(id = %self.id(), "upload gone or expired on the server; anew");
                    self.restarted = true;
                    self.start_anew().await;
                    Ok(Phase::Send)
                }
                OnSendError::Fail => Err(stop_for_tus_error(e)),
            };
        }
        // Never finalize a file that changed while it was sent.
        self.check_file().await?;
        Ok(Phase::Finalize)
    }

    /// `PUT {uploadUrl}/{uploadToken}`: the file is made (a lost answer is looked for).
    async fn finalize(&mut self) -> Result<Phase, Stop> {
        self.phase(JobState::Finalizing);
        let s = self
            .session
            .clone()
            .ok_or_else(|| failed("internal: no upload session", ""))?;
        let target = UploadTarget {
            endpoint: s.endpoint.clone(),
            upload_token: s.upload_token.clone(),
        };
        let answer = finalize(
            &self.shared.wix,
            &self.shared.api_retry,
            &self.job,
            &s,
            &target,
            self.cancel,
        )
        .await?;
        let (kind, made, refusal) = match answer {
            Finalized::File(d) if !d.id.is_empty() => (FinalizeAnswer::Made, Some(d), None),
            Finalized::File(_) => (FinalizeAnswer::NoId, None, None),
            Finalized::Refused(e) => (FinalizeAnswer::Refused, None, Some(e)),
        };
        match (phase::after_finalize(kind, self.restarted), made, refusal) {
            (AfterFinalize::Next(next), Some(d), _) => {
                self.made(d).await;
                Ok(next)
            }
            (AfterFinalize::StartAnew, _, e) => {
                tracing::info!(id = %self.id(), error = ?e.map(|e| e.to_string()),
                    "finalize refused; starting the upload anew");
                self.restarted = true;
                self.start_anew().await;
                // Bytes move again: the row shows it, and Pause works.
                self.phase(JobState::Uploading);
                Ok(Phase::Send)
            }
            (_, _, Some(e)) => Err(stop_for_wix_error("Wix could not finish the upload", e)),
            _ => Err(failed("Wix finalized the upload but gave no file id", "")),
        }
    }

    /// Until Wix says READY; a file Wix marked FAILED is forgotten, so Retry sends it again.
    async fn wait_ready(&mut self) -> Result<Phase, Stop> {
        self.phase(JobState::Processing);
        let file_id = self.file_id.clone().unwrap_or_default();
        let desc = match self.made.take() {
            Some(d) if !phase::needs_poll(Some(&d)) => *d,
            _ => match poll_ready(
                self.shared,
                self.job.id,
                &file_id,
                UPLOAD_FAILED,
                self.reports,
                self.cancel,
            )
            .await?
            {
                Ok(d) => d,
                Err(e) => return Err(failed_on_site(self.reports, self.id(), e).await),
            },
        };
        self.ready = Some(desc);
        Ok(Phase::Verify)
    }

    /// The MD5 of the bytes sent against the server's hash: the job's result.
    async fn verify(self) -> Result<JobResult, Stop> {
        let desc = self
            .ready
            .ok_or_else(|| failed("internal: no file to verify", ""))?;
        let sent = self.progress.finish_md5(&self.source).await.ok();
        remove_staged(&self.shared.data_dir, self.job.id); // an older version's copy, if any
        let mut result = JobResult::from_descriptor(&desc, OriginKind::Upload);
        let (removed, local_md5) =
            phase::what_the_site_holds(desc.hash.as_deref(), sent, self.source_md5.clone());
        result.verified = phase::verification(desc.hash.as_deref(), local_md5.as_deref());
        result.local_md5 = local_md5;
        result.location_removed = self.location_removed && removed;
        result.source_md5 = self.source_md5;
        Ok(result)
    }

    /// A server-side upload to send to: the one there is, or a new one, journaled first.
    async fn ensure_session(&mut self) -> Result<Option<u64>, Stop> {
        let progress = self.progress.clone();
        ensure_session(
            self.shared,
            &self.job,
            &self.source,
            &mut self.session,
            &progress,
            self.reports,
            self.cancel,
        )
        .await
    }

    /// The server-side upload is given up: the next send creates another.
    async fn start_anew(&mut self) {
        self.session = None;
        persist_session(self.reports, self.id(), None).await;
    }

    /// The file is made: its id is journaled (so a restart polls it instead of uploading again)
    /// before the upload goes on.
    async fn made(&mut self, d: Box<FileDescriptor>) {
        let (id, file_id) = (self.id(), d.id.clone());
        report::send_saved(self.reports, |saved| Report::FileId {
            id,
            file_id: file_id.clone(),
            saved,
        })
        .await;
        self.file_id = Some(file_id);
        self.made = Some(d);
    }

    fn phase(&self, state: JobState) {
        let _ = self.reports.send(Report::Phase {
            id: self.id(),
            state,
        });
    }

    fn one_put_ctx(&self) -> one_put::Ctx<'a> {
        one_put::Ctx {
            wix: &self.shared.wix,
            retry: &self.shared.api_retry,
            put_idle: self.shared.put_idle,
            one_put_below: self.shared.one_put_below,
        }
    }

    /// The file must still be there, readable, with the size and time it was queued with, and
    /// not empty.
    async fn check_file(&self) -> Result<(), Stop> {
        let file = &self.source;
        file.check_readable().await.map_err(stop_for_tus_error)?;
        file.check_unchanged().await.map_err(stop_for_tus_error)?;
        refuse_empty(&self.job.name, file.len)
    }
}
