//! The upload engine: a queue of jobs, N parallel workers, retries, and the journal.
//!
//! The engine owns the truth and runs on the tokio runtime. A front end (the CLI, the window)
//! sends [`Command`]s through an [`EngineHandle`] (never blocking) and drains [`Event`]s; an
//! optional notifier is called after each event is queued, to wake a UI.

mod command;
mod config;
mod dedupe;
mod describe;
mod event;
mod exif_block;
pub mod export;
mod finalize;
mod handle;
pub mod history;
mod history_writer;
mod import;
pub mod job;
pub mod journal;
mod one_put;
mod poller;
mod processing;
mod progress;
mod report;
mod scheduler;
mod session;
mod shared;
mod snapshot;
pub mod stage;
mod walk;
mod worker;

pub use command::Command;
pub use config::{
    DEFAULT_ONE_PUT_BELOW, DEFAULT_PARALLEL, EngineConfig, MAX_PARALLEL, Parallelism, StartError,
    StartMode,
};
pub use describe::describe_wix_error;
pub use event::{Event, Notifier};
pub use handle::{EngineHandle, start};
pub use import::parse_link;
pub use job::{
    AlreadyThere, Destination, Job, JobError, JobId, JobResult, JobState, Origin, OriginKind,
    PlainSession, Session, Verification,
};
pub use journal::JournalError;
