//! Our tus 1.0 client.
//!
//! * `status`: what each status code means for each request (the one place they are read);
//! * [`protocol`]: pure header rules (capabilities, metadata, offsets, `Location`, expiry);
//! * `machine`: discovery, creation and the HEAD/PATCH loop as pure state machines that say
//!   what to do next (`step` is what passes between them and the driver);
//! * [`client`]: the driver that runs the machines: it sends their requests (built, streamed
//!   from the file and watched for stalls in `wire`), sleeps between retries, reports progress;
//! * [`error`]: one flat error enum whose predicates drive retries.
//!
//! Supported: core (HEAD/PATCH), OPTIONS discovery (cached per endpoint), creation,
//! creation-with-upload (small files, one round trip), termination, checksum (`crc32`, `sha1`,
//! `md5`, the first the server offers in that order; as a trailer when it offers
//! `checksum-trailer`), and expiration (`Upload-Expires`).

mod checksum;
pub mod chunk;
pub mod client;
pub mod error;
mod file;
mod machine;
pub mod protocol;
mod status;
mod step;
mod wire;

pub use crate::file_stream::Observer;
pub use chunk::ChunkSize;
pub use client::{FileSource, Progress, TusClient, TusConfig};
pub use error::Error;
pub use file::FileIdentity;
pub use protocol::{Capabilities, Created, HeadInfo};
