//! The machines fed literal answers: every status the driver reads, every retry class and
//! refusal, the loop's bookkeeping. Shared helpers here; the cases by machine below.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderValue};

use super::*;

mod opening;
mod retries;
mod transfer;
use crate::tus::chunk::{CHUNK_ALIGN, ChunkSize};

const MIB: u64 = 1 << 20;

fn reply(status: u16, headers: &[(&'static str, &str)]) -> Reply {
    let mut h = HeaderMap::new();
    for (k, v) in headers {
        h.insert(*k, HeaderValue::from_str(v).expect("test header"));
    }
    Reply {
        status,
        headers: h,
        message: String::new(),
        elapsed: Duration::from_millis(100),
        at: SystemTime::now(),
    }
}

fn with_message(mut r: Reply, message: &str) -> Reply {
    r.message = message.into();
    r
}

fn offset(status: u16, o: u64) -> Reply {
    reply(status, &[("upload-offset", &o.to_string())])
}

fn network_error() -> Error {
    let e = reqwest::Client::new()
        .get("not a url")
        .build()
        .expect_err("a bad URL");
    Error::Network(e)
}

const PAST: &str = "Wed, 25 Jun 2025 10:00:00 GMT";
const FUTURE: &str = "Fri, 01 Jan 2100 00:00:00 GMT";

fn transfer(len: u64, known: Option<u64>, chunk: u64, retries: usize) -> Transfer {
    Transfer::new(
        len,
        known,
        ChunkSizer::new(ChunkSize::Fixed(chunk)),
        RetryPolicy::immediate(retries),
    )
}

/// Polls past `Acknowledged` and `Measured` to the next request (or end), collecting the
/// acknowledgements.
fn next(t: &mut Transfer, acks: &mut Vec<u64>) -> Step<Resume, ()> {
    loop {
        match t.poll() {
            Step::Acknowledged(o) => acks.push(o),
            Step::Measured(_) => {}
            other => return other,
        }
    }
}

fn expect_send(t: &mut Transfer) -> Resume {
    match next(t, &mut Vec::new()) {
        Step::Send(r) => r,
        other => panic!("expected a request, got {other:?}"),
    }
}

fn expect_failed(t: &mut Transfer) -> Error {
    match next(t, &mut Vec::new()) {
        Step::Failed(e) => e,
        other => panic!("expected a failure, got {other:?}"),
    }
}

fn expect_wait(t: &mut Transfer) -> (Duration, usize, Error) {
    match next(t, &mut Vec::new()) {
        Step::Wait {
            delay,
            attempt,
            error,
        } => (delay, attempt, error),
        other => panic!("expected a wait, got {other:?}"),
    }
}

#[test]
fn status_errors_keep_a_short_plain_message() {
    let html = with_message(reply(500, &[]), "<html><body>oops</body></html>");
    assert!(matches!(
        status_error(Method::Patch, &html),
        Error::Status { message, .. } if message.is_empty()
    ));
    let long = with_message(reply(500, &[]), &"x".repeat(1000));
    assert!(matches!(
        status_error(Method::Patch, &long),
        Error::Status { message, .. } if message.len() == 300
    ));
    // A JSON error body (Wix's servers answer so) says its message.
    let json = with_message(
        reply(500, &[]),
        r#"{"message":"could not store the file","details":{}}"#,
    );
    assert!(matches!(
        status_error(Method::Patch, &json),
        Error::Status { message, .. } if message == "could not store the file"
    ));
}

#[test]
fn head_and_delete_answers() {
    use crate::tus::step::delete_answer;
    assert_eq!(head_answer(&offset(200, 7)).expect("head").offset, 7);
    assert!(matches!(
        head_answer(&reply(410, &[])),
        Err(Error::Gone { status: 410 })
    ));
    assert!(matches!(
        head_answer(&reply(500, &[])),
        Err(Error::Status {
            method: "HEAD",
            status: 500,
            ..
        })
    ));
    for status in [204, 404, 410] {
        assert!(delete_answer(&reply(status, &[])).is_ok(), "{status}");
    }
    assert!(matches!(
        delete_answer(&reply(403, &[])),
        Err(Error::Status {
            method: "DELETE",
            status: 403,
            ..
        })
    ));
}
