//! Bounded waits: a condition polled every 20 ms for at most a given time, so a hang fails
//! naming what it waited for instead of stalling the suite. One async form (for tokio tests,
//! which must not block their runtime) and one blocking form (for kittest's frame loop).

use std::time::{Duration, Instant};

/// How often a condition is polled: quick enough not to slow a test, slow enough not to spin.
const POLL_EVERY: Duration = Duration::from_millis(20);

/// What a polled closure returns: a `bool` (a condition) or an `Option` (a value, once there is
/// one, such as a child's exit status).
pub trait Ready {
    type Value;
    fn ready(self) -> Option<Self::Value>;
}

impl Ready for bool {
    type Value = ();
    fn ready(self) -> Option<()> {
        self.then_some(())
    }
}

impl<T> Ready for Option<T> {
    type Value = T;
    fn ready(self) -> Option<T> {
        self
    }
}

/// Polls `poll` until it is ready, for at most `within`; panics naming `what` when time runs out.
pub async fn wait_until<R: Ready>(
    what: &str,
    within: Duration,
    poll: impl FnMut() -> R,
) -> R::Value {
    match poll_until(within, poll).await {
        Some(v) => v,
        None => timed_out(what, within),
    }
}

/// [`wait_until`] for a thread that may block (a kittest harness stepping frames).
pub fn wait_until_blocking<R: Ready>(
    what: &str,
    within: Duration,
    poll: impl FnMut() -> R,
) -> R::Value {
    match poll_until_blocking(within, poll) {
        Some(v) => v,
        None => timed_out(what, within),
    }
}

/// [`wait_until`] that returns `None` when time runs out, for a caller that must clean up (kill
/// a child) or say more than a name before it fails.
pub async fn poll_until<R: Ready>(
    within: Duration,
    mut poll: impl FnMut() -> R,
) -> Option<R::Value> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = poll().ready() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// [`poll_until`] for a thread that may block.
pub fn poll_until_blocking<R: Ready>(
    within: Duration,
    mut poll: impl FnMut() -> R,
) -> Option<R::Value> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = poll().ready() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(POLL_EVERY);
    }
}

fn timed_out(what: &str, within: Duration) -> ! {
    panic!("timed out after {within:?}: {what}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_returned_once_the_poll_produces_it() {
        let mut polls = 0;
        let got = wait_until_blocking("the third poll", Duration::from_secs(5), || {
            polls += 1;
            (polls == 3).then_some(polls * 10)
        });
        assert_eq!((got, polls), (30, 3));
    }

    #[test]
    fn a_condition_already_true_is_polled_once_without_sleeping() {
        let started = Instant::now();
        let mut polls = 0;
        wait_until_blocking("nothing", Duration::ZERO, || {
            polls += 1;
            true
        });
        assert_eq!(polls, 1);
        assert!(started.elapsed() < POLL_EVERY);
    }

    #[test]
    fn time_running_out_gives_none_after_the_bound_not_before() {
        let started = Instant::now();
        let mut polls = 0u32;
        let got = poll_until_blocking(Duration::from_millis(100), || {
            polls += 1;
            false
        });
        assert_eq!(got, None);
        assert!(started.elapsed() >= Duration::from_millis(100));
        // Polled every 20 ms or so (fewer on a busy machine), not in a busy loop.
        assert!(polls <= 7, "{polls} polls");
    }

    #[test]
    #[should_panic(expected = "timed out after 50ms: the moon to turn blue")]
    fn time_running_out_panics_naming_what_was_awaited() {
        wait_until_blocking("the moon to turn blue", Duration::from_millis(50), || false);
    }

    #[tokio::test]
    async fn the_async_form_polls_the_same_way() {
        let mut polls = 0;
        let got = wait_until("the second poll", Duration::from_secs(5), || {
            polls += 1;
            (polls == 2).then_some("ok")
        })
        .await;
        assert_eq!(got, "ok");
        let started = Instant::now();
        assert_eq!(poll_until(Duration::from_millis(60), || false).await, None);
        assert!(started.elapsed() >= Duration::from_millis(60));
    }

    #[tokio::test]
    #[should_panic(expected = "timed out after 30ms: an async thing")]
    async fn the_async_form_panics_naming_what_was_awaited() {
        wait_until("an async thing", Duration::from_millis(30), || None::<u8>).await;
    }
}
