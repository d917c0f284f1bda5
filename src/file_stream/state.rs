//! What a request body and the stall watchdog share: how far the body got, and when bytes last
//! moved.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Shared between a streamed body and the request's watchdog.
pub struct StreamState {
    /// Nanoseconds after `base` of the last frame handed to the connection.
    last_nanos: AtomicU64,
    base: Instant,
    /// Absolute offset up to which bytes were handed over.
    pub sent: AtomicU64,
    /// The file ended before the range did.
    pub short: AtomicBool,
}

impl StreamState {
    /// A body's state before its first byte, at `offset`.
    pub(super) fn new(offset: u64) -> Arc<Self> {
        Arc::new(StreamState {
            last_nanos: AtomicU64::new(0),
            base: Instant::now(),
            sent: AtomicU64::new(offset),
            short: AtomicBool::new(false),
        })
    }

    pub(super) fn touch(&self) {
        self.last_nanos
            .store(self.base.elapsed().as_nanos() as u64, Ordering::Relaxed);
    }

    /// When bytes last moved (never earlier than the request's start).
    pub fn last_activity(&self, request_start: Instant) -> Instant {
        let last = self.base + Duration::from_nanos(self.last_nanos.load(Ordering::Relaxed));
        last.max(request_start)
    }
}
