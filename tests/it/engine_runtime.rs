//! A job's runtime state is one thing at a time: a file being checked for an earlier upload is
//! not a job the journal held back, a stopped worker is not one preparing ahead, and a file Wix
//! marked FAILED is sent again by Retry.

use std::time::Duration;

use axum::http::Method;
use wixup::engine::{self, Command, Event, JobState};
use wixup::sandbox::{FaultKind, Rule};

use super::support::{Env, Events, oriented_jpeg, random_file, start_and_add, wait_until};

/// Sandbox counters that move when anything is sent: upload URLs, tus uploads, one-PUTs, files.
fn sent(env: &Env) -> [u64; 4] {
    [
        env.stat(|s| &s.rest_requests) - env.stat(|s| &s.status_requests),
        env.stat(|s| &s.uploads_created),
        env.stat(|s| &s.plain_puts),
        env.stat(|s| &s.files_created),
    ]
}

/// Dropped again while it is hashed for the duplicate check, a file is the same job (reported
/// as added twice), and that job ends "already on your site" with nothing sent. Before, the
/// second drop took the check for a journal hold: it released the job, which uploaded a second
/// time while the check's answer was ignored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_dropped_again_while_it_is_checked_is_one_job_found_on_the_site() {
    let env = Env::start().await;
    let photo = random_file(env.dir.path(), "twice.bin", 300_000);
    let cfg = env.engine_config("data");
    let (handle, mut events, ids) = start_and_add(cfg.clone(), vec![photo.clone()]).await;
    let first = events.finish(&ids, 30).await[0].done().clone();
    handle.shutdown().await;
    drop(events);

    // The check asks the site whether the earlier upload is still there: hold that answer.
    let hold = FaultKind::Latency(Duration::from_millis(1500));
    env.sandbox
        .faults
        .add(Rule::nth(Some(Method::GET), "get-file-by-id", 1, hold));
    let before = sent(&env);
    let (handle, rx) = engine::start(cfg, None).expect("engine");
    let mut events = Events::new(rx);
    let add = |request| Command::AddFiles {
        request,
        paths: vec![photo.clone()],
        destination: Default::default(),
        options: Default::default(),
    };
    handle.send(add(1));
    let (added, _, _) = events.added().await;
    // Answered before the end of the walk (it comes before `FilesAdded`), or still to come.
    let checking =
        |e: &Event| matches!(e, Event::Checking { id, checking: true } if *id == added[0]);
    if !events.seen.iter().any(checking) {
        events.wait_for(10, checking).await;
    }
    handle.send(add(2));
    let (again, duplicates, _) = events.added().await;
    assert!(again.is_empty(), "no second job: {again:?}");
    assert_eq!(duplicates.len(), 1, "reported as added twice");
    let out = events.finish(&added, 30).await;
    let r = out[0].done();
    assert!(r.already.is_some(), "found on the site: {r:?}");
    assert_eq!(r.file_id, first.file_id);
    assert_eq!(sent(&env), before, "nothing was sent");
    let jobs = handle.snapshot().await;
    assert_eq!(
        jobs.len(),
        2,
        "the first run's job and one job now: {jobs:?}"
    );
    handle.shutdown().await;
}

/// A file Wix marked FAILED loses its file id: Retry sends it again (before, it polled the same
/// failed file forever, even once the file was fixed), and after an edit the new bytes go up as a
/// new file, verified against them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_of_a_file_wix_marked_failed_sends_it_again() {
    let env = Env::start().await;
    // Random bytes named .jpg: the sandbox's processing marks them FAILED, as Wix does.
    let broken = random_file(env.dir.path(), "broken.jpg", 40_000);
    let (handle, mut events, ids) =
        start_and_add(env.engine_config("data"), vec![broken.clone()]).await;
    let err = events.finish(&ids, 30).await[0].failed().clone();
    assert!(err.message.contains("Wix could not process"), "{err:?}");
    let failed_once = sent(&env);
    let snapshot = handle.snapshot().await;
    assert_eq!(
        snapshot[0].file_id, None,
        "the failed file's id is forgotten"
    );

    // As it is: sent again, and marked FAILED again.
    events.outcomes.clear();
    handle.send(Command::Retry(ids[0]));
    events.finish(&ids, 30).await[0].failed();
    let failed_twice = sent(&env);
    assert_eq!(
        failed_twice[3],
        failed_once[3] + 1,
        "a second file was made: {failed_once:?} -> {failed_twice:?}"
    );

    // Fixed on disk (a real JPEG now): Retry uploads the new bytes and ends verified.
    oriented_jpeg(&broken, 64, 48, 1);
    let md5 = wixup::fs::md5_hex(&broken).expect("md5");
    events.outcomes.clear();
    handle.send(Command::Retry(ids[0]));
    let out = events.finish(&ids, 30).await;
    let r = out[0].done();
    assert_eq!(r.verified, engine::Verification::Verified);
    assert_eq!(r.local_md5.as_deref(), Some(md5.as_str()));
    let (_, served) = super::support::get(r.url.as_deref().expect("url")).await;
    assert!(
        served == std::fs::read(&broken).expect("read"),
        "the fixed file is on the site"
    );
    handle.shutdown().await;
}

/// A worker stopped while it prepared ahead of a slot is stopping, not preparing: when a slot
/// frees before it ended, it is not given the slot (its state never flaps Uploading → Queued);
/// a fresh worker starts once it ended. Before, `schedule()` opened the cancelled worker's gate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_stopped_while_preparing_is_not_given_a_slot() {
    let env = Env::start().await;
    let dir = env.dir.path();
    let a = random_file(dir, "a.bin", 3 << 20);
    let b = random_file(dir, "b.bin", 1 << 20);
    env.slow_patches(100);
    // B's tus creation (the second) takes a while: stopped meanwhile, its worker winds down.
    let slow = FaultKind::Latency(Duration::from_millis(1500));
    env.sandbox
        .faults
        .add(Rule::nth(Some(Method::POST), "/upload/tus", 2, slow));
    let mut cfg = env.slow_engine_config("data");
    cfg.parallel = engine::Parallelism::Fixed(1);
    let (handle, mut events, ids) = start_and_add(cfg, vec![a, b]).await;
    let (a, b) = (ids[0], ids[1]);
    events.wait_acknowledged(256 * 1024).await;
    // B's upload URL was handed out: its worker is in the creation now.
    wait_until("B's upload URL", Duration::from_secs(10), || {
        env.stat(|s| &s.rest_requests) >= 2
    })
    .await;
    handle.send(Command::Pause(b));
    handle.send(Command::Resume(b));
    // The slot frees while B's stopped worker still waits for its creation.
    handle.send(Command::Pause(a));
    let out = events.finish(&[b], 60).await;
    out[0].done();
    let uploading = events
        .seen
        .iter()
        .filter(|e| matches!(e, Event::StateChanged { id, state: JobState::Uploading } if *id == b))
        .count();
    let b_states: Vec<JobState> = events
        .seen
        .iter()
        .filter_map(|e| match e {
            Event::StateChanged { id, state } if *id == b => Some(*state),
            _ => None,
        })
        .collect();
    assert_eq!(
        uploading, 1,
        "B went Uploading once, after its stopped worker ended: {b_states:?}"
    );
    handle.send(Command::Resume(a));
    events.finish(&[a], 60).await[0].done();
    handle.shutdown().await;
}
