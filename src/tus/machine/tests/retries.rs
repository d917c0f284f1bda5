//! The transfer loop's retries: which failures, how often, how long.

use std::time::Duration;

use super::*;

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
