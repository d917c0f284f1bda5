//! Sentences a person understands for each failure: what happened and what to do. The detail
//! (status, server message) stays beside them for a tooltip or a log.

use super::job::JobError;
use super::report::Stop;
use crate::text::printable;
use crate::{tus, wix_media};

pub(super) fn failed(message: &str, detail: &str) -> Stop {
    Stop::Failed(JobError {
        message: message.to_string(),
        detail: detail.to_string(),
        status: None,
        permanent: false,
        offline: false,
    })
}

/// An empty file fails before anything is created on the server, for good: there is nothing
/// to upload (Wix would only fail to process it).
pub(super) fn refuse_empty(name: &str, len: u64) -> Result<(), Stop> {
    if len > 0 {
        return Ok(());
    }
    Err(Stop::Failed(JobError {
        message: format!(
            "{} is empty (0 bytes); there is nothing to upload",
            printable(name)
        ),
        detail: "the file has 0 bytes".into(),
        status: None,
        permanent: true,
        offline: false,
    }))
}

/// Wix refuses the file by its content (406: JPEG XL): sending it again cannot help.
const REFUSED_BY_CONTENT: u16 = 406;

/// A sentence a person understands for each tus failure.
pub(super) fn stop_for_tus_error(e: tus::Error) -> Stop {
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
        E::TooLarge {
            size,
            max: Some(max),
            ..
        } if size > max => format!(
            "the file ({}) is larger than the server accepts ({})",
            crate::units::format_bytes(*size),
            crate::units::format_bytes(*max)
        ),
        // Refused (413) without a limit it stated: what it said is all there is to go on.
        E::TooLarge { size, message, .. } => format!(
            "the upload server refused the file ({}) as too large (413{})",
            crate::units::format_bytes(*size),
            said(message)
        ),
        E::Network(_) | E::Stalled(_) => {
            "could not reach the upload server; check the internet connection, or a proxy, then Retry"
                .to_string()
        }
        E::Status { status: 407, .. } => PROXY_REFUSED.to_string(),
        E::Untrusted { .. } => format!("{e}; {}", crate::trust::CERTIFICATE_ADVICE),
        E::Status {
            status, message, ..
        } if *status >= 500 || *status == 429 => {
            format!(
                "the upload server kept failing ({status}{}); Retry later",
                said(message)
            )
        }
        E::Status {
            status, message, ..
        } => format!(
            "the upload server refused the file ({status}{})",
            said(message)
        ),
        E::Gone { .. } | E::Expired => {
            "the upload expired on the server twice; Retry to start anew".to_string()
        }
        E::UnsupportedVersion(_) | E::Protocol(_) => {
            "the upload server answered in a way Wixup does not understand; Retry".to_string()
        }
    };
    // Larger than the limit the server stated, or refused by its content: for good.
    let permanent = matches!(&e, E::TooLarge { size, max: Some(max), .. } if size > max)
        || e.status() == Some(REFUSED_BY_CONTENT);
    Stop::Failed(JobError {
        message: printable(&message).into_owned(),
        detail: printable(&e.to_string()).into_owned(),
        status: e.status(),
        permanent,
        offline: matches!(e, E::Network(_) | E::Stalled(_)),
    })
}

/// A 407: the proxy, not Wix, wants credentials (or refused the ones it was given).
const PROXY_REFUSED: &str = "the proxy refused the request (407 Proxy Authentication Required); \
     check the proxy's user and password in Settings (Advanced, Proxy), or WIXUP_PROXY_PASSWORD";

/// What the server said, after its status: `: text`, or nothing.
fn said(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

/// `e` by value or shared (the poller answers several waiters with one error).
pub(super) fn stop_for_wix_error(
    context: &str,
    e: impl std::borrow::Borrow<wix_media::Error>,
) -> Stop {
    use wix_media::Error as E;
    let e = e.borrow();
    let message = match e {
        E::Unauthorized { .. } | E::Forbidden { .. } => wix_sentence(e),
        E::Api { status: 407, .. } => format!("{context}: {PROXY_REFUSED}"),
        E::Network(_) => {
            format!(
                "{context}: could not reach Wix; check the internet connection, or a proxy, then Retry"
            )
        }
        E::Api {
            status, message, ..
        } if !message.is_empty() => {
            format!("{context} ({status}): {message}")
        }
        E::Api { status, .. } => format!("{context} ({status})"),
        _ => format!("{context}: {}", wix_sentence(e)),
    };
    // What the server said is shown as text, never as terminal control or forged lines.
    Stop::Failed(JobError {
        message: printable(&message).into_owned(),
        detail: printable(&e.to_string()).into_owned(),
        status: e.status(),
        permanent: e.status() == Some(REFUSED_BY_CONTENT),
        offline: matches!(e, E::Network(_) | E::Stalled { .. }),
    })
}

/// The sentence a person reads for a Wix error outside an upload (Test connection, the folder
/// list): what happened and, where something can be done, what to do.
pub fn describe_wix_error(e: &wix_media::Error) -> String {
    printable(&wix_sentence(e)).into_owned()
}

fn wix_sentence(e: &wix_media::Error) -> String {
    use wix_media::Error as E;
    match e {
        E::Unauthorized { .. } => format!("{e}. Check the key (WIX_API_KEY or Settings)."),
        E::Forbidden { .. } => format!(
            "{e}. Check that the API key has the Manage Media Manager permission and that the site id (WIX_SITE_ID) is right."
        ),
        E::TooLarge { .. } | E::Redirects { .. } => format!("{e}; check the API address"),
        E::Api { status: 407, .. } => PROXY_REFUSED.to_string(),
        E::Untrusted { .. } => format!("{e}; {}", crate::trust::CERTIFICATE_ADVICE),
        // reqwest's own words ("error sending request") say nothing a person can act on.
        E::Network(_) => {
            "could not reach Wix; check the internet connection, or a proxy, and the API address"
                .to_string()
        }
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(stop: Stop) -> String {
        match stop {
            Stop::Failed(e) => e.message,
            _ => panic!("not a failure"),
        }
    }

    #[test]
    fn refusals_say_what_to_check_once() {
        let e = wix_media::Error::from_response(403, b"{}", None);
        let m = message(stop_for_wix_error("Wix did not hand out an upload URL", e));
        assert_eq!(
            m,
            "Wix refused access (403). Check that the API key has the Manage Media Manager permission and that the site id (WIX_SITE_ID) is right."
        );
        let e = wix_media::Error::from_response(401, br#"{"message":"expired"}"#, None);
        assert_eq!(
            describe_wix_error(&e),
            "Wix rejected the API key (401): expired. Check the key (WIX_API_KEY or Settings)."
        );
    }

    #[test]
    fn too_large_says_the_stated_limit_or_what_the_server_said() {
        let too_large = |max, text: &str| tus::Error::TooLarge {
            size: 2 << 20,
            max,
            message: text.into(),
        };
        assert_eq!(
            message(stop_for_tus_error(too_large(Some(1 << 20), ""))),
            "the file (2.0 MiB) is larger than the server accepts (1.0 MiB)"
        );
        // No limit stated (Wix sends no Tus-Max-Size): never "(0 B)".
        assert_eq!(
            message(stop_for_tus_error(too_large(None, "over the limit"))),
            "the upload server refused the file (2.0 MiB) as too large (413: over the limit)"
        );
        assert_eq!(
            message(stop_for_tus_error(too_large(None, ""))),
            "the upload server refused the file (2.0 MiB) as too large (413)"
        );
    }

    #[test]
    fn a_status_says_what_the_server_said() {
        let status = |status, text: &str| tus::Error::Status {
            method: "PATCH",
            status,
            message: text.into(),
            retry_after: None,
        };
        assert_eq!(
            message(stop_for_tus_error(status(500, "could not store the file"))),
            "the upload server kept failing (500: could not store the file); Retry later"
        );
        assert_eq!(
            message(stop_for_tus_error(status(500, ""))),
            "the upload server kept failing (500); Retry later"
        );
        assert_eq!(
            message(stop_for_tus_error(status(400, "bad header"))),
            "the upload server refused the file (400: bad header)"
        );
    }

    #[test]
    fn other_answers_follow_the_step_that_failed() {
        let e = wix_media::Error::from_response(400, br#"{"message":"bad mime"}"#, None);
        assert_eq!(
            message(stop_for_wix_error("Wix could not finish the upload", e)),
            "Wix could not finish the upload (400): bad mime"
        );
        let e = wix_media::Error::Redirects {
            host: "example.test".into(),
        };
        assert_eq!(
            message(stop_for_wix_error(
                "Wix could not report the file's status",
                e
            )),
            "Wix could not report the file's status: the server at example.test keeps redirecting (too many redirects); check the API address"
        );
        // Server text reaches the sentence as text, never as terminal control.
        let e = wix_media::Error::from_response(400, br#"{"message":"a\u001b[2Jb"}"#, None);
        assert!(!describe_wix_error(&e).contains('\u{1b}'));
    }
}
