//! The one place that knows where Wixup keeps its data.
//!
//! `WIXUP_DATA_DIR` overrides everything (tests and scripts use it); otherwise the platform's data
//! directory (`~/.local/share/wixup` on Linux).

use std::path::PathBuf;

/// The data dir: the journal, its lock, and the embedded sandbox's storage.
pub fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("WIXUP_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    directories::ProjectDirs::from("com", "Wixup", "wixup")
        .map(|p| p.data_dir().to_path_buf())
        .unwrap_or_else(|| std::env::temp_dir().join("wixup"))
}

/// Where the embedded sandbox stores uploads and files, under the data dir.
pub fn sandbox_dir(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("sandbox")
}
