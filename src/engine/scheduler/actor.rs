//! The actor's core: the job table, the loop that receives commands, worker reports and walked
//! paths, and the scheduling of workers within the parallelism limit.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::meter::ProgressMeter;
use crate::engine::command::Command;
use crate::engine::config::{EngineConfig, StartError};
use crate::engine::event::{Event, Notifier};
use crate::engine::job::{Destination, Job, JobId, JobState};
use crate::engine::journal::Journal;
use crate::engine::report::Report;
use crate::engine::walk::Candidate;
use crate::engine::worker::{self, Shared};
use crate::tus::TusClient;
use crate::wix_media::WixMediaClient;

/// How often progress events go out at most, per job.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

/// Opens the journal, builds the HTTP clients and starts the actor on the current runtime.
/// (Reachable only through `scheduler`'s re-export: this module is private.)
pub(crate) fn spawn(
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
        api_retry: config.api_retry.clone(),
        one_put_below: config.one_put_below,
        put_idle: config.tus.idle_timeout,
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
        meters: HashMap::new(),
        parallel: config
            .parallel
            .clamp(1, crate::engine::config::MAX_PARALLEL),
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
pub(super) struct Walked {
    pub(super) request: u64,
    pub(super) destination: Destination,
    pub(super) files: Vec<Candidate>,
    pub(super) rejected: Vec<(PathBuf, String)>,
}

/// The actor's state: the job table and what runs it. Its methods are split by concern across
/// this folder: commands, worker reports, the journal.
pub(super) struct Scheduler {
    /// The HTTP clients and poll settings every worker uses.
    pub(super) shared: Arc<Shared>,
    /// For the history file, next to the journal.
    pub(super) data_dir: PathBuf,
    /// Where the table is saved; holding it holds the data dir's lock.
    pub(super) journal: Journal,
    /// The id the next added file gets (ids are never reused, so the journal keeps it).
    pub(super) next_id: u64,
    /// Every job, ordered by id: the oldest queued job starts first.
    pub(super) jobs: BTreeMap<JobId, Job>,
    /// Unfinished jobs by canonical path, to report a file added twice only once.
    pub(super) unfinished_by_path: HashMap<PathBuf, JobId>,
    /// Journal jobs left untouched in `StartMode::Hold`.
    pub(super) held: HashSet<JobId>,
    /// Jobs with a worker running, and the token that stops it.
    pub(super) running: HashMap<JobId, CancellationToken>,
    /// Runtime-only progress figures of jobs that ran in this process.
    pub(super) meters: HashMap<JobId, ProgressMeter>,
    /// How many workers may run at once.
    pub(super) parallel: usize,
    /// The front end's event queue.
    pub(super) events: mpsc::UnboundedSender<Event>,
    /// Called after each event is queued, to wake a front end.
    pub(super) notifier: Option<Notifier>,
    /// Handed to each worker, to report back to this actor.
    pub(super) reports_tx: mpsc::UnboundedSender<Report>,
    /// Where the blocking walk of an `AddFiles` sends its result.
    pub(super) walks_tx: mpsc::UnboundedSender<Walked>,
    /// The table changed since the journal was last saved (saved on the next tick).
    pub(super) dirty: bool,
    /// The last save failed: the person was told once, not at every tick.
    pub(super) journal_failed: bool,
    /// Set once shutting down: answered when the last worker stopped and the journal is saved.
    pub(super) shutdown: Option<oneshot::Sender<()>>,
}

impl Scheduler {
    pub(super) async fn run(
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

    pub(super) fn emit(&self, event: Event) {
        if self.events.send(event).is_ok()
            && let Some(n) = &self.notifier
        {
            n();
        }
    }

    pub(super) fn set_state(&mut self, id: JobId, to: JobState) -> bool {
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

    /// Starts queued imports (they take no upload slot), then queued uploads while slots are
    /// free, oldest first. A slot is a transfer: a job whose bytes are all sent (finalizing, or
    /// waiting for Wix to process it) frees its slot, so slow processing never stops other
    /// files from sending.
    pub(super) fn schedule(&mut self) {
        self.schedule_links();
        loop {
            let uploading = self
                .running
                .keys()
                .filter(|id| {
                    self.jobs.get(id).is_none_or(|j| {
                        !j.origin.is_link()
                            && !matches!(j.state, JobState::Finalizing | JobState::Processing)
                    })
                })
                .count();
            if uploading >= self.parallel {
                break;
            }
            let next = self
                .jobs
                .values()
                .find(|j| {
                    j.state == JobState::Queued
                        && !j.origin.is_link()
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
            self.meters.entry(id).or_default().start(Instant::now());
            tokio::spawn(worker::run(
                self.shared.clone(),
                job,
                self.reports_tx.clone(),
                cancel,
            ));
        }
    }

    pub(super) fn stop_worker(&mut self, id: JobId) {
        if let Some(c) = self.running.get(&id) {
            c.cancel();
        }
    }

    pub(super) fn ids(&self) -> Vec<JobId> {
        self.jobs.keys().copied().collect()
    }

    pub(super) fn begin_shutdown(&mut self, done: Option<oneshot::Sender<()>>) {
        // Workers stop; their jobs keep their state, so the next start continues them.
        for c in self.running.values() {
            c.cancel();
        }
        let (tx, _) = oneshot::channel();
        self.shutdown = Some(done.unwrap_or(tx));
    }
}
