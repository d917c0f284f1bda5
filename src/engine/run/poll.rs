//! Step 4, shared by uploads and imports: waiting, through the engine's one poller, until Wix
//! says a file is READY or FAILED.

use tokio_util::sync::CancellationToken;

use super::processing;
use crate::engine::describe::stop_for_wix_error;
use crate::engine::job::{JobError, JobId};
use crate::engine::report::{self, Report, Reports, Stop};
use crate::engine::shared::Shared;
use crate::wix_media::{self, OperationStatus};

/// Waits, through the shared poller, until Wix says READY or FAILED (said after a while, given
/// up at the poll timeout: see `processing`). `Ok(Err(..))`: Wix says
/// FAILED (the file will never be READY; `otherwise` is the message when Wix gives no reason, as
/// it documents none); `Err`: stopped, or Wix could not be asked.
pub(super) async fn poll_ready(
    shared: &Shared,
    id: JobId,
    file_id: &str,
    otherwise: &str,
    reports: &Reports,
    cancel: &CancellationToken,
) -> Result<Result<wix_media::FileDescriptor, JobError>, Stop> {
    let desc = tokio::select! {
        r = shared.poller.wait(file_id) => {
            r.map_err(|e| stop_for_wix_error("Wix could not report the file's status", e))?
        }
        // Said after a while; given up at the poll timeout, keeping the file id (resumable).
        _ = processing::overdue(shared, id, reports) => {
            return Err(processing::gave_up(shared.poll_timeout));
        }
        _ = cancel.cancelled() => return Err(Stop::Interrupted),
    };
    let why = match (&desc.operation_status, &desc.failure_reason) {
        (Some(OperationStatus::Failed), Some(why)) => {
            crate::text::printable(&format!("Wix could not process the file: {why}")).to_string()
        }
        (Some(OperationStatus::Failed), None) => otherwise.to_string(),
        _ => return Ok(Ok(desc)),
    };
    Ok(Err(JobError {
        message: why,
        detail: "operationStatus FAILED".into(),
        status: None,
        permanent: false,
        offline: false,
    }))
}

/// Wix marked the job's file FAILED: its id (and the upload that made it) is forgotten, so a
/// Retry sends the file again instead of polling a file that will never be READY.
pub(super) async fn failed_on_site(reports: &Reports, id: JobId, error: JobError) -> Stop {
    report::send_saved(reports, |saved| Report::FileFailed { id, saved }).await;
    Stop::Failed(error)
}
