//! The data dir's OS lock: held by one process at a time, released by the OS when it ends.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::Path;

use super::error::JournalError;

const LOCK_NAME: &str = "wixup.lock";

/// Takes the data dir's OS lock, or says who holds it.
pub(super) fn lock_dir(dir: &Path) -> Result<File, JournalError> {
    let path = dir.join(LOCK_NAME);
    super::load::not_a_file(&path)?;
    let io = |source| JournalError::Io {
        dir: dir.to_path_buf(),
        source,
    };
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    match f.try_lock() {
        Ok(()) => {
            f.set_len(0).map_err(io)?;
            f.write_all(std::process::id().to_string().as_bytes())
                .map_err(io)?;
            Ok(f)
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = f.read_to_string(&mut pid);
            Err(JournalError::Locked {
                dir: dir.to_path_buf(),
                pid: if pid.trim().is_empty() {
                    "unknown".into()
                } else {
                    pid.trim().to_string()
                },
            })
        }
        Err(std::fs::TryLockError::Error(e)) => Err(io(e)),
    }
}
