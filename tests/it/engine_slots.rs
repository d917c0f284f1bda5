//! A slot is a transfer: a file whose bytes are all sent frees its upload slot while Wix
//! finalizes and processes it, so slow processing (minutes for a video on Wix) never stops the
//! next file from sending.

use std::time::Duration;

use axum::http::Method;
use wixup::engine::{Command, JobState, Verification};
use wixup::sandbox::{FaultKind, Rule};

use super::support::{Env, Events, random_file, wait_until, wait_until_async};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_being_processed_does_not_hold_the_only_slot() {
    // Processing takes 4 s: long enough to see the next file send meanwhile.
    let env = Env::start_with(|c| c.processing_delay = Duration::from_secs(4)).await;
    let a = random_file(env.dir.path(), "a.bin", 300_000);
    let b = random_file(env.dir.path(), "b.bin", 300_000);
    let mut cfg = env.engine_config("data");
    cfg.parallel = wixup::engine::Parallelism::Fixed(1);
    cfg.poll_delays = vec![Duration::from_millis(50)];
    let (handle, rx) = wixup::engine::start(cfg, None).expect("engine");
    let mut events = Events::new(rx);
    handle.send(Command::AddFiles {
        request: 1,
        paths: vec![a, b],
        destination: Default::default(),
        options: Default::default(),
    });
    let (ids, _, _) = events.added().await;
    wait_until(
        "the second file never finished sending while the first was processing",
        Duration::from_secs(3),
        || env.stat(|s| &s.files_created) == 2,
    )
    .await;
    // The sandbox counts the file before its answer reaches the engine: the report follows
    // (processing takes 4 s, so "still processing" stays true well past it).
    let processing =
        |j: &wixup::engine::Job| matches!(j.state, JobState::Processing | JobState::Finalizing);
    wait_until_async(
        "both sent, both still processing",
        Duration::from_secs(1),
        async || handle.snapshot().await.iter().all(processing),
    )
    .await;
    for o in events.finish(&ids, 30).await {
        assert_eq!(o.done().verified, Verification::Verified);
    }
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_poller_asks_about_every_processing_file_together() {
    // 24 files processing for 2 s each, polled every 100 ms: a poll per file would be about
    // 24 × 20 = 480 status requests; one shared get-files poller needs about 20-30.
    let env = Env::start_with(|c| c.processing_delay = Duration::from_secs(2)).await;
    let paths: Vec<_> = (0..24)
        .map(|i| random_file(env.dir.path(), &format!("p{i}.bin"), 20_000))
        .collect();
    let mut cfg = env.engine_config("data");
    cfg.parallel = wixup::engine::Parallelism::Fixed(16);
    cfg.poll_delays = vec![Duration::from_millis(100)];
    let (handle, rx) = wixup::engine::start(cfg, None).expect("engine");
    let mut events = Events::new(rx);
    handle.send(Command::AddFiles {
        request: 1,
        paths,
        destination: Default::default(),
        options: Default::default(),
    });
    let (ids, _, _) = events.added().await;
    for o in events.finish(&ids, 60).await {
        assert_eq!(o.done().verified, Verification::Verified);
    }
    let asked = env.stat(|s| &s.status_requests);
    assert!(
        asked <= 60,
        "{asked} status requests for 24 files: they are not asked about together"
    );
    handle.shutdown().await;
}

/// One slot; the first file's bytes take 1.5 s to be taken. Meanwhile the second file already
/// has its upload URL (and, resumable, its tus upload), saved in the journal, so it sends the
/// moment the slot frees; the third waits (the look-ahead is as deep as the parallelism).
async fn next_file_prepared(one_put_below: u64) {
    let env = Env::start().await;
    // The request that carries the first file's bytes: its one PUT, or its PATCH.
    let sends = if one_put_below > 0 {
        Method::PUT
    } else {
        Method::PATCH
    };
    env.sandbox.faults.add(Rule::nth(
        Some(sends),
        "/upload/",
        1,
        FaultKind::Latency(Duration::from_millis(1500)),
    ));
    let paths: Vec<_> = (0..3)
        .map(|i| random_file(env.dir.path(), &format!("n{i}.bin"), 100_000))
        .collect();
    let mut cfg = env.engine_config("data");
    cfg.parallel = wixup::engine::Parallelism::Fixed(1);
    cfg.one_put_below = one_put_below;
    let (handle, rx) = wixup::engine::start(cfg, None).expect("engine");
    let mut events = Events::new(rx);
    handle.send(Command::AddFiles {
        request: 1,
        paths,
        destination: Default::default(),
        options: Default::default(),
    });
    let (ids, _, _) = events.added().await;
    let prepared = |j: &wixup::engine::Job| j.session.is_some() || j.plain.is_some();
    // Its upload URL is in the journal: the next file is prepared while the first sends.
    let jobs = wait_until_async(
        "the next file prepared",
        Duration::from_secs(1),
        async || {
            let jobs = handle.snapshot().await;
            prepared(&jobs[1]).then_some(jobs)
        },
    )
    .await;
    assert_eq!(
        jobs[0].state,
        JobState::Uploading,
        "the first file is sending"
    );
    assert_eq!(jobs[1].state, JobState::Queued, "waiting for the slot");
    assert!(!prepared(&jobs[2]), "one file ahead, not more");
    for o in events.finish(&ids, 30).await {
        assert_eq!(o.done().verified, Verification::Verified);
    }
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_file_is_prepared_while_one_sends() {
    next_file_prepared(wixup::engine::DEFAULT_ONE_PUT_BELOW).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_resumable_file_is_prepared_while_one_sends() {
    next_file_prepared(0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_refused_while_prepared_ahead_fails_and_the_batch_goes_on() {
    // One slot; while the first file sends, the second's upload URL is refused for good.
    let env = Env::start().await;
    env.sandbox.faults.add(Rule::nth(
        Some(Method::PUT),
        "/upload/",
        1,
        FaultKind::Latency(Duration::from_millis(1500)),
    ));
    let paths: Vec<_> = (0..3)
        .map(|i| random_file(env.dir.path(), &format!("r{i}.bin"), 50_000))
        .collect();
    let mut cfg = env.engine_config("data");
    cfg.parallel = wixup::engine::Parallelism::Fixed(1);
    let (handle, rx) = wixup::engine::start(cfg, None).expect("engine");
    let mut events = Events::new(rx);
    handle.send(Command::AddFiles {
        request: 1,
        paths: vec![paths[0].clone()],
        destination: Default::default(),
        options: Default::default(),
    });
    let (mut ids, _, _) = events.added().await;
    wait_until(
        "the first file never started",
        Duration::from_secs(5),
        || env.stat(|s| &s.rest_requests) >= 1,
    )
    .await;
    // From now on: the next upload URL asked for is refused.
    env.sandbox.faults.add(Rule::nth(
        Some(Method::POST),
        "upload-url",
        1,
        FaultKind::Status {
            status: 400,
            retry_after_secs: None,
        },
    ));
    handle.send(Command::AddFiles {
        request: 2,
        paths: paths[1..].to_vec(),
        destination: Default::default(),
        options: Default::default(),
    });
    ids.extend(events.added().await.0);
    let outs = events.finish(&ids, 30).await;
    outs[0].done();
    assert!(
        outs[1].failed().message.contains("upload URL"),
        "{}",
        outs[1].failed().message
    );
    outs[2].done();
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_call_that_fails_fails_no_file() {
    // Processing takes 1 s. get-files first fails past its retries (503 seven times: the
    // test's six retries and one more), then refuses the batch (400) once: the files are
    // asked about again, then one by one, and all end READY.
    let env = Env::start_with(|c| c.processing_delay = Duration::from_secs(1)).await;
    env.sandbox.faults.add(
        Rule::nth(
            Some(Method::POST),
            "get-files",
            1,
            FaultKind::Status {
                status: 503,
                retry_after_secs: None,
            },
        )
        .times(7),
    );
    env.sandbox.faults.add(Rule::nth(
        Some(Method::POST),
        "get-files",
        8,
        FaultKind::Status {
            status: 400,
            retry_after_secs: None,
        },
    ));
    let paths: Vec<_> = (0..5)
        .map(|i| random_file(env.dir.path(), &format!("q{i}.bin"), 20_000))
        .collect();
    let mut cfg = env.engine_config("data");
    cfg.poll_delays = vec![Duration::from_millis(100)];
    let (handle, rx) = wixup::engine::start(cfg, None).expect("engine");
    let mut events = Events::new(rx);
    handle.send(Command::AddFiles {
        request: 1,
        paths,
        destination: Default::default(),
        options: Default::default(),
    });
    let (ids, _, _) = events.added().await;
    for o in events.finish(&ids, 30).await {
        assert_eq!(o.done().verified, Verification::Verified);
    }
    handle.shutdown().await;
}
