//! The engine's actor: owns the job table, applies commands, starts workers within the
//! parallelism limit, turns worker reports into events, and keeps the journal current.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use reqwest::Url;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::job::{Destination, Job, JobId, JobState, unix_nanos};
use super::journal::{Journal, Loaded};
use super::worker::{self, Report, Shared, Stop};
use super::{Command, EngineConfig, Event, Notifier, StartError, StartMode};
use crate::tus::TusClient;
use crate::wix_media::WixMediaClient;

/// How often progress events go out at most, per job.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);
/// Time constant of the speed average.
const SPEED_TAU_SECS: f64 = 2.0;

pub(super) fn spawn(
    config: EngineConfig,
    commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::UnboundedSender<Event>,
    notifier: Option<Notifier>,
) -> Result<(), StartError> {
    let (journal, loaded) = Journal::open(&config.data_dir)?;
    let tus = TusClient::new(config.tus.clone()).map_err(|e| StartError::Http(e.to_string()))?;
    let wix = WixMediaClient::new(
        config.api_base.clone(),
        config.credentials.clone(),
        config.api_retry.clone(),
    )
    .map_err(|e| StartError::Http(e.to_string()))?;
    let shared = Arc::new(Shared {
        tus,
        wix,
        poll_delays: config.poll_delays.clone(),
        poll_timeout: config.poll_timeout,
    });
    let (reports_tx, reports_rx) = mpsc::unbounded_channel();
    let (walks_tx, walks_rx) = mpsc::unbounded_channel();
    let mut s = Scheduler {
        shared,
        journal,
        next_id: 1,
        jobs: BTreeMap::new(),
        unfinished_by_path: HashMap::new(),
        held: HashSet::new(),
        running: HashMap::new(),
        live: HashMap::new(),
        parallel: config.parallel.clamp(1, 32),
        events,
        notifier,
        reports_tx,
        walks_tx,
        dirty: false,
        journal_failed: false,
        shutdown: None,
    };
    s.load(loaded, config.start);
    tokio::spawn(s.run(commands, reports_rx, walks_rx));
    Ok(())
}

/// Runtime-only facts about a job: in-flight bytes and the speed average.
#[derive(Default)]
struct Live {
    sent: u64,
    speed: Option<f64>,
    sample: Option<(Instant, u64)>,
    started: Option<Instant>,
    changed: bool,
}

/// The result of walking the paths of one `AddFiles`, done off the actor.
struct Walked {
    request: u64,
    destination: Destination,
    files: Vec<Candidate>,
    rejected: Vec<(PathBuf, String)>,
}

struct Candidate {
    path: PathBuf,
    size: u64,
    mtime: Option<SystemTime>,
}

struct Scheduler {
    shared: Arc<Shared>,
    journal: Journal,
    next_id: u64,
    jobs: BTreeMap<JobId, Job>,
    /// Unfinished jobs by canonical path, to report a file added twice only once.
    unfinished_by_path: HashMap<PathBuf, JobId>,
    /// Journal jobs left untouched in `StartMode::Hold`.
    held: HashSet<JobId>,
    running: HashMap<JobId, CancellationToken>,
    live: HashMap<JobId, Live>,
    parallel: usize,
    events: mpsc::UnboundedSender<Event>,
    notifier: Option<Notifier>,
    reports_tx: mpsc::UnboundedSender<Report>,
    walks_tx: mpsc::UnboundedSender<Walked>,
    dirty: bool,
    journal_failed: bool,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Scheduler {
    fn load(&mut self, loaded: Loaded, mode: StartMode) {
        self.next_id = loaded.next_id;
        if let Some(aside) = loaded.set_aside {
            self.emit(Event::JournalError(format!(
                "the journal could not be read; it was kept as {} and a new one started",
                aside.display()
            )));
        }
        for mut job in loaded.jobs {
            if mode == StartMode::Hold && !job.state.is_finished() {
                self.held.insert(job.id);
            } else if job.state.is_active()
                || (mode == StartMode::ContinueAll && job.state == JobState::Paused)
            {
                job.state = JobState::Queued;
            }
            if !job.state.is_finished() {
                self.unfinished_by_path.insert(job.path.clone(), job.id);
            }
            self.jobs.insert(job.id, job);
        }
    }

    async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<Command>,
        mut reports: mpsc::UnboundedReceiver<Report>,
        mut walks: mpsc::UnboundedReceiver<Walked>,
    ) {
        let mut tick = tokio::time::interval(PROGRESS_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                c = commands.recv(), if self.shutdown.is_none() => match c {
                    Some(c) => self.command(c).await,
                    None => self.begin_shutdown(None),
                },
                Some(r) = reports.recv() => self.report(r).await,
                Some(w) = walks.recv() => self.walked(w),
                _ = tick.tick() => {
                    self.flush_progress();
                    if self.dirty {
                        self.save().await;
                    }
                }
            }
            if self.shutdown.is_some() {
                if self.running.is_empty() {
                    self.save().await;
                    // Release the journal and its lock before saying we are done, so the
                    // caller can start another engine on the same data dir at once.
                    let done = self.shutdown.take();
                    drop(self);
                    if let Some(done) = done {
                        let _ = done.send(());
                    }
                    return;
                }
            } else {
                self.schedule();
            }
        }
    }

    fn emit(&self, event: Event) {
        if self.events.send(event).is_ok()
            && let Some(n) = &self.notifier
        {
            n();
        }
    }

    fn set_state(&mut self, id: JobId, to: JobState) -> bool {
        let Some(job) = self.jobs.get_mut(&id) else {
            return false;
        };
        if !job.state.can_become(to) {
            return false;
        }
        job.state = to;
        if to.is_finished() {
            self.unfinished_by_path.remove(&job.path);
        } else {
            self.unfinished_by_path.insert(job.path.clone(), id);
        }
        self.dirty = true;
        self.emit(Event::StateChanged { id, state: to });
        true
    }

    /// Starts queued jobs while slots are free, oldest first.
    fn schedule(&mut self) {
        while self.running.len() < self.parallel {
            let next = self
                .jobs
                .values()
                .find(|j| {
                    j.state == JobState::Queued
                        && !self.held.contains(&j.id)
                        && !self.running.contains_key(&j.id)
                })
                .map(|j| j.id);
            let Some(id) = next else { break };
            self.set_state(id, JobState::Uploading);
            let Some(job) = self.jobs.get(&id).cloned() else {
                break;
            };
            let cancel = CancellationToken::new();
            self.running.insert(id, cancel.clone());
            let live = self.live.entry(id).or_default();
            live.started = Some(Instant::now());
            live.sample = None;
            tokio::spawn(worker::run(
                self.shared.clone(),
                job,
                self.reports_tx.clone(),
                cancel,
            ));
        }
    }

    fn stop_worker(&mut self, id: JobId) {
        if let Some(c) = self.running.get(&id) {
            c.cancel();
        }
    }

    async fn command(&mut self, c: Command) {
        match c {
            Command::AddFiles {
                request,
                paths,
                destination,
            } => {
                let tx = self.walks_tx.clone();
                tokio::task::spawn_blocking(move || {
                    let (files, rejected) = walk(&paths);
                    let _ = tx.send(Walked {
                        request,
                        destination,
                        files,
                        rejected,
                    });
                });
            }
            Command::Pause(id) => self.pause(id),
            Command::Resume(id) => self.resume(id),
            Command::Cancel(id) => self.cancel(id),
            Command::Retry(id) => self.retry(id).await,
            Command::Remove(id) => {
                self.cancel(id);
                self.held.remove(&id);
                if let Some(job) = self.jobs.remove(&id) {
                    if self.unfinished_by_path.get(&job.path) == Some(&id) {
                        self.unfinished_by_path.remove(&job.path);
                    }
                    self.live.remove(&id);
                    self.dirty = true;
                    self.emit(Event::Removed(id));
                }
            }
            Command::PauseAll => {
                for id in self.ids() {
                    self.pause(id);
                }
            }
            Command::ResumeAll => {
                for id in self.ids() {
                    self.resume(id);
                }
            }
            Command::RetryFailed => {
                for id in self.ids() {
                    if self
                        .jobs
                        .get(&id)
                        .is_some_and(|j| j.state == JobState::Failed)
                    {
                        self.retry(id).await;
                    }
                }
            }
            Command::ClearFinished => {
                let done: Vec<JobId> = self
                    .jobs
                    .values()
                    .filter(|j| matches!(j.state, JobState::Done | JobState::Cancelled))
                    .map(|j| j.id)
                    .collect();
                for id in done {
                    self.jobs.remove(&id);
                    self.live.remove(&id);
                    self.dirty = true;
                    self.emit(Event::Removed(id));
                }
            }
            Command::SetParallelism(n) => self.parallel = n.clamp(1, 32),
            Command::Snapshot(tx) => {
                let _ = tx.send(self.jobs.values().cloned().collect());
            }
            Command::Shutdown(done) => self.begin_shutdown(Some(done)),
        }
    }

    fn ids(&self) -> Vec<JobId> {
        self.jobs.keys().copied().collect()
    }

    fn begin_shutdown(&mut self, done: Option<oneshot::Sender<()>>) {
        // Workers stop; their jobs keep their state, so the next start continues them.
        for c in self.running.values() {
            c.cancel();
        }
        let (tx, _) = oneshot::channel();
        self.shutdown = Some(done.unwrap_or(tx));
    }

    fn pause(&mut self, id: JobId) {
        let Some(state) = self.jobs.get(&id).map(|j| j.state) else {
            return;
        };
        // Finalizing and processing are short and not resumable mid-way: let them finish.
        if matches!(state, JobState::Queued | JobState::Uploading) {
            self.held.remove(&id);
            self.set_state(id, JobState::Paused);
            self.stop_worker(id);
        }
    }

    fn resume(&mut self, id: JobId) {
        if self
            .jobs
            .get(&id)
            .is_some_and(|j| j.state == JobState::Paused)
        {
            self.held.remove(&id);
            self.set_state(id, JobState::Queued);
        }
    }

    fn cancel(&mut self, id: JobId) {
        let Some(job) = self.jobs.get(&id) else {
            return;
        };
        if job.state.is_finished() {
            return;
        }
        let session = job.session.clone();
        self.stop_worker(id);
        self.held.remove(&id);
        self.set_state(id, JobState::Cancelled);
        if let Some(job) = self.jobs.get_mut(&id) {
            job.session = None;
        }
        if let Some(s) = session
            && let (Ok(endpoint), Ok(location)) =
                (Url::parse(&s.upload_url), Url::parse(&s.location))
        {
            let shared = self.shared.clone();
            tokio::spawn(async move {
                if let Err(e) = shared.tus.terminate(&endpoint, &location).await {
                    tracing::debug!(error = %e, "could not terminate a cancelled upload");
                }
            });
        }
    }

    async fn retry(&mut self, id: JobId) {
        let Some(job) = self.jobs.get(&id) else {
            return;
        };
        if !matches!(job.state, JobState::Failed | JobState::Cancelled) {
            return;
        }
        // A file edited since it was queued is uploaded anew, as it is now.
        let path = job.path.clone();
        if let Ok(meta) = tokio::fs::metadata(&path).await {
            let mtime = meta.modified().ok().and_then(unix_nanos);
            if let Some(job) = self.jobs.get_mut(&id)
                && (meta.len() != job.size_bytes || mtime != job.mtime_unix_nanos)
            {
                job.size_bytes = meta.len();
                job.mtime_unix_nanos = mtime;
                job.session = None;
                job.acknowledged_bytes = 0;
            }
        }
        if let Some(other) = self.unfinished_by_path.get(&path)
            && *other != id
        {
            return; // the same file is already queued again
        }
        if let Some(job) = self.jobs.get_mut(&id) {
            job.error = None;
        }
        self.set_state(id, JobState::Queued);
    }

    fn walked(&mut self, w: Walked) {
        let mut added = Vec::new();
        let mut duplicates = Vec::new();
        for c in w.files {
            if let Some(existing) = self.unfinished_by_path.get(&c.path) {
                duplicates.push((c.path, *existing));
                continue;
            }
            let id = JobId(self.next_id);
            self.next_id += 1;
            let name = c
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "file".into());
            let job = Job {
                id,
                mime_type: mime_guess::from_path(&c.path)
                    .first_or_octet_stream()
                    .essence_str()
                    .to_string(),
                name,
                size_bytes: c.size,
                mtime_unix_nanos: c.mtime.and_then(unix_nanos),
                destination: w.destination.clone(),
                state: JobState::Queued,
                session: None,
                file_id: None,
                acknowledged_bytes: 0,
                result: None,
                error: None,
                added_unix: SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0),
                path: c.path,
            };
            self.unfinished_by_path.insert(job.path.clone(), id);
            self.emit(Event::JobAdded(Box::new(job.clone())));
            self.jobs.insert(id, job);
            added.push(id);
        }
        self.dirty = true;
        self.emit(Event::FilesAdded {
            request: w.request,
            added,
            duplicates,
            rejected: w.rejected,
        });
    }

    async fn report(&mut self, r: Report) {
        match r {
            Report::Sent { id, offset } => {
                let live = self.live.entry(id).or_default();
                let now = Instant::now();
                match live.sample {
                    Some((t, at)) if offset > at => {
                        let dt = now.duration_since(t).as_secs_f64();
                        if dt >= 0.2 {
                            let inst = (offset - at) as f64 / dt;
                            let alpha = 1.0 - (-dt / SPEED_TAU_SECS).exp();
                            live.speed = Some(match live.speed {
                                Some(s) => s + alpha * (inst - s),
                                None => inst,
                            });
                            live.sample = Some((now, offset));
                        }
                    }
                    Some(_) => {}
                    None => live.sample = Some((now, offset)),
                }
                if offset < live.sent {
                    live.sample = Some((now, offset)); // resent after a retry
                }
                live.sent = offset;
                live.changed = true;
            }
            Report::Acknowledged { id, offset } => {
                if let Some(job) = self.jobs.get_mut(&id)
                    && offset > job.acknowledged_bytes
                {
                    job.acknowledged_bytes = offset;
                }
                self.live.entry(id).or_default().changed = true;
            }
            Report::Retrying {
                id,
                attempt,
                delay,
                reason,
            } => self.emit(Event::Retrying {
                id,
                attempt,
                delay,
                reason,
            }),
            Report::Phase { id, state } => {
                self.set_state(id, state);
            }
            Report::Session { id, session, saved } => {
                if let Some(job) = self.jobs.get_mut(&id) {
                    if session.is_none() {
                        job.acknowledged_bytes = 0;
                    }
                    job.session = session;
                }
                self.save().await;
                let _ = saved.send(());
            }
            Report::FileId { id, file_id, saved } => {
                if let Some(job) = self.jobs.get_mut(&id) {
                    job.file_id = Some(file_id);
                    job.acknowledged_bytes = job.size_bytes;
                }
                self.save().await;
                let _ = saved.send(());
            }
            Report::Finished { id, outcome } => {
                self.running.remove(&id);
                self.finished(id, outcome);
            }
        }
    }

    fn finished(&mut self, id: JobId, outcome: Result<super::JobResult, Stop>) {
        let Some(state) = self.jobs.get(&id).map(|j| j.state) else {
            return;
        };
        if !state.is_active() {
            return; // paused or cancelled meanwhile: the command already set the state
        }
        match outcome {
            Ok(result) => {
                if let Some(job) = self.jobs.get_mut(&id) {
                    job.result = Some(result.clone());
                    job.error = None;
                    job.session = None; // single-use; nothing left to resume
                }
                self.flush_one(id);
                if self.set_state(id, JobState::Done) {
                    self.emit(Event::Finished { id, result });
                }
            }
            Err(Stop::Interrupted) => {
                if self.shutdown.is_none() {
                    self.set_state(id, JobState::Queued);
                }
            }
            Err(Stop::Failed(error)) => {
                if let Some(job) = self.jobs.get_mut(&id) {
                    job.error = Some(error.clone());
                }
                if self.set_state(id, JobState::Failed) {
                    self.emit(Event::Failed { id, error });
                }
            }
        }
    }

    fn flush_progress(&mut self) {
        let changed: Vec<JobId> = self
            .live
            .iter()
            .filter(|(_, l)| l.changed)
            .map(|(id, _)| *id)
            .collect();
        for id in changed {
            self.flush_one(id);
        }
    }

    fn flush_one(&mut self, id: JobId) {
        let Some(job) = self.jobs.get(&id) else {
            return;
        };
        let Some(live) = self.live.get_mut(&id) else {
            return;
        };
        live.changed = false;
        let total = job.size_bytes;
        let acknowledged = job.acknowledged_bytes;
        let running_for = live.started.map(|s| s.elapsed()).unwrap_or_default();
        let speed = live
            .speed
            .filter(|s| *s > 0.0 && running_for >= Duration::from_secs(1));
        let eta = speed.and_then(|s| {
            let left = total.saturating_sub(acknowledged) as f64 / s;
            left.is_finite().then(|| Duration::from_secs_f64(left))
        });
        let event = Event::Progress {
            id,
            acknowledged_bytes: acknowledged,
            sent_bytes: live.sent.max(acknowledged),
            total_bytes: total,
            bytes_per_sec: speed,
            eta,
        };
        self.emit(event);
    }

    async fn save(&mut self) {
        self.dirty = false;
        let jobs: Vec<&Job> = self.jobs.values().collect();
        let bytes = self.journal.encode(&jobs, self.next_id);
        let path = self.journal.path().to_path_buf();
        // The write and fsync happen off the async threads; the actor waits for them, so a
        // critical entry (a new upload URL) is on disk before the worker sends a byte.
        let result = match bytes {
            Ok(bytes) => {
                tokio::task::spawn_blocking(move || super::journal::write_atomic(&path, &bytes))
                    .await
                    .unwrap_or_else(|e| Err(std::io::Error::other(e)))
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => self.journal_failed = false,
            Err(e) => {
                tracing::warn!(error = %e, journal = %self.journal.path().display(), "cannot write the journal");
                if !self.journal_failed {
                    self.journal_failed = true;
                    self.emit(Event::JournalError(format!(
                        "cannot save the upload journal ({e}); uploads go on but may not resume after a restart"
                    )));
                }
            }
        }
    }
}

/// Expands folders (recursively) and checks each file, off the async threads.
fn walk(paths: &[PathBuf]) -> (Vec<Candidate>, Vec<(PathBuf, String)>) {
    let mut files = Vec::new();
    let mut rejected = Vec::new();
    let mut seen = HashSet::new();
    let mut push = |p: &Path, meta: &std::fs::Metadata, files: &mut Vec<Candidate>| {
        let canonical = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        if seen.insert(canonical.clone()) {
            files.push(Candidate {
                path: canonical,
                size: meta.len(),
                mtime: meta.modified().ok(),
            });
        }
    };
    for p in paths {
        match std::fs::metadata(p) {
            Ok(m) if m.is_file() => push(p, &m, &mut files),
            Ok(m) if m.is_dir() => {
                let mut entries: Vec<_> = walkdir::WalkDir::new(p)
                    .follow_links(true)
                    .sort_by_file_name()
                    .into_iter()
                    .collect();
                for entry in entries.drain(..) {
                    match entry {
                        Ok(e) if e.file_type().is_file() => match e.metadata() {
                            Ok(m) => push(e.path(), &m, &mut files),
                            Err(err) => {
                                rejected.push((e.path().to_path_buf(), describe_io(&err.into())))
                            }
                        },
                        Ok(_) => {}
                        Err(err) => {
                            let path = err
                                .path()
                                .map(Path::to_path_buf)
                                .unwrap_or_else(|| p.clone());
                            rejected.push((path, describe_io(&err.into())));
                        }
                    }
                }
            }
            Ok(_) => rejected.push((
                p.clone(),
                "not a regular file or folder; only files and folders can be uploaded".into(),
            )),
            Err(e) => rejected.push((p.clone(), describe_io(&e))),
        }
    }
    (files, rejected)
}

fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "file not found; check the path".into(),
        std::io::ErrorKind::PermissionDenied => {
            "cannot read it (permission denied); check its permissions".into()
        }
        _ => format!("cannot read it ({e})"),
    }
}
