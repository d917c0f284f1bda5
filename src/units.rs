//! Sizes, speeds and times left as people read them, the same in the window and on the command
//! line: `4.2 MiB`, `8.4 MiB/s`, `about 2 min`. (Parsing what people write is `size`.)

use std::time::Duration;

/// Formats bytes in binary units with one decimal: `4.2 MiB`, `310.0 KiB`, `88 B`.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// `8.4 MiB/s`. A negative or NaN rate reads as nothing sent (`0 B/s`).
pub fn format_speed(bytes_per_sec: f64) -> String {
    // `as` saturates: NaN and negatives become 0, huge values u64::MAX.
    format!("{}/s", format_bytes(bytes_per_sec.max(0.0) as u64))
}

/// Hours are shown up to this many; longer waits read in days.
const MAX_HOURS: u64 = 47;

/// A time left: `42 s`, `about 2 min`, `about 1 h`, `about 3 days`. Under a minute it is exact
/// (at least `1 s`, so it never reads as finished). Above, it rounds to the nearest unit, since
/// "about" promises no more than that; rounding up (as the command line once did) says
/// `about 2 min` for 61 s. A value that rounds up to the next unit is written in that unit
/// (3,599 s is `about 1 h`, not `about 60 min`).
pub fn format_eta(left: Duration) -> String {
    let secs = left.as_secs();
    if secs < 60 {
        return format!("{} s", secs.max(1));
    }
    let minutes = secs.saturating_add(30) / 60;
    if minutes < 60 {
        return format!("about {minutes} min");
    }
    let hours = secs.saturating_add(1800) / 3600;
    if hours <= MAX_HOURS {
        return format!("about {hours} h");
    }
    let days = secs.saturating_add(43_200) / 86_400;
    format!("about {days} days")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_switch_units_at_1024() {
        assert_eq!(format_bytes(0), "0 B");
        assert_eq!(format_bytes(88), "88 B");
        assert_eq!(format_bytes(1023), "1023 B");
        assert_eq!(format_bytes(1024), "1.0 KiB");
        assert_eq!(format_bytes((1 << 20) - 1), "1024.0 KiB");
        assert_eq!(format_bytes(1 << 20), "1.0 MiB");
        assert_eq!(format_bytes(4_404_019), "4.2 MiB");
        assert_eq!(format_bytes(1 << 30), "1.0 GiB");
        assert_eq!(format_bytes(1 << 40), "1.0 TiB");
        assert_eq!(format_bytes(u64::MAX), "16384.0 PiB");
    }

    #[test]
    fn speeds_are_bytes_a_second() {
        assert_eq!(format_speed(8.4 * 1024.0 * 1024.0), "8.4 MiB/s");
        assert_eq!(format_speed(512.0), "512 B/s");
        assert_eq!(format_speed(-3.0), "0 B/s");
        assert_eq!(format_speed(f64::NAN), "0 B/s");
    }

    #[test]
    fn times_left_round_to_the_nearest_unit() {
        let eta = |secs| format_eta(Duration::from_secs(secs));
        assert_eq!(format_eta(Duration::from_millis(300)), "1 s");
        assert_eq!(eta(0), "1 s");
        assert_eq!(eta(42), "42 s");
        assert_eq!(eta(59), "59 s");
        assert_eq!(eta(60), "about 1 min");
        assert_eq!(eta(89), "about 1 min");
        assert_eq!(eta(90), "about 2 min");
        assert_eq!(eta(100), "about 2 min");
        assert_eq!(eta(3569), "about 59 min");
        assert_eq!(eta(3570), "about 1 h");
        assert_eq!(eta(3599), "about 1 h");
        assert_eq!(eta(3600), "about 1 h");
        assert_eq!(eta(4000), "about 1 h");
        assert_eq!(eta(5399), "about 1 h");
        assert_eq!(eta(5400), "about 2 h");
        assert_eq!(eta(47 * 3600), "about 47 h");
        assert_eq!(eta(47 * 3600 + 1799), "about 47 h");
        assert_eq!(eta(47 * 3600 + 1800), "about 2 days");
        assert_eq!(eta(3 * 86_400), "about 3 days");
        assert_eq!(eta(u64::MAX), format!("about {} days", u64::MAX / 86_400));
    }
}
