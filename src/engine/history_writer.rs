//! Finished uploads into the history (`history.jsonl`), on a thread of its own so the actor
//! never waits for the disk. An entry that cannot be written (a full disk, permissions, a FIFO
//! in its place) is kept and written with the next one, on a try a second later, and once more
//! when the engine stops. The person is told ([`Event::History`]) when entries wait, once they
//! are written after all, and at the end when some never were: a file missing from the history
//! is not recognized as already on the site, so a later upload sends it again.
//!
//! An entry may name its job: once the entry is in the file, the writer says so on `recorded`,
//! so an engine that forgets finished jobs (the CLI's) drops them from the journal only when
//! the history holds them; a crash in between costs a journal line, never the record.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use tokio::sync::oneshot;

use super::event::{Event, Notifier};
use super::job::JobId;
use crate::history::{self, HistoryEntry};

/// How soon entries that could not be written are tried again when nothing else comes.
const RETRY_AFTER: Duration = Duration::from_secs(1);

enum Msg {
    Append(Box<HistoryEntry>, Option<JobId>),
    /// Try what waits now, then answer.
    Flush(oneshot::Sender<()>),
    /// The last try; then `done`, once `after` is answered too.
    Close {
        after: oneshot::Receiver<()>,
        done: oneshot::Sender<()>,
    },
}

/// The actor's end of the history's writer.
pub(crate) struct HistoryWriter {
    tx: mpsc::Sender<Msg>,
}

impl HistoryWriter {
    pub(crate) fn spawn(
        data_dir: PathBuf,
        events: tokio::sync::mpsc::UnboundedSender<Event>,
        notifier: Option<Notifier>,
        recorded: Option<tokio::sync::mpsc::UnboundedSender<JobId>>,
    ) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel();
        let thread = Thread {
            data_dir,
            events,
            notifier,
            recorded,
            pending: VecDeque::new(),
            told: false,
        };
        std::thread::Builder::new()
            .name("wixup-history".into())
            .spawn(move || thread.run(rx))?;
        Ok(HistoryWriter { tx })
    }

    /// Queues a finished upload for the history; `job`'s id goes to `recorded` once it is
    /// written. Never blocks.
    pub(crate) fn append(&self, entry: HistoryEntry, job: Option<JobId>) {
        if self.tx.send(Msg::Append(Box::new(entry), job)).is_err() {
            tracing::warn!("the history writer has stopped; a finished upload is not in it");
        }
    }

    /// Answers once what was queued before was tried (written, or kept for later); its ids
    /// are on `recorded` by then.
    pub(crate) async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Msg::Flush(tx)).is_ok() {
            let _ = rx.await;
        }
    }

    /// Tries what still waits one last time (and says what is lost). Answers `done` once that
    /// is over and the returned sender was answered (or dropped): the engine stops after both.
    pub(crate) fn close_then(&self, done: oneshot::Sender<()>) -> oneshot::Sender<()> {
        let (tx, after) = oneshot::channel();
        if let Err(mpsc::SendError(Msg::Close { after, done })) =
            self.tx.send(Msg::Close { after, done })
        {
            // The thread is gone: `done` follows `after` alone.
            std::thread::spawn(move || {
                let _ = after.blocking_recv();
                let _ = done.send(());
            });
        }
        tx
    }
}

struct Thread {
    data_dir: PathBuf,
    events: tokio::sync::mpsc::UnboundedSender<Event>,
    notifier: Option<Notifier>,
    /// Where the ids of written entries go, when someone asked.
    recorded: Option<tokio::sync::mpsc::UnboundedSender<JobId>>,
    /// Entries not yet written, oldest first, with their job's id.
    pending: VecDeque<(HistoryEntry, Option<JobId>)>,
    /// The person was told entries wait; they hear again once all are written.
    told: bool,
}

impl Thread {
    fn run(mut self, rx: mpsc::Receiver<Msg>) {
        loop {
            let first = if self.pending.is_empty() {
                rx.recv().map_err(|_| RecvTimeoutError::Disconnected)
            } else {
                rx.recv_timeout(RETRY_AFTER)
            };
            let mut close = None;
            let mut flushed = Vec::new();
            match first {
                Ok(msg) => self.take(msg, &mut close, &mut flushed),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    self.write(true);
                    return;
                }
            }
            while let Ok(msg) = rx.try_recv() {
                self.take(msg, &mut close, &mut flushed);
            }
            self.write(close.is_some());
            for f in flushed {
                let _ = f.send(());
            }
            if let Some((after, done)) = close {
                let _ = after.blocking_recv();
                let _ = done.send(());
                return;
            }
        }
    }

    fn take(
        &mut self,
        msg: Msg,
        close: &mut Option<(oneshot::Receiver<()>, oneshot::Sender<()>)>,
        flushed: &mut Vec<oneshot::Sender<()>>,
    ) {
        match msg {
            Msg::Append(entry, job) => self.pending.push_back((*entry, job)),
            Msg::Flush(tx) => flushed.push(tx),
            Msg::Close { after, done } => *close = Some((after, done)),
        }
    }

    /// Writes what waits, oldest first, one entry at a time (so one cut short by a full disk
    /// never writes the ones before it twice). `last`: nothing will be tried after this.
    fn write(&mut self, last: bool) {
        let waited = self.pending.len();
        let mut failed = None;
        let mut written = Vec::new();
        while let Some((entry, job)) = self.pending.front() {
            match history::append(&self.data_dir, entry) {
                Ok(()) => {
                    written.extend(*job);
                    self.pending.pop_front();
                }
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        // A job named here leaves the journal: its line must be on the disk first, not only in
        // the page cache, or a power cut in between would leave the upload recorded nowhere.
        if let Some(tx) = self.recorded.as_ref().filter(|_| !written.is_empty()) {
            match history::sync(&self.data_dir) {
                Ok(()) => {
                    for id in written {
                        let _ = tx.send(id);
                    }
                }
                Err(e) => tracing::info!(error = %e, "cannot sync the upload history"),
            }
        }
        let path = crate::os_path::lossy(&history::path(&self.data_dir));
        let n = self.pending.len();
        match failed {
            None if self.told => {
                self.told = false;
                self.emit(
                    0,
                    format!(
                        "the upload history {path} is written again: the {} that waited {} in it",
                        uploads(waited),
                        if waited == 1 { "is" } else { "are" }
                    ),
                );
            }
            None => {}
            Some(e) => {
                // The person is told through the event (once, and at the end), not at each try.
                tracing::info!(error = %e, history = %path, "cannot append to the upload history");
                if last {
                    self.emit(n, format!(
                        "{} could not be added to the upload history {path} ({e}) and {} not in it: a later upload of {} sends {} again. {}",
                        uploads(n),
                        if n == 1 { "is" } else { "are" },
                        if n == 1 { "that file" } else { "those files" },
                        if n == 1 { "it" } else { "them" },
                        advice(&e)
                    ));
                } else if !self.told {
                    self.told = true;
                    self.emit(n, format!(
                        "cannot add {} to the upload history {path} ({e}); Wixup keeps {} and tries again. {}",
                        uploads(n),
                        if n == 1 { "it" } else { "them" },
                        advice(&e)
                    ));
                }
            }
        }
    }

    fn emit(&self, unsaved: usize, message: String) {
        let message = message.trim_end().to_string();
        if self
            .events
            .send(Event::History { unsaved, message })
            .is_ok()
            && let Some(n) = &self.notifier
        {
            n();
        }
    }
}

fn uploads(n: usize) -> String {
    if n == 1 {
        "1 finished upload".into()
    } else {
        format!("{n} finished uploads")
    }
}

/// What to do about a write that failed (a FIFO's error already says it).
fn advice(e: &std::io::Error) -> &'static str {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::StorageFull | K::QuotaExceeded => "Free some space on its disk.",
        K::PermissionDenied | K::ReadOnlyFilesystem => "Check that Wixup may write there.",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str) -> HistoryEntry {
        HistoryEntry::example(name, 1)
    }

    /// A history that cannot be written (a folder in its place) keeps its entries, says so
    /// once, writes them all once it can, and says that too.
    #[test]
    fn entries_wait_until_the_history_can_be_written() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = history::path(dir.path());
        std::fs::create_dir(&blocker).unwrap();
        let (events, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let (recorded, mut written) = tokio::sync::mpsc::unbounded_channel();
        let w =
            HistoryWriter::spawn(dir.path().to_path_buf(), events, None, Some(recorded)).unwrap();
        w.append(entry("a.jpg"), Some(JobId(1)));
        let Some(Event::History { unsaved, message }) = rx.blocking_recv() else {
            panic!("told")
        };
        assert_eq!(unsaved, 1);
        assert!(message.contains("history.jsonl is a folder"), "{message}");
        assert!(written.try_recv().is_err(), "not written: not told so");
        w.append(entry("b.jpg"), Some(JobId(2)));
        std::fs::remove_dir(&blocker).unwrap();
        let Some(Event::History { unsaved, message }) = rx.blocking_recv() else {
            panic!("told again")
        };
        assert_eq!(unsaved, 0, "{message}");
        assert!(message.contains("written again"), "{message}");
        let names: Vec<String> = history::load(dir.path())
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, ["b.jpg", "a.jpg"]);
        assert_eq!(written.try_recv().ok(), Some(JobId(1)), "told once written");
        assert_eq!(written.try_recv().ok(), Some(JobId(2)));
        let (done_tx, done) = oneshot::channel();
        let after = w.close_then(done_tx);
        drop(after);
        done.blocking_recv().expect("closed");
    }
}
