//! Progress as a front end sees it: in-flight bytes, a smoothed speed (an exponential average
//! with a two-second time constant) and an ETA, sent at most every 100 ms per job.

use std::time::{Duration, Instant};

use super::Scheduler;
use crate::engine::Event;
use crate::engine::job::JobId;

/// Time constant of the speed average.
const SPEED_TAU_SECS: f64 = 2.0;

/// Runtime-only facts about a job: in-flight bytes and the speed average.
#[derive(Default)]
pub(super) struct Live {
    pub(super) sent: u64,
    pub(super) speed: Option<f64>,
    pub(super) sample: Option<(Instant, u64)>,
    pub(super) started: Option<Instant>,
    pub(super) changed: bool,
}

impl Live {
    /// Bytes up to `offset` went out: update the smoothed speed.
    pub(super) fn sent(&mut self, offset: u64) {
        let now = Instant::now();
        match self.sample {
            Some((t, at)) if offset > at => {
                let dt = now.duration_since(t).as_secs_f64();
                if dt >= 0.2 {
                    let inst = (offset - at) as f64 / dt;
                    let alpha = 1.0 - (-dt / SPEED_TAU_SECS).exp();
                    self.speed = Some(match self.speed {
                        Some(s) => s + alpha * (inst - s),
                        None => inst,
                    });
                    self.sample = Some((now, offset));
                }
            }
            Some(_) => {}
            None => self.sample = Some((now, offset)),
        }
        if offset < self.sent {
            self.sample = Some((now, offset)); // resent after a retry
        }
        self.sent = offset;
        self.changed = true;
    }
}

impl Scheduler {
    pub(super) fn flush_progress(&mut self) {
        let changed: Vec<JobId> = self
            .live
            .iter()
            .filter(|(_, l)| l.changed)
            .map(|(id, _)| *id)
            .collect();
        for id in changed {
            self.flush_one(id);
        }
    }

    pub(super) fn flush_one(&mut self, id: JobId) {
        let Some(job) = self.jobs.get(&id) else {
            return;
        };
        let Some(live) = self.live.get_mut(&id) else {
            return;
        };
        live.changed = false;
        let total = job.size_bytes;
        let acknowledged = job.acknowledged_bytes;
        let running_for = live.started.map(|s| s.elapsed()).unwrap_or_default();
        let speed = live
            .speed
            .filter(|s| *s > 0.0 && running_for >= Duration::from_secs(1));
        let eta = speed.and_then(|s| {
            let left = total.saturating_sub(acknowledged) as f64 / s;
            left.is_finite().then(|| Duration::from_secs_f64(left))
        });
        let event = Event::Progress {
            id,
            acknowledged_bytes: acknowledged,
            sent_bytes: live.sent.max(acknowledged),
            total_bytes: total,
            bytes_per_sec: speed,
            eta,
        };
        self.emit(event);
    }
}
