//! The engine's actor: owns the job table, applies commands, starts workers within the
//! parallelism limit, turns worker reports into events, and keeps the journal current.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::job::{Destination, Job, JobId, JobState};
use super::journal::{Journal, Loaded};
mod commands;
mod live;

use live::Live;

use super::walk::{Candidate, walk};
use super::worker::{self, Report, Shared, Stop};
use super::{Command, EngineConfig, Event, MAX_PARALLEL, Notifier, StartError, StartMode};
use crate::tus::TusClient;
use crate::wix_media::WixMediaClient;

/// How often progress events go out at most, per job.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

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
        data_dir: config.data_dir.clone(),
        journal,
        next_id: 1,
        jobs: BTreeMap::new(),
        unfinished_by_path: HashMap::new(),
        held: HashSet::new(),
        running: HashMap::new(),
        live: HashMap::new(),
        parallel: config.parallel.clamp(1, MAX_PARALLEL),
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

/// The result of walking the paths of one `AddFiles`, done off the actor.
struct Walked {
    request: u64,
    destination: Destination,
    files: Vec<Candidate>,
    rejected: Vec<(PathBuf, String)>,
}

struct Scheduler {
    shared: Arc<Shared>,
    /// For the history file, next to the journal.
    data_dir: PathBuf,
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
            let file = crate::os_path::lossy(&aside.file);
            self.emit(Event::JournalError(match aside.entries {
                None => format!(
                    "the journal could not be read; it was kept as {file} and a new one started"
                ),
                Some(n) => format!(
                    "{n} journal {} could not be read (written by a newer Wixup?) and {} kept in {file}; the others were loaded",
                    if n == 1 { "entry" } else { "entries" },
                    if n == 1 { "was" } else { "were" },
                ),
            }));
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
            Command::SetParallelism(n) => self.parallel = n.clamp(1, MAX_PARALLEL),
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

    async fn report(&mut self, r: Report) {
        match r {
            Report::Sent { id, offset } => self.live.entry(id).or_default().sent(offset),
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
                let live = self
                    .jobs
                    .get(&id)
                    .is_some_and(|j| j.state != JobState::Cancelled);
                if !live {
                    // Created just as Cancel (or Remove) landed: nobody will resume it, so it
                    // must not linger on the server.
                    if let Some(s) = session {
                        self.terminate(s);
                    }
                    let _ = saved.send(());
                    return;
                }
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
                    if let Some(job) = self.jobs.get(&id) {
                        let entry = super::history::HistoryEntry::new(job, &result);
                        let dir = self.data_dir.clone();
                        tokio::task::spawn_blocking(move || {
                            if let Err(e) = super::history::append(&dir, &entry) {
                                tracing::warn!(error = %e, "cannot append to the upload history");
                            }
                        });
                    }
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

    async fn save(&mut self) {
        self.dirty = false;
        let jobs: Vec<&Job> = self.jobs.values().collect();
        let bytes = self.journal.encode(&jobs, self.next_id);
        let path = self.journal.path().to_path_buf();
        // The write and fsync happen off the async threads; the actor waits for them, so a
        // critical entry (a new upload URL) is on disk before the worker sends a byte.
        let result = match bytes {
            Ok(bytes) => {
                tokio::task::spawn_blocking(move || crate::fs::write_atomic(&path, &bytes))
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
