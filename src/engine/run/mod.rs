//! The run of one job, by a worker task the scheduler starts: an upload as a loop over its
//! phases, or a batch of imports from links. Workers report to the scheduler and never touch
//! the job table.
//!
//! ```text
//! phase      the phases of an upload and the choices between them (pure, unit-tested)
//! upload     the loop that runs them: one Upload carries what goes from phase to phase
//! gate       the slot the scheduler gives a worker that prepared ahead
//! stage      the bytes to send: a photo's copy without its location, kept while it is needed
//! session    Wix's upload URL and the tus creation, journaled before a byte is sent
//! one_put    small files: generate-upload-url, then one PUT; a lost answer is looked for
//! finalize   PUT {uploadUrl}/{uploadToken}, safe against a lost answer
//! poll       waiting for READY through the engine's poller (uploads and imports)
//! processing a file Wix keeps processing: said after a while, given up (resumable) later
//! snapshot   a small file read whole and checked unchanged: the one consistent body of a PUT
//! progress   what the tus client reports, turned into job progress and the streamed MD5
//! import     links Wix fetches itself, in batches
//! ```

mod finalize;
mod gate;
pub(super) mod import;
mod one_put;
mod phase;
mod poll;
mod processing;
mod progress;
mod session;
mod snapshot;
pub(super) mod stage;
mod upload;

pub(crate) use gate::Gate;
pub(crate) use upload::run;
