//! The actor's core: the job table, the loop that receives commands, worker reports and walked
//! paths, and the scheduling of workers within the parallelism limit.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::runtime::Kind;
use super::table::JobTable;
use super::tuner::{QUARTERS, Tuner};
use crate::engine::command::Command;
use crate::engine::config::{EngineConfig, StartError, StartMode};
use crate::engine::dedupe::{Checked, Dedupe};
use crate::engine::event::{Event, Notifier};
use crate::engine::history_writer::HistoryWriter;
use crate::engine::job::{JobId, JobState};
use crate::engine::journal::{Journal, JournalWriter, WriterOptions};
use crate::engine::poller::Poller;
use crate::engine::report::Report;
use crate::engine::run::{self, Gate};
use crate::engine::shared::Shared;
use crate::engine::walk::Walked;
use crate::history;
use crate::tus::TusClient;
use crate::wix_media::WixMediaClient;

/// The most prepared ahead of a free slot, in quarters of a slot: 8 big files or 32 small
/// ones (their upload URLs live for days; this many ahead hides the REST calls between files).
const MAX_LOOKAHEAD: usize = 8 * QUARTERS;

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
    let site = history::site_key(&config.api_base, &config.credentials.site_id);
    // The history's duplicate index is read while the rest starts (a history of 100,000
    // uploads is 50 MB of JSON); the actor waits for it before its first command.
    let index = {
        let (dir, site) = (config.data_dir.clone(), site.clone());
        tokio::task::spawn_blocking(move || history::Index::load(&dir, site))
    };
    let tus = TusClient::with_proxy(config.tus.clone(), &config.proxy)
        .map_err(|e| StartError::Http(e.to_string()))?;
    let wix = WixMediaClient::with_options(
        config.api_base.clone(),
        config.credentials.clone(),
        config.api_retry.clone(),
        crate::wix_media::DEFAULT_IDLE_TIMEOUT,
        &config.proxy,
    )
    .map(|w| w.with_throttle(config.tus.throttle.clone()))
    .map_err(|e| StartError::Http(e.to_string()))?;
    let poller = Poller::spawn(wix.clone(), config.poll_delays.clone());
    let shared = Arc::new(Shared {
        tus,
        wix,
        poller,
        poll_timeout: config.poll_timeout,
        processing_notice_after: config.processing_notice_after,
        api_retry: config.api_retry.clone(),
        one_put_below: config.one_put_below,
        put_idle: config.tus.idle_timeout,
        data_dir: config.data_dir.clone(),
        throttle: config.tus.throttle.clone(),
        keep_awake: config.keep_awake.clone(),
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
    // Finished jobs leave the table once the history holds them, where they are not kept.
    let (recorded_tx, recorded_rx) = mpsc::unbounded_channel();
    let recorded_tx = (!config.keep_finished).then_some(recorded_tx);
    let history = HistoryWriter::spawn(
        config.data_dir.clone(),
        events.clone(),
        notifier.clone(),
        recorded_tx,
    )
    .map_err(|source| crate::engine::journal::JournalError::Io {
        dir: config.data_dir.clone(),
        source,
    })?;
    let (reports_tx, reports_rx) = mpsc::unbounded_channel();
    let (walks_tx, walks_rx) = mpsc::unbounded_channel();
    let (checks_tx, checks_rx) = mpsc::unbounded_channel();
    let mut s = Scheduler {
        shared,
        data_dir: config.data_dir.clone(),
        journal,
        history,
        next_id: 1,
        table: JobTable::default(),
        tuner: Tuner::new(config.parallel, Instant::now()),
        saturated: false,
        events,
        notifier,
        reports_tx,
        walks_tx,
        adding: Default::default(),
        shutdown: None,
        site: site.clone(),
        keep_finished: config.keep_finished,
        dedupe: Dedupe::new(Default::default(), config.dedupe_hashed.clone()),
        checks_tx,
        // The probe reaches for the site's API host, or the proxy in front of it.
        outage: super::outage::Outage::new(crate::retry::Beacon::for_url(
            &config.api_base,
            &config.proxy,
        )),
    };
    s.load(loaded, config.start);
    let retry_failed = config.start == StartMode::ContinueAll;
    tokio::spawn(async move {
        if retry_failed {
            s.retry_failed().await;
        }
        s.load_history(index.await);
        // Before the first scheduling: restored queued files are checked like new ones.
        s.check_restored();
        s.run(commands, reports_rx, walks_rx, checks_rx, recorded_rx)
            .await
    });
    Ok(())
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
    /// Where finished uploads are added to the history, off the actor.
    pub(super) history: HistoryWriter,
    /// The id the next added file gets (ids are never reused, so the journal keeps it).
    pub(super) next_id: u64,
    /// Every job, with its worker, live figures and whether it is held.
    pub(super) table: JobTable,
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
    /// Where the blocking walk of an `AddFiles` sends what it finds, a batch at a time.
    pub(super) walks_tx: mpsc::UnboundedSender<Walked>,
    /// What each `AddFiles` under way queued so far, answered once its walk is over.
    pub(super) adding: std::collections::HashMap<u64, crate::engine::walk::Adding>,
    /// Set once shutting down: answered when the last worker stopped and the journal is saved.
    pub(super) shutdown: Option<oneshot::Sender<()>>,
    /// This site's key in the history.
    pub(super) site: String,
    /// Finished jobs stay until cleared (the window), or leave once in the history (the CLI).
    pub(super) keep_finished: bool,
    /// Earlier uploads to this site (read at start), for files queued to skip duplicates.
    pub(super) dedupe: Dedupe,
    /// Where a check for an earlier upload of a file sends its answer.
    pub(super) checks_tx: mpsc::UnboundedSender<Checked>,
    /// Jobs waiting for the network, and the probe that tells when it is back.
    pub(super) outage: super::outage::Outage,
}

impl Scheduler {
    pub(super) async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<Command>,
        mut reports: mpsc::UnboundedReceiver<Report>,
        mut walks: mpsc::UnboundedReceiver<Walked>,
        mut checks: mpsc::UnboundedReceiver<Checked>,
        mut recorded: mpsc::UnboundedReceiver<JobId>,
    ) {
        let mut tick = tokio::time::interval(PROGRESS_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let (probed_tx, mut probed) = mpsc::unbounded_channel();
        self.outage.probed_tx = Some(probed_tx);
        loop {
            tokio::select! {
                Some(found) = probed.recv() => self.probed(found),
                c = commands.recv(), if self.shutdown.is_none() => match c {
                    Some(c) => self.command(c).await,
                    None => self.begin_shutdown(None),
                },
                Some(r) = reports.recv() => self.report(r).await,
                Some(w) = walks.recv() => self.walked(w),
                Some(c) = checks.recv() => self.checked(c),
                Some(id) = recorded.recv() => self.forget_finished(id),
                _ = tick.tick() => {
                    self.flush_progress();
                    let pushbacks = self.shared.wix.pushbacks();
                    // Held to the speed limit, more transfers cannot help: nothing to learn.
                    let capped = self.shared.throttle.holding(Duration::from_secs(1));
                    let saturated = self.saturated && !capped;
                    if let Some(n) = self.tuner.tick(Instant::now(), saturated, pushbacks) {
                        tracing::info!(transfers = n, "parallelism adapted");
                    }
                    if self.table.has_dirty() {
                        self.save(None);
                    }
                }
            }
            // While anything sends, the computer stays awake (where the setting is on).
            self.shared
                .keep_awake
                .sending(self.table.running().next().is_some());
            if self.shutdown.is_some() {
                if self.table.running().next().is_none() {
                    if !self.keep_finished {
                        // What finished last is in the history before the journal closes,
                        // so it leaves the journal too.
                        self.history.flush().await;
                        while let Ok(id) = recorded.try_recv() {
                            self.forget_finished(id);
                        }
                    }
                    self.save(None);
                    // The writer answers once all is on disk and it let go of the journal and
                    // its lock, so the caller can start another engine on the same data dir.
                    if let Some(done) = self.shutdown.take() {
                        let done = self.history.close_then(done);
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

    /// Moves a job to another state, by the table's rules, and says so to the front end.
    pub(super) fn set_state(&mut self, id: JobId, to: JobState) -> bool {
        if !self.table.transition(id, to) {
            return false;
        }
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
            .table
            .running()
            .filter(|e| {
                !e.job.origin.is_link()
                    && e.kind() == Kind::Running
                    && e.job.state == JobState::Uploading
            })
            .map(|e| self.tuner.quarters(&e.job))
            .sum::<usize>();
        let mut preparing = self
            .table
            .running()
            .filter(|e| e.kind() == Kind::Preparing)
            .map(|e| self.tuner.quarters(&e.job))
            .sum::<usize>();
        // In quarters of a slot, as `uploading` and `preparing` are.
        let parallel = self.tuner.limit() * QUARTERS;
        let lookahead = parallel.min(MAX_LOOKAHEAD);
        let mut to_open = Vec::new();
        let mut to_start = Vec::new();
        let mut to_prepare = Vec::new();
        let mut waiting = false;
        {
            // Held, being checked, or a stopped worker still winding down: not now (a stopped
            // one is started again once it ended).
            let mut candidates = self
                .table
                .queued()
                .filter(|e| matches!(e.kind(), Kind::Idle | Kind::Preparing));
            while uploading < parallel {
                let Some(e) = candidates.next() else { break };
                match e.kind() {
                    Kind::Preparing => to_open.push(e.job.id),
                    _ => to_start.push(e.job.id),
                }
                uploading += self.tuner.quarters(&e.job);
            }
            if uploading >= parallel {
                for e in candidates {
                    waiting = true;
                    if preparing >= lookahead {
                        break;
                    }
                    if e.kind() == Kind::Idle {
                        to_prepare.push(e.job.id);
                        preparing += self.tuner.quarters(&e.job);
                    }
                }
            }
        }
        self.saturated = uploading >= parallel && (waiting || preparing > 0);
        for id in to_open {
            if self.table.open_gate(id) {
                self.set_state(id, JobState::Uploading);
            }
        }
        for id in to_start {
            self.set_state(id, JobState::Uploading);
            self.start_worker(id, None);
        }
        for id in to_prepare {
            self.start_worker(id, Some(oneshot::channel()));
        }
    }

    /// Spawns the worker of `id`: sending at once, or (`gate`) preparing until the gate opens.
    fn start_worker(
        &mut self,
        id: JobId,
        gate: Option<(oneshot::Sender<()>, oneshot::Receiver<()>)>,
    ) {
        let Some(job) = self.table.job(id).cloned() else {
            return;
        };
        let cancel = CancellationToken::new();
        let (opener, gate) = match gate {
            Some((tx, rx)) => (Some(tx), Gate::Closed(rx)),
            None => (None, Gate::Open),
        };
        if !self.table.started(id, cancel.clone(), opener) {
            return;
        }
        if let Some(m) = self.table.meter_mut(id) {
            m.start(job.acknowledged_bytes);
        }
        tokio::spawn(run::run(
            self.shared.clone(),
            job,
            self.reports_tx.clone(),
            cancel,
            gate,
        ));
    }

    /// Stops whatever runs for `id` (its worker winds down; a check's answer is dropped).
    pub(super) fn stop_worker(&mut self, id: JobId) {
        let was_checking = self.table.kind(id) == Some(Kind::Checking);
        self.table.stop(id);
        if was_checking {
            self.emit(Event::Checking {
                id,
                checking: false,
            });
        }
    }

    pub(super) fn ids(&self) -> Vec<JobId> {
        self.table.ids()
    }

    pub(super) fn begin_shutdown(&mut self, done: Option<oneshot::Sender<()>>) {
        // Workers stop; their jobs keep their state, so the next start continues them.
        self.table.stop_all();
        let (tx, _) = oneshot::channel();
        self.shutdown = Some(done.unwrap_or(tx));
    }
}
