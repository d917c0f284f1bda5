//! Not hanging: the stall watchdog every upload request runs under.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::state::StreamState;

/// Why [`watch`] ended a request before it finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interrupted {
    /// No bytes moved for this long.
    Stalled(Duration),
    /// Its owner cancelled it (pause, cancel, shutdown).
    Cancelled,
}

/// Runs `fut` until it finishes, `cancel` fires, or no bytes move for `idle`. Bytes moving means
/// the request body being pulled (when `state` is given); without a body the whole exchange must
/// finish within `idle`.
pub async fn watch<T, E: From<Interrupted>>(
    fut: impl Future<Output = Result<T, E>>,
    state: Option<Arc<StreamState>>,
    idle: Duration,
    cancel: &CancellationToken,
) -> Result<T, E> {
    let started = Instant::now();
    let tick = (idle / 4).clamp(Duration::from_millis(20), Duration::from_secs(1));
    let mut ticker = tokio::time::interval(tick);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(fut);
    loop {
        tokio::select! {
            r = &mut fut => return r,
            _ = cancel.cancelled() => return Err(Interrupted::Cancelled.into()),
            _ = ticker.tick() => {
                let last = state.as_ref().map_or(started, |s| s.last_activity(started));
                if last.elapsed() >= idle {
                    return Err(Interrupted::Stalled(idle).into());
                }
            }
        }
    }
}
