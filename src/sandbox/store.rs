//! The sandbox's storage: issued tokens, tus uploads, finished files and folders, each kept as
//! one small JSON record (written by `persist.rs`) beside the upload and file bytes, so uploads
//! resume across a restart and a request rewrites only what it changed.
//!
//! ```text
//! DATA_DIR/records/tokens/SHA1.json   one issued token (named by the SHA-1 of the token)
//! DATA_DIR/records/uploads/ID.json    one tus upload
//! DATA_DIR/records/files/ID.json      one finalized file
//! DATA_DIR/records/folders/ID.json    one folder
//! DATA_DIR/uploads/ID.bin             bytes of a tus upload (its length is the offset)
//! DATA_DIR/files/FILE_ID              bytes of a finalized file
//! DATA_DIR/cache/…                    resized images
//! DATA_DIR/download.key               signs download URLs (download.rs)
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The id of the Media Manager's root folder (it has no record of its own).
pub const ROOT: &str = "media-root";

/// A token handed out by generate-resumable-upload-url.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenRec {
    pub mime_type: String,
    pub file_name: Option<String>,
    pub parent_folder_id: String,
    pub private: bool,
    pub expires_unix: u64,
    /// The one live tus upload of this token (a new creation replaces the earlier one).
    pub upload_id: Option<String>,
    /// Set by the first successful finalize; later finalizes return the same file (`tus-full`)
    /// or are refused (`wix`).
    pub file_id: Option<String>,
    /// The id the file will have, fixed when the token was handed out (`wix` profile; Wix
    /// keeps it inside the token).
    #[serde(default)]
    pub minted_file_id: Option<String>,
    /// Labels sent with generate; the file carries them.
    #[serde(default)]
    pub labels: Vec<String>,
    /// Handed out by generate-upload-url: its file comes in one PUT, not through tus.
    #[serde(default)]
    pub plain: bool,
}

/// Where a tus upload is in its life.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "camelCase")]
pub enum Phase {
    /// Taking PATCHes; the bytes are in `uploads/ID.bin`.
    #[default]
    Receiving,
    /// A finalize chose this file and is moving the bytes to `files/FILE_ID`; recorded before
    /// the move, so a finalize interrupted at any point is completed by the next one.
    #[serde(rename_all = "camelCase")]
    Finalizing {
        file_id: String,
        display_name: String,
        mime_type: String,
    },
    /// The bytes became this file. HEAD still answers (complete), so a client that lost the
    /// finalize answer finalizes again and gets the same file.
    #[serde(rename_all = "camelCase")]
    Finalized { file_id: String },
}

/// A tus upload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UploadRec {
    pub length: u64,
    /// `Upload-Metadata` as sent, without the token (kept in `token`, never echoed).
    pub metadata: BTreeMap<String, String>,
    pub token: String,
    pub expires_unix: u64,
    /// Bytes stored (mirrors the `.bin` length while receiving; the length afterwards).
    #[serde(default)]
    pub offset: u64,
    #[serde(default)]
    pub phase: Phase,
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
    #[serde(default)]
    pub labels: Vec<String>,
    /// The link an imported file came from (`None` for uploads).
    #[serde(default)]
    pub source_url: Option<String>,
    /// An import still fetching its link: PENDING, with no bytes, hash or media yet.
    #[serde(default)]
    pub fetching: bool,
    /// Why the file is FAILED, when the sandbox knows (an import's fetch).
    #[serde(default)]
    pub failure: Option<String>,
}

/// A Media Manager folder.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FolderRec {
    pub id: String,
    pub display_name: String,
    pub parent_folder_id: String,
    pub created_unix_ms: u64,
}

/// Everything but the bytes, in memory; `dirty` names the records to write next.
#[derive(Debug, Default, Deserialize)]
pub struct State {
    pub tokens: HashMap<String, TokenRec>,
    pub uploads: HashMap<String, UploadRec>,
    pub files: BTreeMap<String, FileRec>,
    pub folders: BTreeMap<String, FolderRec>,
    /// The last file `seq` handed out.
    pub seq: u64,
    /// Records changed since the last save (written, or deleted when gone).
    #[serde(skip)]
    pub dirty: BTreeSet<Key>,
}

/// One record on disk. The order is the order of writing: a file before the upload and token
/// that point at it, so a crash between two writes leaves nothing dangling.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    Folder(String),
    File(String),
    Upload(String),
    /// Keyed by the token itself.
    Token(String),
}

/// Where things live on disk.
#[derive(Debug, Clone)]
pub struct Dirs {
    pub root: PathBuf,
}

/// The record folders under `records/`, one per [`Key`] kind.
pub const RECORD_KINDS: [&str; 4] = ["folders", "files", "uploads", "tokens"];

impl Dirs {
    pub fn new(root: &Path) -> std::io::Result<Self> {
        // Owner-only from the start (0700): other local users must not read private uploads.
        for sub in ["", "uploads", "files", "cache", "records"] {
            super::private_file::create_dir_all(&root.join(sub))?;
        }
        for kind in RECORD_KINDS {
            super::private_file::create_dir_all(&root.join("records").join(kind))?;
        }
        // Folders an earlier version made 0755 become owner-only too.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            for sub in ["", "uploads", "files", "cache", "records"] {
                std::fs::set_permissions(root.join(sub), std::fs::Permissions::from_mode(0o700))?;
            }
        }
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    /// The single state file of earlier versions, imported once and then set aside.
    pub fn legacy_state(&self) -> PathBuf {
        self.root.join("state.json")
    }

    pub fn records(&self, kind: &str) -> PathBuf {
        self.root.join("records").join(kind)
    }

    /// The file holding one record.
    pub fn record(&self, key: &Key) -> PathBuf {
        let (kind, name) = match key {
            Key::Folder(id) => ("folders", id.clone()),
            Key::File(id) => ("files", id.clone()),
            Key::Upload(id) => ("uploads", id.clone()),
            Key::Token(t) => ("tokens", token_digest(t)),
        };
        self.records(kind).join(format!("{name}.json"))
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

    /// The key that signs download URLs (`download.rs`): read, or made on first use (random,
    /// owner-only), so the URLs handed out stay valid across a restart.
    pub fn download_key(&self) -> std::io::Result<Vec<u8>> {
        let path = self.root.join("download.key");
        match std::fs::read(&path) {
            Ok(k) if k.len() == 64 => Ok(k),
            _ => {
                let k = random_hex(32).into_bytes();
                super::private_file::write(&path, &k)?;
                Ok(k)
            }
        }
    }
}

/// The SHA-1 of a token in hex: its record's file name (tokens are long and URL-ish).
fn token_digest(token: &str) -> String {
    use sha1::Digest as _;
    hex::encode(sha1::Sha1::digest(token.as_bytes()))
}

impl State {
    /// Marks a record as changed: the next save writes it (or deletes it when it is gone).
    pub fn touch(&mut self, key: Key) {
        self.dirty.insert(key);
    }

    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }
}

/// Random lowercase hex.
pub fn random_hex(bytes: usize) -> String {
    hex::encode((0..bytes).map(|_| fastrand::u8(..)).collect::<Vec<u8>>())
}

pub fn now_unix() -> u64 {
    crate::clock::unix_now()
}

pub fn now_unix_ms() -> u64 {
    crate::clock::unix_now_ms()
}

/// RFC 3339 in UTC, as Wix writes dates (`2022-09-11T15:13:24.000Z`).
pub fn rfc3339(unix_ms: u64) -> String {
    let ts = i64::try_from(unix_ms)
        .ok()
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    format!("{ts:.3}")
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
