//! The machines fed literal answers: every status the driver reads, every retry class and
//! refusal, the loop's bookkeeping.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderValue};

use super::*;
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

// --- discovery ---

fn discovery(retries: usize) -> Discovery {
    let mut d = Discovery::new(RetryPolicy::immediate(retries));
    assert!(matches!(d.poll(), Step::Send(Options)));
    d
}

#[test]
fn discovery_reads_the_options_answer() {
    let mut d = discovery(0);
    d.on_reply(
        Options,
        reply(
            204,
            &[
                ("tus-version", "1.0.0"),
                ("tus-extension", "creation,termination"),
            ],
        ),
    );
    match d.poll() {
        Step::Done(c) => assert!(c.supports("termination")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn discovery_without_options_assumes_creation_only() {
    for status in [400, 404, 405, 412] {
        let mut d = discovery(0);
        d.on_reply(Options, reply(status, &[]));
        match d.poll() {
            Step::Done(c) => assert_eq!(c, Capabilities::assumed(), "{status}"),
            other => panic!("{status}: {other:?}"),
        }
    }
}

#[test]
fn discovery_refuses_another_tus_version() {
    let mut d = discovery(0);
    d.on_reply(Options, reply(200, &[("tus-version", "0.2.2")]));
    assert!(matches!(
        d.poll(),
        Step::Failed(Error::UnsupportedVersion(v)) if v == "0.2.2"
    ));
}

#[test]
fn discovery_retries_5xx_and_network_errors_then_gives_up() {
    let mut d = discovery(2);
    d.on_reply(Options, reply(503, &[]));
    assert!(matches!(d.poll(), Step::Wait { attempt: 1, .. }));
    assert!(matches!(d.poll(), Step::Send(Options)));
    d.on_error(network_error());
    assert!(matches!(
        d.poll(),
        Step::Wait {
            attempt: 2,
            error: Error::Network(_),
            ..
        }
    ));
    assert!(matches!(d.poll(), Step::Send(Options)));
    d.on_reply(Options, reply(500, &[]));
    assert!(matches!(
        d.poll(),
        Step::Failed(Error::Status {
            method: "OPTIONS",
            status: 500,
            ..
        })
    ));
}

// --- creation ---

fn endpoint() -> Url {
    Url::parse("http://127.0.0.1:9/upload/tus").expect("url")
}

fn caps(extensions: &[&str], max_size: Option<u64>) -> Capabilities {
    Capabilities {
        versions: vec![TUS_VERSION.into()],
        extensions: extensions.iter().map(|e| e.to_string()).collect(),
        max_size,
        checksum_algorithms: vec![],
    }
}

fn creation(c: &Capabilities, len: u64, retries: usize) -> Creation {
    Creation::new(c, &endpoint(), len, 1000, RetryPolicy::immediate(retries)).expect("creation")
}

fn created(m: &mut Creation, r: Reply) -> Result<Created, Error> {
    let Step::Send(post) = m.poll() else {
        panic!("expected a POST")
    };
    m.on_reply(post, r);
    match m.poll() {
        Step::Done(c) => Ok(c),
        Step::Failed(e) => Err(e),
        other => panic!("{other:?}"),
    }
}

#[test]
fn creation_sends_small_files_in_the_request_only_when_offered() {
    let with = caps(&["creation", "creation-with-upload"], None);
    let post = |c: &Capabilities, len| match creation(c, len, 0).poll() {
        Step::Send(Post { with_data }) => with_data,
        other => panic!("{other:?}"),
    };
    assert!(post(&with, 1000));
    assert!(!post(&with, 1001), "over the limit: created empty");
    assert!(!post(&with, 0), "an empty file has no data to send");
    assert!(!post(&caps(&["creation"], None), 10), "not offered");
}

#[test]
fn creation_refuses_a_file_over_tus_max_size_before_sending() {
    let c = caps(&["creation"], Some(100));
    assert!(matches!(
        Creation::new(&c, &endpoint(), 101, 0, RetryPolicy::immediate(0)),
        Err(Error::TooLarge {
            size: 101,
            max: 100
        })
    ));
}

#[test]
fn creation_resolves_a_relative_or_absolute_location() {
    let c = caps(&["creation"], None);
    let got = created(
        &mut creation(&c, 10, 0),
        reply(201, &[("location", "/upload/tus/abc")]),
    )
    .expect("created");
    assert_eq!(got.url.as_str(), "http://127.0.0.1:9/upload/tus/abc");
    assert_eq!(got.offset, 0);
    let got = created(
        &mut creation(&c, 10, 0),
        reply(
            201,
            &[
                ("location", "https://cdn.example/x/1"),
                ("upload-expires", FUTURE),
            ],
        ),
    )
    .expect("created");
    assert_eq!(got.url.as_str(), "https://cdn.example/x/1");
    assert!(got.expires.is_some());
}

#[test]
fn creation_without_location_is_a_protocol_error() {
    let c = caps(&["creation"], None);
    assert!(matches!(
        created(&mut creation(&c, 10, 3), reply(201, &[])),
        Err(Error::Protocol(_))
    ));
}

#[test]
fn creation_with_data_reads_the_offset() {
    let c = caps(&["creation", "creation-with-upload"], None);
    let loc = ("location", "/u/1");
    let got = created(
        &mut creation(&c, 10, 0),
        reply(201, &[loc, ("upload-offset", "10")]),
    );
    assert_eq!(got.expect("created").offset, 10);
    let got = created(&mut creation(&c, 10, 0), reply(201, &[loc]));
    assert_eq!(got.expect("created").offset, 0, "no offset: nothing taken");
    let beyond = created(
        &mut creation(&c, 10, 0),
        reply(201, &[loc, ("upload-offset", "11")]),
    );
    assert!(matches!(beyond, Err(Error::Protocol(_))));
}

#[test]
fn creation_413_is_too_large() {
    let c = caps(&["creation"], Some(5000));
    assert!(matches!(
        created(&mut creation(&c, 10, 3), reply(413, &[])),
        Err(Error::TooLarge {
            size: 10,
            max: 5000
        })
    ));
}

#[test]
fn creation_refusals_are_final_and_carry_the_message() {
    let c = caps(&["creation"], None);
    for status in [200, 204, 400, 403] {
        let r = with_message(reply(status, &[]), "  no such site  ");
        match created(&mut creation(&c, 10, 3), r) {
            Err(Error::Status {
                method: "POST",
                status: s,
                message,
                ..
            }) => {
                assert_eq!(s, status);
                assert_eq!(message, "no such site");
            }
            other => panic!("{status}: {other:?}"),
        }
    }
    let r = reply(412, &[("tus-version", "2.0.0")]);
    assert!(matches!(
        created(&mut creation(&c, 10, 3), r),
        Err(Error::UnsupportedVersion(v)) if v == "2.0.0"
    ));
}

#[test]
fn creation_retries_transient_answers() {
    let c = caps(&["creation"], None);
    let mut m = creation(&c, 10, 1);
    assert!(matches!(m.poll(), Step::Send(_)));
    m.on_reply(
        Post { with_data: false },
        reply(429, &[("retry-after", "7")]),
    );
    match m.poll() {
        Step::Wait { delay, attempt, .. } => {
            assert_eq!(delay, Duration::from_secs(7), "Retry-After honoured");
            assert_eq!(attempt, 1);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        created(&mut m, reply(201, &[("location", "/u/1")])).is_ok(),
        "then the retry succeeds"
    );
}

// --- transfer ---

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
fn transfer_heads_first_only_when_the_offset_is_unknown() {
    let mut t = transfer(10 * MIB, None, MIB, 0);
    assert_eq!(expect_send(&mut t), Resume::Head);
    let mut t = transfer(10 * MIB, Some(3), MIB, 0);
    assert_eq!(
        expect_send(&mut t),
        Resume::Patch {
            offset: 3,
            len: MIB
        }
    );
}

#[test]
fn transfer_follows_the_server_offset_to_the_end() {
    let len = 2 * MIB + 5;
    let mut t = transfer(len, None, MIB, 0);
    let mut acks = Vec::new();
    assert_eq!(expect_send(&mut t), Resume::Head);
    t.on_reply(
        Resume::Head,
        reply(
            200,
            &[("upload-offset", "5"), ("upload-length", &len.to_string())],
        ),
    );
    let Step::Send(p) = next(&mut t, &mut acks) else {
        panic!("patch")
    };
    assert_eq!(
        p,
        Resume::Patch {
            offset: 5,
            len: MIB
        }
    );
    // The server keeps less than was sent: the next PATCH starts where it says.
    t.on_reply(p, offset(204, 100));
    let Step::Send(p) = next(&mut t, &mut acks) else {
        panic!("patch")
    };
    assert_eq!(
        p,
        Resume::Patch {
            offset: 100,
            len: MIB
        }
    );
    t.on_reply(p, offset(204, 100 + MIB));
    let Step::Send(p) = next(&mut t, &mut acks) else {
        panic!("patch")
    };
    assert_eq!(
        p,
        Resume::Patch {
            offset: 100 + MIB,
            len: len - 100 - MIB
        },
        "the tail is short"
    );
    t.on_reply(p, offset(204, len));
    assert!(matches!(next(&mut t, &mut acks), Step::Done(())));
    assert_eq!(acks, [5, 100, 100 + MIB, len]);
}

#[test]
fn a_big_patch_measures_the_link() {
    let mut t = transfer(4 * MIB, Some(0), 2 * MIB, 0);
    let p = expect_send(&mut t);
    let mut r = offset(204, 2 * MIB);
    r.elapsed = Duration::from_secs(1);
    t.on_reply(p, r);
    match t.poll() {
        Step::Measured(bps) => assert_eq!(bps, (2 * MIB) as f64),
        other => panic!("{other:?}"),
    }
    assert!(matches!(t.poll(), Step::Acknowledged(o) if o == 2 * MIB));
}

#[test]
fn head_gone_statuses_end_the_transfer() {
    for status in [403, 404, 410] {
        let mut t = transfer(10, None, MIB, 5);
        expect_send(&mut t);
        t.on_reply(Resume::Head, reply(status, &[]));
        assert!(matches!(expect_failed(&mut t), Error::Gone { status: s } if s == status));
    }
}

#[test]
fn head_answers_that_break_the_protocol_are_final() {
    let cases: [&[(&'static str, &str)]; 4] = [
        &[],                                                // no Upload-Offset
        &[("upload-offset", "11")],                         // beyond the length
        &[("upload-offset", "5"), ("upload-length", "99")], // another upload
        &[("upload-offset", "x")],
    ];
    for headers in cases {
        let mut t = transfer(10, None, MIB, 5);
        expect_send(&mut t);
        t.on_reply(Resume::Head, reply(200, headers));
        assert!(
            matches!(expect_failed(&mut t), Error::Protocol(_)),
            "{headers:?}"
        );
    }
}

#[test]
fn an_offset_that_goes_backwards_is_refused() {
    let mut t = transfer(10 * MIB, Some(0), MIB, 5);
    let p = expect_send(&mut t);
    t.on_reply(p, offset(204, 500));
    let p = expect_send(&mut t);
    t.on_reply(p, reply(503, &[]));
    expect_wait(&mut t);
    assert_eq!(expect_send(&mut t), Resume::Head);
    t.on_reply(Resume::Head, offset(200, 400));
    assert!(matches!(expect_failed(&mut t), Error::Protocol(m) if m.contains("backwards")));
}

#[test]
fn patch_offsets_outside_what_was_sent_are_refused() {
    for (start, bogus) in [(0, MIB + 1), (100, 99)] {
        let mut t = transfer(10 * MIB, Some(start), MIB, 5);
        let p = expect_send(&mut t);
        t.on_reply(p, offset(204, bogus));
        assert!(
            matches!(expect_failed(&mut t), Error::Protocol(_)),
            "{bogus}"
        );
    }
    let mut t = transfer(10 * MIB, Some(0), MIB, 5);
    let p = expect_send(&mut t);
    t.on_reply(p, reply(204, &[]));
    assert!(
        matches!(expect_failed(&mut t), Error::Protocol(_)),
        "no offset"
    );
}

#[test]
fn expiry_ends_the_transfer() {
    let mut t = transfer(10, None, MIB, 5);
    expect_send(&mut t);
    t.on_reply(
        Resume::Head,
        reply(200, &[("upload-offset", "0"), ("upload-expires", PAST)]),
    );
    assert!(matches!(expect_failed(&mut t), Error::Expired));

    let mut t = transfer(10 * MIB, Some(0), MIB, 5);
    let p = expect_send(&mut t);
    t.on_reply(
        p,
        reply(204, &[("upload-offset", "10"), ("upload-expires", PAST)]),
    );
    assert!(matches!(expect_failed(&mut t), Error::Expired));

    // Expired, but the server holds every byte: done.
    let mut t = transfer(10, Some(0), MIB, 5);
    let p = expect_send(&mut t);
    t.on_reply(
        p,
        reply(204, &[("upload-offset", "10"), ("upload-expires", PAST)]),
    );
    assert!(matches!(next(&mut t, &mut Vec::new()), Step::Done(())));

    // Not expired yet.
    let mut t = transfer(10, None, MIB, 5);
    expect_send(&mut t);
    t.on_reply(
        Resume::Head,
        reply(200, &[("upload-offset", "0"), ("upload-expires", FUTURE)]),
    );
    assert!(matches!(expect_send(&mut t), Resume::Patch { .. }));
}

#[test]
fn patch_gone_statuses_end_the_transfer() {
    for status in [404, 410] {
        let mut t = transfer(10, Some(0), MIB, 5);
        let p = expect_send(&mut t);
        t.on_reply(p, reply(status, &[]));
        assert!(matches!(expect_failed(&mut t), Error::Gone { status: s } if s == status));
    }
}

#[test]
fn every_transient_class_is_retried_after_a_head() {
    let statuses = [409, 423, 429, 460, 500, 502, 503, 504];
    for status in statuses {
        let mut t = transfer(10, Some(0), MIB, 5);
        let p = expect_send(&mut t);
        t.on_reply(p, with_message(reply(status, &[]), "busy"));
        let (_, attempt, e) = expect_wait(&mut t);
        assert_eq!(attempt, 1);
        assert!(
            matches!(&e, Error::Status { status: s, message, .. } if *s == status && message == "busy"),
            "{e:?}"
        );
        assert_eq!(
            expect_send(&mut t),
            Resume::Head,
            "{status}: ask the offset again"
        );
    }
    for error in [network_error(), Error::Stalled(Duration::from_secs(30))] {
        let mut t = transfer(10, None, MIB, 5);
        expect_send(&mut t);
        t.on_error(error);
        expect_wait(&mut t);
        assert_eq!(expect_send(&mut t), Resume::Head);
    }
    let mut t = transfer(10, None, MIB, 5);
    expect_send(&mut t);
    t.on_reply(Resume::Head, reply(503, &[]));
    expect_wait(&mut t);
    assert_eq!(
        expect_send(&mut t),
        Resume::Head,
        "a failed HEAD is retried"
    );
}

#[test]
fn refusals_and_local_failures_are_final() {
    for status in [400, 403, 422, 600] {
        let mut t = transfer(10, Some(0), MIB, 5);
        let p = expect_send(&mut t);
        t.on_reply(p, reply(status, &[]));
        assert!(
            matches!(expect_failed(&mut t), Error::Status { method: "PATCH", status: s, .. } if s == status),
            "{status}"
        );
    }
    let mut t = transfer(10, Some(0), MIB, 5);
    let p = expect_send(&mut t);
    t.on_reply(p, reply(412, &[("tus-version", "2.0.0")]));
    assert!(matches!(
        expect_failed(&mut t),
        Error::UnsupportedVersion(_)
    ));
    let locals = [
        Error::Cancelled,
        Error::FileChanged,
        Error::FileEndedEarly {
            offset: 3,
            expected: 10,
        },
        Error::Io(std::io::Error::from(std::io::ErrorKind::PermissionDenied)),
    ];
    for error in locals {
        let mut t = transfer(10, Some(0), MIB, 5);
        expect_send(&mut t);
        t.on_error(error);
        let e = expect_failed(&mut t);
        assert!(!e.is_retryable(), "{e:?}");
    }
}

#[test]
fn retry_after_is_honoured() {
    let mut t = transfer(10, Some(0), MIB, 5);
    let p = expect_send(&mut t);
    t.on_reply(p, reply(503, &[("retry-after", "12")]));
    assert_eq!(expect_wait(&mut t).0, Duration::from_secs(12));
}

#[test]
fn retries_run_out_without_progress() {
    let mut t = transfer(10, Some(0), MIB, 3);
    for attempt in 1..=3 {
        let p = expect_send(&mut t);
        t.on_reply(p, reply(503, &[]));
        assert_eq!(expect_wait(&mut t).1, attempt);
        expect_send(&mut t); // HEAD
        t.on_reply(Resume::Head, offset(200, 0));
    }
    let p = expect_send(&mut t);
    t.on_reply(p, reply(503, &[]));
    assert!(matches!(
        expect_failed(&mut t),
        Error::Status { status: 503, .. }
    ));
}

#[test]
fn progress_resets_the_attempt_count() {
    let mut t = transfer(10 * MIB, Some(0), MIB, 2);
    let fail_twice = |t: &mut Transfer, at: u64| {
        for attempt in 1..=2 {
            let p = expect_send(t);
            t.on_reply(p, reply(500, &[]));
            assert_eq!(expect_wait(t).1, attempt);
            assert_eq!(expect_send(t), Resume::Head);
            t.on_reply(Resume::Head, offset(200, at));
        }
    };
    fail_twice(&mut t, 0);
    let p = expect_send(&mut t);
    t.on_reply(p, offset(204, MIB));
    // Two more failures are allowed again: the offset advanced.
    fail_twice(&mut t, MIB);
    let p = expect_send(&mut t);
    t.on_reply(p, reply(500, &[]));
    assert!(matches!(
        expect_failed(&mut t),
        Error::Status { status: 500, .. }
    ));
}

#[test]
fn an_empty_patch_counts_as_a_failed_attempt() {
    let mut t = transfer(10, Some(0), MIB, 2);
    for attempt in 1..=2 {
        let p = expect_send(&mut t);
        t.on_reply(p, offset(204, 0));
        let (_, a, e) = expect_wait(&mut t);
        assert_eq!(a, attempt);
        assert!(matches!(e, Error::Protocol(m) if m.contains("no bytes")));
        assert_eq!(expect_send(&mut t), Resume::Head);
        t.on_reply(Resume::Head, offset(200, 0));
    }
    let p = expect_send(&mut t);
    t.on_reply(p, offset(204, 0));
    assert!(
        matches!(expect_failed(&mut t), Error::Protocol(_)),
        "it cannot loop"
    );
}

#[test]
fn a_413_halves_the_chunk_down_to_the_minimum() {
    let mut t = transfer(10 * MIB, Some(0), MIB, 0);
    let mut sizes = Vec::new();
    loop {
        let Resume::Patch { len, .. } = expect_send(&mut t) else {
            panic!("patch")
        };
        sizes.push(len);
        t.on_reply(
            Resume::Patch { offset: 0, len },
            with_message(reply(413, &[]), "too big"),
        );
        match next(&mut t, &mut Vec::new()) {
            Step::Send(Resume::Head) => t.on_reply(Resume::Head, offset(200, 0)),
            Step::Failed(Error::Status {
                status: 413,
                message,
                ..
            }) => {
                assert_eq!(message, "too big");
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(sizes, [MIB, MIB / 2, CHUNK_ALIGN]);
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
