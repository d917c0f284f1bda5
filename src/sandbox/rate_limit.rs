//! `--rate-limit N/min` on the REST calls: a sliding window of the calls let through. A call
//! over the limit gets Wix's 429 `RESOURCE_EXHAUSTED`; every other refusal carries
//! `Retry-After` (Wix documents none, so a client must also back off on its own).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::profile::RateLimit;

/// The calls let through in the current window.
pub(super) struct Limiter {
    limit: RateLimit,
    inner: Mutex<Window>,
}

struct Window {
    /// When each call of the window was let through, oldest first.
    calls: VecDeque<Instant>,
    refusals: u64,
}

/// A refused call: how long until one is let through again, when the answer says so.
pub(super) struct Refusal {
    pub retry_after: Option<Duration>,
}

impl Limiter {
    pub(super) fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            inner: Mutex::new(Window {
                calls: VecDeque::new(),
                refusals: 0,
            }),
        }
    }

    /// Lets a call through now, or refuses it.
    pub(super) fn admit(&self, now: Instant) -> Result<(), Refusal> {
        let mut w = match self.inner.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        while w
            .calls
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.limit.per)
        {
            w.calls.pop_front();
        }
        if w.calls.len() < self.limit.calls as usize {
            w.calls.push_back(now);
            return Ok(());
        }
        w.refusals += 1;
        let free_at = w.calls.front().map(|t| *t + self.limit.per);
        let wait = free_at.map(|t| t.saturating_duration_since(now));
        Err(Refusal {
            // Whole seconds, rounded up, on every other refusal.
            retry_after: (w.refusals % 2 == 1)
                .then(|| wait.map(|d| Duration::from_secs(d.as_secs() + 1)))
                .flatten(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lets_n_through_per_window_and_says_when_to_come_back() {
        let l = Limiter::new(RateLimit {
            calls: 2,
            per: Duration::from_secs(60),
        });
        let t0 = Instant::now();
        assert!(l.admit(t0).is_ok());
        assert!(l.admit(t0 + Duration::from_secs(10)).is_ok());
        let first = l.admit(t0 + Duration::from_secs(20)).unwrap_err();
        assert_eq!(first.retry_after, Some(Duration::from_secs(41)));
        let second = l.admit(t0 + Duration::from_secs(21)).unwrap_err();
        assert_eq!(second.retry_after, None, "every other refusal has none");
        // The first call left the window.
        assert!(l.admit(t0 + Duration::from_secs(60)).is_ok());
        assert!(l.admit(t0 + Duration::from_secs(61)).is_err());
    }
}
