//! Already on the site: a file whose size, name and MD5 match a finished upload to the same
//! site (in the history), still there, is not sent again; anything else uploads.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Duration;

use wixup::engine::{self, Command, EngineConfig, JobState};

use super::support::{
    Env, Events, append_record, journal_table, random_file, start_and_add, start_and_add_with,
    wait_until,
};

/// The history has `n` lines (appended off the actor after a file is done).
async fn history_lines(data: &Path, n: usize) {
    let file = data.join("history.jsonl");
    wait_until(
        &format!("{n} lines in {}", file.display()),
        Duration::from_secs(4),
        || std::fs::read_to_string(&file).map_or(0, |t| t.lines().count()) >= n,
    )
    .await;
}

/// Starts an engine on `cfg`, adds `path`, waits for it to finish, shuts down.
async fn run_once(cfg: EngineConfig, path: &Path) -> engine::JobResult {
    let (handle, mut events, ids) = start_and_add(cfg, vec![path.to_path_buf()]).await;
    let out = events.finish(&ids, 30).await;
    handle.shutdown().await;
    out[0].done().clone()
}

pub(super) async fn delete_on_site(env: &Env, file_id: &str) {
    let status = reqwest::Client::new()
        .post(env.base().join("/site-media/v1/bulk/files/delete").unwrap())
        .header("Authorization", wixup::sandbox::DEFAULT_API_KEY)
        .header("wix-site-id", wixup::sandbox::DEFAULT_SITE_ID)
        .json(&serde_json::json!({ "fileIds": [file_id], "permanent": true }))
        .send()
        .await
        .expect("delete")
        .status();
    assert!(status.is_success(), "bulk delete: {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_file_after_a_restart_is_not_sent_again_until_deleted_on_the_site() {
    let env = Env::start().await;
    let photo = random_file(env.dir.path(), "photo.bin", 300_000);
    let resumable = random_file(env.dir.path(), "big.bin", 200_000);
    let data = env.path("data");
    let cfg = env.engine_config("data");
    let tus = env.tus_engine_config("data");

    let first = run_once(cfg.clone(), &photo).await;
    assert!(first.already.is_none());
    let first_big = run_once(tus.clone(), &resumable).await;
    history_lines(&data, 2).await;

    // Restart; the same files again: nothing is asked for or sent.
    let counters = |e: &Env| {
        (
            e.stat(|s| &s.bytes_received),
            e.stat(|s| &s.uploads_created),
            e.stat(|s| &s.plain_puts),
            e.stat(|s| &s.files_created),
            e.stat(|s| &s.patch_requests),
        )
    };
    let before = counters(&env);
    let again = run_once(cfg.clone(), &photo).await;
    let again_big = run_once(tus.clone(), &resumable).await;
    assert_eq!(counters(&env), before, "no upload URL, tus or PUT request");
    assert_eq!(again.url, first.url);
    assert_eq!(again.file_id, first.file_id);
    assert!(again.already.is_some_and(|a| a.uploaded_unix > 0));
    assert_eq!(again_big.file_id, first_big.file_id);
    assert!(again_big.already.is_some());

    // Deleted on the site: it uploads again, as a new file.
    delete_on_site(&env, &first.file_id).await;
    let fresh = run_once(cfg.clone(), &photo).await;
    assert!(fresh.already.is_none(), "gone from the site: uploaded");
    assert_ne!(fresh.file_id, first.file_id);
    assert_eq!(env.stat(|s| &s.files_created), before.3 + 1);

    // Queued not to skip duplicates: it uploads even though it is there.
    let send_anyway = engine::JobOptions {
        skip_duplicates: false,
        ..Default::default()
    };
    let (handle, mut events, ids) =
        start_and_add_with(tus, vec![resumable.clone()], send_anyway).await;
    let forced = events.finish(&ids, 30).await[0].done().clone();
    handle.shutdown().await;
    assert!(forced.already.is_none());
    assert_ne!(forced.file_id, first_big.file_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_size_and_name_with_other_bytes_uploads_and_other_files_are_not_hashed() {
    let env = Env::start().await;
    let dir = env.dir.path();
    let photo = random_file(dir, "photo.bin", 50_000);
    let data = env.path("data");
    let cfg = env.engine_config("data");
    let first = run_once(cfg.clone(), &photo).await;
    history_lines(&data, 1).await;

    // Same name and size, other bytes: hashed, no match, uploaded.
    let other_dir = dir.join("other");
    std::fs::create_dir_all(&other_dir).unwrap();
    let changed = other_dir.join("photo.bin");
    let mut bytes = std::fs::read(&photo).unwrap();
    bytes[25_000] ^= 0xff;
    std::fs::write(&changed, bytes).unwrap();
    let hashed = cfg.dedupe_hashed.clone();
    let r = run_once(cfg.clone(), &changed).await;
    assert!(r.already.is_none());
    assert_ne!(r.file_id, first.file_id);
    assert_eq!(
        hashed.load(Ordering::SeqCst),
        1,
        "the look-alike was hashed"
    );

    // Another size, or another name with the same bytes: not hashed, sent at once.
    let unrelated = random_file(dir, "unrelated.bin", 50_001);
    let renamed = dir.join("renamed.bin");
    std::fs::copy(&photo, &renamed).unwrap();
    let (handle, rx) = engine::start(cfg.clone(), None).expect("engine");
    let mut events = Events::new(rx);
    handle.send(Command::AddFiles {
        request: 1,
        paths: vec![unrelated, renamed],
        destination: Default::default(),
        options: Default::default(),
    });
    let (ids, _, _) = events.added().await;
    let out = events.finish(&ids, 30).await;
    assert!(out.iter().all(|o| o.done().already.is_none()));
    assert_eq!(hashed.load(Ordering::SeqCst), 1, "no other file was hashed");
    let jobs = handle.snapshot().await;
    assert!(jobs.iter().all(|j| j.state == JobState::Done));
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_file_restored_from_the_journal_is_looked_for_before_it_uploads() {
    let env = Env::start().await;
    let photo = random_file(env.dir.path(), "photo.bin", 300_000);
    let data = env.path("data");
    let cfg = env.engine_config("data");
    let first = run_once(cfg.clone(), &photo).await;
    history_lines(&data, 1).await;

    // The same file queued again, then the app quit while it was being hashed: the journal has
    // it queued, nothing sent.
    let (_, jobs) = journal_table(&data);
    let mut queued = jobs[0].clone();
    for key in ["result", "file_id", "session", "plain", "error"] {
        queued[key] = serde_json::Value::Null;
    }
    queued["id"] = 2.into();
    queued["state"] = "queued".into();
    queued["acknowledged_bytes"] = 0.into();
    append_record(&data, &serde_json::json!({ "removed": 1 }));
    append_record(&data, &serde_json::json!({ "job": queued }));

    let before = (
        env.stat(|s| &s.bytes_received),
        env.stat(|s| &s.uploads_created),
        env.stat(|s| &s.plain_puts),
        env.stat(|s| &s.files_created),
    );
    let (handle, rx) = engine::start(cfg, None).expect("restart");
    let mut events = Events::new(rx);
    let out = events.finish(&[engine::JobId(2)], 30).await;
    let r = out[0].done();
    assert!(r.already.is_some(), "found on the site, not sent again");
    assert_eq!(r.file_id, first.file_id);
    let after = (
        env.stat(|s| &s.bytes_received),
        env.stat(|s| &s.uploads_created),
        env.stat(|s| &s.plain_puts),
        env.stat(|s| &s.files_created),
    );
    assert_eq!(after, before, "nothing asked for or sent");
    handle.shutdown().await;
}
