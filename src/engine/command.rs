//! What a front end asks of the engine.

use std::path::PathBuf;

use tokio::sync::oneshot;

use super::job::{Destination, Job, JobId, JobOptions};

#[derive(Debug)]
pub enum Command {
    /// Queue files and folders (folders recursively), each with `options` for the rest of its
    /// way (resume, restart, Retry). Answered by [`Event::FilesAdded`](super::Event::FilesAdded).
    AddFiles {
        request: u64,
        paths: Vec<PathBuf>,
        destination: Destination,
        options: JobOptions,
    },
    /// Queue links for Wix to import (http and https only). Answered by
    /// [`Event::FilesAdded`](super::Event::FilesAdded), each link standing as its path.
    AddLinks {
        request: u64,
        urls: Vec<String>,
        destination: Destination,
    },
    Pause(JobId),
    Resume(JobId),
    Cancel(JobId),
    Retry(JobId),
    Remove(JobId),
    /// A file found on the site already (its result has `already`): upload it anew, without
    /// looking for it again. The row is replaced by a new job ([`Event::Removed`], then
    /// [`Event::JobAdded`](super::Event::JobAdded)).
    UploadAgain(JobId),
    PauseAll,
    ResumeAll,
    RetryFailed,
    ClearFinished,
    SetParallelism(super::config::Parallelism),
    /// Every job as the engine knows it.
    Snapshot(oneshot::Sender<Vec<Job>>),
    /// Stop workers, flush the journal, then answer.
    Shutdown(oneshot::Sender<()>),
}
