//! Progress as a front end sees it: in-flight bytes, a smoothed speed (an exponential average
//! with a two-second time constant) and an ETA. The scheduler sends them at most every 100 ms
//! per job.

use std::time::{Duration, Instant};

use crate::engine::event::Event;
use crate::engine::job::JobId;

/// Time constant of the speed average.
const SPEED_TAU_SECS: f64 = 2.0;

/// Samples closer together than this do not update the speed (too noisy).
const MIN_SAMPLE_SECS: f64 = 0.2;

/// No speed (and no ETA) is shown before a run has lasted this long.
const SETTLE: Duration = Duration::from_secs(1);

/// Runtime-only progress figures of one job, never journaled: bytes in flight and the speed
/// average of the current run.
#[derive(Default)]
pub(super) struct ProgressMeter {
    /// The highest offset sent so far in this run, acknowledged or not.
    sent_bytes: u64,
    /// The smoothed speed, bytes per second.
    bytes_per_sec: Option<f64>,
    /// The last sample the speed was computed from: when, and the offset then.
    sample: Option<(Instant, u64)>,
    /// When the current run started.
    started: Option<Instant>,
    /// Something changed since the last progress event.
    pub(super) changed: bool,
}

impl ProgressMeter {
    /// A worker starts (again): the speed restarts from the next sample.
    pub(super) fn start(&mut self, now: Instant) {
        self.started = Some(now);
        self.sample = None;
    }

    /// The highest offset sent in this run.
    pub(super) fn sent_bytes(&self) -> u64 {
        self.sent_bytes
    }

    /// Bytes up to `offset` went out at `now`: update the smoothed speed.
    pub(super) fn sent(&mut self, offset: u64, now: Instant) {
        match self.sample {
            Some((t, at)) if offset > at => {
                let dt = now.duration_since(t).as_secs_f64();
                if dt >= MIN_SAMPLE_SECS {
                    let inst = (offset - at) as f64 / dt;
                    let alpha = 1.0 - (-dt / SPEED_TAU_SECS).exp();
                    self.bytes_per_sec = Some(match self.bytes_per_sec {
                        Some(s) => s + alpha * (inst - s),
                        None => inst,
                    });
                    self.sample = Some((now, offset));
                }
            }
            Some(_) => {}
            None => self.sample = Some((now, offset)),
        }
        if offset < self.sent_bytes {
            self.sample = Some((now, offset)); // resent after a retry
        }
        self.sent_bytes = offset;
        self.changed = true;
    }

    /// The progress event for a job of `total_bytes` of which the server confirmed
    /// `acknowledged_bytes`, as of `now`; clears `changed`.
    pub(super) fn progress(
        &mut self,
        id: JobId,
        acknowledged_bytes: u64,
        total_bytes: u64,
        now: Instant,
    ) -> Event {
        self.changed = false;
        let running_for = self
            .started
            .map(|s| now.saturating_duration_since(s))
            .unwrap_or_default();
        let bytes_per_sec = self
            .bytes_per_sec
            .filter(|s| *s > 0.0 && running_for >= SETTLE);
        let eta = bytes_per_sec.and_then(|s| {
            let left = total_bytes.saturating_sub(acknowledged_bytes) as f64 / s;
            left.is_finite().then(|| Duration::from_secs_f64(left))
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

    #[test]
    fn speed_and_eta_appear_once_the_run_settles() {
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let mut m = ProgressMeter::default();
        m.start(t0);
        m.sent(0, t0);
        m.sent(100_000, at(100)); // too close to the last sample: no speed yet
        m.sent(500_000, at(500));
        assert!(m.changed);
        let (sent, speed, _) = figures(m.progress(JobId(1), 0, 2_000_000, at(500)));
        assert!(!m.changed);
        assert_eq!(sent, 500_000);
        assert_eq!(speed, None, "not before the run lasted a second");
        let (_, speed, eta) = figures(m.progress(JobId(1), 1_000_000, 2_000_000, at(1000)));
        assert_eq!(
            speed,
            Some(1_000_000.0),
            "the first sample is taken as it is"
        );
        assert_eq!(eta, Some(Duration::from_secs(1)), "1 MB left at 1 MB/s");
    }

    #[test]
    fn the_average_smooths_and_a_resend_restarts_the_sample() {
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let mut m = ProgressMeter::default();
        m.start(t0);
        m.sent(0, t0);
        m.sent(1_000_000, at(1000)); // 1 MB/s
        m.sent(4_000_000, at(2000)); // 3 MB/s for a second: the average moves part way
        let (_, speed, _) = figures(m.progress(JobId(1), 0, 10_000_000, at(2000)));
        let alpha = 1.0 - (-1.0f64 / SPEED_TAU_SECS).exp();
        let expected = 1_000_000.0 + alpha * 2_000_000.0;
        assert!((speed.unwrap() - expected).abs() < 1.0, "{speed:?}");
        // A retry resends from 3 MB: shown sent bytes never drop below what was acknowledged,
        // and the next speed sample starts from the resend.
        m.sent(3_000_000, at(2100));
        let (sent, _, _) = figures(m.progress(JobId(1), 3_500_000, 10_000_000, at(2100)));
        assert_eq!(sent, 3_500_000);
        m.sent(3_500_000, at(2600));
        let (_, after, _) = figures(m.progress(JobId(1), 3_500_000, 10_000_000, at(2600)));
        assert!(
            after.unwrap() < speed.unwrap(),
            "1 MB/s since the resend pulls it down"
        );
    }
}
