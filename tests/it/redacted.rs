//! A location leaves as the bytes are read: no copy is made in `<data>/staged/`, an upload
//! interrupted by a restart (or failed and retried) continues from the server's offset on the same
//! bytes and ends without the location, a file made and still processing at a restart is verified
//! against the bytes sent, an upload an older version began with the location starts anew
//! without it, and copies older versions staged are swept at start once no job needs them.

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

/// The bytes the site must get for `photo`: the file with its location overwritten.
fn without_location(photo: &Path) -> Vec<u8> {
    let (_, redactions) = wixup::metadata::location_redactions(photo).expect("found");
    assert!(!redactions.is_empty(), "the photo has a location");
    let mut bytes = std::fs::read(photo).expect("read");
    redactions.apply(0, &mut bytes);
    bytes
}

/// A failed upload keeps its session: a Retry after a restart continues from the same bytes and
/// ends without the location, as the file was queued, with no copy made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_uploads_retry_after_a_restart_ends_without_location() {
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
    assert!(staged(&data).is_empty(), "no copy");

    env.sandbox.faults.clear();
    let mut cfg = config(&env);
    cfg.start = StartMode::Hold;
    let (handle, rx) = engine::start(cfg, None).expect("restart");
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

    // Left behind by an older version's process that died: a finished job's copy, one of a job
    // the journal never had, and a write cut short.
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

/// An app quitting mid-upload: the next start continues from the server's offset on the same
/// bytes (the location found and overwritten again), with no copy made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_cut_by_a_restart_continues_on_the_same_bytes_without_location() {
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
    assert!(staged(&data).is_empty(), "no copy");
    let stripped = without_location(&photo);

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
        "the bytes sent are the file without its location"
    );
    assert!(r.location_removed);
    let resent = env.stat(|s| &s.bytes_received) - before;
    assert!(
        resent <= size - CHUNK,
        "continued from the server's offset (sent {resent} of {size})"
    );
    let (_, served) = get(r.url.as_deref().expect("url")).await;
    assert!(
        served == stripped,
        "the site has the file without its location"
    );
    assert_eq!(served.len() as u64, size, "nothing moved");
    assert_eq!(env.stat(|s| &s.uploads_created), 1, "one upload, continued");
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

/// A photo sent without its location, made on the site and still processing when the app quit:
/// after the restart it is verified against the bytes sent (the overwrites found again) and said
/// to be without its location, not compared with the original (a mismatch).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_made_without_its_location_is_verified_against_the_bytes_sent_after_a_restart() {
    let env = Env::start_with(|c| c.processing_delay = Duration::from_secs(3)).await;
    let photo = big_gps_photo(env.dir.path(), "made.jpg");
    let (handle, mut events, ids) = start_and_add_with(config(&env), vec![photo], REMOVE).await;
    events.wait_state(JobState::Processing).await;
    handle.shutdown().await; // as an app quitting while Wix processes the file
    drop(events);

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

/// An upload an older version began from the original, with the location (a journal without
/// the job's choices reads as "remove location"): the bytes to send now differ from those the
/// server holds, so it starts anew without the location rather than continuing a mix of both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_begun_with_the_location_by_an_older_version_starts_anew_without_it() {
    let env = Env::start().await;
    let data = env.path("data");
    let photo = big_gps_photo(env.dir.path(), "older.jpg");
    env.slow_patches(150);
    let mut cfg = config(&env);
    let keep = JobOptions {
        remove_location: false,
        skip_duplicates: false,
    };
    let (handle, mut events, ids) =
        start_and_add_with(cfg.clone(), vec![photo.clone()], keep).await;
    mid_upload(&mut events, ids[0], 2 * CHUNK).await;
    handle.shutdown().await;
    drop(events);
    env.sandbox.faults.clear();
    env.sandbox_idle().await;
    // As an older version wrote it: no choices, no mark of what the session's bytes carry.
    let (_, jobs) = super::support::journal_table(&data);
    let mut job = jobs[0].clone();
    assert!(job["session"].is_object(), "an upload under way: {job}");
    job.as_object_mut().expect("job").remove("options");
    append_record(&data, &serde_json::json!({ "job": job }));

    cfg.start = StartMode::Continue;
    let (handle, rx) = engine::start(cfg, None).expect("restart");
    let mut events = Events::new(rx);
    let out = events.finish(&ids, 60).await;
    let r = out[0].done();
    assert_eq!(r.verified, Verification::Verified);
    assert!(r.location_removed);
    let (_, served) = get(r.url.as_deref().expect("url")).await;
    assert!(
        served == without_location(&photo),
        "the site has it without its location"
    );
    assert_eq!(env.stat(|s| &s.uploads_created), 2, "started anew");
    handle.shutdown().await;
}

/// A photo an older version sent with its location, made on the site and still processing when
/// the app quit; the new version's journal reads it as "remove location". The site holds the
/// original: it is verified against it and not said to be without its location. Before, the
/// result said "location removed" over a checksum mismatch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_an_older_version_made_with_its_location_is_not_said_to_be_without_it() {
    let env = Env::start_with(|c| c.processing_delay = Duration::from_secs(3)).await;
    let data = env.path("data");
    let photo = big_gps_photo(env.dir.path(), "older-made.jpg");
    let keep = JobOptions {
        remove_location: false,
        skip_duplicates: false,
    };
    let (handle, mut events, ids) = start_and_add_with(config(&env), vec![photo], keep).await;
    events.wait_state(JobState::Processing).await;
    handle.shutdown().await;
    drop(events);
    let (_, jobs) = super::support::journal_table(&data);
    let mut job = jobs[0].clone();
    assert!(job["file_id"].is_string(), "made: {job}");
    job.as_object_mut().expect("job").remove("options");
    append_record(&data, &serde_json::json!({ "job": job }));

    let (handle, rx) = engine::start(config(&env), None).expect("restart");
    let mut events = Events::new(rx);
    let out = events.finish(&ids, 60).await;
    let r = out[0].done();
    assert_eq!(r.verified, Verification::Verified, "against the original");
    assert!(!r.location_removed, "the site's copy has the location");
    let (_, served) = get(r.url.as_deref().expect("url")).await;
    assert!(gps(&served, FileExtension::JPEG) >= 4);
    handle.shutdown().await;
}
