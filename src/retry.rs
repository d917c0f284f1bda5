//! The retry schedule, the retry count and the one sleep shared by the tus client and the Wix
//! Media client. Each client's loop around them is a few lines: the tus client's machines decide
//! (a pure `Step::Wait`) and its driver sleeps here; the Wix client's transport retries a call.
//!
//! Delays follow tus-js-client's idea (a short list of growing delays) extended for long outages:
//! about 0, 1, 3, 5, 10 and 20 seconds, each with up to 20 % random jitter so that many uploads
//! failing together do not retry in lock-step. A [`Backoff`] counts the retries of one operation;
//! the tus client resets it whenever an upload made progress, so an upload that keeps advancing
//! can be interrupted any number of times. [`wait`] is the one place that sleeps between tries.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// How often and how long to wait before retrying a transient failure.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// One retry per entry: the delay before that retry. Empty means never retry.
    pub delays: Vec<Duration>,
    /// Add up to this fraction of each delay at random (0.0 disables jitter).
    pub jitter: f64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            delays: [0, 1, 3, 5, 10, 20]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
            jitter: 0.2,
        }
    }
}

impl RetryPolicy {
    /// Retries immediately, `retries` times: what tests use so they never sleep.
    pub fn immediate(retries: usize) -> Self {
        Self {
            delays: vec![Duration::ZERO; retries],
            jitter: 0.0,
        }
    }

    /// The delay before retry number `attempt` (0-based), or `None` when retries are used up.
    /// A server's `Retry-After` wins when it asks for longer.
    pub fn delay(&self, attempt: usize, retry_after: Option<Duration>) -> Option<Duration> {
        let base = *self.delays.get(attempt)?;
        let jittered = if self.jitter > 0.0 && !base.is_zero() {
            base.mul_f64(1.0 + self.jitter * fastrand::f64())
        } else {
            base
        };
        Some(match retry_after {
            // Never wait unboundedly long because a server said so.
            Some(ra) => jittered.max(ra.min(Duration::from_secs(300))),
            None => jittered,
        })
    }
}

/// How long one operation may wait out a server that says "too many requests" (429): a rate
/// limit is a queue, not a failure, so it is not bounded by the retry count but by time.
pub const THROTTLED_BUDGET: Duration = Duration::from_secs(15 * 60);
/// The shortest wait after a 429 (a policy of immediate retries must not spin on one).
const MIN_THROTTLED_DELAY: Duration = Duration::from_millis(250);

/// The retries of one operation: which attempt this is, against a [`RetryPolicy`].
#[derive(Debug, Clone)]
pub struct Backoff {
    policy: RetryPolicy,
    /// Retries granted since the start or the last [`Backoff::reset`].
    attempt: usize,
    /// Retries after a 429 (counted apart: a rate limit must not use up the retries of
    /// failures), and the time waited for them.
    throttled: usize,
    throttled_for: Duration,
}

impl Backoff {
    pub fn new(policy: RetryPolicy) -> Self {
        Self {
            policy,
            attempt: 0,
            throttled: 0,
            throttled_for: Duration::ZERO,
        }
    }

    /// The wait before retrying a call the server refused as too many (429): its
    /// `Retry-After`, or the policy's delay (its last one once used up), at least 250 ms;
    /// `None` once [`THROTTLED_BUDGET`] has been waited.
    pub fn next_throttled_delay(&mut self, retry_after: Option<Duration>) -> Option<Duration> {
        if self.throttled_for >= THROTTLED_BUDGET {
            return None;
        }
        let last = self.policy.delays.len().saturating_sub(1);
        let delay = self
            .policy
            .delay(self.throttled.min(last), retry_after)
            .unwrap_or(Duration::from_secs(1))
            .max(MIN_THROTTLED_DELAY);
        self.throttled += 1;
        self.throttled_for += delay;
        Some(delay)
    }

    /// The wait before retrying a failure, counting the retry; `None` when the failure is final
    /// (`retryable` false) or the retries are used up. A server's `Retry-After` wins when it asks
    /// for longer (capped by the policy).
    pub fn next_delay(
        &mut self,
        retryable: bool,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        if !retryable {
            return None;
        }
        let delay = self.policy.delay(self.attempt, retry_after)?;
        self.attempt += 1;
        Some(delay)
    }

    /// Retries granted so far (1 for the first retry), rate-limited ones included.
    pub fn attempt(&self) -> usize {
        self.attempt + self.throttled
    }

    /// The operation made progress: the next failure starts the schedule again.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

/// Sleeps `delay`; false when `cancel` fired first.
pub async fn wait(delay: Duration, cancel: &CancellationToken) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(delay) => true,
        _ = cancel.cancelled() => false,
    }
}

/// Where a retry after a failure to reach anything looks for the network: a TCP connection to
/// the server, or to the proxy in front of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Beacon {
    host: String,
    port: u16,
}

/// The system said the network may be back (woke from sleep, connected): every wait for the
/// network looks again at once. Process-wide, as the system's network is.
static NETWORK_HINT: tokio::sync::Notify = tokio::sync::Notify::const_new();
/// Hints received, for the log and tests.
static HINTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The system says the network may be back: waits for it look now rather than at their next
/// second (see `crate::net_hints`).
pub fn network_hint() {
    HINTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    NETWORK_HINT.notify_waiters();
}

/// How many hints the system gave so far.
pub fn network_hints() -> u64 {
    HINTS.load(std::sync::atomic::Ordering::Relaxed)
}

/// A beacon's connection attempt gives up after this (a silent network drops the SYN).
const BEACON_TIMEOUT: Duration = Duration::from_secs(2);
/// Between two looks for the network while it is gone.
const BEACON_EVERY: Duration = Duration::from_secs(1);
/// Between two looks at the least, when the system says the network may be back.
const HINTED_LOOK: Duration = Duration::from_millis(250);

impl Beacon {
    /// The host requests to `url` connect to through `network`: its proxy's, else `url`'s.
    pub fn for_url(url: &reqwest::Url, network: &crate::net::Network) -> Option<Beacon> {
        let to = network.for_url(url).unwrap_or_else(|| url.clone());
        Some(Beacon {
            host: to
                .host_str()?
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
            // A SOCKS proxy named without a port is on 1080, as reqwest takes it.
            port: to
                .port_or_known_default()
                .or_else(|| to.scheme().starts_with("socks").then_some(1080))?,
        })
    }

    /// Waits until the next look for the network: a second, or less when the system says it
    /// may be back.
    pub async fn next_look() {
        // Never sooner than this, however many hints come (any local process may send them).
        tokio::time::sleep(HINTED_LOOK).await;
        tokio::select! {
            _ = tokio::time::sleep(BEACON_EVERY - HINTED_LOOK) => {}
            _ = NETWORK_HINT.notified() => {}
        }
    }

    /// Whether a connection to it opens now.
    pub async fn reachable(&self) -> bool {
        let connect = tokio::net::TcpStream::connect((self.host.as_str(), self.port));
        matches!(
            tokio::time::timeout(BEACON_TIMEOUT, connect).await,
            Ok(Ok(_))
        )
    }
}

/// Sleeps `delay` before retrying a failure to reach anything (no connection, a stall). Where
/// the network is gone (a first connection to the beacon fails), the wait ends as soon as one
/// opens, so a transfer goes on within a few seconds of the link's return rather than after the
/// rest of a long backoff; where the beacon answers at once, the server is what failed and the
/// whole delay is waited. False when `cancel` fired first.
pub async fn wait_offline(
    delay: Duration,
    beacon: Option<&Beacon>,
    cancel: &CancellationToken,
) -> bool {
    let Some(beacon) = beacon.filter(|_| delay > BEACON_EVERY) else {
        return wait(delay, cancel).await;
    };
    let deadline = tokio::time::Instant::now() + delay;
    let back = async {
        if beacon.reachable().await {
            return std::future::pending::<()>().await;
        }
        loop {
            Beacon::next_look().await;
            if beacon.reachable().await {
                tracing::debug!("the network is back: retrying now");
                return;
            }
        }
    };
    tokio::select! {
        _ = tokio::time::sleep_until(deadline) => true,
        () = back => true,
        _ = cancel.cancelled() => false,
    }
}

/// Parses a `Retry-After` header value given in seconds (the HTTP-date form is also accepted).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_schedule_is_about_0_1_3_5_10_20() {
        let p = RetryPolicy::default();
        let secs: Vec<f64> = (0..6)
            .map(|i| p.delay(i, None).map(|d| d.as_secs_f64()).unwrap_or(-1.0))
            .collect();
        for (got, want) in secs.iter().zip([0.0, 1.0, 3.0, 5.0, 10.0, 20.0]) {
            assert!(*got >= want && *got <= want * 1.2 + 1e-9, "{got} vs {want}");
        }
        assert_eq!(p.delay(6, None), None);
    }

    #[test]
    fn a_rate_limit_is_waited_out_by_time_not_by_count() {
        let mut b = Backoff::new(RetryPolicy::immediate(2));
        // Far more retries than the policy's two, each at least the floor, then the budget ends.
        let mut waited = Duration::ZERO;
        let mut n = 0;
        while let Some(d) = b.next_throttled_delay(None) {
            assert!(d >= MIN_THROTTLED_DELAY);
            waited += d;
            n += 1;
        }
        assert!(
            n > 100 && waited >= THROTTLED_BUDGET,
            "{n} retries, {waited:?}"
        );
        // Being rate limited leaves the retries of failures untouched.
        assert_eq!(b.next_delay(true, None), Some(Duration::ZERO));
        assert_eq!(b.next_delay(true, None), Some(Duration::ZERO));
        assert_eq!(b.next_delay(true, None), None);
        let mut b = Backoff::new(RetryPolicy::immediate(2));
        assert_eq!(
            b.next_throttled_delay(Some(Duration::from_secs(7))),
            Some(Duration::from_secs(7))
        );
    }

    #[test]
    fn retry_after_extends_but_is_capped() {
        let p = RetryPolicy::immediate(1);
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(7))),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(100_000))),
            Some(Duration::from_secs(300))
        );
        assert_eq!(parse_retry_after(" 12 "), Some(Duration::from_secs(12)));
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn backoff_counts_retries_until_the_policy_runs_out() {
        let mut b = Backoff::new(RetryPolicy::immediate(2));
        assert_eq!(
            b.next_delay(false, None),
            None,
            "a final failure is never retried"
        );
        assert_eq!(b.attempt(), 0);
        assert_eq!(b.next_delay(true, None), Some(Duration::ZERO));
        assert_eq!(
            b.next_delay(true, Some(Duration::from_secs(4))),
            Some(Duration::from_secs(4))
        );
        assert_eq!(b.attempt(), 2);
        assert_eq!(b.next_delay(true, None), None, "retries used up");
        assert_eq!(b.attempt(), 2);
        b.reset();
        assert_eq!(b.next_delay(true, None), Some(Duration::ZERO));
        assert_eq!(b.attempt(), 1);
    }

    #[tokio::test]
    async fn wait_sleeps_unless_cancelled() {
        let cancel = CancellationToken::new();
        assert!(wait(Duration::from_millis(1), &cancel).await);
        cancel.cancel();
        // Far longer than any test runs: only the cancellation can end it.
        assert!(!wait(Duration::from_secs(3600), &cancel).await);
    }
}
