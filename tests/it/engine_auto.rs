//! Parallelism that adapts: "auto" (the default) adds transfers while they speed the batch up,
//! and takes them back when the server pushes back; a fixed number stays fixed.

use std::time::{Duration, Instant};

use axum::http::Method;
use wixup::engine::{Command, EngineHandle, JobId, JobState, Parallelism};
use wixup::sandbox::{FaultKind, Rule};

use super::support::{Env, Events, random_file};

/// A file that takes a whole slot under auto (1 MiB or more), sent in one PUT all the same.
const WHOLE: usize = 1_100_000;

/// A small file: four share a slot under auto.
const SMALL: usize = 20_000;

/// Adds `n` files of `size` bytes, and samples how many send at once until all are done.
async fn most_at_once(env: &Env, parallel: Parallelism, n: usize, size: usize) -> usize {
    let paths: Vec<_> = (0..n)
        .map(|i| random_file(env.dir.path(), &format!("a{i}.bin"), size))
        .collect();
    let mut cfg = env.engine_config("data");
    cfg.parallel = parallel;
    let (handle, rx) = wixup::engine::start(cfg, None).expect("engine");
    let mut events = Events::new(rx);
    handle.send(Command::AddFiles {
        request: 1,
        paths,
        destination: Default::default(),
        options: Default::default(),
    });
    let (ids, _, _) = events.added().await;
    let most = sample(&handle, &ids, Duration::from_secs(60)).await;
    for o in events.finish(&ids, 30).await {
        o.done();
    }
    handle.shutdown().await;
    most
}

async fn sample(handle: &EngineHandle, ids: &[JobId], limit: Duration) -> usize {
    let started = Instant::now();
    let mut most = 0;
    while started.elapsed() < limit {
        let jobs = handle.snapshot().await;
        let sending = jobs
            .iter()
            .filter(|j| j.state == JobState::Uploading)
            .count();
        most = most.max(sending);
        if jobs
            .iter()
            .filter(|j| ids.contains(&j.id))
            .all(|j| j.state.is_finished() || j.state == JobState::Processing)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    most
}

/// Every request to the upload host (a one-PUT, or tus) waits 600 ms at the server (far more
/// than a loaded machine adds): each file's time is round trips, so more files at once finish
/// the batch sooner.
fn slow_patches(env: &Env) {
    env.sandbox.faults.add(
        Rule::nth(
            None,
            "/upload/",
            1,
            FaultKind::Latency(Duration::from_millis(600)),
        )
        .times(10_000),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_adds_transfers_while_they_pay() {
    // Latency-bound small files, four to a slot: more than five slots' worth at once means
    // auto climbed from its three.
    let env = Env::start().await;
    slow_patches(&env);
    let most = most_at_once(&env, Parallelism::Auto, 240, SMALL).await;
    assert!(
        most > 20,
        "auto stayed at {most} small files ({} slots) while more paid off",
        most.div_ceil(4)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fixed_number_stays_fixed() {
    let env = Env::start().await;
    slow_patches(&env);
    let most = most_at_once(&env, Parallelism::Fixed(3), 30, SMALL).await;
    assert!(most <= 3, "{most} at once with --parallel 3");
}

/// Every upload URL request refused once in two with 429 (with Retry-After 0).
fn push_back(env: &Env) {
    for k in 0..200 {
        env.sandbox.faults.add(Rule::nth(
            Some(Method::POST),
            "upload-url",
            2 * k + 1,
            FaultKind::Status {
                status: 429,
                retry_after_secs: Some(0),
            },
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_takes_transfers_back_when_the_server_pushes_back() {
    // The same latency-bound batch, under push-back: auto must not climb as it does without.
    let env = Env::start().await;
    slow_patches(&env);
    push_back(&env);
    let most = most_at_once(&env, Parallelism::Auto, 60, WHOLE).await;
    assert!(most <= 4, "auto climbed to {most} while Wix answered 429");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_files_go_four_to_a_slot_under_auto() {
    // Under the same push-back auto keeps to a few slots, but a small file is mostly round
    // trips: four of them share a slot, so more than four send at once, and never more than
    // four slots' worth.
    let env = Env::start().await;
    slow_patches(&env);
    push_back(&env);
    let most = most_at_once(&env, Parallelism::Auto, 60, SMALL).await;
    assert!(
        (5..=16).contains(&most),
        "{most} small files at once under auto held to a few slots"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_under_a_rate_limit_completes_without_a_failure() {
    // 40 files against 15 REST calls per 3 s: far more calls than the window lets through at
    // once. Counted as plain retries (two here), the refusals would fail files; a rate limit
    // is a queue: every file completes, once.
    let env = Env::start_with(|c| {
        c.rate_limit = Some(wixup::sandbox::RateLimit {
            calls: 15,
            per: Duration::from_secs(3),
        })
    })
    .await;
    let paths: Vec<_> = (0..40)
        .map(|i| random_file(env.dir.path(), &format!("l{i}.bin"), 10_000))
        .collect();
    let mut cfg = env.engine_config("data");
    cfg.api_retry = wixup::retry::RetryPolicy::immediate(2);
    cfg.poll_delays = vec![Duration::from_millis(500)];
    cfg.poll_timeout = Duration::from_secs(120);
    let (handle, rx) = wixup::engine::start(cfg, None).expect("engine");
    let mut events = Events::new(rx);
    handle.send(Command::AddFiles {
        request: 1,
        paths,
        destination: Default::default(),
        options: Default::default(),
    });
    let (ids, _, _) = events.added().await;
    for o in events.finish(&ids, 120).await {
        o.done();
    }
    assert!(env.stat(|s| &s.rate_limited) > 0, "the limit was hit");
    assert_eq!(env.stat(|s| &s.files_created), 40, "each file made once");
    handle.shutdown().await;
}
