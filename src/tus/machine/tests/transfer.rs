//! The transfer loop: offsets, expiry, the end.

use std::time::Duration;

use super::*;

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
