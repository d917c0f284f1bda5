//! A file range streamed from disk as a request body (the tus client: PATCH,
//! creation-with-upload), bytes already in memory as one (the Wix client's one-PUT of a small
//! file's snapshot), and the stall watchdog such a request runs under, so both report progress
//! and time out the same way. Every read applies the file's [`Redactions`] (a location taken out
//! by same-length overwrites), so what is sent, checksummed and hashed is one set of bytes.

mod body;
mod memory;
mod observer;
mod redact;
mod state;
mod throttle;
mod watchdog;

pub use body::{Trailer, fold_range, range_body};
pub use memory::bytes_body;
pub use observer::Observer;
pub use redact::{Patch, Redactions, map_patches};
pub use state::StreamState;
pub use throttle::{MIN_RATE, Throttle};
pub use watchdog::{Interrupted, watch};
