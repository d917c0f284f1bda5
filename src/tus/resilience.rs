//! Not hanging and not giving up too early: the stall watchdog every request runs under, and the
//! backoff between retries.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::Error;
use super::body::StreamState;
use super::client::TusClient;
use super::file::Progress;

impl TusClient {
    /// Runs `fut` until it finishes, `cancel` fires, or no bytes move for the idle timeout.
    /// Bytes moving means the request body being pulled (when `state` is given); without a body
    /// the whole exchange must finish within the idle timeout.
    pub(super) async fn watch<T>(
        &self,
        fut: impl Future<Output = Result<T, Error>>,
        state: Option<Arc<StreamState>>,
        cancel: &CancellationToken,
    ) -> Result<T, Error> {
        let idle = self.config.idle_timeout;
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

    /// Waits before the next retry, or returns the error when it is final or retries ran out.
    pub(super) async fn backoff(
        &self,
        err: Error,
        attempt: &mut usize,
        progress: &dyn Progress,
        cancel: Option<&CancellationToken>,
    ) -> Result<(), Error> {
        if !err.is_retryable() {
            return Err(err);
        }
        match cancel {
            Some(c) => self.backoff_any(err, attempt, progress, c).await,
            None => {
                self.backoff_any(err, attempt, progress, &CancellationToken::new())
                    .await
            }
        }
    }

    /// Like `backoff`, for an error the caller already decided to retry. Hands the error back,
    /// as it was, when retries ran out.
    pub(super) async fn backoff_any(
        &self,
        err: Error,
        attempt: &mut usize,
        progress: &dyn Progress,
        cancel: &CancellationToken,
    ) -> Result<(), Error> {
        let Some(delay) = self.config.retry.delay(*attempt, err.retry_after()) else {
            return Err(err);
        };
        *attempt += 1;
        tracing::debug!(attempt = *attempt, ?delay, error = %err, "tus: retrying");
        progress.retrying(&err, *attempt, delay);
        tokio::select! {
            _ = tokio::time::sleep(delay) => Ok(()),
            _ = cancel.cancelled() => Err(Error::Cancelled),
        }
    }
}
