//! Files and folders only their owner can read (0600 and 0700 on unix), created that way, so
//! another local user never gets a window to read a private upload.

use std::io::Write;
use std::path::Path;

/// Opens options for a new owner-only file.
pub(crate) fn options() -> std::fs::OpenOptions {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o
}

/// Creates (or truncates) `path` as an owner-only file holding `bytes`.
pub(crate) fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    options().open(path)?.write_all(bytes)
}

/// Creates `path` and its missing parents as owner-only folders.
pub(crate) fn create_dir_all(path: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(path)
}
