//! The status bar's counts and figures over the queue's rows: how many in each state, the bytes
//! confirmed, the summed speed, and a time left that is never sooner than a running row's.

use std::time::Duration;

use crate::engine::JobState;

use super::queue_row::Row;

/// Counts for the status bar.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Totals {
    pub queued: usize,
    pub uploading: usize,
    pub paused: usize,
    pub done: usize,
    pub failed: usize,
    /// Failed rows a Retry can help (not those that failed for good, like an empty file).
    pub retryable: usize,
    pub cancelled: usize,
    /// Uploading rows that are waiting out a transient failure.
    pub retrying: usize,
    pub bytes_total: u64,
    pub bytes_acknowledged: u64,
    /// The sum of the running rows' speeds (each measured over bytes the server confirmed).
    pub bytes_per_sec: f64,
    /// Time left for the whole queue: what is left at the rows' summed speed, and never sooner
    /// than the slowest running row says. `None` until a row has a speed.
    pub eta: Option<Duration>,
}

impl Totals {
    /// The counts and figures of `rows`.
    pub(super) fn of(rows: &[Row]) -> Totals {
        let mut t = Totals::default();
        let mut slowest_row: Option<Duration> = None;
        for r in rows {
            match r.state {
                JobState::Queued => t.queued += 1,
                JobState::Uploading | JobState::Finalizing | JobState::Processing => {
                    t.uploading += 1;
                    t.retrying += usize::from(r.retry.is_some());
                    t.bytes_per_sec += r.speed.unwrap_or(0.0);
                    slowest_row = slowest_row.max(r.eta);
                }
                JobState::Paused => t.paused += 1,
                JobState::Done => t.done += 1,
                JobState::Failed => {
                    t.failed += 1;
                    t.retryable += usize::from(!r.error.as_ref().is_some_and(|e| e.permanent));
                }
                JobState::Cancelled => t.cancelled += 1,
            }
            if r.state != JobState::Cancelled {
                t.bytes_total += r.size_bytes;
                t.bytes_acknowledged += r.acknowledged.min(r.size_bytes);
            }
        }
        if t.bytes_per_sec > 0.0 {
            let left = t.bytes_total.saturating_sub(t.bytes_acknowledged) as f64;
            // A crawl longer than a Duration holds reads as the longest one.
            let all = Duration::try_from_secs_f64(left / t.bytes_per_sec).unwrap_or(Duration::MAX);
            t.eta = Some(all.max(slowest_row.unwrap_or_default()));
        }
        t
    }

    pub fn all(&self) -> usize {
        self.queued + self.uploading + self.paused + self.done + self.failed + self.cancelled
    }

    /// Every running upload is retrying: the connection, not a file, is the problem.
    pub fn connection_trouble(&self) -> bool {
        self.uploading > 0 && self.retrying == self.uploading
    }

    /// Something will still move without the person doing anything.
    pub fn busy(&self) -> bool {
        self.queued + self.uploading > 0
    }
}
