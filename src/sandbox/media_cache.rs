//! The on-disk cache of resized images, bounded in bytes: storing a new entry evicts the oldest
//! ones (by modification time) until the cache fits again.

use std::path::Path;
use std::time::SystemTime;

/// Entries kept at most, whatever their size (each store lists the folder once).
const MAX_ENTRIES: usize = 10_000;

/// Writes `bytes` as `path` (atomically, owner-only), then trims `dir` to `max_bytes`.
/// A cache that cannot be written only costs a re-render, so errors are logged, not returned.
pub(super) fn store(dir: &Path, path: &Path, bytes: &[u8], max_bytes: u64) {
    if bytes.len() as u64 > max_bytes {
        return;
    }
    // A name of its own: two renders of one image (or of the same name in other formats)
    // never write into the same temporary file.
    let tmp = path.with_extension(format!("{:016x}.part", fastrand::u64(..)));
    let written =
        super::private_file::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        tracing::debug!(error = %e, path = %path.display(), "sandbox: transform not cached");
        return;
    }
    evict(dir, max_bytes, MAX_ENTRIES);
}

/// Removes the oldest entries of `dir` until it holds at most `max_bytes` in `max_entries`.
pub(super) fn evict(dir: &Path, max_bytes: u64, max_entries: usize) {
    let Ok(read) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<(SystemTime, u64, std::path::PathBuf)> = read
        .filter_map(Result::ok)
        .filter_map(|e| {
            let m = e.metadata().ok()?;
            m.is_file().then(|| {
                let when = m.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                (when, m.len(), e.path())
            })
        })
        .collect();
    let mut total: u64 = entries.iter().map(|(_, len, _)| len).sum();
    if total <= max_bytes && entries.len() <= max_entries {
        return;
    }
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| a.2.cmp(&b.2)));
    let mut count = entries.len();
    for (_, len, path) in entries {
        if total <= max_bytes && count <= max_entries {
            break;
        }
        if std::fs::remove_file(&path).is_ok() {
            total = total.saturating_sub(len);
            count -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_keeps_to_its_bound_by_dropping_the_oldest() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        for i in 0..10 {
            store(d, &d.join(format!("e{i}")), &[i as u8; 1000], 4500);
            // Distinct modification times, so "oldest" is well defined.
            let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000 + i);
            let f = std::fs::File::options()
                .write(true)
                .open(d.join(format!("e{i}")))
                .expect("open");
            f.set_modified(t).expect("mtime");
        }
        let mut left: Vec<String> = std::fs::read_dir(d)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["e6", "e7", "e8", "e9"], "the newest 4 KB are kept");
        evict(d, u64::MAX, 2);
        assert_eq!(std::fs::read_dir(d).expect("dir").count(), 2);
        // An entry larger than the whole cache is not stored at all.
        store(d, &d.join("huge"), &[0; 5000], 4500);
        assert!(!d.join("huge").exists());
    }
}
