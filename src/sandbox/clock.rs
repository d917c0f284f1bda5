//! The sandbox's clock for lifetimes: an upload token, a one-PUT URL and a tus upload get their
//! expiry from it (`Upload-Expires` included) and are judged expired by it. It reads the system
//! clock plus an offset that only moves forward, and only when a test asks
//! ([`Clock::advance`], or the fault [`FaultKind::AdvanceClock`](super::FaultKind)), so a test
//! of expiry takes milliseconds instead of a lifetime. Left alone it is the system clock.
//!
//! Only lifetimes follow it: the processing delay, file dates and the rate limit keep real time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The system clock, possibly moved ahead by tests.
#[derive(Debug, Default)]
pub struct Clock {
    ahead_ms: AtomicU64,
}

impl Clock {
    /// Makes `by` pass at once: whatever would have expired by then has expired.
    pub fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        let _ = self
            .ahead_ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |a| {
                Some(a.saturating_add(ms))
            });
    }

    /// How far ahead of the system clock it is.
    pub fn ahead(&self) -> Duration {
        Duration::from_millis(self.ahead_ms.load(Ordering::SeqCst))
    }

    /// Seconds since the Unix epoch, by this clock.
    pub fn now_unix(&self) -> u64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        real.saturating_add(self.ahead_ms.load(Ordering::SeqCst)) / 1000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_is_the_system_clock_until_advanced() {
        let c = Clock::default();
        let real = || {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .expect("after 1970")
                .as_secs()
        };
        let (before, now, after) = (real(), c.now_unix(), real());
        assert!((before..=after).contains(&now), "{before} {now} {after}");
        c.advance(Duration::from_secs(3600));
        c.advance(Duration::from_millis(1500));
        assert_eq!(c.ahead(), Duration::from_millis(3_601_500));
        let now = c.now_unix();
        assert!(
            (before + 3601..=real() + 3602).contains(&now),
            "{before} {now}"
        );
    }
}
