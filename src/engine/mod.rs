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
mod handle;
mod history_writer;
pub mod job;
pub mod journal;
mod poller;
mod report;
mod run;
mod scheduler;
mod shared;
mod walk;

pub use command::Command;
pub use config::{
    DEFAULT_ONE_PUT_BELOW, DEFAULT_PARALLEL, EngineConfig, MAX_PARALLEL, Parallelism, StartError,
    StartMode,
};
pub use describe::describe_wix_error;
pub use event::{Event, Notifier};
pub use handle::{EngineHandle, start};
pub use job::{
    AlreadyThere, Destination, Job, JobError, JobId, JobOptions, JobResult, JobState, Origin,
    OriginKind, PlainSession, Session, Verification,
};
pub use journal::JournalError;
pub use run::import::parse_link;
pub use walk::Skipped;
