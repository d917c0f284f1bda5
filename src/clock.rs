//! The one "now" of the program, on jiff: times since the Unix epoch as the journal, the history,
//! the sandbox's records and file names keep them. A clock before 1970 reads as 0.

use std::time::SystemTime;

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> u64 {
    u64::try_from(jiff::Timestamp::now().as_second()).unwrap_or(0)
}

/// Milliseconds since the Unix epoch, now.
pub fn unix_now_ms() -> u64 {
    u64::try_from(jiff::Timestamp::now().as_millisecond()).unwrap_or(0)
}

/// Seconds since the Unix epoch at `t` (`None` before it, or out of range).
pub fn unix_secs(t: SystemTime) -> Option<u64> {
    let ts = jiff::Timestamp::try_from(t).ok()?;
    u64::try_from(ts.as_second()).ok()
}

/// Nanoseconds since the Unix epoch at `t` (`None` before it, or out of range).
pub fn unix_nanos(t: SystemTime) -> Option<u128> {
    let ts = jiff::Timestamp::try_from(t).ok()?;
    u128::try_from(ts.as_nanosecond()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn times_since_the_epoch() {
        let t = UNIX_EPOCH + Duration::new(1_796_167_841, 494_890_633);
        assert_eq!(unix_secs(t), Some(1_796_167_841));
        assert_eq!(unix_nanos(t), Some(1_796_167_841_494_890_633));
        assert_eq!(unix_secs(UNIX_EPOCH - Duration::from_secs(1)), None);
        let now = unix_now();
        assert!(now > 1_700_000_000 && unix_now_ms() / 1000 >= now);
    }
}
