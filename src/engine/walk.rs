//! Turning the paths a person dropped into files to upload: folders expand recursively, and each
//! path that cannot be uploaded gets a sentence saying why.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// A file found by [`walk`], with its fingerprint.
pub(super) struct Candidate {
    pub path: PathBuf,
    pub size: u64,
    pub mtime: Option<SystemTime>,
    pub identity: Option<crate::tus::FileIdentity>,
    /// The MIME type its first bytes say (its name only when they say nothing).
    pub mime: String,
}

/// Expands folders (recursively) and checks each file, off the async threads.
pub(super) fn walk(paths: &[PathBuf]) -> (Vec<Candidate>, Vec<(PathBuf, String)>) {
    let mut files = Vec::new();
    let mut rejected = Vec::new();
    let mut seen = HashSet::new();
    let mut push = |p: &Path,
                    meta: &std::fs::Metadata,
                    files: &mut Vec<Candidate>,
                    rejected: &mut Vec<(PathBuf, String)>| {
        // A file that cannot be opened fails here, at once, before anything is created on the
        // server (not after a minute of retries that blame the connection).
        let head = match std::fs::File::open(p) {
            Ok(f) => {
                use std::io::Read as _;
                let mut head = Vec::new();
                match f.take(crate::metadata::HEAD_BYTES).read_to_end(&mut head) {
                    Ok(_) => head,
                    Err(e) => {
                        rejected.push((p.to_path_buf(), describe_io(&e)));
                        return;
                    }
                }
            }
            Err(e) => {
                rejected.push((p.to_path_buf(), describe_io(&e)));
                return;
            }
        };
        let canonical = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        if seen.insert(canonical.clone()) {
            files.push(Candidate {
                path: canonical,
                size: meta.len(),
                mtime: meta.modified().ok(),
                identity: crate::tus::FileIdentity::of(meta),
                mime: crate::metadata::content_type(&head, p),
            });
        }
    };
    for p in paths {
        match std::fs::metadata(p) {
            Ok(m) if m.is_file() => push(p, &m, &mut files, &mut rejected),
            Ok(m) if m.is_dir() => {
                let mut entries: Vec<_> = walkdir::WalkDir::new(p)
                    .follow_links(true)
                    .sort_by_file_name()
                    .into_iter()
                    .collect();
                for entry in entries.drain(..) {
                    match entry {
                        Ok(e) if e.file_type().is_file() => match e.metadata() {
                            Ok(m) => push(e.path(), &m, &mut files, &mut rejected),
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
    (files, rejected)
}

fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "file not found; check the path".into(),
        std::io::ErrorKind::PermissionDenied => {
            "cannot read it (permission denied); check its permissions".into()
        }
        _ => format!("cannot read it ({e})"),
    }
}
