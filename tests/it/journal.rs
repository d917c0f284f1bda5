//! The journal grows with the changes, not with the queue: what adding and finishing files costs
//! in bytes, an engine that goes on while the disk is slow (its actor never waits for the
//! writer), the upload URL on disk before the first byte, and a torn last line after a crash.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use wixup::engine::journal::{Change, Journal};
use wixup::engine::{
    self, Command, Destination, Event, Job, JobId, JobResult, JobState, Origin, Session, StartMode,
    Verification,
};

use super::support::{
    Env, Events, append_record, journal_path, journal_table, random_file, start_and_add, wait_until,
};

/// Adds `n` small files to a fresh engine, waits until all are done, and returns the journal
/// bytes its writer wrote (shutdown included: everything is on disk then).
async fn journal_bytes_for(env: &Env, n: usize) -> u64 {
    let dir = env.path(&format!("in-{n}"));
    let files: Vec<_> = (0..n)
        .map(|i| random_file(&dir, &format!("f{i:04}.bin"), 2000))
        .collect();
    let mut cfg = env.engine_config(&format!("data-{n}"));
    cfg.parallel = wixup::engine::Parallelism::Fixed(8);
    let written = cfg.journal_bytes_written.clone();
    let (handle, mut events, ids) = start_and_add(cfg, files).await;
    assert_eq!(ids.len(), n);
    for outcome in events.finish(&ids, 240).await {
        outcome.done();
    }
    handle.shutdown().await;
    let (_, jobs) = journal_table(&env.path(&format!("data-{n}")));
    assert_eq!(jobs.len(), n, "every job is in the log");
    assert!(jobs.iter().all(|j| j["state"] == "done"));
    written.load(Ordering::SeqCst)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_and_finishing_files_costs_journal_bytes_in_proportion_to_the_files() {
    let env = Env::start().await;
    let small = journal_bytes_for(&env, 30).await;
    let large = journal_bytes_for(&env, 300).await;
    eprintln!(
        "journal bytes: 30 files {small} ({} per file), 300 files {large} ({} per file)",
        small / 30,
        large / 300
    );
    assert!(small > 0, "the writer counted what it wrote");
    // Each change appends one record; compaction (at twice the live size) at most doubles that,
    // whatever the queue's length. Rewriting the whole table at each save made it quadratic.
    assert!(
        large <= 2 * 10 * small,
        "10x the files cost {:.1}x the journal bytes ({small} -> {large})",
        large as f64 / small as f64
    );
}

/// A job as the engine has it at each step: queued, sending (with its upload URL and a token as
/// long as Wix's), done.
fn job(id: u64, state: JobState) -> Job {
    let sending = matches!(state, JobState::Uploading);
    Job {
        id: JobId(id),
        origin: Origin::File,
        path: format!("/home/someone/Pictures/2026/IMG_{id:05}.jpg").into(),
        name: format!("IMG_{id:05}.jpg"),
        mime_type: "image/jpeg".into(),
        size_bytes: 2_500_000,
        mtime_unix_nanos: Some(1_796_167_841_494_890_633),
        identity: None,
        destination: Destination::default(),
        options: Default::default(),
        state,
        session: sending.then(|| {
            Box::new(Session {
                endpoint: "https://upload.wixmp.com/upload/tus".parse().expect("url"),
                upload_token: "t".repeat(3200),
                upload_url: format!("https://upload.wixmp.com/upload/tus/{id:032x}")
                    .parse()
                    .expect("url"),
                expires_unix: Some(1_796_772_641),
                created_unix: Some(1_796_167_841),
                redacted: None,
            })
        }),
        plain: None,
        file_id: (state == JobState::Done).then(|| format!("abc_{id:032x}~mv2.jpg")),
        acknowledged_bytes: if state == JobState::Done {
            2_500_000
        } else {
            0
        },
        result: (state == JobState::Done).then(|| {
            Box::new(JobResult {
                file_id: format!("abc_{id:032x}~mv2.jpg"),
                url: Some(format!(
                    "https://static.wixstatic.com/media/abc_{id:032x}~mv2.jpg"
                )),
                thumbnail_url: None,
                display_name: Some(format!("IMG_{id:05}.jpg")),
                size_bytes: Some(2_500_000),
                hash: Some("0123456789abcdef0123456789abcdef".into()),
                local_md5: Some("0123456789abcdef0123456789abcdef".into()),
                verified: Verification::Verified,
                media_type: Some("IMAGE".into()),
                image_size: Some((4000, 3000)),
                origin: Default::default(),
                source_md5: None,
                already: None,
                location_removed: false,
            })
        }),
        error: None,
        added_unix: 1_796_167_841,
    }
}

/// The journal's own bytes for `n` files added at once, then each sent and finished in turn,
/// written in batches as the engine's writer does; the table replays as it was.
fn journal_bytes_through_the_api(n: u64) -> u64 {
    let dir = tempfile::tempdir().expect("dir");
    let (mut journal, _) = Journal::open(dir.path()).expect("open");
    let queued: Vec<Change> = (1..=n)
        .map(|id| Change::Put(Box::new(job(id, JobState::Queued))))
        .collect();
    journal.write(&queued, n + 1).expect("add");
    for batch in (1..=n).collect::<Vec<_>>().chunks(8) {
        let sending: Vec<Change> = batch
            .iter()
            .map(|&id| Change::Put(Box::new(job(id, JobState::Uploading))))
            .collect();
        journal.write(&sending, n + 1).expect("sending");
        let done: Vec<Change> = batch
            .iter()
            .map(|&id| Change::Put(Box::new(job(id, JobState::Done))))
            .collect();
        journal.write(&done, n + 1).expect("done");
    }
    let written = journal.bytes_written();
    drop(journal);
    let (_journal, loaded) = Journal::open(dir.path()).expect("reopen");
    assert_eq!(loaded.jobs.len() as u64, n);
    assert!(
        loaded
            .jobs
            .iter()
            .all(|j| *j == job(j.id.0, JobState::Done))
    );
    assert!(loaded.set_aside.is_none());
    written
}

#[test]
fn ten_thousand_jobs_cost_per_job_what_a_thousand_do_compaction_at_most_doubling_it() {
    let small = journal_bytes_through_the_api(1_000);
    let large = journal_bytes_through_the_api(10_000);
    eprintln!(
        "journal API: 1,000 jobs {small} bytes ({} per job), 10,000 jobs {large} ({} per job)",
        small / 1_000,
        large / 10_000
    );
    // O(1) per change: appends, plus compactions that rewrite the live jobs once the log is
    // twice their size, so at most as much again.
    assert!(
        large <= 2 * 10 * small,
        "10x the jobs cost {:.1}x the bytes ({small} -> {large})",
        large as f64 / small as f64
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_and_cancel_are_handled_while_the_disk_is_slow() {
    let env = Env::start().await;
    let a = random_file(env.dir.path(), "a.bin", 4 << 20);
    let b = random_file(env.dir.path(), "b.bin", 4 << 20);
    env.slow_patches(50);
    let mut cfg = env.slow_engine_config("data");
    cfg.parallel = wixup::engine::Parallelism::Fixed(2);
    // Every journal write takes 3 s, as on a disk that stalls.
    cfg.journal_write_delay = Duration::from_secs(3);
    let (handle, mut events, ids) = start_and_add(cfg, vec![a, b]).await;
    assert_eq!(ids.len(), 2);
    for _ in 0..2 {
        events.wait_state(JobState::Uploading).await;
    }
    // Both uploads are created on the site: each worker now waits for its upload URL to be on
    // disk before its first byte, behind a writer that takes 3 s a batch.
    wait_until("the two uploads created", Duration::from_secs(10), || {
        env.stat(|s| &s.uploads_created) == 2
    })
    .await;
    assert_eq!(env.stat(|s| &s.patch_requests), 0, "the writer is stalled");
    let asked = Instant::now();
    handle.send(Command::Pause(ids[0]));
    handle.send(Command::Cancel(ids[1]));
    for (id, state) in [(ids[0], JobState::Paused), (ids[1], JobState::Cancelled)] {
        events
            .wait_for(
                10,
                |e| matches!(e, Event::StateChanged { id: i, state: s } if *i == id && *s == state),
            )
            .await;
    }
    let took = asked.elapsed();
    assert!(
        took < Duration::from_millis(1500),
        "Pause and Cancel waited for the disk: {took:?}"
    );
    // Shutdown still ends only once everything is on disk.
    handle.shutdown().await;
    let (_, jobs) = journal_table(&env.path("data"));
    let states: Vec<_> = jobs.iter().map(|j| j["state"].clone()).collect();
    assert_eq!(states, ["paused", "cancelled"], "{jobs:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_upload_url_is_on_disk_before_the_first_byte_is_sent() {
    let env = Env::start().await;
    let file = random_file(env.dir.path(), "f.bin", 2 << 20);
    env.slow_patches(50);
    let mut cfg = env.slow_engine_config("data");
    cfg.journal_write_delay = Duration::from_millis(700);
    let (handle, mut events, ids) = start_and_add(cfg, vec![file]).await;
    wait_until("no PATCH was sent", Duration::from_secs(30), || {
        env.stat(|s| &s.patch_requests) > 0
    })
    .await;
    // A PATCH went out: the record with its upload URL was written (and fsynced) before it.
    let (_, jobs) = journal_table(&env.path("data"));
    assert!(
        jobs[0]["session"]["upload_url"].is_string(),
        "the first byte went out before its upload URL was on disk: {jobs:#?}"
    );
    events.finish(&ids, 60).await[0].done();
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torn_last_line_is_dropped_and_the_upload_continues() {
    let env = Env::start().await;
    let file = random_file(env.dir.path(), "slow.bin", 4 << 20);
    env.slow_patches(60);
    let mut cfg = env.slow_engine_config("data");
    let (handle, mut events, ids) = start_and_add(cfg.clone(), vec![file]).await;
    events.wait_acknowledged(512 * 1024).await;
    handle.shutdown().await;
    drop(events);
    // As a kill -9 in the middle of a write leaves it: half a record, no newline.
    let data = env.path("data");
    {
        use std::io::Write as _;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(journal_path(&data))
            .expect("open");
        f.write_all(br#"{"job":{"id":1,"origin":{"kind":"file"},"path":"/tmp/sl"#)
            .expect("tear");
    }
    env.sandbox.faults.clear();
    let uploads_before = env.stat(|s| &s.uploads_created);
    cfg.start = StartMode::Continue;
    let (handle, rx) = engine::start(cfg, None).expect("restart");
    let jobs = handle.snapshot().await;
    assert_eq!(jobs.len(), 1);
    assert!(jobs[0].session.is_some(), "the record before the torn one");
    let mut events = Events::new(rx);
    events.finish(&ids, 60).await[0].done();
    assert!(
        !events
            .seen
            .iter()
            .any(|e| matches!(e, Event::JournalError(_))),
        "a torn line is no error to tell: {:?}",
        events.seen
    );
    assert_eq!(
        env.stat(|s| &s.uploads_created),
        uploads_before,
        "continued"
    );
    handle.shutdown().await;
    let text = std::fs::read_to_string(journal_path(&data)).expect("log");
    assert!(text.ends_with('\n'), "the torn line is gone");
    assert!(!text.contains(r#""path":"/tmp/sl"#), "{text}");
    let (_, jobs) = journal_table(&data);
    assert_eq!(jobs[0]["state"], "done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_record_is_kept_aside_and_the_others_load() {
    let env = Env::start().await;
    let a = random_file(env.dir.path(), "a.bin", 3000);
    let b = random_file(env.dir.path(), "b.bin", 3000);
    let cfg = env.engine_config("data");
    let (handle, mut events, ids) = start_and_add(cfg.clone(), vec![a, b]).await;
    events.finish(&ids, 30).await;
    handle.shutdown().await;
    drop(events);
    let data = env.path("data");
    let (_, mut jobs) = journal_table(&data);
    jobs[1]["state"] = "teleporting".into();
    append_record(&data, &serde_json::json!({ "job": jobs[1] }));
    let (handle, mut rx) = engine::start(cfg, None).expect("restart");
    let jobs = handle.snapshot().await;
    assert_eq!(jobs.iter().map(|j| j.id).collect::<Vec<_>>(), [ids[0]]);
    match rx.recv().await {
        Some(Event::JournalError(m)) => assert!(
            m.contains("1 journal entry could not be read") && m.contains("journal.entries-"),
            "{m}"
        ),
        other => panic!("expected the set-aside notice, got {other:?}"),
    }
    handle.shutdown().await;
}
