//! The sandbox's storage: issued tokens, tus uploads, finished files and folders, kept in one
//! JSON state file beside the upload and file bytes, so uploads resume across a restart.
//!
//! ```text
//! DATA_DIR/state.json        tokens, uploads, files, folders
//! DATA_DIR/uploads/ID.bin    bytes of a tus upload (its length is the offset)
//! DATA_DIR/files/FILE_ID     bytes of a finalized file
//! DATA_DIR/cache/…           resized images
//! ```

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// A token handed out by generate-resumable-upload-url.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenRec {
    pub mime_type: String,
    pub file_name: Option<String>,
    pub parent_folder_id: String,
    pub private: bool,
    pub expires_unix: u64,
    /// The latest tus upload created with this token.
    pub upload_id: Option<String>,
    /// Set by the first successful finalize; later finalizes return the same file.
    pub file_id: Option<String>,
}

/// A tus upload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UploadRec {
    pub length: u64,
    pub metadata: BTreeMap<String, String>,
    pub token: String,
    pub expires_unix: u64,
    /// Bytes stored (mirrors the `.bin` length).
    #[serde(default)]
    pub offset: u64,
}

/// A finalized file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileRec {
    pub id: String,
    pub display_name: String,
    pub mime_type: String,
    pub parent_folder_id: String,
    pub size: u64,
    pub md5: String,
    pub private: bool,
    pub created_unix_ms: u64,
    /// `operationStatus` turns READY at this time.
    pub ready_unix_ms: u64,
    /// For images: width and height as displayed (EXIF orientation applied).
    pub dimensions: Option<(u32, u32)>,
    /// Processing failed (an image that cannot be decoded): FAILED once processed.
    #[serde(default)]
    pub failed: bool,
    /// Creation order, for "newest first" listings.
    pub seq: u64,
}

/// A Media Manager folder.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FolderRec {
    pub id: String,
    pub display_name: String,
    pub parent_folder_id: String,
    pub created_unix_ms: u64,
}

/// Everything but the bytes.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    pub tokens: HashMap<String, TokenRec>,
    pub uploads: HashMap<String, UploadRec>,
    pub files: BTreeMap<String, FileRec>,
    pub folders: BTreeMap<String, FolderRec>,
    pub seq: u64,
}

/// Where things live on disk.
#[derive(Debug, Clone)]
pub struct Dirs {
    pub root: PathBuf,
}

impl Dirs {
    pub fn new(root: &Path) -> std::io::Result<Self> {
        for sub in ["uploads", "files", "cache"] {
            std::fs::create_dir_all(root.join(sub))?;
        }
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    pub fn state(&self) -> PathBuf {
        self.root.join("state.json")
    }

    pub fn upload(&self, id: &str) -> PathBuf {
        self.root.join("uploads").join(format!("{id}.bin"))
    }

    pub fn file(&self, id: &str) -> PathBuf {
        self.root.join("files").join(id)
    }

    pub fn cache(&self, key: &str) -> PathBuf {
        self.root.join("cache").join(key)
    }
}

impl State {
    /// Loads the state and re-reads each upload's offset from its bytes on disk.
    pub fn load(dirs: &Dirs) -> std::io::Result<Self> {
        let mut state: State = match std::fs::read(dirs.state()) {
            Ok(b) => serde_json::from_slice(&b).map_err(std::io::Error::other)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => State::default(),
            Err(e) => return Err(e),
        };
        for (id, u) in state.uploads.iter_mut() {
            u.offset = std::fs::metadata(dirs.upload(id))
                .map(|m| m.len())
                .unwrap_or(0)
                .min(u.length);
        }
        Ok(state)
    }

    pub fn encode(&self) -> std::io::Result<Vec<u8>> {
        serde_json::to_vec(self).map_err(std::io::Error::other)
    }

    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }
}

/// Random lowercase hex.
pub fn random_hex(bytes: usize) -> String {
    (0..bytes)
        .map(|_| format!("{:02x}", fastrand::u8(..)))
        .collect()
}

pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub fn now_unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// RFC 3339 in UTC, as Wix writes dates (`2022-09-11T15:13:24.000Z`).
pub fn rfc3339(unix_ms: u64) -> String {
    let (y, mo, d, h, m, s) = crate::clock::utc(unix_ms / 1000);
    let ms = unix_ms % 1000;
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{m:02}:{s:02}.{ms:03}Z")
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_look_like_wix_dates() {
        assert_eq!(
            super::rfc3339(1_662_909_204_000),
            "2022-09-11T15:13:24.000Z"
        );
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00.000Z");
    }
}
