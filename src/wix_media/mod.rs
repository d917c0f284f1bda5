//! The Wix Media Manager REST client: resumable and one-PUT upload URLs, the one-PUT upload itself,
//! finalize, file descriptors, folders.
//!
//! client (the calls; credentials), plain (the one-PUT upload), import, folders, find (a file
//! whose finalize answer was lost), download (a signed URL to a private file); transport
//! (sending, bounded reading, the one retry loop), repeat (how each call may be repeated after
//! a failure: a pure table), paging (the one bounded walk over cursor-paged listings); error,
//! types.
//!
//! `Authorization` and `wix-site-id` are sent to the API host only; the upload host (tus,
//! finalize and the one-PUT upload) is authorized by the single-use upload token instead.

/// The base of Wix's REST API: where production uploads go unless `WIXUP_API_BASE` or Settings
/// point elsewhere.
pub const PRODUCTION_BASE: &str = "https://www.wixapis.com";

pub mod client;
mod download;
pub mod error;
mod find;
mod folders;
pub mod import;
mod paging;
mod plain;
mod repeat;
mod transport;
pub mod types;

pub use client::{Credentials, DEFAULT_IDLE_TIMEOUT, UploadRequest, UploadTarget, WixMediaClient};
pub use download::{DownloadUrl, MAX_DOWNLOAD_LIFETIME};
pub use error::Error;
pub use find::{Place, Wanted};
pub use import::{BULK_IMPORT_MAX, ImportRefused, ImportRequest};
pub use plain::PutFile;
pub use types::{FileDescriptor, Folder, MediaType, OperationStatus, Page};
