//! Progress as a front end sees it: in-flight bytes, a smoothed speed (an exponential average
//! with a two-second time constant) and an ETA. The scheduler sends them at most every 100 ms
//! per job.
//!
//! The speed is measured over the bytes the server confirmed, never over bytes handed to the
//! socket: at the start of a run the socket buffers swallow megabytes at once, which made a
//! 4.8 MiB/s link read 249.6 MiB/s for the first seconds.

use std::time::{Duration, Instant};

use crate::engine::event::Event;
use crate::engine::job::JobId;

/// Time constant of the speed average.
const SPEED_TAU_SECS: f64 = 2.0;

/// Once there is a speed, confirmations closer together than this do not update it (too noisy).
const MIN_SAMPLE: Duration = Duration::from_millis(200);

/// The first speed of a run is measured over at least this long, from the first byte sent.
const FIRST_SPAN: Duration = Duration::from_secs(1);

/// Runtime-only progress figures of one job, never journaled: bytes in flight and the speed
/// average of the current run.
#[derive(Default)]
pub(super) struct ProgressMeter {
    /// The highest offset sent so far in this run, acknowledged or not.
    sent_bytes: u64,
    /// What the server had confirmed when this run started.
    base: u64,
    /// The smoothed speed over confirmed bytes, bytes per second.
    bytes_per_sec: Option<f64>,
    /// The confirmation the speed is measured from: when, and the offset then. Taken when the
    /// first byte of a run goes out.
    sample: Option<(Instant, u64)>,
    /// Something changed since the last progress event.
    pub(super) changed: bool,
}

impl ProgressMeter {
    /// A worker starts (again) with `acknowledged` bytes already on the server: the speed is
    /// measured anew, from the first byte this run sends.
    pub(super) fn start(&mut self, acknowledged: u64) {
        self.base = acknowledged;
        self.sent_bytes = acknowledged;
        self.sample = None;
        self.bytes_per_sec = None;
    }

    /// The highest offset sent in this run.
    pub(super) fn sent_bytes(&self) -> u64 {
        self.sent_bytes
    }

    /// Bytes up to `offset` went out at `now` (not yet confirmed: no speed from them).
    pub(super) fn sent(&mut self, offset: u64, now: Instant) {
        if self.sample.is_none() {
            self.sample = Some((now, self.base.min(offset)));
        }
        self.sent_bytes = offset;
        self.changed = true;
    }

    /// The server confirmed bytes up to `offset` at `now`: update the smoothed speed.
    pub(super) fn acknowledged(&mut self, offset: u64, now: Instant) {
        self.changed = true;
        let Some((t, at)) = self.sample else {
            self.sample = Some((now, offset));
            return;
        };
        if offset < at {
            // Confirmed less than before (the server lost a part): measure from here.
            self.sample = Some((now, offset));
            return;
        }
        let dt = now.saturating_duration_since(t);
        let span = if self.bytes_per_sec.is_some() {
            MIN_SAMPLE
        } else {
            FIRST_SPAN
        };
        if offset == at || dt < span {
            return;
        }
        let dt = dt.as_secs_f64();
        let inst = (offset - at) as f64 / dt;
        let alpha = 1.0 - (-dt / SPEED_TAU_SECS).exp();
        self.bytes_per_sec = Some(match self.bytes_per_sec {
            Some(s) => s + alpha * (inst - s),
            None => inst,
        });
        self.sample = Some((now, offset));
    }

    /// The progress event for a job of `total_bytes` of which the server confirmed
    /// `acknowledged_bytes`; clears `changed`.
    pub(super) fn progress(
        &mut self,
        id: JobId,
        acknowledged_bytes: u64,
        total_bytes: u64,
    ) -> Event {
        self.changed = false;
        let bytes_per_sec = self.bytes_per_sec.filter(|s| *s > 0.0);
        let eta = bytes_per_sec.map(|s| {
            let left = total_bytes.saturating_sub(acknowledged_bytes) as f64 / s;
            // A crawl longer than a Duration holds reads as the longest one.
            Duration::try_from_secs_f64(left).unwrap_or(Duration::MAX)
        });
        Event::Progress {
            id,
            acknowledged_bytes,
            sent_bytes: self.sent_bytes.max(acknowledged_bytes),
            total_bytes,
            bytes_per_sec,
            eta,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(e: Event) -> (u64, Option<f64>, Option<Duration>) {
        match e {
            Event::Progress {
                sent_bytes,
                bytes_per_sec,
                eta,
                ..
            } => (sent_bytes, bytes_per_sec, eta),
            other => panic!("not progress: {other:?}"),
        }
    }

    /// Before, 8 MB handed to the socket in the first half second read as 16 MB/s on a link
    /// that confirms 1 MB/s.
    #[test]
    fn bytes_in_flight_are_no_speed_until_the_server_confirms_them() {
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let mut m = ProgressMeter::default();
        m.start(0);
        m.sent(1_000, t0);
        m.sent(8_000_000, at(500));
        assert!(m.changed);
        let (sent, speed, eta) = figures(m.progress(JobId(1), 0, 10_000_000));
        assert!(!m.changed);
        assert_eq!(sent, 8_000_000, "the bar may show what went out");
        assert_eq!((speed, eta), (None, None), "nothing confirmed, no speed");
        m.acknowledged(500_000, at(500));
        let (_, speed, _) = figures(m.progress(JobId(1), 500_000, 10_000_000));
        assert_eq!(speed, None, "not measured over less than a second");
        m.acknowledged(2_000_000, at(2000));
        let (_, speed, eta) = figures(m.progress(JobId(1), 2_000_000, 10_000_000));
        assert_eq!(speed, Some(1_000_000.0), "2 MB confirmed in 2 s");
        assert_eq!(eta, Some(Duration::from_secs(8)), "8 MB left at 1 MB/s");
    }

    #[test]
    fn a_resumed_run_measures_only_what_it_sent() {
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let mut m = ProgressMeter::default();
        m.start(0);
        m.sent(1, t0);
        m.acknowledged(5_000_000, at(1000));
        assert!(
            figures(m.progress(JobId(1), 5_000_000, 9_000_000))
                .1
                .is_some()
        );
        // Paused, resumed later with 6 MB on the server: the old speed is gone and the 6 MB
        // already there are not counted as sent in this run.
        m.start(6_000_000);
        let (sent, speed, _) = figures(m.progress(JobId(1), 6_000_000, 9_000_000));
        assert_eq!((sent, speed), (6_000_000, None));
        m.sent(6_500_000, at(60_000));
        m.acknowledged(7_000_000, at(61_000));
        let (_, speed, _) = figures(m.progress(JobId(1), 7_000_000, 9_000_000));
        assert_eq!(speed, Some(1_000_000.0));
    }

    #[test]
    fn the_average_smooths_and_a_server_that_lost_bytes_restarts_the_sample() {
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let mut m = ProgressMeter::default();
        m.start(0);
        m.sent(1, t0);
        m.acknowledged(1_000_000, at(1000)); // 1 MB/s
        m.acknowledged(1_000_000, at(1100)); // no news
        m.acknowledged(4_000_000, at(2000)); // 3 MB/s for a second: the average moves part way
        let (_, speed, _) = figures(m.progress(JobId(1), 4_000_000, 10_000_000));
        let alpha = 1.0 - (-1.0f64 / SPEED_TAU_SECS).exp();
        let expected = 1_000_000.0 + alpha * 2_000_000.0;
        assert!((speed.unwrap() - expected).abs() < 1.0, "{speed:?}");
        // The server now says 3 MB (it lost a part): the next sample starts there.
        m.acknowledged(3_000_000, at(2100));
        m.acknowledged(3_500_000, at(2600));
        let (_, after, _) = figures(m.progress(JobId(1), 3_500_000, 10_000_000));
        assert!(
            after.unwrap() < speed.unwrap(),
            "1 MB/s since pulls it down"
        );
    }
}
