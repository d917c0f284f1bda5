//! Small file-system helpers that the journal, the settings, the sandbox's records and the
//! window's caches all need, so none of them imports another's internals to get them.

use std::path::Path;

/// Writes `bytes` to `path` so that a reader sees either the old file or the whole new one, even
/// after a crash or a power cut: a temporary file with a unique name in the same folder, owner-only
/// (0600 on Unix), fsynced, renamed over `path`, then the folder fsynced so the rename is durable.
/// Two writers of the same path never share a temporary file; the last rename wins.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_with(path, |w| w.write_all(bytes))
}

/// [`write_atomic`] of what `fill` writes, as it writes it: a file of any size is never whole
/// in memory.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let prefix = format!(
        ".{}.",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    );
    // tempfile creates the file with mode 0600 on Unix.
    let mut tmp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        .tempfile_in(dir)?;
    fill(tmp.as_file_mut())?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Whether `name` is one of [`write_atomic`]'s temporary names.
fn is_temporary(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(".tmp")
}

/// Removes the temporaries in `dir` that [`write_atomic`] left behind when a crash cut a write
/// short, if they are older than `age` (a younger one may be a write still under way). Best
/// effort: what cannot be removed stays, harmlessly.
pub fn remove_stale_temporaries(dir: &Path, age: std::time::Duration) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let old = entry
            .metadata()
            .ok()
            .filter(|m| m.is_file())
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|e| e >= age);
        if old && name.to_str().is_some_and(is_temporary) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Feeds `len` bytes of the file at `path`, from `start`, to `hasher`; fails when the file ends
/// first.
pub fn hash_range<D: md5::Digest>(
    hasher: &mut D,
    path: &Path,
    redactions: &crate::file_stream::Redactions,
    start: u64,
    len: u64,
) -> std::io::Result<()> {
    crate::file_stream::fold_range(path, redactions, start, len, |b| hasher.update(b))
}

/// The MD5 of a whole file, as lowercase hex.
pub fn md5_hex(path: &Path) -> std::io::Result<String> {
    let len = std::fs::metadata(path)?.len();
    let mut h = <md5::Md5 as md5::Digest>::new();
    hash_range(
        &mut h,
        path,
        &crate::file_stream::Redactions::none(),
        0,
        len,
    )?;
    Ok(hex::encode(md5::Digest::finalize(h)))
}

/// What is at `path` when it is there but is no regular file (through symlinks), as a person
/// names it: opening a FIFO blocks until another program opens its other end (a process stuck
/// there ignores Ctrl+C), and a folder or a device is no file to keep data in. `None` for a
/// regular file, nothing there, or what cannot be looked at (its open says why).
pub fn not_regular(path: &Path) -> Option<&'static str> {
    let t = std::fs::metadata(path).ok()?.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a folder");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if t.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if t.is_socket() {
            return Some("a socket");
        }
        if t.is_block_device() || t.is_char_device() {
            return Some("a device");
        }
    }
    Some("not a regular file")
}

/// [`not_regular`] as an error that names the file and says what to do, for a caller about to
/// open it; `Ok` when it is a regular file or not there.
pub fn regular_or_absent(path: &Path) -> std::io::Result<()> {
    match not_regular(path) {
        None => Ok(()),
        Some(what) => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "{} is {what}, not a regular file; move it out of the way",
                crate::os_path::lossy(path)
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    #[cfg(unix)]
    #[test]
    fn a_fifo_or_a_folder_is_named_and_refused_without_opening_it() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("journal.jsonl");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo runs");
        assert!(made.success());
        assert_eq!(super::not_regular(&fifo), Some("a FIFO (named pipe)"));
        let e = super::regular_or_absent(&fifo).unwrap_err();
        assert!(e.to_string().contains("journal.jsonl is a FIFO"), "{e}");
        assert_eq!(super::not_regular(dir.path()), Some("a folder"));
        let file = dir.path().join("history.jsonl");
        assert!(super::regular_or_absent(&file).is_ok(), "absent");
        std::fs::write(&file, b"").unwrap();
        assert!(super::regular_or_absent(&file).is_ok());
    }

    #[test]
    fn replaces_whole_files_leaves_no_temporaries_and_is_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("api-key");
        super::write_atomic(&path, b"first").unwrap();
        super::write_atomic(&path, b"second, longer").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second, longer");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("api-key")]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn only_old_temporaries_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| dir.path().join(n);
        std::fs::write(p(".journal.json.a1b2.tmp"), b"cut short").unwrap();
        std::fs::write(p("journal.json"), b"{}").unwrap();
        std::fs::write(p("notes.tmp"), b"not ours").unwrap();
        // Nothing is old enough yet: a write may be under way.
        super::remove_stale_temporaries(dir.path(), std::time::Duration::from_secs(3600));
        assert!(p(".journal.json.a1b2.tmp").exists());
        super::remove_stale_temporaries(dir.path(), std::time::Duration::ZERO);
        assert!(!p(".journal.json.a1b2.tmp").exists());
        assert!(p("journal.json").exists() && p("notes.tmp").exists());
    }

    #[test]
    fn a_missing_folder_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gone").join("settings.json");
        assert!(super::write_atomic(&path, b"x").is_err());
    }
}
