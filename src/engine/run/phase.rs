//! The phases of one upload and the choices between them: pure, with no I/O, unit-tested with
//! literal inputs (the way `tus/machine.rs` decides for the tus client). `upload.rs` runs each
//! phase's I/O and asks here where to go next.
//!
//! ```text
//! Stage ─► Prepare ─► WaitSlot ─┬─► Put ──────────────────────┐ (refused: ─► Send)
//!                               └─► Send ─► Finalize ─────────┼─► WaitReady ─► Verify
//!   a file already made (its id known): WaitSlot ─► WaitReady ┘
//!   Send / Finalize: a gone, expired or refused upload starts anew once (─► Send)
//! ```

use crate::engine::job::{Job, Verification};
use crate::tus;
use crate::wix_media::FileDescriptor;

/// Where an upload stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// Decide the bytes to send: the file, or (its location removed) a staged copy.
    Stage,
    /// Ahead of the slot: a one-PUT URL, or the tus upload (a session), journaled.
    Prepare,
    /// Wait until the scheduler gives the job a slot.
    WaitSlot,
    /// One PUT of the whole file (small files).
    Put,
    /// The tus upload: a new server-side upload when there is none, then PATCH to the end.
    Send,
    /// `PUT {uploadUrl}/{uploadToken}`: the file is made.
    Finalize,
    /// Wait for Wix to say READY (or FAILED).
    WaitReady,
    /// The MD5 of the bytes sent against the server's hash: the result.
    Verify,
}

/// Where a job starts: a file already made (its id journaled) is only waited for; anything
/// else decides its bytes first.
pub(super) fn first(job: &Job) -> Phase {
    if job.file_id.is_some() {
        Phase::WaitSlot
    } else {
        Phase::Stage
    }
}

/// After the slot: wait for the file already made, or send by one PUT or by tus.
pub(super) fn after_slot(made: bool, one_put: bool) -> Phase {
    match (made, one_put) {
        (true, _) => Phase::WaitReady,
        (false, true) => Phase::Put,
        (false, false) => Phase::Send,
    }
}

/// Whether a file of `len` bytes goes by one PUT: below the threshold, with no resumable upload
/// under way.
pub(super) fn takes_one_put(one_put_below: u64, len: u64, has_session: bool) -> bool {
    !has_session && len < one_put_below
}

/// What to do when the tus upload failed with `error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OnSendError {
    /// Gone or expired on the server, for the first time: a new upload from the start.
    StartAnew,
    /// The job fails (its error says why).
    Fail,
}

pub(super) fn on_send_error(error: &tus::Error, restarted: bool) -> OnSendError {
    match error {
        tus::Error::Gone { .. } | tus::Error::Expired if !restarted => OnSendError::StartAnew,
        _ => OnSendError::Fail,
    }
}

/// How a finalize ended, as far as choosing the next phase goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FinalizeAnswer {
    /// A file with an id.
    Made,
    /// A file without an id: nothing to wait for.
    NoId,
    /// Refused for good (a 4xx other than 429).
    Refused,
}

/// What follows a finalize: the file is waited for; a refused upload starts anew once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AfterFinalize {
    Next(Phase),
    StartAnew,
    Fail,
}

pub(super) fn after_finalize(answer: FinalizeAnswer, restarted: bool) -> AfterFinalize {
    match answer {
        FinalizeAnswer::Made => AfterFinalize::Next(Phase::WaitReady),
        FinalizeAnswer::Refused if !restarted => AfterFinalize::StartAnew,
        FinalizeAnswer::Refused | FinalizeAnswer::NoId => AfterFinalize::Fail,
    }
}

/// Whether the file the upload made must be polled: unless its answer already says READY with
/// its hash.
pub(super) fn needs_poll(made: Option<&FileDescriptor>) -> bool {
    !made.is_some_and(|d| d.is_ready() && d.hash.as_deref().is_some_and(|h| !h.is_empty()))
}

/// Whether the site holds the bytes sent without the location, and the MD5 to verify with. A
/// file made before this run (an older version's upload finished after a restart, or a lost
/// one-PUT answer's file found on the site) may hold the original instead: when the server's
/// hash is the original's (`original`, known when the bytes sent differ from it), the location
/// did not go, whatever the finders say now.
pub(super) fn what_the_site_holds(
    server: Option<&str>,
    sent: Option<String>,
    original: Option<String>,
) -> (bool, Option<String>) {
    let same = |a: Option<&str>, b: Option<&String>| matches!((a, b), (Some(a), Some(b)) if a.eq_ignore_ascii_case(b));
    if same(server, original.as_ref()) && !same(server, sent.as_ref()) {
        (false, original)
    } else {
        (true, sent)
    }
}

/// The server's hash against the MD5 of the bytes sent.
pub(super) fn verification(server: Option<&str>, local: Option<&str>) -> Verification {
    match (server, local) {
        (Some(h), Some(l)) if !h.is_empty() => {
            if h.eq_ignore_ascii_case(l) {
                Verification::Verified
            } else {
                Verification::Mismatch
            }
        }
        _ => Verification::Unknown,
    }
}

/// Whether an upload under way must start anew because the bytes to send now differ from those
/// it began with: its session's overwrites mark (`begun`) is not that of the overwrites found
/// now (`now`). An upload that goes on from a copy an older version staged sends that copy as
/// it is.
pub(super) fn restart_for_bytes(begun: Option<&str>, now: Option<&str>, from_copy: bool) -> bool {
    !from_copy && begun != now
}

#[cfg(test)]
mod tests {
    use super::*;

    fn descriptor(json: serde_json::Value) -> FileDescriptor {
        serde_json::from_value(json).expect("descriptor")
    }

    #[test]
    fn the_way_through() {
        assert_eq!(after_slot(false, true), Phase::Put);
        assert_eq!(after_slot(false, false), Phase::Send);
        assert_eq!(
            after_slot(true, true),
            Phase::WaitReady,
            "made: only waited for"
        );
        assert!(takes_one_put(10, 9, false));
        assert!(!takes_one_put(10, 10, false));
        assert!(
            !takes_one_put(10, 9, true),
            "a resumable upload under way goes on"
        );
    }

    #[test]
    fn a_lost_upload_starts_anew_once() {
        let gone = tus::Error::Gone { status: 404 };
        assert_eq!(on_send_error(&gone, false), OnSendError::StartAnew);
        assert_eq!(on_send_error(&gone, true), OnSendError::Fail);
        assert_eq!(
            on_send_error(&tus::Error::Expired, false),
            OnSendError::StartAnew
        );
        assert_eq!(
            on_send_error(&tus::Error::Cancelled, false),
            OnSendError::Fail
        );
        use FinalizeAnswer::*;
        assert_eq!(
            after_finalize(Made, true),
            AfterFinalize::Next(Phase::WaitReady)
        );
        assert_eq!(after_finalize(Refused, false), AfterFinalize::StartAnew);
        assert_eq!(after_finalize(Refused, true), AfterFinalize::Fail);
        assert_eq!(after_finalize(NoId, false), AfterFinalize::Fail);
    }

    #[test]
    fn a_ready_answer_with_its_hash_is_not_polled() {
        assert!(needs_poll(None));
        let pending = descriptor(serde_json::json!({"id": "a", "operationStatus": "PENDING"}));
        assert!(needs_poll(Some(&pending)));
        let no_hash =
            descriptor(serde_json::json!({"id": "a", "operationStatus": "READY", "hash": ""}));
        assert!(needs_poll(Some(&no_hash)));
        let ready =
            descriptor(serde_json::json!({"id": "a", "operationStatus": "READY", "hash": "ab"}));
        assert!(!needs_poll(Some(&ready)));
    }

    #[test]
    fn verified_only_when_both_hashes_agree() {
        assert_eq!(verification(Some("AB"), Some("ab")), Verification::Verified);
        assert_eq!(verification(Some("ab"), Some("cd")), Verification::Mismatch);
        assert_eq!(verification(Some(""), Some("ab")), Verification::Unknown);
        assert_eq!(verification(None, Some("ab")), Verification::Unknown);
        assert_eq!(verification(Some("ab"), None), Verification::Unknown);
    }

    #[test]
    fn a_site_holding_the_original_says_the_location_stayed() {
        let s = |v: &str| Some(v.to_string());
        assert_eq!(
            what_the_site_holds(Some("aa"), s("aa"), s("bb")),
            (true, s("aa")),
            "the bytes sent"
        );
        assert_eq!(
            what_the_site_holds(Some("BB"), s("aa"), s("bb")),
            (false, s("bb")),
            "the original (sent by an older version): verified against it, location kept"
        );
        assert_eq!(
            what_the_site_holds(Some("cc"), s("aa"), s("bb")),
            (true, s("aa")),
            "neither: a mismatch against the bytes sent"
        );
        assert_eq!(what_the_site_holds(None, s("aa"), None), (true, s("aa")));
    }

    #[test]
    fn an_upload_restarts_only_when_its_bytes_would_differ() {
        assert!(
            !restart_for_bytes(None, None, false),
            "the original, both times"
        );
        assert!(
            !restart_for_bytes(Some("a1"), Some("a1"), false),
            "the same overwrites"
        );
        assert!(
            restart_for_bytes(None, Some("a1"), false),
            "begun with the location (an older version), sent without it now"
        );
        assert!(restart_for_bytes(Some("a1"), None, false), "the other way");
        assert!(
            restart_for_bytes(Some("a1"), Some("b2"), false),
            "other overwrites"
        );
        assert!(
            !restart_for_bytes(None, None, true) && !restart_for_bytes(None, Some("a1"), true),
            "begun from a staged copy: it goes on from it"
        );
    }
}
