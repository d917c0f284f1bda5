//! What a status code means for each request the client sends: the one place status codes are
//! read. Everything else asks [`meaning`] (or [`is_transient`]).

/// The requests of a tus exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Options,
    Post,
    Head,
    Patch,
    Delete,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Options => "OPTIONS",
            Method::Post => "POST",
            Method::Head => "HEAD",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// What an answer's status says, for the request it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meaning {
    /// The request did what it asked: 2xx (only 201 for a creation). For DELETE also 404 and
    /// 410: the upload is gone, which is what termination wanted.
    Success,
    /// A 4xx to OPTIONS: the server does not do discovery; assume creation only.
    NoDiscovery,
    /// The upload no longer exists: 403, 404 or 410 to HEAD, 404 or 410 to PATCH.
    Gone,
    /// 413: to POST, the file is too large; to PATCH, the chunk is (a proxy's body limit).
    TooLarge,
    /// 412: the server does not speak our tus version.
    UnsupportedVersion,
    /// Worth retrying after a delay: 409 (re-HEAD), 423 (locked), 429 (rate limited), 460
    /// (checksum mismatch) and every 5xx.
    Transient,
    /// Anything else: the server refused, final.
    Refused,
}

impl Meaning {
    /// True when the answer's text is worth reading: it becomes the message of the error.
    pub fn wants_message(self) -> bool {
        matches!(
            self,
            Meaning::Transient | Meaning::Refused | Meaning::TooLarge
        )
    }
}

/// Transient statuses (see [`Meaning::Transient`]).
pub fn is_transient(status: u16) -> bool {
    matches!(status, 409 | 423 | 429 | 460) || (500..600).contains(&status)
}

/// What `status` means as the answer to `method`.
pub fn meaning(method: Method, status: u16) -> Meaning {
    let success = match method {
        Method::Post => status == 201,
        _ => (200..300).contains(&status),
    };
    match (method, status) {
        _ if success => Meaning::Success,
        (Method::Options, 400..=499) => Meaning::NoDiscovery,
        (Method::Head, 403 | 404 | 410) | (Method::Patch, 404 | 410) => Meaning::Gone,
        (Method::Delete, 404 | 410) => Meaning::Success,
        (Method::Post | Method::Patch, 413) => Meaning::TooLarge,
        (_, 412) => Meaning::UnsupportedVersion,
        _ if is_transient(status) => Meaning::Transient,
        _ => Meaning::Refused,
    }
}

#[cfg(test)]
mod tests {
    use super::Meaning::*;
    use super::Method::*;
    use super::*;

    #[test]
    fn every_status_the_client_reads() {
        let table = [
            (Options, 200, Success),
            (Options, 204, Success),
            (Options, 400, NoDiscovery),
            (Options, 404, NoDiscovery),
            (Options, 405, NoDiscovery),
            (Options, 412, NoDiscovery),
            (Options, 500, Transient),
            (Options, 503, Transient),
            (Post, 201, Success),
            (Post, 200, Refused),
            (Post, 204, Refused),
            (Post, 413, TooLarge),
            (Post, 412, UnsupportedVersion),
            (Post, 409, Transient),
            (Post, 429, Transient),
            (Post, 400, Refused),
            (Post, 403, Refused),
            (Head, 200, Success),
            (Head, 204, Success),
            (Head, 403, Gone),
            (Head, 404, Gone),
            (Head, 410, Gone),
            (Head, 412, UnsupportedVersion),
            (Head, 413, Refused),
            (Head, 423, Transient),
            (Head, 500, Transient),
            (Patch, 204, Success),
            (Patch, 200, Success),
            (Patch, 404, Gone),
            (Patch, 410, Gone),
            (Patch, 403, Refused),
            (Patch, 413, TooLarge),
            (Patch, 412, UnsupportedVersion),
            (Patch, 409, Transient),
            (Patch, 423, Transient),
            (Patch, 429, Transient),
            (Patch, 460, Transient),
            (Patch, 500, Transient),
            (Patch, 502, Transient),
            (Patch, 599, Transient),
            (Patch, 400, Refused),
            (Patch, 422, Refused),
            (Patch, 600, Refused),
            (Patch, 302, Refused),
            (Delete, 204, Success),
            (Delete, 404, Success),
            (Delete, 410, Success),
            (Delete, 403, Refused),
            (Delete, 412, UnsupportedVersion),
            (Delete, 503, Transient),
        ];
        for (method, status, want) in table {
            assert_eq!(meaning(method, status), want, "{} {status}", method.name());
        }
    }

    #[test]
    fn only_failures_read_the_answers_text() {
        assert!(Refused.wants_message() && Transient.wants_message() && TooLarge.wants_message());
        assert!(!Success.wants_message() && !Gone.wants_message());
        assert!(!NoDiscovery.wants_message() && !UnsupportedVersion.wants_message());
    }
}
