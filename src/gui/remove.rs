//! Removing rows: one key (Ctrl+A, then Delete) must not throw away uploads under way. Rows
//! whose progress a removal loses are asked about first, as Quit asks; the rest go at once.

use crate::engine::{JobId, JobState};

use super::queue::Queue;
use super::queue_row::Row;

/// What the person answered about removing uploads in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Remove,
    /// Leave them as they are: running ones go on, paused ones stay paused and resumable.
    Keep,
}

/// Whether removing `row` loses work: it is sending or finishing, or the server holds some of
/// its bytes that a Resume, a Retry or a restart would continue from.
pub fn loses_progress(row: &Row) -> bool {
    match row.state {
        JobState::Uploading | JobState::Finalizing | JobState::Processing => true,
        JobState::Queued | JobState::Paused => row.acknowledged > 0,
        // A permanent failure cannot be continued; a transient one resumes on Retry.
        JobState::Failed => {
            row.acknowledged > 0 && !row.error.as_ref().is_some_and(|e| e.permanent)
        }
        JobState::Done | JobState::Cancelled => false,
    }
}

/// `ids` split into the rows that may go at once and those to ask about, in the given order.
pub fn split(queue: &Queue, ids: Vec<JobId>) -> (Vec<JobId>, Vec<JobId>) {
    ids.into_iter()
        .partition(|id| !queue.get(*id).is_some_and(loses_progress))
}

/// The question while uploads in progress wait to be removed; Escape or a click outside keeps
/// them.
pub fn remove_dialog_ui(ctx: &egui::Context, asked: &[JobId]) -> Option<Answer> {
    if asked.is_empty() {
        return None;
    }
    let (heading, body) = match asked.len() {
        1 => (
            "Remove an upload in progress?".to_string(),
            "Its progress is lost: added again, it starts from the beginning.",
        ),
        n => (
            format!("Remove {n} uploads in progress?"),
            "Their progress is lost: added again, they start from the beginning.",
        ),
    };
    let texts = [heading.as_str(), body, "Remove", "Keep"];
    let answer = super::style::question(ctx, "wixup-remove", texts, Some(false));
    answer.map(|remove| if remove { Answer::Remove } else { Answer::Keep })
}
