//! Bounded waits: a condition polled every 20 ms for at most a given time, so a hang fails
//! naming what it waited for instead of stalling the suite. One async form (for tokio tests,
//! which must not block their runtime), one for conditions that take a request to check, and
//! one blocking form (for kittest's frame loop). And the opposite, for what must not happen:
//! a value that stays still for a bounded time.

use std::fmt::Debug;
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

/// [`wait_until`] for a condition that takes a request to check (an engine snapshot, a file's
/// status on the site).
pub async fn wait_until_async<R: Ready>(
    what: &str,
    within: Duration,
    mut poll: impl AsyncFnMut() -> R,
) -> R::Value {
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = poll().await.ready() {
            return v;
        }
        if Instant::now() >= deadline {
            timed_out(what, within);
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// Asserts that `read` gives the same value for `window`, failing as soon as it moves. For
/// what must NOT happen when nothing marks the point after which it would have: a bounded quiet
/// period is then the only honest check, and the caller says why its window is long enough.
pub async fn stays_still<T: PartialEq + Debug>(
    what: &str,
    window: Duration,
    mut read: impl FnMut() -> T,
) {
    let first = read();
    if let Some(moved) = poll_until(window, || Some(read()).filter(|now| *now != first)).await {
        panic!("{what} moved within {window:?}: {first:?} -> {moved:?}");
    }
}

/// [`stays_still`] for a thread that may block (`read` may step a kittest harness).
pub fn stays_still_blocking<T: PartialEq + Debug>(
    what: &str,
    window: Duration,
    mut read: impl FnMut() -> T,
) {
    let first = read();
    if let Some(moved) = poll_until_blocking(window, || Some(read()).filter(|now| *now != first)) {
        panic!("{what} moved within {window:?}: {first:?} -> {moved:?}");
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
    async fn a_request_is_polled_until_it_answers() {
        let mut polls = 0;
        let got = wait_until_async("the third answer", Duration::from_secs(5), async || {
            tokio::task::yield_now().await;
            polls += 1;
            (polls == 3).then_some(polls)
        })
        .await;
        assert_eq!(got, 3);
    }

    #[test]
    fn a_value_that_stays_still_passes_after_the_window() {
        let started = Instant::now();
        stays_still_blocking("a constant", Duration::from_millis(60), || 7);
        assert!(started.elapsed() >= Duration::from_millis(60));
    }

    #[test]
    #[should_panic(expected = "a counter moved within 5s: 1 -> 2")]
    fn a_value_that_moves_fails_at_once_saying_how() {
        let mut n = 0;
        stays_still_blocking("a counter", Duration::from_secs(5), || {
            n += 1;
            n.min(2)
        });
    }

    #[tokio::test]
    #[should_panic(expected = "a flag moved within 5s: false -> true")]
    async fn the_async_form_fails_the_same_way() {
        let mut reads = 0;
        stays_still("a flag", Duration::from_secs(5), || {
            reads += 1;
            reads > 2
        })
        .await;
    }

    #[tokio::test]
    #[should_panic(expected = "timed out after 30ms: an async thing")]
    async fn the_async_form_panics_naming_what_was_awaited() {
        wait_until("an async thing", Duration::from_millis(30), || None::<u8>).await;
    }
}
