//! Words the window shows: each row's status line, names shortened, local dates (the paste
//! forms of a URL are `engine::export`'s).
//! Pure functions, so they are unit-tested without a window. Sizes, speeds and times left come
//! from `units`, shared with the command line.

use std::time::{Duration, Instant};

use crate::engine::{JobState, Verification};
use crate::units::{format_bytes, format_eta, format_speed};

use super::queue_row::Row;

/// How a status line is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Muted,
    Active,
    Warning,
    Success,
    Error,
}

/// "1 s left", "about 2 min left", "about 1 h left": a row's and the status bar's time left.
pub fn time_left(d: Duration) -> String {
    format!("{} left", format_eta(d))
}

/// Percent acknowledged, for the bar and the text.
pub fn fraction(done: u64, total: u64) -> f32 {
    if total == 0 {
        0.0
    } else {
        (done as f64 / total as f64).clamp(0.0, 1.0) as f32
    }
}

/// The row's one line of status text, and its tone. On a sandbox (`sandbox`), nothing says Wix
/// is doing what the sandbox does.
pub fn status(row: &Row, now: Instant, sandbox: bool) -> (String, Tone) {
    let total = row.size_bytes;
    let acked = row.acknowledged.min(total);
    let pct = (fraction(acked, total) * 100.0).floor() as u32;
    let link = row.is_link();
    match row.state {
        JobState::Uploading if link && row.retry.is_none() => {
            ("Asking Wix to import the link…".into(), Tone::Active)
        }
        JobState::Processing if link => {
            ("PENDING · Wix is fetching the link…".into(), Tone::Active)
        }
        JobState::Paused if link => ("Paused".into(), Tone::Muted),
        // Only while the engine says so: a file waiting for a slot just waits.
        JobState::Queued if row.checking => ("Checking file…".into(), Tone::Muted),
        // Waiting for the network (the engine's note), with what is on the server already.
        JobState::Queued => match &row.note {
            Some(note) if acked > 0 => (format!("{note} · {pct}% sent"), Tone::Warning),
            Some(note) => (note.clone(), Tone::Warning),
            None => ("Waiting".into(), Tone::Muted),
        },
        JobState::Uploading => {
            if let Some(r) = &row.retry {
                let left = r.until.saturating_duration_since(now).as_secs();
                let when = if left == 0 {
                    "retrying now".to_string()
                } else {
                    format!("retrying in {left} s")
                };
                let back = match row.went_back {
                    Some(lost) if lost > 0 => {
                        format!("; {} to send again", format_bytes(lost))
                    }
                    _ => String::new(),
                };
                return (
                    format!("{}, {when} (attempt {}){back}", r.reason, r.attempt),
                    Tone::Warning,
                );
            }
            let mut s = format!(
                "{pct}% · {} of {}",
                format_bytes(acked),
                format_bytes(total)
            );
            if let Some(b) = row.speed {
                s.push_str(" · ");
                s.push_str(&format_speed(b));
            }
            if let Some(e) = row.eta {
                s.push_str(" · ");
                s.push_str(&time_left(e));
            }
            (s, Tone::Active)
        }
        JobState::Paused => (format!("Paused at {pct}%"), Tone::Muted),
        JobState::Finalizing => ("Finishing upload…".into(), Tone::Active),
        JobState::Processing => match &row.note {
            Some(note) => (note.clone(), Tone::Warning),
            None if sandbox => ("Processing…".into(), Tone::Active),
            None => ("Processing on Wix…".into(), Tone::Active),
        },
        JobState::Done => {
            let v = match row.result.as_ref().map(|r| r.verified) {
                Some(Verification::Verified) => " · ✔ verified",
                Some(Verification::Mismatch) => " · ⚠ checksum differs",
                _ => "",
            };
            let result = row.result.as_ref();
            let private = if result.is_some_and(|r| r.location_removed) {
                " · location removed"
            } else {
                ""
            };
            match result.and_then(|r| r.already) {
                Some(a) => (
                    format!(
                        "Already on your site · uploaded {}{private}",
                        local_date(a.uploaded_unix)
                    ),
                    Tone::Success,
                ),
                None => (format!("Ready{v}{private}"), Tone::Success),
            }
        }
        JobState::Failed => {
            let text = row
                .error
                .as_ref()
                .map(|e| match e.status {
                    Some(code) if !e.message.contains(&code.to_string()) => {
                        format!("{} ({code})", e.message)
                    }
                    _ => e.message.clone(),
                })
                .unwrap_or_else(|| "Failed".into());
            (text, Tone::Error)
        }
        JobState::Cancelled => ("Cancelled".into(), Tone::Muted),
    }
}

/// "file.jpg" shortened in the middle to at most `max` characters: "a-very-lo…name.jpg".
pub fn elide_middle(name: &str, max: usize) -> String {
    let n = name.chars().count();
    if n <= max || max < 5 {
        return name.to_string();
    }
    let keep = max - 1;
    let tail = keep / 2;
    let head = keep - tail;
    let start: String = name.chars().take(head).collect();
    let end: String = name.chars().skip(n - tail).collect();
    format!("{start}…{end}")
}

/// The computer's time zone, once read off the UI thread ([`load_time_zone`]); UTC until then.
static ZONE: std::sync::OnceLock<jiff::tz::TimeZone> = std::sync::OnceLock::new();

/// Reads the time zone (a file read): call it from a blocking task, never from `ui()`.
pub fn load_time_zone() {
    let _ = ZONE.set(jiff::tz::TimeZone::system());
}

/// "2026-11-25": a Unix time's local day.
pub fn local_date(unix: u64) -> String {
    let zone = ZONE.get().cloned().unwrap_or(jiff::tz::TimeZone::UTC);
    i64::try_from(unix)
        .ok()
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned_datetime(zone)
        .strftime("%Y-%m-%d")
        .to_string()
}

/// "2026-12-07 14.03.22": a moment in local time, as a file name can hold it (no colons).
pub fn local_stamp(t: jiff::Timestamp) -> String {
    stamp_in(t, ZONE.get().cloned().unwrap_or(jiff::tz::TimeZone::UTC))
}

fn stamp_in(t: jiff::Timestamp, zone: jiff::tz::TimeZone) -> String {
    t.to_zoned_datetime(zone)
        .strftime("%Y-%m-%d %H.%M.%S")
        .to_string()
}

/// Whether a URL the server handed out may be given to the browser: `http(s)` only, never
/// `file:`, `javascript:` or a scheme some other program registered.
pub fn browsable(url: &str) -> bool {
    reqwest::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_web_urls_go_to_the_browser() {
        assert!(super::browsable("https://static.wixstatic.com/media/a.jpg"));
        assert!(super::browsable("http://127.0.0.1:47913/media/a.jpg"));
        for bad in [
            "file:///etc/passwd",
            "javascript:alert(1)",
            "steam://run/1",
            "not a url",
            "",
        ] {
            assert!(!super::browsable(bad), "{bad}");
        }
    }

    use super::*;

    #[test]
    fn etas_read_like_a_person_wrote_them() {
        assert_eq!(time_left(Duration::from_millis(300)), "1 s left");
        assert_eq!(time_left(Duration::from_secs(42)), "42 s left");
        assert_eq!(time_left(Duration::from_secs(100)), "about 2 min left");
        assert_eq!(time_left(Duration::from_secs(4000)), "about 1 h left");
        assert_eq!(format_speed(8.4 * 1024.0 * 1024.0), "8.4 MiB/s");
    }

    #[test]
    fn names_elide_in_the_middle() {
        assert_eq!(elide_middle("short.jpg", 20), "short.jpg");
        let e = elide_middle("a-very-long-holiday-photo-name.jpg", 16);
        assert_eq!(e.chars().count(), 16);
        assert!(e.starts_with("a-very-") && e.ends_with("me.jpg"), "{e}");
    }

    #[test]
    fn stamps_read_as_a_local_date_and_time_a_file_name_can_hold() {
        let t = jiff::Timestamp::from_second(1_796_652_202).unwrap();
        assert_eq!(stamp_in(t, jiff::tz::TimeZone::UTC), "2026-12-07 14.03.22");
        let paris = jiff::tz::TimeZone::fixed(jiff::tz::offset(1));
        assert_eq!(stamp_in(t, paris), "2026-12-07 15.03.22");
    }

    #[test]
    fn fractions() {
        assert_eq!(fraction(5, 0), 0.0);
        assert_eq!(fraction(5, 10), 0.5);
    }
}
