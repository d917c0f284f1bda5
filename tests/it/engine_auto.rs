//! Parallelism that adapts: "auto" (the default) adds transfers while they speed the batch up,
//! and takes them back when the server pushes back; a fixed number stays fixed.

use std::time::{Duration, Instant};

use axum::http::Method;
use wixup::engine::{Command, EngineHandle, JobId, JobState, Parallelism};
use wixup::sandbox::{FaultKind, Rule};

use super::support::{Env, Events, random_file};

/// Adds `n` small files, and samples how many send at once until all are done.
async fn most_at_once(env: &Env, parallel: Parallelism, n: usize) -> usize {
    let paths: Vec<_> = (0..n)
        .map(|i| random_file(env.dir.path(), &format!("a{i}.bin"), 20_000))
        .collect();
    let mut cfg = env.engine_config("data");
    cfg.parallel = parallel;
    let (handle, rx) = wixup::engine::start(cfg, None).expect("engine");
    let mut events = Events::new(rx);
    handle.send(Command::AddFiles {
        request: 1,
        paths,
        destination: Default::default(),
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

/// Every PATCH waits 300 ms at the server: each file's time is round trips, so more files at
/// once finish the batch sooner.
fn slow_patches(env: &Env) {
    env.sandbox.faults.add(
        Rule::nth(
            Some(Method::PATCH),
            "",
            1,
            FaultKind::Latency(Duration::from_millis(300)),
        )
        .times(10_000),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_adds_transfers_while_they_pay() {
    let env = Env::start().await;
    slow_patches(&env);
    let most = most_at_once(&env, Parallelism::Auto, 80).await;
    assert!(
        most >= 6,
        "auto stayed at {most} transfers while more paid off"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fixed_number_stays_fixed() {
    let env = Env::start().await;
    slow_patches(&env);
    let most = most_at_once(&env, Parallelism::Fixed(3), 30).await;
    assert!(most <= 3, "{most} at once with --parallel 3");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_takes_transfers_back_when_the_server_pushes_back() {
    // The same latency-bound batch, but every upload URL request is refused once in two with
    // 429 (with Retry-After 0): auto must not climb as it does without push-back.
    let env = Env::start().await;
    slow_patches(&env);
    for k in 0..200 {
        env.sandbox.faults.add(Rule::nth(
            Some(Method::POST),
            "generate-resumable-upload-url",
            2 * k + 1,
            FaultKind::Status {
                status: 429,
                retry_after_secs: Some(0),
            },
        ));
    }
    let most = most_at_once(&env, Parallelism::Auto, 60).await;
    assert!(most <= 4, "auto climbed to {most} while Wix answered 429");
}
