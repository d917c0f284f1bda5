//! Sentences a person understands for each failure: what happened and what to do. The detail
//! (status, server message) stays beside them for a tooltip or a log.

use super::job::JobError;
use super::worker::Stop;
use crate::text::printable;
use crate::{tus, wix_media};

pub(super) fn failed(message: &str, detail: &str) -> Stop {
    Stop::Failed(JobError {
        message: message.to_string(),
        detail: detail.to_string(),
        status: None,
    })
}

/// A sentence a person understands for each tus failure.
pub(super) fn tus_stop(e: tus::Error) -> Stop {
    use tus::Error as E;
    let message = match &e {
        E::Cancelled => return Stop::Interrupted,
        E::FileChanged => {
            "file changed on disk; add it again to upload the new version".to_string()
        }
        E::Io(io) if io.kind() == std::io::ErrorKind::NotFound => {
            "file not found; check that it still exists".to_string()
        }
        E::Io(io) if io.kind() == std::io::ErrorKind::PermissionDenied => {
            "cannot read the file (permission denied); check its permissions".to_string()
        }
        E::Io(_) => "cannot read the file; check that it is readable".to_string(),
        E::FileEndedEarly { .. } => {
            "the file got shorter while it was uploading; add it again".to_string()
        }
        E::TooLarge { size, max } => format!(
            "the file ({}) is larger than the server accepts ({})",
            crate::units::format_bytes(*size),
            crate::units::format_bytes(*max)
        ),
        E::Network(_) | E::Stalled(_) => {
            "could not reach the upload server; check the connection, then Retry".to_string()
        }
        E::Status { status, .. } if *status >= 500 || *status == 429 => {
            format!("the upload server kept failing ({status}); Retry later")
        }
        E::Status { status, .. } => format!("the upload server refused the file ({status})"),
        E::Gone { .. } | E::Expired => {
            "the upload expired on the server twice; Retry to start anew".to_string()
        }
        E::UnsupportedVersion(_) | E::Protocol(_) => {
            "the upload server answered in a way Wixup does not understand; Retry".to_string()
        }
    };
    Stop::Failed(JobError {
        message: printable(&message).into_owned(),
        detail: printable(&e.to_string()).into_owned(),
        status: e.status(),
    })
}

pub(super) fn wix_stop(context: &str, e: wix_media::Error) -> Stop {
    use wix_media::Error as E;
    let message = match &e {
        E::Unauthorized { .. } | E::Forbidden { .. } => e.to_string(),
        E::Network(_) => {
            format!("{context}: could not reach Wix; check the connection, then Retry")
        }
        E::Api {
            status, message, ..
        } if !message.is_empty() => {
            format!("{context} ({status}): {message}")
        }
        E::Api { status, .. } => format!("{context} ({status})"),
        _ => format!("{context}: {e}"),
    };
    // What the server said is shown as text, never as terminal control or forged lines.
    Stop::Failed(JobError {
        message: printable(&message).into_owned(),
        detail: printable(&e.to_string()).into_owned(),
        status: e.status(),
    })
}
