//! The engine's journal writer: a thread of its own, fed by a channel, so the engine's actor
//! never waits for the disk. It drains everything queued, keeps only each job's latest change,
//! writes them as one batch with one fsync, and only then answers the waiters of that batch (a
//! worker waits until its upload URL or file id is on disk before it goes on).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use tokio::sync::oneshot;

use super::log::Journal;
use super::record::Change;
use crate::engine::event::{Event, Notifier};
use crate::engine::job::JobId;

/// How soon changes that could not be written are tried again when nothing else comes.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// What the writer is started with besides the journal.
pub(crate) struct WriterOptions {
    /// A test hook: each batch waits this long before it is written, as on a slow disk.
    pub(crate) delay: Duration,
    /// Where the bytes written are added up (see `EngineConfig::journal_bytes_written`).
    pub(crate) written: Arc<AtomicU64>,
    /// Write errors are told to the front end, once until a write succeeds again.
    pub(crate) events: tokio::sync::mpsc::UnboundedSender<Event>,
    pub(crate) notifier: Option<Notifier>,
}

enum Msg {
    Save {
        changes: Vec<Change>,
        next_id: u64,
        saved: Option<oneshot::Sender<()>>,
    },
    /// Write what is left, let go of the journal (and the data dir's lock), then answer.
    Close(oneshot::Sender<()>),
}

/// The actor's end of the writer. Dropping it without [`JournalWriter::close`] still writes what
/// was sent before the thread ends.
pub(crate) struct JournalWriter {
    tx: mpsc::Sender<Msg>,
}

impl JournalWriter {
    pub(crate) fn spawn(journal: Journal, options: WriterOptions) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("wixup-journal".into())
            .spawn(move || Thread::new(journal, options).run(rx))?;
        Ok(JournalWriter { tx })
    }

    /// Queues these changes; `saved` is answered once the fsync that covered them is done (or
    /// failed: uploads go on, the person was told). Never blocks.
    pub(crate) fn save(
        &self,
        changes: Vec<Change>,
        next_id: u64,
        saved: Option<oneshot::Sender<()>>,
    ) {
        let msg = Msg::Save {
            changes,
            next_id,
            saved,
        };
        if self.tx.send(msg).is_err() {
            tracing::warn!("the journal writer has stopped; a change was not saved");
        }
    }

    /// `done` is answered once everything sent is on disk and the data dir is free again.
    pub(crate) fn close(&self, done: oneshot::Sender<()>) {
        if let Err(mpsc::SendError(Msg::Close(done))) = self.tx.send(Msg::Close(done)) {
            let _ = done.send(());
        }
    }
}

struct Thread {
    journal: Journal,
    options: WriterOptions,
    /// Each job's latest change not yet on disk.
    pending: BTreeMap<JobId, Change>,
    next_id: u64,
    waiters: Vec<oneshot::Sender<()>>,
    closed: Vec<oneshot::Sender<()>>,
    failed: bool,
}

impl Thread {
    fn new(journal: Journal, options: WriterOptions) -> Self {
        Thread {
            journal,
            options,
            pending: BTreeMap::new(),
            next_id: 0,
            waiters: Vec::new(),
            closed: Vec::new(),
            failed: false,
        }
    }

    fn run(mut self, rx: mpsc::Receiver<Msg>) {
        let mut ending = false;
        while !ending {
            // Changes that failed to write are tried again after a while, even if none come.
            let first = if self.pending.is_empty() {
                rx.recv().map_err(|_| RecvTimeoutError::Disconnected)
            } else {
                rx.recv_timeout(RETRY_AFTER)
            };
            match first {
                Ok(msg) => self.take(msg),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => ending = true,
            }
            loop {
                match rx.try_recv() {
                    Ok(msg) => self.take(msg),
                    Err(mpsc::TryRecvError::Empty) => break,
                    Err(mpsc::TryRecvError::Disconnected) => {
                        ending = true;
                        break;
                    }
                }
            }
            self.write();
            ending |= !self.closed.is_empty();
        }
        let closed = std::mem::take(&mut self.closed);
        if self.pending.is_empty() {
            let before = self.journal.bytes_written();
            self.journal.compact_before_closing();
            let written = self.journal.bytes_written() - before;
            self.options.written.fetch_add(written, Ordering::Relaxed);
        }
        drop(self); // the journal, and with it the data dir's lock
        for done in closed {
            let _ = done.send(());
        }
    }

    fn take(&mut self, msg: Msg) {
        match msg {
            Msg::Save {
                changes,
                next_id,
                saved,
            } => {
                self.next_id = self.next_id.max(next_id);
                for change in changes {
                    self.pending.insert(change.id(), change);
                }
                self.waiters.extend(saved);
            }
            Msg::Close(done) => self.closed.push(done),
        }
    }

    fn write(&mut self) {
        if !self.pending.is_empty() {
            let changes: Vec<Change> = std::mem::take(&mut self.pending).into_values().collect();
            if !self.options.delay.is_zero() {
                std::thread::sleep(self.options.delay); // the test hook: a slow disk
            }
            let before = self.journal.bytes_written();
            let result = self.journal.write(&changes, self.next_id);
            let written = self.journal.bytes_written() - before;
            self.options.written.fetch_add(written, Ordering::Relaxed);
            match result {
                Ok(()) => self.failed = false,
                Err(e) => {
                    tracing::warn!(error = %e, journal = %self.journal.path().display(), "cannot write the journal");
                    if !self.failed {
                        self.failed = true;
                        self.emit(Event::JournalError(format!(
                            "cannot save the upload journal ({e}); uploads go on but may not resume after a restart"
                        )));
                    }
                    // Kept for the next try; a newer change of the same job replaces it.
                    for change in changes {
                        self.pending.entry(change.id()).or_insert(change);
                    }
                    if !self.closed.is_empty() {
                        self.pending.clear(); // shutting down: told once, not retried forever
                    }
                }
            }
        }
        for w in self.waiters.drain(..) {
            let _ = w.send(());
        }
    }

    fn emit(&self, event: Event) {
        if self.options.events.send(event).is_ok()
            && let Some(n) = &self.options.notifier
        {
            n();
        }
    }
}
