//! Discovery and creation.

use std::time::Duration;

use super::*;

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
            max: Some(100),
            ..
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
            max: Some(5000),
            ..
        })
    ));
}

#[test]
fn creation_413_without_a_stated_limit_keeps_the_servers_words() {
    let c = caps(&["creation"], None);
    let mut r = reply(413, &[]);
    r.message = "the upload is larger than Tus-Max-Size".into();
    match created(&mut creation(&c, 10, 3), r) {
        Err(Error::TooLarge {
            size: 10,
            max: None,
            message,
        }) => assert_eq!(message, "the upload is larger than Tus-Max-Size"),
        other => panic!("{other:?}"),
    }
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
