//! Not hanging: the stall watchdog every request runs under.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::body::StreamState;
use super::error::Error;

/// Runs `fut` until it finishes, `cancel` fires, or no bytes move for `idle`. Bytes moving means
/// the request body being pulled (when `state` is given); without a body the whole exchange must
/// finish within `idle`.
pub(super) async fn watch<T>(
    fut: impl Future<Output = Result<T, Error>>,
    state: Option<Arc<StreamState>>,
    idle: Duration,
    cancel: &CancellationToken,
) -> Result<T, Error> {
    let started = Instant::now();
    let tick = (idle / 4).clamp(Duration::from_millis(20), Duration::from_secs(1));
    let mut ticker = tokio::time::interval(tick);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(fut);
    loop {
        tokio::select! {
            r = &mut fut => return r,
            _ = cancel.cancelled() => return Err(Error::Cancelled),
            _ = ticker.tick() => {
                let last = state.as_ref().map_or(started, |s| s.last_activity(started));
                if last.elapsed() >= idle {
                    return Err(Error::Stalled(idle));
                }
            }
        }
    }
}
