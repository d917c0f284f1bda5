//! A file Wix keeps processing: the clock beside a worker's wait for READY. After a while the
//! person is told Wix is still at it and how to check later; at the poll timeout the worker
//! gives up with a failure that keeps the file id, so `wixup resume` (or Retry) polls it again
//! instead of sending the file again.

use std::time::Duration;

use crate::engine::describe::failed;
use crate::engine::job::JobId;
use crate::engine::report::{Report, Reports, Stop};
use crate::engine::shared::Shared;
use crate::units::format_eta;

/// Ends at `shared.poll_timeout`; on the way, after `shared.processing_notice_after`, says once
/// that Wix is still processing the file (a [`Report::Note`]). Race it against the wait.
pub(super) async fn overdue(shared: &Shared, id: JobId, reports: &Reports) {
    let timeout = shared.poll_timeout;
    let notice = shared.processing_notice_after;
    if notice >= timeout {
        tokio::time::sleep(timeout).await;
        return;
    }
    tokio::time::sleep(notice).await;
    let _ = reports.send(Report::Note {
        id,
        message: still_processing(notice, timeout),
    });
    tokio::time::sleep(timeout - notice).await;
}

/// The failure at the poll timeout.
pub(super) fn gave_up(timeout: Duration) -> Stop {
    failed(
        &format!(
            "Wix was still processing the file after {}; it may yet become ready on your site. \
             `wixup resume` (or Retry in the window) checks on it again without sending it again",
            format_eta(timeout)
        ),
        "gave up polling get-files",
    )
}

fn still_processing(after: Duration, timeout: Duration) -> String {
    format!(
        "Wix is still processing the file after {}; Wixup keeps checking for up to {}. To check \
         later instead, stop now: `wixup resume` (or the window's next start) checks on it \
         without sending it again",
        format_eta(after),
        format_eta(timeout)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sentences_say_how_long_and_how_to_check_later() {
        let note = still_processing(Duration::from_secs(120), Duration::from_secs(1800));
        assert!(note.starts_with("Wix is still processing the file after about 2 min;"));
        assert!(note.contains("up to about 30 min") && note.contains("`wixup resume`"));
        let Stop::Failed(e) = gave_up(Duration::from_secs(1800)) else {
            panic!("a failure");
        };
        assert!(e.message.contains("after about 30 min") && e.message.contains("`wixup resume`"));
    }
}
