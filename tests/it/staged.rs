//! Copies without location never pile up in `<data>/staged/`: a photo's copy goes when its job
//! is cancelled, removed or done (a failed one keeps it for its Retry), and at start every copy
//! no unfinished or retryable job needs is deleted;
//! an upload interrupted by a restart keeps its copy and ends with the stripped bytes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::http::Method;
use little_exif::filetype::FileExtension;
use wixup::engine::{
    self, Command, EngineConfig, Event, Job, JobId, JobOptions, JobState, Origin, StartMode,
    Verification,
};
use wixup::sandbox::{FaultKind, Rule};

use super::location::{gps, with_gps};
use super::support::{Env, Events, append_record, get, start_and_add_with, wait_until};

/// A JPEG of noise with GPS tags, large enough (about 1 MiB) that sending it takes a while.
fn big_gps_photo(dir: &Path, name: &str) -> PathBuf {
    let mut rng = fastrand::Rng::with_seed(name.len() as u64);
    let img = image::RgbImage::from_fn(1000, 800, |_, _| {
        image::Rgb([rng.u8(..), rng.u8(..), rng.u8(..)])
    });
    let mut buf = std::io::Cursor::new(Vec::new());
    img.write_to(&mut buf, image::ImageFormat::Jpeg)
        .expect("encode");
    let photo = with_gps(buf.get_ref(), dir, name, FileExtension::JPEG);
    let len = std::fs::metadata(&photo).expect("stat").len();
    assert!(
        len > 600_000,
        "the photo takes several chunks ({len} bytes)"
    );
    photo
}

/// The files in `<data>/staged/`.
fn staged(data: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(data.join("staged"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

async fn no_staged_copy_left(data: &Path, after: &str) {
    wait_until(
        "a staged copy was left behind",
        Duration::from_secs(10),
        || staged(data).is_empty(),
    )
    .await;
    assert!(staged(data).is_empty(), "{after}: {:?}", staged(data));
}

/// Waits until the server acknowledged `bytes` of `id`.
async fn mid_upload(events: &mut Events, id: JobId, bytes: u64) {
    events
        .wait_for(30, |e| {
            matches!(e, Event::Progress { id: i, acknowledged_bytes, .. }
                if *i == id && *acknowledged_bytes >= bytes)
        })
        .await;
}

/// Waits for `id` to end, verified, without its location, and served without GPS.
async fn ends_without_location(events: &mut Events, id: JobId) {
    let out = events.finish(&[id], 60).await;
    let r = out[0].done();
    assert_eq!(r.verified, Verification::Verified);
    assert!(r.location_removed);
    let (_, served) = get(r.url.as_deref().expect("url")).await;
    assert_eq!(gps(&served, FileExtension::JPEG), 0, "no GPS on the site");
}

/// The chunk size of [`Env::slow_engine_config`].
const CHUNK: u64 = 256 * 1024;

/// Tus in small chunks (so a photo's upload lasts).
fn config(env: &Env) -> EngineConfig {
    env.slow_engine_config("data")
}

/// Location removed, nothing found "already there".
const REMOVE: JobOptions = JobOptions {
    remove_location: true,
    skip_duplicates: false,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_or_removed_photo_leaves_no_staged_copy() {
    let env = Env::start().await;
    let data = env.path("data");
    let dir = env.dir.path();
    let photos = ["cancel.jpg", "remove.jpg"].map(|n| big_gps_photo(dir, n));
    env.slow_patches(150);
    let (handle, mut events, ids) =
        start_and_add_with(config(&env), vec![photos[0].clone()], REMOVE).await;

    // Mid-upload, from its copy: cancelled.
    mid_upload(&mut events, ids[0], CHUNK).await;
    assert_eq!(staged(&data).len(), 1, "sent from a staged copy");
    handle.send(Command::Cancel(ids[0]));
    events.wait_state(JobState::Cancelled).await;
    no_staged_copy_left(&data, "cancelled").await;

    // Mid-upload: removed from the queue.
    handle.send(Command::AddFiles {
        request: 2,
        paths: vec![photos[1].clone()],
        destination: Default::default(),
        options: REMOVE,
    });
    let (removed, _, _) = events.added().await;
    mid_upload(&mut events, removed[0], CHUNK).await;
    assert_eq!(staged(&data).len(), 1);
    handle.send(Command::Remove(removed[0]));
    events
        .wait_for(10, |e| matches!(e, Event::Removed(id) if *id == removed[0]))
        .await;
    no_staged_copy_left(&data, "removed").await;

    handle.shutdown().await;
}

/// A failed upload keeps its session, so it keeps its copy: a Retry after a restart continues
/// from the same bytes and ends without the location, as the file was queued. (Before, the copy
/// went with the failure and the Retry sent the original, which the server's upload did not
/// fit.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_upload_keeps_its_copy_and_its_retry_ends_without_location() {
    let env = Env::start().await;
    let data = env.path("data");
    let photo = big_gps_photo(env.dir.path(), "fail.jpg");
    // The server refuses the second PATCH for good: the upload fails with a session.
    let refuse = FaultKind::Status {
        status: 400,
        retry_after_secs: None,
    };
    let rule = Rule::nth(Some(Method::PATCH), "", 2, refuse).times(u64::MAX / 2);
    env.sandbox.faults.add(rule);
    let (handle, mut events, ids) = start_and_add_with(config(&env), vec![photo], REMOVE).await;
    events.finish(&ids, 30).await[0].failed();
    handle.shutdown().await;
    drop(events);
    assert_eq!(staged(&data).len(), 1, "kept for a Retry");

    env.sandbox.faults.clear();
    let mut cfg = config(&env);
    cfg.start = StartMode::Hold;
    let (handle, rx) = engine::start(cfg, None).expect("restart");
    assert_eq!(
        staged(&data).len(),
        1,
        "a failed upload's copy survives a start"
    );
    let mut events = Events::new(rx);
    handle.send(Command::Retry(ids[0]));
    ends_without_location(&mut events, ids[0]).await;
    handle.shutdown().await;
    no_staged_copy_left(&data, "done").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_start_copies_no_unfinished_job_needs_are_deleted() {
    let env = Env::start().await;
    let data = env.path("data");
    let photo = big_gps_photo(env.dir.path(), "done.jpg");
    let (handle, mut events, ids) = start_and_add_with(config(&env), vec![photo], REMOVE).await;
    assert!(events.finish(&ids, 30).await[0].done().location_removed);
    handle.shutdown().await;

    // Left behind by a process that died: a finished job's copy, one of a job the journal
    // never had, and a write cut short.
    let dir = data.join("staged");
    std::fs::create_dir_all(&dir).expect("mkdir");
    for name in [
        format!("#{}.jpg", ids[0].0),
        "#999.png".into(),
        ".#7.jpg.x1.tmp".into(),
    ] {
        std::fs::write(dir.join(name), b"left over").expect("write");
    }
    let (handle, _rx) = engine::start(config(&env), None).expect("restart");
    assert!(staged(&data).is_empty(), "{:?}", staged(&data));
    handle.shutdown().await;
}

/// An app quitting mid-upload: the copy without location stays while the upload is unfinished,
/// and the next start continues from the server's offset on the same bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_cut_by_a_restart_keeps_its_copy_and_ends_without_location() {
    let env = Env::start().await;
    let data = env.path("data");
    let photo = big_gps_photo(env.dir.path(), "resume.jpg");
    let size = std::fs::metadata(&photo).expect("stat").len();
    env.slow_patches(150);
    let mut cfg = config(&env);
    let (handle, mut events, ids) =
        start_and_add_with(cfg.clone(), vec![photo.clone()], REMOVE).await;
    mid_upload(&mut events, ids[0], 2 * CHUNK).await;
    handle.shutdown().await; // as an app quitting mid-upload
    drop(events);
    env.sandbox.faults.clear();
    // The PATCH cut short still lands its buffered bytes after its delay: counted before.
    env.sandbox_idle().await;
    let copy = staged(&data);
    assert_eq!(copy.len(), 1, "{copy:?}");
    let stripped = std::fs::read(&copy[0]).expect("read");

    // A start that leaves the unfinished job as it is keeps its copy.
    cfg.start = StartMode::Hold;
    let (handle, _rx) = engine::start(cfg.clone(), None).expect("start");
    assert_eq!(staged(&data), copy, "the unfinished upload's copy is kept");
    handle.shutdown().await;

    // It continues from the server's offset, on the same bytes.
    let before = env.stat(|s| &s.bytes_received);
    cfg.start = StartMode::Continue;
    let (handle, rx) = engine::start(cfg, None).expect("restart");
    let mut events = Events::new(rx);
    let out = events.finish(&ids, 60).await;
    let r = out[0].done();
    assert_eq!(
        r.verified,
        Verification::Verified,
        "the bytes sent are the copy"
    );
    assert!(r.location_removed);
    let resent = env.stat(|s| &s.bytes_received) - before;
    assert!(
        resent <= size - CHUNK,
        "continued from the server's offset (sent {resent} of {size})"
    );
    let (_, served) = get(r.url.as_deref().expect("url")).await;
    assert!(served == stripped, "the site has the copy without location");
    assert_eq!(gps(&served, FileExtension::JPEG), 0);
    handle.shutdown().await;
    no_staged_copy_left(&data, "done").await;
}

/// The choice stays with the file: an upload queued to keep its location goes on with it after a
/// restart (whatever the settings say then), from the server's offset, and the site serves the
/// original's bytes. Before, the engine's setting at the restart decided, and it started anew
/// without the location.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_queued_to_keep_its_location_keeps_it_through_a_restart() {
    let env = Env::start().await;
    let photo = big_gps_photo(env.dir.path(), "kept.jpg");
    let original = std::fs::read(&photo).expect("read");
    let size = original.len() as u64;
    env.slow_patches(150);
    let mut cfg = config(&env);
    let keep = JobOptions {
        remove_location: false,
        skip_duplicates: false,
    };
    let (handle, mut events, ids) = start_and_add_with(cfg.clone(), vec![photo], keep).await;
    mid_upload(&mut events, ids[0], 2 * CHUNK).await;
    handle.shutdown().await;
    drop(events);
    env.sandbox.faults.clear();
    assert!(
        staged(&env.path("data")).is_empty(),
        "sent from the original"
    );

    let before = env.stat(|s| &s.bytes_received);
    cfg.start = StartMode::Continue;
    let (handle, rx) = engine::start(cfg, None).expect("restart");
    let mut events = Events::new(rx);
    let out = events.finish(&ids, 60).await;
    let r = out[0].done();
    assert!(!r.location_removed);
    assert_eq!(r.verified, Verification::Verified);
    let (_, served) = get(r.url.as_deref().expect("url")).await;
    assert!(served == original, "the site serves the original bytes");
    let resent = env.stat(|s| &s.bytes_received) - before;
    assert!(
        resent <= size - CHUNK,
        "continued from the server's offset (sent {resent} of {size})"
    );
    assert_eq!(
        env.stat(|s| &s.uploads_created),
        1,
        "one upload, never restarted"
    );
    handle.shutdown().await;
}

/// A photo sent from its copy without location, made on the site and still processing when the
/// app quit: after the restart it is verified against the copy (the bytes sent) and said to be
/// without its location. Before, the restart compared the original's MD5 with the server's hash
/// of the copy (a mismatch) and said the location had stayed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_made_from_its_copy_is_verified_against_it_after_a_restart() {
    let env = Env::start_with(|c| c.processing_delay = Duration::from_secs(3)).await;
    let photo = big_gps_photo(env.dir.path(), "made.jpg");
    let (handle, mut events, ids) = start_and_add_with(config(&env), vec![photo], REMOVE).await;
    events.wait_state(JobState::Processing).await;
    handle.shutdown().await; // as an app quitting while Wix processes the file
    drop(events);
    assert_eq!(staged(&env.path("data")).len(), 1, "the copy stays");

    let (handle, rx) = engine::start(config(&env), None).expect("restart");
    let mut events = Events::new(rx);
    ends_without_location(&mut events, ids[0]).await;
    assert_eq!(
        env.stat(|s| &s.files_created),
        1,
        "polled, never sent again"
    );
    handle.shutdown().await;
    no_staged_copy_left(&env.path("data"), "done").await;
}

/// A file an interrupted `wixup upload --keep-location` left queued with nothing sent, added
/// again by a `wixup upload` that removes locations: the later command's choice is the one that
/// holds (nothing was sent the first way). Before, the held job kept its first choice, and the
/// photo went up with the location the second command asked to remove.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_file_added_again_before_anything_was_sent_takes_the_new_choices() {
    let env = Env::start().await;
    let data = env.path("data");
    let photo = big_gps_photo(env.dir.path(), "held.jpg");
    let mut cfg = config(&env);
    cfg.start = StartMode::Hold;
    let (handle, _rx) = engine::start(cfg.clone(), None).expect("start");
    handle.shutdown().await; // the journal exists
    let meta = std::fs::metadata(&photo).expect("stat");
    let keep = JobOptions {
        remove_location: false,
        skip_duplicates: false,
    };
    let mut held = Job::queued(
        JobId(1000),
        Origin::File,
        photo.clone(),
        "held.jpg".into(),
        "image/jpeg".into(),
        Default::default(),
        keep,
    );
    held.size_bytes = meta.len();
    held.mtime_unix_nanos = meta.modified().ok().and_then(wixup::clock::unix_nanos);
    append_record(&data, &serde_json::json!({ "job": held }));

    let (handle, mut events, ids) = start_and_add_with(cfg, vec![photo], REMOVE).await;
    assert_eq!(ids, [JobId(1000)], "the held job is picked up");
    ends_without_location(&mut events, ids[0]).await;
    handle.shutdown().await;
}
