//! A file range streamed from disk as a request body, and the stall watchdog such a request runs
//! under: shared by the tus client (PATCH, creation-with-upload) and the Wix client (the one-PUT
//! upload), so both stream, report progress, feed the MD5 tap and time out the same way.

mod body;
mod observer;
mod watchdog;

pub use body::{StreamState, Trailer, fold_range, range_body};
pub use observer::Observer;
pub use watchdog::{Interrupted, watch};
