//! The engine end to end against the sandbox: the Wix flow, states, pause/resume, restart from the
//! journal, expiry, changed files, errors, duplicates, and the data-dir lock.

use std::time::Duration;

use axum::http::Method;
use wixup::engine::{self, Command, Event, JobState, StartMode, Verification};
use wixup::sandbox::{FaultKind, Rule};

use super::support::{
    Env, Events, each_profile, get, journal_path, journal_table, random_file, start_and_add,
    stays_still, wait_until,
};

each_profile! {
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn happy_path_files_folders_empty_and_images(profile) {
    let env = Env::start_as(profile).await;
    let dir = env.path("in");
    random_file(&dir, "a.bin", 3 << 20);
    random_file(&dir, "sub/b.txt", 10_000);
    let empty = random_file(&dir, "sub/empty.dat", 0);
    let photo = dir.join("portrait.jpg");
    crate::it::support::oriented_jpeg(&photo, 300, 200, 6);
    let (handle, mut events, ids) =
        start_and_add(env.engine_config("data"), vec![dir.clone()]).await;
    assert_eq!(ids.len(), 4, "the folder was walked recursively");
    let outcomes = events.finish(&ids, 60).await;
    let jobs = handle.snapshot().await;
    for (job, outcome) in jobs.iter().zip(outcomes.iter()) {
        // An empty file fails at once, for good, before anything is created on the server.
        if job.name == "empty.dat" {
            let e = outcome.failed();
            assert_eq!(
                e.message,
                "empty.dat is empty (0 bytes); there is nothing to upload"
            );
            assert!(e.permanent);
            assert_eq!(job.state, JobState::Failed);
            continue;
        }
        let r = outcome.done();
        assert_eq!(r.verified, Verification::Verified, "{}", job.name);
        let (status, body) = get(r.url.as_deref().expect("url")).await;
        assert_eq!(status, 200);
        assert_eq!(
            body,
            std::fs::read(&job.path).expect("local"),
            "{} served identical",
            job.name
        );
        assert_eq!(job.state, JobState::Done);
    }
    let img = jobs
        .iter()
        .find(|j| j.name == "portrait.jpg")
        .and_then(|j| j.result.clone())
        .expect("photo");
    assert_eq!(img.media_type.as_deref(), Some("IMAGE"));
    assert_eq!(
        img.image_size,
        Some((200, 300)),
        "portrait after EXIF orientation"
    );
    let (status, thumb) = get(img.thumbnail_url.as_deref().expect("thumb")).await;
    assert_eq!(status, 200);
    let t = image::load_from_memory(&thumb).expect("decodes").to_rgb8();
    assert_eq!((t.width(), t.height()), (160, 160));
    assert!(t.get_pixel(80, 5)[0] > 150, "upright: red on top");
    assert!(t.get_pixel(80, 155)[2] > 150, "upright: blue below");
    assert_eq!(std::fs::metadata(&empty).expect("e").len(), 0);
    assert_eq!(
        env.stat(|s| &s.credentials_on_upload_host),
        0,
        "no credentials to the upload host"
    );
    assert_eq!(env.stat(|s| &s.files_created), 3);
    assert_eq!(env.stat(|s| &s.plain_puts), 3, "small files: one PUT each");
    // States went through the documented sequence (one-PUT: no finalize step).
    let states: Vec<JobState> = events
        .seen
        .iter()
        .filter_map(|e| match e {
            Event::StateChanged { id, state } if *id == ids[0] => Some(*state),
            _ => None,
        })
        .collect();
    assert_eq!(
        states,
        [JobState::Uploading, JobState::Processing, JobState::Done]
    );
    handle.shutdown().await;
}
}

each_profile! {
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_stops_bytes_and_resume_continues_from_the_server_offset(profile) {
    let env = Env::start_as(profile).await;
    let file = random_file(env.dir.path(), "slow.bin", 6 << 20);
    env.slow_patches(60);
    let cfg = env.slow_engine_config("data");
    let (handle, mut events, ids) = start_and_add(cfg, vec![file.clone()]).await;
    let id = ids[0];
    events.wait_acknowledged(512 * 1024).await;
    handle.send(Command::Pause(id));
    events.wait_state(JobState::Paused).await;
    // A PATCH on the wire when the pause came still lands.
    env.sandbox_idle().await;
    let after_pause = env.stat(|s| &s.bytes_received);
    assert!(after_pause < 6 << 20);
    // Nothing marks the moment by which a PATCH would have gone out had the pause not held, so
    // this is a quiet period: unpaused, one went out every 60 ms or so (its injected latency),
    // so 700 ms is ten of them.
    stays_still("bytes received while paused", Duration::from_millis(700), || {
        env.stat(|s| &s.bytes_received)
    })
    .await;
    handle.send(Command::Resume(id));
    let out = events.finish(&[id], 60).await;
    assert_eq!(out[0].done().verified, Verification::Verified);
    let total = env.stat(|s| &s.bytes_received);
    assert!(
        total <= (6 << 20) + 256 * 1024,
        "resumed, at most one chunk resent: {total}"
    );
    handle.shutdown().await;
}
}

each_profile! {
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_continues_from_the_journal_and_never_redoes_finished_files(profile) {
    let env = Env::start_as(profile).await;
    let done_file = random_file(env.dir.path(), "done.bin", 10_000);
    let slow = random_file(env.dir.path(), "slow.bin", 4 << 20);
    let mut cfg = env.slow_engine_config("data");
    let (handle, mut events, ids) = start_and_add(cfg.clone(), vec![done_file.clone()]).await;
    events.finish(&ids, 30).await;
    env.slow_patches(60);
    handle.send(Command::AddFiles {
        request: 2,
        paths: vec![slow.clone()],
        destination: Default::default(),
        options: Default::default(),
    });
    let (slow_ids, _, _) = events.added().await;
    events.wait_acknowledged(512 * 1024).await;
    handle.shutdown().await; // as an app quitting mid-upload
    drop(events);
    env.sandbox.faults.clear();
    let before = env.stat(|s| &s.bytes_received);
    let files_before = env.stat(|s| &s.files_created);

    cfg.start = StartMode::Continue;
    let (handle, rx) = engine::start(cfg, None).expect("restart");
    let mut events = Events::new(rx);
    let out = events.finish(&slow_ids, 60).await;
    assert_eq!(out[0].done().verified, Verification::Verified);
    let resent = env.stat(|s| &s.bytes_received) - before;
    assert!(
        resent <= (4 << 20) - 512 * 1024 + 256 * 1024,
        "continued from the server's offset (sent {resent})"
    );
    assert_eq!(
        env.stat(|s| &s.files_created),
        files_before + 1,
        "the finished file was not uploaded again"
    );
    let jobs = handle.snapshot().await;
    assert!(jobs.iter().all(|j| j.state == JobState::Done));
    handle.shutdown().await;
}
}

each_profile! {
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_gets_a_fresh_upload_once(profile) {
    // The token's lifetime runs out while the first finalize is on its way (the sandbox's
    // clock jumps past it); the fresh token then has the whole lifetime again.
    let ttl = Duration::from_secs(3600);
    let env = Env::start_with(|c| {
        c.profile = profile;
        c.token_ttl = ttl;
    })
    .await;
    let file = random_file(env.dir.path(), "f.bin", 2 << 20);
    env.sandbox.faults.add(Rule::nth(
        Some(Method::PUT),
        "/upload/tus/",
        1,
        FaultKind::AdvanceClock(ttl + Duration::from_secs(1)),
    ));
    let (handle, mut events, ids) = start_and_add(env.tus_engine_config("data"), vec![file]).await;
    let out = events.finish(&ids, 60).await;
    assert_eq!(out[0].done().verified, Verification::Verified);
    assert_eq!(env.stat(|s| &s.files_created), 1);
    assert_eq!(
        env.stat(|s| &s.finalize_requests),
        2,
        "refused once, then finalized with a new token"
    );
    handle.shutdown().await;
}
}

each_profile! {
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gone_upload_restarts_by_itself(profile) {
    let env = Env::start_as(profile).await;
    let file = random_file(env.dir.path(), "f.bin", 3 << 20);
    env.sandbox.faults.add(Rule::nth(
        Some(Method::PATCH),
        "",
        2,
        FaultKind::Status {
            status: 410,
            retry_after_secs: None,
        },
    ));
    let mut cfg = env.engine_config("data");
    cfg.tus.chunk_size = wixup::tus::ChunkSize::Fixed(1 << 20);
    let (handle, mut events, ids) = start_and_add(cfg, vec![file]).await;
    assert_eq!(
        events.finish(&ids, 60).await[0].done().verified,
        Verification::Verified
    );
    handle.shutdown().await;
}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_renamed_over_with_the_same_size_and_time_is_noticed() {
    let env = Env::start().await;
    let file = random_file(env.dir.path(), "photo.bin", 4 << 20);
    let mtime = std::fs::metadata(&file)
        .expect("meta")
        .modified()
        .expect("mtime");
    env.slow_patches(60);
    let cfg = env.slow_engine_config("data");
    let (handle, mut events, ids) = start_and_add(cfg, vec![file.clone()]).await;
    events.wait_acknowledged(1).await;
    // Another file of the same size and modification time takes its name (a sync tool, an
    // editor's save-by-rename).
    let other = random_file(env.dir.path(), "other.bin", 4 << 20);
    std::fs::File::options()
        .write(true)
        .open(&other)
        .expect("open")
        .set_modified(mtime)
        .expect("set mtime");
    std::fs::rename(&other, &file).expect("rename over");
    let out = events.finish(&ids, 60).await;
    assert!(
        out[0].failed().message.contains("file changed on disk"),
        "{:?}",
        out[0]
    );
    assert_eq!(
        env.stat(|s| &s.finalize_requests),
        0,
        "a mix of two files is never finalized"
    );
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_changed_mid_upload_fails_and_is_never_finalized() {
    let env = Env::start().await;
    let file = random_file(env.dir.path(), "edit.bin", 4 << 20);
    env.slow_patches(60);
    let cfg = env.slow_engine_config("data");
    let (handle, mut events, ids) = start_and_add(cfg, vec![file.clone()]).await;
    events.wait_acknowledged(1).await;
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&file)
            .expect("open");
        f.write_all(b"edited").expect("append");
    }
    let out = events.finish(&ids, 60).await;
    assert!(
        out[0].failed().message.contains("file changed on disk"),
        "{:?}",
        out[0]
    );
    assert_eq!(env.stat(|s| &s.finalize_requests), 0);
    // Retry uploads the new version.
    env.sandbox.faults.clear();
    events.outcomes.clear();
    handle.send(Command::Retry(ids[0]));
    assert_eq!(
        events.finish(&ids, 60).await[0].done().size_bytes,
        Some((4 << 20) + 6)
    );
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_reported_per_file_and_the_rest_uploads() {
    let env = Env::start().await;
    let good = random_file(env.dir.path(), "good.bin", 5000);
    let missing = env.path("missing.jpg");
    let (handle, rx) = engine::start(env.engine_config("data"), None).expect("engine");
    let mut events = Events::new(rx);
    handle.send(Command::AddFiles {
        request: 7,
        paths: vec![missing.clone(), good.clone(), good.clone()],
        destination: Default::default(),
        options: Default::default(),
    });
    let (added, dups, rejected) = events.added().await;
    assert_eq!(added.len(), 1, "the same file twice is queued once");
    assert!(dups.is_empty(), "within one request, repeats fold silently");
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].0, missing);
    assert!(rejected[0].1.contains("not found"), "{}", rejected[0].1);
    // Added again while still queued: reported once, not uploaded twice.
    handle.send(Command::AddFiles {
        request: 8,
        paths: vec![good.clone()],
        destination: Default::default(),
        options: Default::default(),
    });
    let (again, dups, _) = events.added().await;
    if again.is_empty() {
        assert_eq!(dups.len(), 1);
    }
    events.finish(&added, 30).await[0].done();
    assert_eq!(env.stat(|s| &s.files_created), 1 + again.len() as u64);
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_fails_the_job_with_a_fix_and_never_leaks() {
    let env = Env::start().await;
    let file = random_file(env.dir.path(), "f.bin", 5000);
    let mut cfg = env.engine_config("data");
    let secret = "IST.leak-canary-0123456789";
    cfg.credentials.api_key = wixup::redact::ApiKey::new(secret);
    let (handle, mut events, ids) = start_and_add(cfg, vec![file]).await;
    let err = events.finish(&ids, 30).await[0].failed().clone();
    assert!(
        err.message.contains("Manage Media Manager permission"),
        "{}",
        err.message
    );
    assert_eq!(err.status, Some(403));
    handle.shutdown().await;
    let journal = std::fs::read_to_string(env.path("data/journal.jsonl")).expect("journal");
    assert!(!journal.contains(secret) && !format!("{err:?}").contains(secret));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn junk_answers_fail_clearly() {
    // Processing outlasts the finalize, so the file's status must be asked for.
    let env = Env::start_with(|c| c.processing_delay = Duration::from_secs(2)).await;
    let file = random_file(env.dir.path(), "f.bin", 5000);
    env.sandbox
        .faults
        .add(Rule::nth(Some(Method::POST), "get-files", 1, FaultKind::JunkBody).times(100));
    let (handle, mut events, ids) = start_and_add(env.engine_config("data"), vec![file]).await;
    let err = events.finish(&ids, 30).await[0].failed().clone();
    assert!(
        err.message.contains("status") || err.message.contains("Wix"),
        "{}",
        err.message
    );
    assert!(err.detail.contains("cannot read"), "{}", err.detail);
    handle.shutdown().await;
}

each_profile! {
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_finalize_answer_never_creates_a_duplicate(profile) {
    let env = Env::start_as(profile).await;
    let file = random_file(env.dir.path(), "f.bin", 5000);
    env.sandbox.faults.add(Rule::nth(
        Some(Method::PUT),
        "/upload/tus/",
        1,
        FaultKind::DropConnection { after_bytes: 0 },
    ));
    let (handle, mut events, ids) = start_and_add(env.tus_engine_config("data"), vec![file]).await;
    events.finish(&ids, 30).await[0].done();
    assert_eq!(env.stat(|s| &s.finalize_requests), 2);
    assert_eq!(env.stat(|s| &s.files_created), 1);
    // Wix's token is one-time: the repeat was refused and the file found, not made again.
    let refused = u64::from(profile == wixup::sandbox::Profile::Wix);
    assert_eq!(env.stat(|s| &s.finalize_refused), refused);
    handle.shutdown().await;
}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_is_private_versioned_and_locked() {
    let env = Env::start().await;
    let file = random_file(env.dir.path(), "f.bin", 5000);
    let cfg = env.engine_config("data");
    let (handle, mut events, ids) = start_and_add(cfg.clone(), vec![file]).await;
    events.finish(&ids, 30).await;
    let second = engine::start(cfg.clone(), None);
    let msg = second.err().expect("locked").to_string();
    assert!(
        msg.contains("another Wixup") && msg.contains("WIXUP_DATA_DIR"),
        "{msg}"
    );
    handle.shutdown().await;
    drop(handle);
    drop(events);
    let path = env.path("data/journal.jsonl");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777,
            0o600
        );
    }
    let (header, jobs) = journal_table(&env.path("data"));
    assert_eq!(header["schema_version"], 3);
    assert_eq!(jobs[0]["state"], "done");
    // A corrupt journal is kept aside, never lost.
    std::fs::write(&path, b"{ not json").expect("corrupt");
    let (h, mut rx) = wait_until(
        "starts once the first engine let go",
        Duration::from_millis(2500),
        || engine::start(cfg.clone(), None).ok(),
    )
    .await;
    assert!(matches!(rx.recv().await, Some(Event::JournalError(_))));
    let aside: Vec<_> = std::fs::read_dir(env.path("data"))
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("journal.unreadable")
        })
        .collect();
    assert_eq!(aside.len(), 1);
    h.shutdown().await;
}

each_profile! {
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_terminates_and_retry_starts_again(profile) {
    let env = Env::start_as(profile).await;
    let file = random_file(env.dir.path(), "f.bin", 4 << 20);
    env.slow_patches(60);
    let cfg = env.slow_engine_config("data");
    let (handle, mut events, ids) = start_and_add(cfg, vec![file]).await;
    events.wait_acknowledged(1).await;
    handle.send(Command::Cancel(ids[0]));
    events.wait_state(JobState::Cancelled).await;
    let wix = profile == wixup::sandbox::Profile::Wix;
    if !wix {
        // The server-side upload is terminated (in the background, so wait for it, bounded).
        wait_until(
            "the cancelled upload was never terminated on the server",
            Duration::from_secs(10),
            || env.stat(|s| &s.uploads_terminated) > 0,
        )
        .await;
        assert_eq!(env.stat(|s| &s.delete_requests), 1);
    }
    assert_eq!(env.stat(|s| &s.uploads_created), 1);
    env.sandbox.faults.clear();
    handle.send(Command::Retry(ids[0]));
    events.finish(&ids, 60).await[0].done();
    handle.send(Command::ClearFinished);
    events
        .wait_for(10, |e| matches!(e, Event::Removed(_)))
        .await;
    assert!(handle.snapshot().await.is_empty());
    handle.shutdown().await;
    if wix {
        // Wix offers no termination: none is tried (the server would refuse it). The terminate
        // was spawned at cancel time; by now a retried upload has gone all the way through
        // after it, so a DELETE it sent has arrived.
        assert_eq!(
            env.stat(|s| &s.delete_requests),
            0,
            "a DELETE reached the wix profile"
        );
    }
}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_wix_cannot_process_fails_with_a_reason() {
    let env = Env::start().await;
    let broken = random_file(env.dir.path(), "broken.jpg", 20_000); // not really a JPEG
    let (handle, mut events, ids) = start_and_add(env.engine_config("data"), vec![broken]).await;
    let err = events.finish(&ids, 30).await[0].failed().clone();
    assert!(err.message.contains("could not process"), "{}", err.message);
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_notifier_wakes_a_front_end_after_each_event_is_queued() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    let env = Env::start().await;
    let file = random_file(env.dir.path(), "n.bin", 5000);
    // The front end takes exactly one event per wake-up, inside the wake-up itself: if the
    // engine ever woke it before sending, that take would find nothing.
    type Rx = tokio::sync::mpsc::UnboundedReceiver<Event>;
    let shared: Arc<Mutex<Option<Rx>>> = Arc::new(Mutex::new(None));
    let taken = Arc::new(Mutex::new(Vec::new()));
    let early = Arc::new(AtomicUsize::new(0));
    let (sh, tk, ea) = (shared.clone(), taken.clone(), early.clone());
    let (handle, rx) = engine::start(
        env.engine_config("data"),
        Some(Arc::new(move || {
            let mut g = sh.lock().expect("lock");
            // Before the test hands the receiver over, only the journal load can wake it.
            let Some(rx) = g.as_mut() else { return };
            match rx.try_recv() {
                Ok(ev) => tk.lock().expect("lock").push(ev),
                Err(_) => {
                    ea.fetch_add(1, Ordering::SeqCst);
                }
            }
        })),
    )
    .expect("engine");
    *shared.lock().expect("lock") = Some(rx);
    handle.send(Command::AddFiles {
        request: 1,
        paths: vec![file],
        destination: Default::default(),
        options: Default::default(),
    });
    wait_until("no Finished event", Duration::from_secs(30), || {
        early.load(Ordering::SeqCst) > 0
            || taken
                .lock()
                .expect("lock")
                .iter()
                .any(|e| matches!(e, Event::Finished { .. }))
    })
    .await;
    assert_eq!(
        early.load(Ordering::SeqCst),
        0,
        "a wake-up came before its event was queued"
    );
    assert!(
        taken.lock().expect("lock").len() >= 4,
        "every event woke it"
    );
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_all_resume_all_and_parallelism() {
    let env = Env::start().await;
    let files: Vec<_> = (0..4)
        .map(|i| random_file(env.dir.path(), &format!("p{i}.bin"), 1 << 20))
        .collect();
    env.slow_patches(40);
    let mut cfg = env.slow_engine_config("data");
    cfg.parallel = wixup::engine::Parallelism::Fixed(1);
    let (handle, mut events, ids) = start_and_add(cfg, files).await;
    events.wait_acknowledged(1).await;
    handle.send(Command::PauseAll);
    for _ in 0..4 {
        events.wait_state(JobState::Paused).await;
    }
    assert!(
        handle
            .snapshot()
            .await
            .iter()
            .all(|j| j.state == JobState::Paused)
    );
    let before_resume = events.seen.len();
    handle.send(Command::SetParallelism(wixup::engine::Parallelism::Fixed(
        2,
    )));
    handle.send(Command::ResumeAll);
    events.finish(&ids, 60).await;
    // Exactly two sending at once after the change: more breaks the limit, one means the
    // command was ignored. (A file that finalizes or processes has freed its slot.)
    let mut active = std::collections::HashSet::new();
    let mut peak = 0;
    for e in &events.seen[before_resume..] {
        if let Event::StateChanged { id, state } = e {
            if *state == JobState::Uploading {
                active.insert(*id);
            } else {
                active.remove(id);
            }
            peak = peak.max(active.len());
        }
    }
    assert_eq!(peak, 2, "peak parallelism after SetParallelism(2)");
    handle.shutdown().await;
}

each_profile! {
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_saved_upload_starts_anew(profile) {
    let ttl = Duration::from_secs(3600);
    let env = Env::start_with(|c| {
        c.profile = profile;
        c.upload_ttl = ttl;
    })
    .await;
    let file = random_file(env.dir.path(), "x.bin", 2 << 20);
    env.slow_patches(50);
    let cfg = env.slow_engine_config("data");
    let (handle, mut events, ids) = start_and_add(cfg, vec![file]).await;
    events.wait_acknowledged(1).await;
    handle.send(Command::Pause(ids[0]));
    events.wait_state(JobState::Paused).await;
    // The upload's lifetime passes while it is paused (the sandbox's clock jumps past it; the
    // engine's does not, so with `tus-full` too it is the server that says the upload is gone).
    env.sandbox.clock.advance(ttl + Duration::from_secs(1));
    env.sandbox.faults.clear();
    handle.send(Command::Resume(ids[0]));
    assert_eq!(
        events.finish(&ids, 60).await[0].done().verified,
        Verification::Verified
    );
    assert_eq!(env.stat(|s| &s.files_created), 1);
    // It did expire: a second upload was created for the same file, and only one.
    assert_eq!(
        env.stat(|s| &s.uploads_created),
        2,
        "one new upload after expiry"
    );
    handle.shutdown().await;
}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_keeps_dropping_says_so_after_the_retries() {
    // With checksums a cut PATCH keeps nothing, so no retry makes progress (on the `wix`
    // profile every cut keeps its bytes and the upload creeps on, as it should).
    let env = Env::start_with(super::support::tus_full).await;
    let file = random_file(env.dir.path(), "d.bin", 2 << 20);
    env.sandbox.faults.add(
        Rule::nth(
            Some(Method::PATCH),
            "",
            1,
            FaultKind::DropConnection { after_bytes: 1000 },
        )
        .times(1_000_000),
    );
    let (handle, mut events, ids) = start_and_add(env.slow_engine_config("data"), vec![file]).await;
    let err = events.finish(&ids, 60).await[0].failed().clone();
    assert!(
        err.message.contains("could not reach the upload server"),
        "{}",
        err.message
    );
    assert!(err.detail.contains("network error"), "{}", err.detail);
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_of_schema_1_resumes_from_the_server_offset() {
    let env = Env::start().await;
    let file = random_file(env.dir.path(), "slow.bin", 4 << 20);
    let mut cfg = env.slow_engine_config("data");
    env.slow_patches(60);
    let (handle, mut events, ids) = start_and_add(cfg.clone(), vec![file]).await;
    events.wait_acknowledged(512 * 1024).await;
    handle.shutdown().await; // as an app quitting mid-upload
    drop(events);
    // The journal as the previous release wrote it, byte for byte in shape: schema 1, the tus
    // creation endpoint under `upload_url` and the tus upload URL under `location`.
    let (header, jobs) = journal_table(&env.path("data"));
    let now = serde_json::json!({ "next_id": header["next_id"], "jobs": jobs });
    let (job, session) = (&now["jobs"][0], &now["jobs"][0]["session"]);
    let (endpoint, upload_url) = (&session["endpoint"], &session["upload_url"]);
    assert!(endpoint.is_string() && upload_url.is_string(), "{now:#}");
    let schema_1 = format!(
        r#"{{
  "schema_version": 1,
  "next_id": {next_id},
  "jobs": [
    {{
      "acknowledged_bytes": {acknowledged},
      "added_unix": {added},
      "destination": {{
        "folder_id": null,
        "path": null,
        "private": false
      }},
      "error": null,
      "file_id": null,
      "id": {id},
      "identity": {identity},
      "mime_type": "application/octet-stream",
      "mtime_unix_nanos": {mtime},
      "name": "slow.bin",
      "path": {path},
      "result": null,
      "session": {{
        "expires_unix": {expires},
        "location": {upload_url},
        "upload_token": {token},
        "upload_url": {endpoint}
      }},
      "size_bytes": 4194304,
      "state": "uploading"
    }}
  ]
}}"#,
        next_id = now["next_id"],
        acknowledged = job["acknowledged_bytes"],
        added = job["added_unix"],
        id = job["id"],
        identity = job["identity"],
        mtime = job["mtime_unix_nanos"],
        path = job["path"],
        expires = session["expires_unix"],
        token = session["upload_token"],
    );
    std::fs::write(env.path("data/journal.json"), schema_1).expect("write the old journal");
    std::fs::remove_file(journal_path(&env.path("data"))).expect("only the old one");
    env.sandbox.faults.clear();
    let before = env.stat(|s| &s.bytes_received);
    let uploads_before = env.stat(|s| &s.uploads_created);

    cfg.start = StartMode::Continue;
    let (handle, rx) = engine::start(cfg, None).expect("restart");
    let jobs = handle.snapshot().await;
    assert_eq!(jobs.len(), 1, "the old entry was read, not set aside");
    let s = jobs[0].session.clone().expect("its upload, migrated");
    assert_eq!(Some(s.endpoint.as_str()), endpoint.as_str());
    assert_eq!(Some(s.upload_url.as_str()), upload_url.as_str());
    let mut events = Events::new(rx);
    let out = events.finish(&ids, 60).await;
    assert_eq!(out[0].done().verified, Verification::Verified);
    assert!(
        !events
            .seen
            .iter()
            .any(|e| matches!(e, Event::JournalError(_))),
        "nothing was set aside"
    );
    let resent = env.stat(|s| &s.bytes_received) - before;
    assert!(
        resent <= (4 << 20) - 512 * 1024 + 256 * 1024,
        "continued from the server's offset (sent {resent})"
    );
    assert_eq!(
        env.stat(|s| &s.uploads_created),
        uploads_before,
        "the saved upload was continued, not created anew"
    );
    handle.shutdown().await;
    let (written, _) = journal_table(&env.path("data"));
    assert_eq!(written["schema_version"], 3, "written back as the log");
    assert!(
        !env.path("data/journal.json").exists(),
        "the old journal was migrated and removed"
    );
}
