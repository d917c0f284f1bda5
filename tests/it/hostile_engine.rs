//! What a hostile tester found in the engine: a file rewritten while its one PUT is under way,
//! a server that refuses a file as too large without saying its limit, a file Wix keeps PENDING.

use std::time::Duration;

use axum::http::Method;
use wixup::engine::{Event, JobState, StartMode, Verification};
use wixup::sandbox::{FaultKind, Rule};

use super::support::{Env, Events, Outcome, get, journal_table, random_file, start_and_add};

/// Every file the site lists, with the bytes its URL serves.
async fn site_files(env: &Env) -> Vec<(String, Vec<u8>)> {
    let wix = env.wix_client(Default::default());
    let page = wix.list_files(None, None, 100).await.expect("list");
    let mut out = Vec::new();
    for f in page.items {
        let (status, body) = get(f.url.as_deref().expect("a url")).await;
        assert_eq!(status, 200, "{}", f.id);
        out.push((f.id, body));
    }
    out
}

/// A small file (one PUT) rewritten in place by another program while it is sent: the site
/// ends with exactly one version the file had, or with nothing, and the job says which.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_rewritten_during_its_one_put_never_leaves_a_torn_file_on_the_site() {
    use std::io::Write as _;
    let env = Env::start().await;
    let file = random_file(env.dir.path(), "photo.bin", 9 << 20);
    let before = std::fs::read(&file).expect("read");
    let after: Vec<u8> = before.iter().map(|b| !b).collect();
    // The server waits before it reads the body: the PUT is under way, most of it not yet read
    // from the file, when the file is rewritten.
    env.sandbox.faults.add(Rule::nth(
        Some(Method::PUT),
        "/upload/eyJ",
        1,
        FaultKind::Latency(Duration::from_secs(2)),
    ));
    let (handle, mut events, ids) =
        start_and_add(env.engine_config("data"), vec![file.clone()]).await;
    events
        .wait_for(
            30,
            |e| matches!(e, Event::Progress { sent_bytes, .. } if *sent_bytes > 0),
        )
        .await;
    // Another program rewrites the file in place, as an editor saving over it does.
    let writer = std::thread::spawn({
        let file = file.clone();
        let after = after.clone();
        move || {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .open(&file)
                .expect("open");
            for part in after.chunks(64 << 10) {
                f.write_all(part).expect("write");
            }
            f.sync_all().expect("sync");
        }
    });
    writer.join().expect("writer");
    let outcome = events.finish(&ids, 60).await.remove(0);
    handle.shutdown().await;
    let on_site = site_files(&env).await;
    match &outcome {
        Outcome::Done(r) => {
            assert_eq!(on_site.len(), 1, "one file on the site");
            let (id, body) = &on_site[0];
            assert_eq!(id, &r.file_id);
            assert!(
                *body == before || *body == after,
                "the site's copy is one version the file had, not a mix"
            );
            let (_, served) = get(r.url.as_deref().expect("url")).await;
            assert!(served == *body);
            // Verified against the bytes that were sent.
            assert_eq!(r.verified, Verification::Verified, "{r:?}");
        }
        Outcome::Failed(e) => {
            assert!(e.message.contains("changed"), "{e:?}");
            let what: Vec<&str> = on_site
                .iter()
                .map(|(_, b)| match b {
                    b if *b == before => "the old version",
                    b if *b == after => "the new version",
                    _ => "a mix of both",
                })
                .collect();
            assert!(
                on_site.is_empty(),
                "a failed job leaves no finished file on the site; there: {what:?}"
            );
        }
    }
}

/// Rewritten after it was queued but before its one PUT read it: refused, and nothing is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_rewritten_before_its_one_put_is_refused_and_nothing_is_sent() {
    use std::io::Write as _;
    let env = Env::start().await;
    let file = random_file(env.dir.path(), "photo.bin", 3 << 20);
    // Wix is slow to hand out the upload URL: the file is rewritten meanwhile.
    env.sandbox.faults.add(Rule::nth(
        Some(Method::POST),
        "generate-upload-url",
        1,
        FaultKind::Latency(Duration::from_secs(3)),
    ));
    let (handle, mut events, ids) =
        start_and_add(env.engine_config("data"), vec![file.clone()]).await;
    events.wait_state(JobState::Uploading).await;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(&file)
        .expect("open");
    f.write_all(b"rewritten").expect("write");
    drop(f);
    let outcome = events.finish(&ids, 30).await.remove(0);
    handle.shutdown().await;
    let e = outcome.failed();
    assert!(e.message.contains("file changed on disk"), "{e:?}");
    assert_eq!(env.stat(|s| &s.plain_puts), 0, "nothing sent");
    assert!(site_files(&env).await.is_empty());
}

/// A server that refuses a file as too large (413) without a `Tus-Max-Size` (as Wix): the
/// message says what the server said, never "larger than the server accepts (0 B)".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_over_a_limit_the_server_never_stated_is_refused_in_its_words() {
    // The `wix` profile states no Tus-Max-Size in OPTIONS, and refuses a bigger creation.
    let env = Env::start_with(|c| c.max_size_bytes = 1 << 20).await;
    let file = random_file(env.dir.path(), "big.bin", 2 << 20);
    // By one PUT first (refused, then resumably) and resumably at once.
    for cfg in [env.engine_config("data"), env.tus_engine_config("tus")] {
        let (handle, mut events, ids) = start_and_add(cfg, vec![file.clone()]).await;
        let outcomes = events.finish(&ids, 30).await;
        let e = outcomes[0].failed();
        assert!(!e.message.contains("0 B"), "{e:?}");
        assert!(
            e.message.contains("413") && e.message.contains("larger than Tus-Max-Size"),
            "the server's words: {e:?}"
        );
        handle.shutdown().await;
    }
}

/// A file Wix keeps PENDING: after a while the engine says so, and how to check later, and
/// keeps polling; at the poll timeout the job fails keeping its file id (so `wixup resume`
/// polls it again instead of sending it again), and says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_wix_keeps_processing_is_said_and_ends_resumable() {
    let env = Env::start_with(|c| c.processing_delay = Duration::from_secs(6)).await;
    let file = random_file(env.dir.path(), "video.bin", 50_000);
    let mut cfg = env.engine_config("data");
    cfg.processing_notice_after = Duration::from_millis(200);
    cfg.poll_timeout = Duration::from_secs(1);
    let (handle, mut events, ids) = start_and_add(cfg, vec![file]).await;
    let Event::Note { id, message } = events
        .wait_for(30, |e| matches!(e, Event::Note { .. }))
        .await
    else {
        unreachable!()
    };
    assert_eq!(id, ids[0]);
    assert!(
        message.contains("still processing") && message.contains("wixup resume"),
        "{message}"
    );
    assert!(events.outcomes.is_empty(), "said, not failed");
    let polled = env.stat(|s| &s.status_requests);
    let e = events.finish(&ids, 30).await[0].failed().clone();
    assert!(
        env.stat(|s| &s.status_requests) > polled,
        "it kept polling after the note"
    );
    assert!(
        e.message.contains("still processing") && e.message.contains("wixup resume"),
        "{e:?}"
    );
    handle.shutdown().await;
    // The journal keeps the file id: a resume polls it instead of sending the file again.
    let (_, jobs) = journal_table(&env.path("data"));
    let file_id = jobs[0]["file_id"].as_str().expect("a file id").to_string();
    // `wixup resume` (every unfinished and failed job) picks it up, polls it, and it ends READY.
    let mut cfg = env.engine_config("data");
    cfg.start = StartMode::ContinueAll;
    let (handle, rx) = wixup::engine::start(cfg, None).expect("engine");
    let mut events = Events::new(rx);
    let r = events.finish(&ids, 30).await[0].done().clone();
    assert_eq!(r.file_id, file_id);
    assert_eq!(r.verified, Verification::Verified);
    assert_eq!(env.stat(|s| &s.plain_puts), 1, "not sent again");
    handle.shutdown().await;
}
