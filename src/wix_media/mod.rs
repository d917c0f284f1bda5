//! The Wix Media Manager REST client: resumable upload URLs, finalize, file descriptors, folders.
//!
//! `Authorization` and `wix-site-id` are sent to the API host only; the upload host (tus and
//! finalize) is authorized by the single-use upload token instead.

/// The base of Wix's REST API: where production uploads go unless `WIXUP_API_BASE` or Settings
/// point elsewhere.
pub const PRODUCTION_BASE: &str = "https://www.wixapis.com";

pub mod client;
pub mod error;
mod find;
pub mod import;
mod transport;
pub mod types;

pub use client::{Credentials, UploadRequest, UploadTarget, WixMediaClient};
pub use error::Error;
pub use find::{Place, Wanted};
pub use import::{BULK_IMPORT_MAX, ImportRefused, ImportRequest};
pub use types::{FileDescriptor, Folder, MediaType, OperationStatus, Page};
