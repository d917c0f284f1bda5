//! The actor's core: the job table, the loop that receives commands, worker reports and walked
//! paths, and the scheduling of workers within the parallelism limit.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::meter::ProgressMeter;
use super::tuner::Tuner;
use crate::engine::command::Command;
use crate::engine::config::{EngineConfig, StartError};
use crate::engine::event::{Event, Notifier};
use crate::engine::job::{Destination, Job, JobId, JobState};
use crate::engine::journal::{Journal, JournalWriter, WriterOptions};
use crate::engine::poller::Poller;
use crate::engine::report::Report;
use crate::engine::walk::Candidate;
use crate::engine::worker::{self, Gate, Shared};
use crate::tus::TusClient;
use crate::wix_media::WixMediaClient;

/// The most files prepared ahead of a free slot (their upload URLs live for days; a handful
/// ahead is enough to hide the REST calls between files).
const MAX_LOOKAHEAD: usize = 8;

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
    let poller = Poller::spawn(wix.clone(), config.poll_delays.clone());
    let shared = Arc::new(Shared {
        tus,
        wix,
        poller,
        poll_timeout: config.poll_timeout,
        api_retry: config.api_retry.clone(),
        one_put_below: config.one_put_below,
        put_idle: config.tus.idle_timeout,
    });
    let journal = JournalWriter::spawn(
        journal,
        WriterOptions {
            delay: config.journal_write_delay,
            written: config.journal_bytes_written.clone(),
            events: events.clone(),
            notifier: notifier.clone(),
        },
    )
    .map_err(|source| crate::engine::journal::JournalError::Io {
        dir: config.data_dir.clone(),
        source,
    })?;
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
        gates: HashMap::new(),
        meters: HashMap::new(),
        tuner: Tuner::new(config.parallel, Instant::now()),
        saturated: false,
        events,
        notifier,
        reports_tx,
        walks_tx,
        dirty: BTreeSet::new(),
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
    /// Where the table's changes are saved, off the actor; it holds the data dir's lock.
    pub(super) journal: JournalWriter,
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
    /// Workers preparing ahead of a slot (their jobs still queued), and what lets them send.
    pub(super) gates: HashMap<JobId, oneshot::Sender<()>>,
    /// Runtime-only progress figures of jobs that ran in this process.
    pub(super) meters: HashMap<JobId, ProgressMeter>,
    /// How many files may send at once (adapting, or fixed).
    pub(super) tuner: Tuner,
    /// At the last scheduling, every slot was sending and files were waiting.
    pub(super) saturated: bool,
    /// The front end's event queue.
    pub(super) events: mpsc::UnboundedSender<Event>,
    /// Called after each event is queued, to wake a front end.
    pub(super) notifier: Option<Notifier>,
    /// Handed to each worker, to report back to this actor.
    pub(super) reports_tx: mpsc::UnboundedSender<Report>,
    /// Where the blocking walk of an `AddFiles` sends its result.
    pub(super) walks_tx: mpsc::UnboundedSender<Walked>,
    /// Jobs changed (or removed) since their last save (saved on the next tick).
    pub(super) dirty: BTreeSet<JobId>,
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
                    let pushbacks = self.shared.wix.pushbacks();
                    if let Some(n) = self.tuner.tick(Instant::now(), self.saturated, pushbacks) {
                        tracing::info!(transfers = n, "parallelism adapted");
                    }
                    if !self.dirty.is_empty() {
                        self.save(None);
                    }
                }
            }
            if self.shutdown.is_some() {
                if self.running.is_empty() {
                    self.save(None);
                    // The writer answers once all is on disk and it let go of the journal and
                    // its lock, so the caller can start another engine on the same data dir.
                    if let Some(done) = self.shutdown.take() {
                        self.journal.close(done);
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
        self.dirty.insert(id);
        self.emit(Event::StateChanged { id, state: to });
        true
    }

    /// Starts queued imports (they take no upload slot), then gives free upload slots to queued
    /// files, oldest first, then prepares the next ones ahead of a slot. A slot is a transfer:
    /// a job whose bytes are all sent (finalizing, or waiting for Wix to process it) frees its
    /// slot, so slow processing never stops other files from sending; and a file waiting for a
    /// slot already has its upload URL and tus upload, so the link never idles between files.
    pub(super) fn schedule(&mut self) {
        self.schedule_links();
        let mut uploading = self
            .running
            .keys()
            .filter(|id| {
                self.jobs
                    .get(id)
                    .is_none_or(|j| !j.origin.is_link() && j.state == JobState::Uploading)
            })
            .count();
        let parallel = self.tuner.limit();
        let lookahead = parallel.min(MAX_LOOKAHEAD);
        let mut candidates = self
            .jobs
            .values()
            .filter(|j| {
                j.state == JobState::Queued && !j.origin.is_link() && !self.held.contains(&j.id)
            })
            .map(|j| j.id);
        let mut to_open = Vec::new();
        let mut to_start = Vec::new();
        let mut to_prepare = Vec::new();
        let mut preparing = self.gates.len();
        while uploading < parallel {
            let Some(id) = candidates.next() else { break };
            if self.gates.contains_key(&id) {
                to_open.push(id);
            } else if !self.running.contains_key(&id) {
                to_start.push(id);
            } else {
                continue; // a stopped worker still winding down: started again once it ended
            }
            uploading += 1;
        }
        let mut waiting = false;
        if uploading >= parallel {
            for id in candidates {
                waiting = true;
                if preparing >= lookahead {
                    break;
                }
                if !self.running.contains_key(&id) {
                    to_prepare.push(id);
                    preparing += 1;
                }
            }
        }
        self.saturated = uploading >= parallel && (waiting || !self.gates.is_empty());
        for id in to_open {
            if let Some(gate) = self.gates.remove(&id) {
                self.set_state(id, JobState::Uploading);
                let _ = gate.send(());
            }
        }
        for id in to_start {
            self.set_state(id, JobState::Uploading);
            self.start_worker(id, Gate::Open);
        }
        for id in to_prepare {
            let (tx, rx) = oneshot::channel();
            self.gates.insert(id, tx);
            self.start_worker(id, Gate::Closed(rx));
        }
    }

    fn start_worker(&mut self, id: JobId, gate: Gate) {
        let Some(job) = self.jobs.get(&id).cloned() else {
            return;
        };
        let cancel = CancellationToken::new();
        self.running.insert(id, cancel.clone());
        self.meters.entry(id).or_default().start(Instant::now());
        tokio::spawn(worker::run(
            self.shared.clone(),
            job,
            self.reports_tx.clone(),
            cancel,
            gate,
        ));
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
