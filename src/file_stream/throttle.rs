//! "Limit upload speed": one budget of bytes a second shared by every transfer (tus PATCHes,
//! creation-with-upload, one-PUTs), changeable while they send. Every request body is wrapped in
//! [`Throttled`], which holds each frame back until the budget (a token bucket,
//! `async-speed-limit`) allows it. Off, it passes frames straight through.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body::Frame;

use super::state::StreamState;

/// The least limit: below it a frame would wait long enough for the stall watchdog.
pub const MIN_RATE: u64 = 64 * 1024;

/// A frame is held back in pieces no larger than this, so that a low limit moves bytes (and
/// the stall watchdog sees them move) several times a second.
const PIECE: usize = 64 * 1024;

/// The shared upload budget. Clones share it; [`Throttle::set`] applies to transfers under way.
#[derive(Clone)]
pub struct Throttle {
    inner: Arc<Inner>,
}

struct Inner {
    bucket: async_speed_limit::Limiter,
    /// Bytes a second; 0: no limit.
    rate: AtomicU64,
    /// When a frame was last held back (nanoseconds after `base`; 0: never).
    held_at: AtomicU64,
    base: Instant,
}

impl Default for Throttle {
    /// No limit.
    fn default() -> Self {
        Throttle::new(None)
    }
}

impl std::fmt::Debug for Throttle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Throttle({:?})", self.rate())
    }
}

impl Throttle {
    pub fn new(rate: Option<u64>) -> Throttle {
        let t = Throttle {
            inner: Arc::new(Inner {
                bucket: async_speed_limit::Limiter::new(f64::INFINITY),
                rate: AtomicU64::new(0),
                held_at: AtomicU64::new(0),
                base: Instant::now(),
            }),
        };
        t.set(rate);
        t
    }

    /// Limits every transfer together to `rate` bytes a second (at least [`MIN_RATE`]), or
    /// lifts the limit. Transfers under way follow from their next frame.
    pub fn set(&self, rate: Option<u64>) {
        let rate = rate.map(|r| r.max(MIN_RATE));
        self.inner.rate.store(rate.unwrap_or(0), Ordering::Relaxed);
        self.inner
            .bucket
            .set_speed_limit(rate.map_or(f64::INFINITY, |r| r as f64));
    }

    /// The limit, in bytes a second.
    pub fn rate(&self) -> Option<u64> {
        Some(self.inner.rate.load(Ordering::Relaxed)).filter(|r| *r > 0)
    }

    /// Whether the limit held a transfer back within `within`: the speed is the limit's, not
    /// the link's (more transfers would not help).
    pub fn holding(&self, within: Duration) -> bool {
        let at = self.inner.held_at.load(Ordering::Relaxed);
        at > 0 && self.inner.base.elapsed().as_nanos() as u64 - at < within.as_nanos() as u64
    }

    /// How long `bytes` must wait (zero when there is no limit), charged to the budget.
    fn charge(&self, bytes: usize) -> Duration {
        if self.rate().is_none() {
            return Duration::ZERO;
        }
        let wait = self.inner.bucket.consume_duration(bytes);
        if !wait.is_zero() {
            let now = self.inner.base.elapsed().as_nanos() as u64;
            self.inner.held_at.store(now.max(1), Ordering::Relaxed);
        }
        wait
    }
}

/// A request body whose data frames go out within the [`Throttle`]'s budget.
pub struct Throttled<B> {
    inner: B,
    throttle: Throttle,
    state: Arc<StreamState>,
    /// What is left of a frame being let out piece by piece.
    held: Option<Bytes>,
    /// A piece charged to the budget, going out when `sleep` ends.
    charged: Option<Bytes>,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<B> Throttled<B> {
    pub(super) fn new(inner: B, throttle: Throttle, state: Arc<StreamState>) -> Self {
        Throttled {
            inner,
            throttle,
            state,
            held: None,
            charged: None,
            sleep: None,
        }
    }

    fn waiting(&self) -> u64 {
        let len = |b: &Option<Bytes>| b.as_ref().map_or(0, |b| b.len() as u64);
        len(&self.held) + len(&self.charged)
    }
}

impl<B> http_body::Body for Throttled<B>
where
    B: http_body::Body<Data = Bytes, Error = std::io::Error> + Unpin,
{
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        let this = &mut *self;
        loop {
            if this.charged.is_some() {
                if let Some(s) = &mut this.sleep {
                    ready!(s.as_mut().poll(cx));
                    this.sleep = None;
                    // The wait was the limit's, not a stall.
                    this.state.touch();
                }
                return Poll::Ready(this.charged.take().map(|b| Ok(Frame::data(b))));
            }
            if let Some(rest) = &mut this.held {
                let piece = rest.split_to(PIECE.min(rest.len()));
                if rest.is_empty() {
                    this.held = None;
                }
                let wait = this.throttle.charge(piece.len());
                if wait.is_zero() {
                    return Poll::Ready(Some(Ok(Frame::data(piece))));
                }
                this.charged = Some(piece);
                this.sleep = Some(Box::pin(tokio::time::sleep(wait)));
                continue;
            }
            return match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) if this.throttle.rate().is_some() && !data.is_empty() => {
                        this.held = Some(data);
                        continue;
                    }
                    Ok(data) => Poll::Ready(Some(Ok(Frame::data(data)))),
                    // Trailers.
                    Err(frame) => Poll::Ready(Some(Ok(frame))),
                },
                other => Poll::Ready(other),
            };
        }
    }

    fn is_end_stream(&self) -> bool {
        self.waiting() == 0 && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        let inner = self.inner.size_hint();
        let extra = self.waiting();
        let mut hint = http_body::SizeHint::new();
        hint.set_lower(inner.lower() + extra);
        if let Some(upper) = inner.upper() {
            hint.set_upper(upper + extra);
        }
        hint
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_is_at_least_the_floor_and_can_be_lifted() {
        let t = Throttle::new(Some(1000));
        assert_eq!(t.rate(), Some(MIN_RATE));
        t.set(Some(5_000_000));
        assert_eq!(t.clone().rate(), Some(5_000_000), "clones share it");
        t.set(None);
        assert_eq!(t.rate(), None);
        assert_eq!(t.charge(10 << 20), Duration::ZERO);
        assert!(!t.holding(Duration::from_secs(1)));
    }

    #[test]
    fn the_budget_is_charged_and_holding_is_said() {
        let t = Throttle::new(Some(1_000_000));
        // A burst well past a second's budget must wait about what it exceeds.
        let mut waited = Duration::ZERO;
        for _ in 0..30 {
            waited = waited.max(t.charge(100_000));
        }
        assert!(waited >= Duration::from_millis(1500), "{waited:?}");
        assert!(t.holding(Duration::from_secs(1)));
    }
}
