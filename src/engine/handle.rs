//! Starting an engine, and the handle a front end keeps to talk to it.

use tokio::sync::{mpsc, oneshot};

use super::command::Command;
use super::config::{EngineConfig, StartError};
use super::event::{Event, Notifier};
use super::job::Job;
use super::scheduler;

/// Sends commands to a running engine. Cheap to clone; never blocks.
#[derive(Clone)]
pub struct EngineHandle {
    tx: mpsc::UnboundedSender<Command>,
}

impl EngineHandle {
    /// Sends a command; `false` if the engine has stopped.
    pub fn send(&self, command: Command) -> bool {
        self.tx.send(command).is_ok()
    }

    /// Every job as the engine knows it now.
    pub async fn snapshot(&self) -> Vec<Job> {
        let (tx, rx) = oneshot::channel();
        if !self.send(Command::Snapshot(tx)) {
            return Vec::new();
        }
        rx.await.unwrap_or_default()
    }

    /// Stops the workers (uploads stay resumable) and flushes the journal.
    pub async fn shutdown(&self) {
        let (tx, rx) = oneshot::channel();
        if self.send(Command::Shutdown(tx)) {
            let _ = rx.await;
        }
    }
}

/// Starts an engine on the current tokio runtime: locks the data dir, loads the journal, and
/// continues unfinished jobs as `config.start` says.
pub fn start(
    config: EngineConfig,
    notifier: Option<Notifier>,
) -> Result<(EngineHandle, mpsc::UnboundedReceiver<Event>), StartError> {
    let (tx, rx) = mpsc::unbounded_channel();
    let (etx, erx) = mpsc::unbounded_channel();
    scheduler::spawn(config, rx, etx, notifier)?;
    Ok((EngineHandle { tx }, erx))
}
