//! The engine where commands and server answers cross: Cancel as an upload is being created, a
//! finalize refused after every byte was sent.

use std::time::Duration;

use axum::http::Method;
use wixup::engine::{Command, Event, JobState};
use wixup::sandbox::{FaultKind, Rule};

use super::support::{Env, random_file, start_and_add, wait_until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_created_just_as_cancel_lands_is_terminated() {
    let env = Env::start_with(super::support::tus_full).await;
    let file = random_file(env.dir.path(), "late.bin", 6 << 20);
    // The server creates the upload at once but its answer takes a second: Cancel lands in
    // between.
    env.sandbox.faults.add(Rule::nth(
        Some(Method::POST),
        "/upload/tus",
        1,
        FaultKind::Stall(Duration::from_millis(1500)),
    ));
    let cfg = env.tus_engine_config("data");
    let (handle, mut events, ids) = start_and_add(cfg, vec![file]).await;
    wait_until("no upload was created", Duration::from_secs(20), || {
        env.stat(|s| &s.uploads_created) > 0
    })
    .await;
    handle.send(Command::Cancel(ids[0]));
    events.wait_state(JobState::Cancelled).await;
    wait_until(
        "the upload created as Cancel landed was never terminated",
        Duration::from_secs(20),
        || env.stat(|s| &s.uploads_terminated) > 0,
    )
    .await;
    let jobs = handle.snapshot().await;
    assert_eq!(jobs[0].state, JobState::Cancelled);
    assert!(
        jobs[0].session.is_none(),
        "no session kept on a cancelled job"
    );
    assert_eq!(env.stat(|s| &s.bytes_received), 0);
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_refused_finalize_the_resend_is_reported_as_uploading_and_can_pause() {
    let env = Env::start().await;
    let file = random_file(env.dir.path(), "again.bin", 3 << 20);
    env.sandbox.faults.add(Rule::nth(
        Some(Method::PUT),
        "/upload/tus",
        1,
        FaultKind::Status {
            status: 400,
            retry_after_secs: None,
        },
    ));
    let cfg = env.slow_engine_config("data");
    let (handle, mut events, ids) = start_and_add(cfg, vec![file]).await;
    events.wait_state(JobState::Finalizing).await;
    // The second pass is slow enough to pause.
    env.slow_patches(100);
    events
        .wait_for(20, |e| {
            matches!(
                e,
                Event::StateChanged {
                    state: JobState::Uploading,
                    ..
                }
            )
        })
        .await;
    handle.send(Command::Pause(ids[0]));
    events.wait_state(JobState::Paused).await;
    assert_eq!(handle.snapshot().await[0].state, JobState::Paused);
    env.sandbox.faults.clear();
    handle.send(Command::Resume(ids[0]));
    events.finish(&ids, 60).await[0].done();
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_and_shutdown_during_a_creation_that_never_answers_stay_quick() {
    let env = Env::start().await;
    let file = random_file(env.dir.path(), "silent.bin", 6 << 20);
    // Every creation's answer would take 25 s (and the client retries stalls): Cancel and
    // shutdown must not wait for them.
    env.sandbox.faults.add(
        Rule::nth(
            Some(Method::POST),
            "/upload/tus",
            1,
            FaultKind::Stall(Duration::from_secs(25)),
        )
        .times(u64::MAX / 2),
    );
    let cfg = env.tus_engine_config("data");
    let (handle, mut events, ids) = start_and_add(cfg, vec![file]).await;
    wait_until("no upload was created", Duration::from_secs(20), || {
        env.stat(|s| &s.uploads_created) > 0
    })
    .await;
    handle.send(Command::Cancel(ids[0]));
    events.wait_state(JobState::Cancelled).await;
    // Bounded well below the stall: the worker gives the request a short grace, then lets go.
    tokio::time::timeout(Duration::from_secs(10), handle.shutdown())
        .await
        .expect("shutdown waited for a creation that never answers");
}
