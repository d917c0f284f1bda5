//! Calendar dates in UTC from Unix time, without a date crate: Wix-style timestamps in the
//! sandbox, "finished at" in the window's history.

/// Year, month, day, hour, minute, second (UTC) of `unix_secs`.
pub fn utc(unix_secs: u64) -> (i64, u64, u64, u64, u64, u64) {
    let days = unix_secs / 86_400;
    let rem = unix_secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u64;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 } as u64;
    let y = if mo <= 2 { y + 1 } else { y };
    (y, mo, d, rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_dates() {
        assert_eq!(super::utc(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(super::utc(1_662_909_204), (2022, 9, 11, 15, 13, 24));
        assert_eq!(super::utc(951_782_400), (2000, 2, 29, 0, 0, 0));
    }
}
