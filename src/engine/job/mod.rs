//! Jobs: one file to upload (or link to import), its explicit state, the server-side uploads it
//! keeps, and what it produced.

mod file;
mod result;
mod session;
mod state;

pub use crate::history::{OriginKind, Verification};
pub use file::{Destination, Job, JobOptions, Origin};
pub use result::{AlreadyThere, JobError, JobResult};
pub use session::{PlainSession, Session};
pub use state::{JobId, JobState};
