//! The data dir's OS lock: held by one process at a time, released by the OS when it ends.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::Path;

use super::error::JournalError;

const LOCK_NAME: &str = "wixup.lock";

/// How long the lock is waited for when this very process holds it: a child being started
/// (by a thread of ours: a file dialog, a browser, a test's helper program) holds a copy of
/// every open file between its fork and its exec, the lock's file among them.
const OWN_LOCK_WAIT: std::time::Duration = std::time::Duration::from_millis(500);

/// Takes the data dir's OS lock, or says who holds it. Held by this process itself, it is
/// tried again for a moment ([`OWN_LOCK_WAIT`]) before that is said.
pub(super) fn lock_dir(dir: &Path) -> Result<File, JournalError> {
    let deadline = std::time::Instant::now() + OWN_LOCK_WAIT;
    loop {
        match try_lock_dir(dir) {
            Err(JournalError::Locked { pid, .. })
                if pid == std::process::id().to_string()
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            other => return other,
        }
    }
}

fn try_lock_dir(dir: &Path) -> Result<File, JournalError> {
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
