//! Errors of the Wix REST client: what happened (status, code, what the server said), as facts.
//! Wix error bodies (`message`, `details.applicationError`, `details.validationError.fieldViolations`)
//! and non-JSON bodies become readable text. What a person should do about an error is written
//! once, by the engine's description layer (`engine::describe`), not here.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The connection failed, was reset or timed out. Retried.
    #[error("could not reach Wix: {0}")]
    Network(#[source] reqwest::Error),

    /// 401: the key is missing, wrong or expired.
    #[error("Wix rejected the API key ({status}){}", fmt_message(.message))]
    Unauthorized { status: u16, message: String },

    /// 403: the key lacks a permission, or the site id is wrong.
    #[error("Wix refused access ({status}){}", fmt_message(.message))]
    Forbidden { status: u16, message: String },

    /// Any other non-success answer, with what the server said.
    #[error("Wix answered {status}{}", fmt_message(.message))]
    Api {
        status: u16,
        /// The readable part: `message`, the application error, the field violations.
        message: String,
        /// `details.applicationError.code`, if any.
        code: Option<String>,
        retry_after: Option<Duration>,
    },

    /// A success status with a body we cannot use (not JSON, or missing a required field).
    #[error("Wix sent an answer Wixup cannot read: {0}")]
    BadResponse(String),

    /// The server connected but sent nothing for this long (stall detection). Retried.
    #[error("the server at {host} accepted the connection but sent nothing for {} s", .idle.as_secs())]
    Stalled { host: String, idle: Duration },

    /// The answer was larger than any Wix REST answer can be: not read past the limit.
    #[error("the server at {host} sent an answer of more than {} MiB, far more than Wix sends", .limit_bytes >> 20)]
    TooLarge { host: String, limit_bytes: u64 },

    /// A search for a file stopped at its page limit before it could tell whether the file is
    /// there: neither "found" nor "not there".
    #[error(
        "more than {files} files were added where this file went since its upload began; cannot tell whether it is among them"
    )]
    Undecided { files: u32 },

    /// The server's HTTPS certificate was refused (not trusted, expired, another name): not
    /// retried, since sending again cannot help.
    #[error("the HTTPS certificate of {host} is {reason}")]
    Untrusted { host: String, reason: String },

    /// Redirects went round in circles or too far.
    #[error("the server at {host} keeps redirecting (too many redirects)")]
    Redirects { host: String },

    /// The request's owner stopped it (pause, cancel, shutdown).
    #[error("cancelled")]
    Cancelled,
}

fn fmt_message(m: &str) -> String {
    if m.is_empty() {
        String::new()
    } else {
        format!(": {m}")
    }
}

impl Error {
    /// Nothing could be reached (no connection, or a call that stalled): the network may be
    /// gone, rather than the server failing.
    pub fn is_offline(&self) -> bool {
        matches!(self, Error::Network(_) | Error::Stalled { .. })
    }

    /// Network errors, timeouts, 5xx and 429 are worth retrying.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Network(_) | Error::Stalled { .. } => true,
            Error::Api { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }

    /// The request surely had no effect on the server: it was never connected, or it was
    /// refused by rate limiting. Only then is a non-idempotent call simply sent again.
    pub fn surely_not_received(&self) -> bool {
        match self {
            Error::Network(e) => e.is_connect(),
            Error::Api { status, .. } => *status == 429,
            _ => false,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Unauthorized { status, .. }
            | Error::Forbidden { status, .. }
            | Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Builds the error for a non-success answer from its status and body.
    pub fn from_response(status: u16, body: &[u8], retry_after: Option<Duration>) -> Self {
        let (message, code) = describe_body(body);
        match status {
            401 => Error::Unauthorized { status, message },
            403 => Error::Forbidden { status, message },
            _ => Error::Api {
                status,
                message,
                code,
                retry_after,
            },
        }
    }
}

/// The readable text of a Wix error body, and its application error code.
fn describe_body(body: &[u8]) -> (String, Option<String>) {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        // An HTML page or a long blob says nothing useful in one line.
        if text.is_empty() || text.starts_with('<') || text.len() > 200 {
            return (String::new(), None);
        }
        return (text.to_string(), None);
    };
    let s = |v: Option<&serde_json::Value>| {
        v.and_then(|x| x.as_str())
            .filter(|x| !x.is_empty())
            .map(str::to_string)
    };
    let mut parts = Vec::new();
    if let Some(m) = s(v.get("message")) {
        parts.push(m);
    }
    let details = v.get("details");
    let app = details.and_then(|d| d.get("applicationError"));
    let code = s(app.and_then(|a| a.get("code")));
    if let Some(d) = s(app.and_then(|a| a.get("description")))
        && !parts.contains(&d)
    {
        parts.push(d);
    }
    if let Some(violations) = details
        .and_then(|d| d.get("validationError"))
        .and_then(|e| e.get("fieldViolations"))
        .and_then(|f| f.as_array())
    {
        for fv in violations {
            let field = s(fv.get("field")).unwrap_or_else(|| "?".into());
            let desc = s(fv.get("description")).unwrap_or_else(|| "invalid".into());
            parts.push(format!("{field}: {desc}"));
        }
    }
    (parts.join("; "), code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wix_bodies_become_sentences() {
        let body = br#"{"message":"bad request","details":{"validationError":{"fieldViolations":[
            {"field":"mimeType","description":"must not be empty","violatedRule":"REQUIRED_FIELD"}]}}}"#;
        let e = Error::from_response(400, body, None);
        assert_eq!(
            e.to_string(),
            "Wix answered 400: bad request; mimeType: must not be empty"
        );
        let app = br#"{"message":"","details":{"applicationError":{"code":"FILE_TOO_BIG","description":"too big"}}}"#;
        match Error::from_response(400, app, None) {
            Error::Api { message, code, .. } => {
                assert_eq!(message, "too big");
                assert_eq!(code.as_deref(), Some("FILE_TOO_BIG"));
            }
            other => panic!("{other:?}"),
        }
        let html = Error::from_response(403, b"<html><body>Forbidden</body></html>", None);
        assert!(
            matches!(&html, Error::Forbidden { status: 403, message } if message.is_empty()),
            "{html:?}"
        );
        assert_eq!(html.to_string(), "Wix refused access (403)");
        assert!(Error::from_response(503, b"{}", None).is_retryable());
        assert!(!Error::from_response(400, b"{}", None).is_retryable());
        assert!(
            Error::from_response(401, b"", None)
                .to_string()
                .contains("rejected the API key")
        );
    }
}
