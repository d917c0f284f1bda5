//! When the data dir fails the sandbox (full, read-only, gone): both sides say what happened.
//! The sandbox logs an error naming the file it could not write and the OS error; the client's
//! answer (a 500, as any server error) carries the OS error and what to do, but no path: an
//! answer may leave the machine.

use std::path::PathBuf;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::Response;
use http_body_util::BodyExt as _;

use super::persist::SaveError;
use super::reply::wix_error;
use super::tus_reply::tus_error;

/// Something the sandbox could not store in its data dir.
#[derive(Debug)]
pub(super) struct DiskError {
    /// What was being stored, as a person reads it: "the file's bytes", "a record of it".
    what: &'static str,
    path: PathBuf,
    source: std::io::Error,
}

impl DiskError {
    pub(super) fn new(
        what: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Self {
            what,
            path: path.into(),
            source,
        }
    }

    /// What the person running the sandbox does about it.
    fn remedy(&self) -> &'static str {
        use std::io::ErrorKind as K;
        match self.source.kind() {
            K::StorageFull | K::QuotaExceeded | K::FileTooLarge => {
                "free space in the sandbox's data dir"
            }
            K::PermissionDenied | K::ReadOnlyFilesystem => "make the sandbox's data dir writable",
            _ => "check the sandbox's data dir",
        }
    }

    /// Logs it, naming the file.
    pub(super) fn log(&self) {
        tracing::error!(
            "sandbox: cannot write {} ({}): {}; {}",
            self.path.display(),
            self.what,
            self.source,
            self.remedy()
        );
    }

    /// The sentence the client gets; `then` is what it does once the sandbox has room again.
    fn message(&self, then: &str) -> String {
        format!(
            "the sandbox could not store {}: {}; {}, then {then}",
            self.what,
            self.source,
            self.remedy()
        )
    }

    /// Logged, and answered as Wix answers a server error: 500, application error `STORAGE`.
    pub(super) fn wix_reply(&self, then: &str) -> Response {
        self.log();
        wix_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "STORAGE",
            &self.message(then),
        )
    }

    /// Logged, and answered as the tus server answers errors: 500 with the sentence as text.
    pub(super) fn tus_reply(&self, then: &str) -> Response {
        self.log();
        tus_error(StatusCode::INTERNAL_SERVER_ERROR, &self.message(then))
    }
}

impl From<SaveError> for DiskError {
    fn from(e: SaveError) -> Self {
        Self::new("a record of it", e.path, e.source)
    }
}

/// Reads the rest of a body that will not be stored, so the client, still sending, gets the
/// answer instead of a reset connection. Ends at its end, on an error, or when it sends nothing
/// for `idle`.
pub(super) async fn drain(body: &mut axum::body::Body, idle: Duration) {
    while let Ok(Some(Ok(_))) = tokio::time::timeout(idle, body.frame()).await {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_names_the_os_error_and_the_remedy_but_not_the_path() {
        let full = DiskError::new(
            "the file's bytes",
            "/srv/sandbox/uploads/plain-1.bin",
            std::io::Error::from_raw_os_error(28),
        );
        let m = full.message("PUT it again");
        assert!(
            m.starts_with("the sandbox could not store the file's bytes: "),
            "{m}"
        );
        assert!(m.contains("No space left on device"), "{m}");
        assert!(
            m.ends_with("free space in the sandbox's data dir, then PUT it again"),
            "{m}"
        );
        assert!(!m.contains("/srv"), "{m}");
        let denied = DiskError::new(
            "a record of it",
            "/x",
            std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        );
        assert!(
            denied
                .message("retry")
                .contains("make the sandbox's data dir writable")
        );
    }
}
