//! Turning the paths a person dropped into files to upload: folders expand recursively (leaving
//! out the system files and hidden folders they bring along), and each path that cannot be
//! uploaded gets a sentence saying why.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// What a walk found since its last batch (the last one also says what it refused and
/// skipped), for the actor.
pub(super) struct Walked {
    pub(super) request: u64,
    pub(super) destination: crate::engine::job::Destination,
    pub(super) options: crate::engine::job::JobOptions,
    pub(super) files: Vec<Candidate>,
    /// The walk is over: the request is answered.
    pub(super) last: bool,
    pub(super) rejected: Vec<(PathBuf, String)>,
    pub(super) skipped: Skipped,
}

/// What one `AddFiles` queued so far, kept by the actor until its walk is over.
#[derive(Default)]
pub(super) struct Adding {
    pub(super) added: Vec<crate::engine::job::JobId>,
    pub(super) duplicates: Vec<(PathBuf, crate::engine::job::JobId)>,
}

/// A file found by [`walk`], with its fingerprint.
pub(super) struct Candidate {
    pub path: PathBuf,
    pub size: u64,
    pub mtime: Option<SystemTime>,
    pub identity: Option<crate::tus::FileIdentity>,
    /// The MIME type its first bytes say (its name only when they say nothing, or when they
    /// could not be read).
    pub mime: String,
    /// Why its bytes could not be read (permissions, an I/O error): it is queued as a failed
    /// job with this reason, which Retry checks again, rather than refused.
    pub unreadable: Option<crate::engine::job::JobError>,
}

/// What a walked folder held that nobody means to upload: system files (`.DS_Store`,
/// `Thumbs.db`, `desktop.ini`, AppleDouble `._*`), hidden files, and hidden folders (`.git`,
/// `.Trashes`, `__MACOSX`), which are not looked into. A file named by itself is always sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Skipped {
    pub files: Vec<PathBuf>,
    pub folders: Vec<PathBuf>,
}

/// Names shown in [`Skipped::sentence`] before "…".
const NAMES_SHOWN: usize = 3;

impl Skipped {
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.folders.is_empty()
    }

    /// "2 system files skipped (.DS_Store, Thumbs.db); …", or `None` when nothing was.
    pub fn sentence(&self) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        let count =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let what = match (self.files.len(), self.folders.len()) {
            (f, 0) => count(f, "system file", "system files"),
            (0, d) => count(d, "hidden folder", "hidden folders"),
            (f, d) => format!(
                "{} and {}",
                count(f, "system file", "system files"),
                count(d, "hidden folder", "hidden folders")
            ),
        };
        let mut names: Vec<String> = Vec::new();
        let named = |p: &PathBuf| {
            p.file_name()
                .map(|n| crate::text::printable(&n.to_string_lossy()).into_owned())
        };
        for p in &self.files {
            if let Some(n) = named(p)
                && !names.contains(&n)
            {
                names.push(n);
            }
        }
        for p in &self.folders {
            if let Some(n) = named(p).map(|n| format!("{n}/"))
                && !names.contains(&n)
            {
                names.push(n);
            }
        }
        let more = if names.len() > NAMES_SHOWN { "…" } else { "" };
        names.truncate(NAMES_SHOWN);
        Some(format!(
            "{what} skipped ({}{more}); add a file by itself to upload it anyway",
            names.join(", ")
        ))
    }
}

/// A name a folder brings along that is not meant to be uploaded: hidden (`.DS_Store`, `._*`,
/// `.git`), or Windows' and macOS's own (`Thumbs.db`, `desktop.ini`, `__MACOSX`).
fn is_system_name(name: &OsStr) -> bool {
    let name = name.to_string_lossy();
    name.starts_with('.')
        || name.eq_ignore_ascii_case("thumbs.db")
        || name.eq_ignore_ascii_case("desktop.ini")
        || name == "__MACOSX"
}

/// Files a walk hands over at a time: the first ones can start while it goes on.
const BATCH: usize = 256;

/// Expands folders (recursively) and checks each file, off the async threads. Files found are
/// handed to `batch` [`BATCH`] at a time, in order; the rest are returned, with the paths
/// refused and what was skipped.
pub(super) fn walk(
    paths: &[PathBuf],
    mut batch: impl FnMut(Vec<Candidate>),
) -> (Vec<Candidate>, Vec<(PathBuf, String)>, Skipped) {
    let mut files = Vec::new();
    let mut rejected = Vec::new();
    let mut skipped = Skipped::default();
    let mut seen = HashSet::new();
    let mut push = |p: &Path, meta: &std::fs::Metadata, files: &mut Vec<Candidate>| {
        if files.len() >= BATCH {
            batch(std::mem::take(files));
        }
        // A file that cannot be opened fails here, at once, before anything is created on the
        // server (not after a minute of retries that blame the connection): it is queued as a
        // failed job saying why, which Retry tries again once the file can be read.
        let (head, unreadable) = match read_head(p) {
            Ok(head) => (head, None),
            Err(e) => (Vec::new(), Some(unreadable(&e))),
        };
        let canonical = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        if seen.insert(canonical.clone()) {
            files.push(Candidate {
                path: canonical,
                size: meta.len(),
                mtime: meta.modified().ok(),
                identity: crate::tus::FileIdentity::of(meta),
                mime: crate::metadata::content_type(&head, p),
                unreadable,
            });
        }
    };
    for p in paths {
        match std::fs::metadata(p) {
            Ok(m) if m.is_file() => push(p, &m, &mut files),
            Ok(m) if m.is_dir() => {
                // The folder named itself is walked whatever its name; below it, system files
                // and hidden folders are left out (a hidden folder is not looked into).
                let mut entries: Vec<_> = walkdir::WalkDir::new(p)
                    .follow_links(true)
                    .sort_by_file_name()
                    .into_iter()
                    .filter_entry(|e| {
                        if e.depth() == 0 || !is_system_name(e.file_name()) {
                            return true;
                        }
                        let list = if e.file_type().is_dir() {
                            &mut skipped.folders
                        } else {
                            &mut skipped.files
                        };
                        list.push(e.path().to_path_buf());
                        false
                    })
                    .collect();
                for entry in entries.drain(..) {
                    match entry {
                        Ok(e) if e.file_type().is_file() => match e.metadata() {
                            Ok(m) => push(e.path(), &m, &mut files),
                            Err(err) => {
                                rejected.push((e.path().to_path_buf(), describe_io(&err.into())))
                            }
                        },
                        Ok(_) => {}
                        Err(err) => {
                            let path = err
                                .path()
                                .map(Path::to_path_buf)
                                .unwrap_or_else(|| p.clone());
                            rejected.push((path, describe_io(&err.into())));
                        }
                    }
                }
            }
            Ok(_) => rejected.push((
                p.clone(),
                "not a regular file or folder; only files and folders can be uploaded".into(),
            )),
            Err(e) => rejected.push((p.clone(), describe_io(&e))),
        }
    }
    (files, rejected, skipped)
}

/// The first bytes of the file at `path`, which say its type. Blocking.
pub(super) fn read_head(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut head = Vec::new();
    std::fs::File::open(path)?
        .take(crate::metadata::HEAD_BYTES)
        .read_to_end(&mut head)?;
    Ok(head)
}

/// A file that exists but cannot be read (permissions, an I/O error): a failure Retry can fix
/// once the file is readable, not a permanent one.
pub(super) fn unreadable(e: &std::io::Error) -> crate::engine::job::JobError {
    crate::engine::job::JobError {
        message: describe_io(e),
        detail: format!("could not read the file: {e}"),
        status: None,
        permanent: false,
        offline: false,
    }
}

/// Why a file could not be read, in a sentence saying what to do.
pub(super) fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "file not found; check the path".into(),
        std::io::ErrorKind::PermissionDenied => {
            "cannot read it (permission denied); check its permissions".into()
        }
        _ => format!("cannot read it ({e})"),
    }
}
