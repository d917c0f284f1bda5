//! When a worker may start sending: the scheduler's slot, as a gate it opens.

use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use crate::engine::report::Stop;

/// When a worker may start sending: at once, or when the scheduler gives it a slot. Until then
/// it only prepares (the REST calls and the tus creation, saved in the journal), so the link
/// never idles between files.
pub(crate) enum Gate {
    Open,
    Closed(oneshot::Receiver<()>),
}

impl Gate {
    /// Waits for the slot; `Interrupted` when the job was paused, cancelled or shut down first.
    pub(super) async fn pass(self, cancel: &CancellationToken) -> Result<(), Stop> {
        match self {
            Gate::Open => Ok(()),
            Gate::Closed(rx) => tokio::select! {
                biased;
                _ = cancel.cancelled() => Err(Stop::Interrupted),
                r = rx => r.map_err(|_| Stop::Interrupted),
            },
        }
    }
}
