//! Parallelism that adapts: start at a few transfers and add one while the total goodput grows
//! (more files at once hide each file's round trips and fill a long fat link), back off when
//! the server pushes back (429s, retried failures), and re-probe now and then. Fixed when the
//! person chose a number.

use std::time::{Duration, Instant};

use crate::engine::config::{MAX_PARALLEL, Parallelism};

/// Goodput is judged over windows this long.
const WINDOW: Duration = Duration::from_secs(1);
/// One more transfer is kept when it brings at least this much more goodput.
const GROWTH: f64 = 1.05;
/// Windows in a row without growth before the count settles.
const FLAT_WINDOWS: u32 = 2;
/// How long a settled count stays before another one is tried.
const SETTLED_FOR: Duration = Duration::from_secs(15);
/// The least time between two cuts for push-back.
const CUT_SPACING: Duration = Duration::from_secs(3);
/// How long after a push-back no transfer is added.
const PUSHED_BACK_FOR: Duration = Duration::from_secs(10);

/// A slot in quarters: under `auto`, a file below [`SMALL_FILE`] takes one, a bigger one
/// four; a fixed number counts files, each taking a whole slot.
pub(super) const QUARTERS: usize = 4;

/// A file this small is sent in a round trip or two, most of it waiting rather than sending:
/// under `auto` it takes a quarter of a slot, so that enough of them are under way to keep the
/// link busy between their round trips (a link of 60 ms and 100 Mbit/s needs about 25 photos
/// of 100 KB in flight).
const SMALL_FILE: u64 = 1 << 20;

pub(super) struct Tuner {
    mode: Parallelism,
    /// Transfers allowed now.
    limit: usize,
    window_start: Instant,
    window_bytes: u64,
    /// Retried failures seen in this window (tus retries, REST 429/503).
    window_pushbacks: u64,
    /// The REST client's push-back count when last looked at.
    rest_pushbacks: u64,
    /// The best goodput seen at the current count or below, bytes a second.
    best: f64,
    flat: u32,
    /// The last change added a transfer (taken back if it did not pay).
    added: bool,
    /// No transfer is added before this.
    quiet_until: Option<Instant>,
    /// When the count was last cut for push-back.
    cut_at: Option<Instant>,
}

impl Tuner {
    pub(super) fn new(mode: Parallelism, now: Instant) -> Self {
        Tuner {
            mode,
            limit: mode.initial(),
            window_start: now,
            window_bytes: 0,
            window_pushbacks: 0,
            rest_pushbacks: 0,
            best: 0.0,
            flat: 0,
            added: false,
            quiet_until: None,
            cut_at: None,
        }
    }

    pub(super) fn limit(&self) -> usize {
        self.limit
    }

    /// The quarters of a slot `job` takes (see [`QUARTERS`]).
    pub(super) fn quarters(&self, job: &crate::engine::job::Job) -> usize {
        match self.mode {
            Parallelism::Auto if job.size_bytes < SMALL_FILE => 1,
            _ => QUARTERS,
        }
    }

    /// A new choice from Settings or a front end; the same one again keeps what was learned.
    pub(super) fn set_mode(&mut self, mode: Parallelism, now: Instant) {
        if mode == self.mode {
            return;
        }
        *self = Tuner {
            rest_pushbacks: self.rest_pushbacks,
            ..Tuner::new(mode, now)
        };
    }

    /// Bytes went out.
    pub(super) fn sent(&mut self, bytes: u64) {
        self.window_bytes += bytes;
    }

    /// A transfer failed for a while and is retried.
    pub(super) fn pushed_back(&mut self) {
        self.window_pushbacks += 1;
    }

    /// Called on the actor's tick. `saturated`: every slot was sending and files were waiting
    /// (only then does another slot have something to show). `rest_pushbacks`: the REST
    /// client's running count of 429/503 answers. The new limit, when it changed.
    pub(super) fn tick(
        &mut self,
        now: Instant,
        saturated: bool,
        rest_pushbacks: u64,
    ) -> Option<usize> {
        let elapsed = now.duration_since(self.window_start);
        if self.mode != Parallelism::Auto || elapsed < WINDOW {
            return None;
        }
        let goodput = self.window_bytes as f64 / elapsed.as_secs_f64();
        let pushbacks = self.window_pushbacks + rest_pushbacks.saturating_sub(self.rest_pushbacks);
        self.rest_pushbacks = rest_pushbacks;
        self.window_start = now;
        self.window_bytes = 0;
        self.window_pushbacks = 0;
        let before = self.limit;
        let cut_lately = self
            .cut_at
            .is_some_and(|c| now.duration_since(c) < CUT_SPACING);
        if pushbacks > 0 && !cut_lately {
            // The server wants less: a quarter fewer (at least one), and relearn from there.
            // Transfers under way still finish, so their push-back keeps coming for a while:
            // one cut per spacing, not one per window.
            self.cut_at = Some(now);
            self.limit = self.limit.saturating_sub((self.limit / 4).max(1)).max(1);
            self.best = 0.0;
            self.flat = 0;
            self.added = false;
            self.quiet_until = Some(now + PUSHED_BACK_FOR);
        } else if pushbacks > 0 || !saturated || self.quiet_until.is_some_and(|q| now < q) {
            // Nothing to learn while slots sit idle, or while settled.
        } else if goodput >= self.best * GROWTH {
            self.best = self.best.max(goodput);
            self.flat = 0;
            self.added = self.limit < MAX_PARALLEL;
            self.limit = (self.limit + 1).min(MAX_PARALLEL);
        } else {
            self.flat += 1;
            if self.flat >= FLAT_WINDOWS {
                // The last transfer added did not pay: take it back, keep that for a while,
                // then probe again against a slightly lower bar (the link may have changed).
                self.flat = 0;
                if self.added {
                    self.limit = self.limit.saturating_sub(1).max(1);
                    self.added = false;
                }
                self.best *= 0.9;
                self.quiet_until = Some(now + SETTLED_FOR);
            }
        }
        (self.limit != before).then_some(self.limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(t: &mut Tuner, start: Instant, secs: u64, goodput: impl Fn(usize) -> u64) -> Instant {
        let mut now = start;
        for _ in 0..secs {
            t.sent(goodput(t.limit()));
            now += WINDOW;
            t.tick(now, true, 0);
        }
        now
    }

    #[test]
    fn grows_while_goodput_grows_and_stops_where_it_flattens() {
        let t0 = Instant::now();
        let mut t = Tuner::new(Parallelism::Auto, t0);
        assert_eq!(t.limit(), 3);
        // Each transfer brings 1 MB/s, up to a 7 MB/s link.
        let mut now = run(&mut t, t0, 12, |n| (n.min(7) as u64) << 20);
        assert!((7..=8).contains(&t.limit()), "{}", t.limit());
        // Settled: while the link stays full, a probe now and then, never a climb.
        for _ in 0..60 {
            now = run(&mut t, now, 1, |n| (n.min(7) as u64) << 20);
            assert!((7..=8).contains(&t.limit()), "{}", t.limit());
        }
    }

    #[test]
    fn caps_at_the_maximum() {
        let t0 = Instant::now();
        let mut t = Tuner::new(Parallelism::Auto, t0);
        run(&mut t, t0, 40, |n| (n as u64) << 20);
        assert_eq!(t.limit(), MAX_PARALLEL);
    }

    #[test]
    fn backs_off_when_the_server_pushes_back() {
        let t0 = Instant::now();
        let mut t = Tuner::new(Parallelism::Auto, t0);
        let now = run(&mut t, t0, 6, |n| (n as u64) << 20);
        let grown = t.limit();
        assert!(grown > 3);
        t.sent(1 << 20);
        assert_eq!(
            t.tick(now + WINDOW, true, 5),
            Some(grown - (grown / 4).max(1))
        );
        // And it does not grow again at once.
        let later = run(&mut t, now + WINDOW, 5, |n| (n as u64) << 20);
        assert_eq!(t.limit(), grown - (grown / 4).max(1));
        t.pushed_back();
        t.tick(later + WINDOW, true, 5);
        assert!(t.limit() < grown - (grown / 4).max(1) || t.limit() == 1);
    }

    #[test]
    fn push_back_that_keeps_coming_cuts_once_per_spacing_not_every_window() {
        let t0 = Instant::now();
        let mut t = Tuner::new(Parallelism::Fixed(8), t0);
        t.set_mode(Parallelism::Auto, t0);
        let mut now = run(&mut t, t0, 8, |n| (n as u64) << 20);
        let grown = t.limit();
        // 429s every window for 2 s: one cut, not two.
        for _ in 0..2 {
            t.pushed_back();
            now += WINDOW;
            t.tick(now, true, 0);
        }
        assert_eq!(t.limit(), grown - (grown / 4).max(1));
        // The same choice again keeps what was learned.
        let learned = t.limit();
        t.set_mode(Parallelism::Auto, now);
        assert_eq!(t.limit(), learned);
    }

    #[test]
    fn idle_slots_teach_nothing_and_fixed_never_moves() {
        let t0 = Instant::now();
        let mut t = Tuner::new(Parallelism::Auto, t0);
        t.sent(10 << 20);
        assert_eq!(t.tick(t0 + WINDOW, false, 0), None);
        let mut f = Tuner::new(Parallelism::Fixed(5), t0);
        assert_eq!(f.limit(), 5);
        f.sent(10 << 20);
        assert_eq!(f.tick(t0 + WINDOW, true, 9), None);
        assert_eq!(f.limit(), 5);
    }
}
