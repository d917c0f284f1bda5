//! Errors of the tus client, classified so that the retry loop and the engine can decide what to
//! do without looking at text.

use std::time::Duration;

use super::status;

/// Everything that can go wrong in a tus exchange.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The connection failed, was refused, reset or timed out. Retried.
    #[error("network error: {0}")]
    Network(#[source] reqwest::Error),

    /// The upload server's HTTPS certificate was refused (not trusted, expired, another name).
    /// Not retried.
    #[error("the upload server's HTTPS certificate is {reason}")]
    Untrusted { reason: String },

    /// A request moved no bytes for the idle timeout; it was aborted. Retried.
    #[error("the connection stalled (no data moved for {} s)", .0.as_secs())]
    Stalled(Duration),

    /// The server answered with a status the protocol treats as transient (5xx, 409, 423, 429,
    /// 460) or as final (any other 4xx). `is_retryable` tells which.
    #[error("the upload server answered {status} to {method}{}", fmt_message(.message))]
    Status {
        method: &'static str,
        status: u16,
        message: String,
        retry_after: Option<Duration>,
    },

    /// The upload no longer exists on the server (404, 410, or 403 on HEAD): expired, terminated
    /// or never created. The caller starts a new upload.
    #[error("the upload is gone from the server ({status})")]
    Gone { status: u16 },

    /// `Upload-Expires` has passed: the server will not accept more data for this upload.
    #[error("the upload expired on the server")]
    Expired,

    /// The file is larger than the server's `Tus-Max-Size` (`max`), or the server answered 413
    /// to the creation request: `max` when it stated a limit, `message` what its answer said.
    #[error("the file is {size} bytes, more than the server accepts{}", fmt_too_large(*.max, .message))]
    TooLarge {
        size: u64,
        max: Option<u64>,
        message: String,
    },

    /// The server does not speak tus 1.0.0 (412).
    #[error("the server does not support tus 1.0.0 (it offers {0:?})")]
    UnsupportedVersion(String),

    /// The server's answer breaks the protocol: a missing or bogus `Upload-Offset`, an offset
    /// beyond the length or moving backwards, a missing `Location`.
    #[error("the upload server sent an invalid answer: {0}")]
    Protocol(String),

    /// The file had fewer bytes than its recorded size while it was being read.
    #[error("the file ended early at byte {offset} (expected {expected} bytes)")]
    FileEndedEarly { offset: u64, expected: u64 },

    /// The file's size or modification time changed since the upload started.
    #[error("file changed on disk")]
    FileChanged,

    /// Reading the local file failed.
    #[error("could not read the file: {0}")]
    Io(#[from] std::io::Error),

    /// The upload was paused or cancelled by its owner.
    #[error("cancelled")]
    Cancelled,
}

/// Kinds that come from reading a file, never from a socket.
fn is_local_file_error(kind: std::io::ErrorKind) -> bool {
    use std::io::ErrorKind as K;
    matches!(kind, K::PermissionDenied | K::NotFound | K::IsADirectory)
}

fn fmt_too_large(max: Option<u64>, message: &str) -> String {
    match max {
        Some(max) => format!(" ({max} bytes){}", fmt_message(message)),
        None => format!(" (413){}", fmt_message(message)),
    }
}

fn fmt_message(m: &str) -> String {
    if m.is_empty() {
        String::new()
    } else {
        format!(": {m}")
    }
}

impl Error {
    /// Nothing could be reached (no connection, or a transfer that stalled): the network may be
    /// gone, rather than the server failing.
    pub fn is_offline(&self) -> bool {
        matches!(self, Error::Network(_) | Error::Stalled(_))
    }

    /// Transient failures worth retrying after a delay: network errors, timeouts, stalls, 5xx,
    /// 409 (re-HEAD), 423 (locked), 429 (rate limited) and 460 (checksum mismatch).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Network(_) | Error::Stalled(_) => true,
            Error::Status { status, .. } => status::is_transient(*status),
            _ => false,
        }
    }

    /// The HTTP status, if the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Status { status, .. } | Error::Gone { status } => Some(*status),
            _ => None,
        }
    }

    /// How long the server asked us to wait (`Retry-After` on 429 or 503).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Builds a `Network` error without the URL (which may carry an upload token), or an
    /// [`Error::Io`] when what failed was reading the local file for the request's body (the
    /// file became unreadable or vanished mid-upload): that is no connection trouble, and
    /// retrying it would only blame the network.
    pub(crate) fn network(e: reqwest::Error) -> Self {
        if let Some(reason) = crate::trust::certificate_problem(&e) {
            return Error::Untrusted { reason };
        }
        // Not a connect error: a firewall refusing the connection is EPERM/EACCES too.
        if (e.is_body() || e.is_request()) && !e.is_connect() {
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                if let Some(io) = s.downcast_ref::<std::io::Error>()
                    && is_local_file_error(io.kind())
                {
                    return Error::Io(std::io::Error::new(io.kind(), io.to_string()));
                }
                source = s.source();
            }
        }
        Error::Network(e.without_url())
    }
}
