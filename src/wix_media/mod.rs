//! The Wix Media Manager REST client: resumable upload URLs, finalize, file descriptors, folders.
//!
//! `Authorization` and `wix-site-id` are sent to the API host only; the upload host (tus and
//! finalize) is authorized by the single-use upload token instead.

pub mod client;
pub mod error;
mod transport;
pub mod types;

pub use client::{Credentials, UploadRequest, UploadTarget, WixMediaClient};
pub use error::Error;
pub use types::{FileDescriptor, Folder, MediaType, OperationStatus, Page};
