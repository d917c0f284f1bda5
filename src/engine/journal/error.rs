//! Why a data dir's journal cannot be used.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error(
        "another Wixup (process {pid}) is using the data dir {}; close it or set WIXUP_DATA_DIR to another folder",
        .dir.display()
    )]
    Locked { dir: PathBuf, pid: String },
    #[error("cannot use the data dir {}: {source}", .dir.display())]
    Io {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Something that is no regular file (a FIFO, a folder) has the name of the journal or
    /// of the data dir's lock.
    #[error(
        "{} is {what}, not a regular file, so Wixup cannot keep its queue there; move it out of the data dir, or set WIXUP_DATA_DIR to another folder",
        .path.display()
    )]
    NotAFile { path: PathBuf, what: &'static str },
    #[error(
        "the journal {} was written by a newer Wixup (schema {found}); update Wixup",
        .path.display()
    )]
    TooNew { path: PathBuf, found: u32 },
}
