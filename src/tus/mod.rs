//! Our tus 1.0 client.
//!
//! * [`protocol`]: pure decisions (headers in, facts out) with unit tests beside them;
//! * [`client`]: the reqwest driver that streams file ranges, detects stalls and retries;
//! * [`error`]: one flat error enum whose predicates drive retries.
//!
//! Supported: core (HEAD/PATCH), OPTIONS discovery (cached per endpoint), creation,
//! creation-with-upload (small files, one round trip), termination, checksum (`sha1`, `md5`; as a
//! trailer when the server offers `checksum-trailer`), and expiration (`Upload-Expires`).

mod body;
pub mod chunk;
pub mod client;
pub mod error;
mod file;
pub mod protocol;
mod resilience;

pub use chunk::ChunkSize;
pub use client::{FileSource, Progress, TusClient, TusConfig};
pub use error::Error;
pub use file::FileIdentity;
pub use protocol::{Capabilities, Created, HeadInfo};
