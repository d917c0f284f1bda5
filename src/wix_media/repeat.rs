//! How each REST call may be repeated after a failed attempt, decided in one place.
//!
//! A call states its [`Repeat`] by what a second copy of it would do on the server; a failed
//! attempt is sorted into a [`Failure`] by what it tells about whether the server acted on it;
//! [`Repeat::after`] turns the two into the [`Next`] step, a pure table. The one loop that
//! carries it out (sends, looks, waits on the shared schedule) is `Transport::call`.
//!
//! The choices, and why (`/work/shared/wix-api-field.md`):
//! - Reads, and writes that make nothing twice (an upload URL that is never used costs
//!   nothing): [`Repeat::Safe`].
//! - Finalize (`PUT {uploadUrl}/{uploadToken}`): Wix's upload token is one-time, so a repeat
//!   never makes a second file; but a repeat of a token that already made its file is refused
//!   with the same 429 `RESOURCE_EXHAUSTED` as a rate limit. Waiting that 429 out would wait
//!   for nothing: [`Repeat::NotOn429`] hands it back, and the caller looks for the file.
//! - Import from a link (one or bulk): a POST Wix does not deduplicate, whose file cannot be
//!   told from one made by an earlier import of the same link: [`Repeat::OnlyIfNotReceived`].
//! - Create folder: a POST Wix does not deduplicate, but the folder it made can be found by
//!   name: [`Repeat::LookFirst`].

use futures_util::future::BoxFuture;

use super::error::Error;

/// Looks on the site for what a call would have made: `Some` is taken as the call's answer.
pub(super) type Look<'a, T> =
    Box<dyn Fn() -> BoxFuture<'a, Result<Option<T>, Error>> + Send + Sync + 'a>;

/// How a call may be repeated after a failed attempt.
pub(super) enum Repeat<'a, T> {
    /// Safe to repeat: sent again after any transient failure.
    Safe,
    /// Sent again after a transient failure, except a 429, which is handed back at once: for a
    /// one-time token it may mean "already used", not "wait".
    NotOn429,
    /// Not safe to repeat, and what it made cannot be found: sent again only while it surely
    /// never reached the server (no connection, or refused by rate limiting).
    OnlyIfNotReceived,
    /// Not safe to repeat, but what it made can be found: sent again at once while it surely
    /// never reached the server; after a failure that may have reached it, looked for first,
    /// and sent again only when it is not there.
    LookFirst(Look<'a, T>),
}

/// What a failed attempt tells about whether the server acted on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Failure {
    /// 429: refused by rate limiting, so not acted on; worth waiting out.
    Throttled,
    /// The connection was never made: not acted on.
    NotSent,
    /// It may have been acted on and the answer lost: a reset, a stall, a 5xx.
    MaybeDone,
    /// The same request would fail the same way: a 4xx, an answer that cannot be read, …
    Final,
}

/// The step after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Next {
    /// Send it again when the retry schedule allows (a 429 is waited out by time).
    Retry,
    /// Hand the error back.
    GiveUp,
    /// Look for what it made: found is the answer; not there, send it again as [`Next::Retry`].
    LookFirst,
}

impl Failure {
    pub(super) fn of(err: &Error) -> Self {
        if err.status() == Some(429) {
            Failure::Throttled
        } else if err.surely_not_received() {
            Failure::NotSent
        } else if err.is_retryable() {
            Failure::MaybeDone
        } else {
            Failure::Final
        }
    }
}

impl<T> Repeat<'_, T> {
    /// The step after an attempt that failed so.
    pub(super) fn after(&self, failure: Failure) -> Next {
        use Failure::*;
        match (self, failure) {
            (_, Final) => Next::GiveUp,
            (Repeat::NotOn429, Throttled) => Next::GiveUp,
            (Repeat::OnlyIfNotReceived, MaybeDone) => Next::GiveUp,
            (Repeat::LookFirst(_), MaybeDone) => Next::LookFirst,
            (_, Throttled | NotSent | MaybeDone) => Next::Retry,
        }
    }

    /// What [`Repeat::LookFirst`] finds; nothing for the others.
    pub(super) async fn look(&self) -> Result<Option<T>, Error> {
        match self {
            Repeat::LookFirst(look) => look().await,
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16) -> Error {
        Error::from_response(status, br#"{"message":"x"}"#, None)
    }

    #[test]
    fn failures_are_sorted_by_whether_the_server_acted() {
        assert_eq!(Failure::of(&api(429)), Failure::Throttled);
        for status in [500, 502, 503] {
            assert_eq!(Failure::of(&api(status)), Failure::MaybeDone, "{status}");
        }
        let stalled = Error::Stalled {
            host: "127.0.0.1".into(),
            idle: std::time::Duration::from_secs(30),
        };
        assert_eq!(Failure::of(&stalled), Failure::MaybeDone);
        for e in [
            api(400),
            api(401),
            api(403),
            api(404),
            Error::BadResponse("no file in the answer".into()),
            Error::Redirects {
                host: "127.0.0.1".into(),
            },
            Error::Undecided { files: 2000 },
        ] {
            assert_eq!(Failure::of(&e), Failure::Final, "{e:?}");
        }
    }

    #[tokio::test]
    async fn a_refused_connection_was_not_sent() {
        // A port that was just free: nothing listens on it.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        drop(listener);
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let e = http
            .get(format!("http://127.0.0.1:{port}/"))
            .send()
            .await
            .expect_err("refused");
        assert!(e.is_connect(), "{e:?}");
        assert_eq!(Failure::of(&Error::Network(e)), Failure::NotSent);
    }

    #[test]
    fn each_choice_against_each_failure() {
        use Failure::*;
        use Next::*;
        let look: Look<'static, ()> = Box::new(|| Box::pin(async { Ok(None) }));
        let table: [(Repeat<'_, ()>, [Next; 4]); 4] = [
            // Throttled, NotSent, MaybeDone, Final
            (Repeat::Safe, [Retry, Retry, Retry, GiveUp]),
            (Repeat::NotOn429, [GiveUp, Retry, Retry, GiveUp]),
            (Repeat::OnlyIfNotReceived, [Retry, Retry, GiveUp, GiveUp]),
            (Repeat::LookFirst(look), [Retry, Retry, LookFirst, GiveUp]),
        ];
        for (row, (repeat, want)) in table.iter().enumerate() {
            for (failure, want) in [Throttled, NotSent, MaybeDone, Final].into_iter().zip(want) {
                assert_eq!(repeat.after(failure), *want, "row {row}, {failure:?}");
            }
        }
    }
}
