//! Imports: links Wix fetches itself. A batch of queued links goes out in one call (bulk
//! import-v2, at most 100; a single link uses files/import), each file id is journaled before
//! anything else, then each file is polled until READY. A job that already has a file id is
//! only polled: an import is never sent twice for one job.

use std::sync::Arc;

use futures_util::future::join_all;
use reqwest::Url;
use tokio_util::sync::CancellationToken;

use super::poll::{failed_on_site, poll_ready};
use crate::engine::describe::{failed, stop_for_wix_error};
use crate::engine::job::{Job, JobId, JobResult, JobState, OriginKind};
use crate::engine::report::{Report, Reports, Stop};
use crate::engine::shared::Shared;
use crate::wix_media::{FileDescriptor, ImportRequest};

/// The link, if it is one Wix can fetch (http or https with a host), normalized.
pub fn parse_link(text: &str) -> Option<Url> {
    let url = Url::parse(text.trim()).ok()?;
    (matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| !h.is_empty()))
        .then_some(url)
}

/// What a link asks of Wix.
fn request(job: &Job) -> ImportRequest {
    ImportRequest {
        url: job.origin.url().unwrap_or_default().to_string(),
        // Only a type the link's own name tells; otherwise Wix detects it.
        mime_type: (job.mime_type != "application/octet-stream").then(|| job.mime_type.clone()),
        display_name: Some(job.name.clone()),
        parent_folder_id: job.destination.folder_id.clone(),
        file_path: job.destination.path.clone(),
        private: job.destination.private,
    }
}

/// Runs a batch of link jobs: imports those without a file id in one call, then polls each.
/// Every job gets its `Finished` report; `cancel` of each stops its polling (the import call
/// itself is not abandoned: its answer says which files Wix is making).
pub(crate) async fn run_batch(
    shared: Arc<Shared>,
    jobs: Vec<(Job, CancellationToken)>,
    reports: Reports,
) {
    let to_import: Vec<&Job> = jobs
        .iter()
        .map(|(j, _)| j)
        .filter(|j| j.file_id.is_none())
        .collect();
    let mut answers = import(&shared, &to_import).await.into_iter();
    let mut started = Vec::with_capacity(jobs.len());
    for (job, cancel) in &jobs {
        let file_id = match &job.file_id {
            Some(id) => Ok(id.clone()),
            None => match answers.next() {
                Some(Ok(desc)) => {
                    let (tx, rx) = tokio::sync::oneshot::channel();
                    let _ = reports.send(Report::FileId {
                        id: job.id,
                        file_id: desc.id.clone(),
                        saved: tx,
                    });
                    let _ = rx.await;
                    Ok(desc.id)
                }
                Some(Err(stop)) => Err(stop),
                None => Err(failed("internal: no answer for this link", "")),
            },
        };
        started.push((job.id, file_id, cancel.clone()));
    }
    join_all(started.into_iter().map(|(id, file_id, cancel)| {
        let (shared, reports) = (shared.clone(), reports.clone());
        async move {
            let outcome = match file_id {
                Ok(file_id) if !cancel.is_cancelled() => {
                    follow(&shared, id, &file_id, &reports, &cancel).await
                }
                Ok(_) => Err(Stop::Interrupted),
                Err(stop) => Err(stop),
            };
            let _ = reports.send(Report::Finished { id, outcome });
        }
    }))
    .await;
}

/// The import call for `jobs`: one answer per job, in order.
async fn import(shared: &Shared, jobs: &[&Job]) -> Vec<Result<FileDescriptor, Stop>> {
    const CONTEXT: &str = "Wix could not import the link";
    match jobs {
        [] => Vec::new(),
        [one] => vec![
            shared
                .wix
                .import_file(&request(one))
                .await
                .map_err(|e| stop_for_wix_error(CONTEXT, e)),
        ],
        many => {
            let reqs: Vec<ImportRequest> = many.iter().map(|j| request(j)).collect();
            match shared.wix.bulk_import_files(&reqs).await {
                Ok(results) => results
                    .into_iter()
                    .map(|r| {
                        r.map_err(|e| {
                            failed(
                                &crate::text::printable(&format!("{CONTEXT}: {}", e.message)),
                                e.code.as_deref().unwrap_or(""),
                            )
                        })
                    })
                    .collect(),
                Err(e) => {
                    let stop = stop_for_wix_error(CONTEXT, e);
                    many.iter().map(|_| Err(copy(&stop))).collect()
                }
            }
        }
    }
}

fn copy(stop: &Stop) -> Stop {
    match stop {
        Stop::Interrupted => Stop::Interrupted,
        Stop::Failed(e) => Stop::Failed(e.clone()),
    }
}

/// What a FAILED import says when Wix gives no reason (it documents none).
const IMPORT_FAILED: &str = "Wix could not import the link; check that it opens in a browser \
     without signing in and serves a photo, video, audio file or document";

/// Polls one imported file until READY, and what it became.
async fn follow(
    shared: &Shared,
    id: JobId,
    file_id: &str,
    reports: &Reports,
    cancel: &CancellationToken,
) -> Result<JobResult, Stop> {
    let _ = reports.send(Report::Phase {
        id,
        state: JobState::Processing,
    });
    let desc = match poll_ready(shared, id, file_id, IMPORT_FAILED, reports, cancel).await? {
        Ok(d) => d,
        Err(e) => return Err(failed_on_site(reports, id, e).await),
    };
    // Nothing local to compare with: the bytes went from the link to Wix.
    Ok(JobResult::from_descriptor(&desc, OriginKind::Import))
}
