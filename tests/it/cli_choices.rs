//! What `wixup upload` was asked stays with each file: `wixup resume` finishes it the same way.
//! (Before, `resume` hard-coded "remove location" and "skip duplicates": a photo queued with
//! `--keep-location` and interrupted started over from zero and reached the site without the
//! location it was asked to keep.)

use std::io::Write as _;
use std::process::Stdio;
use std::time::Duration;

use little_exif::filetype::FileExtension;

use super::cli::{json_lines, run, wixup};
use super::location::{gps, with_gps};
use super::support::{Env, exits_with, get, oriented_jpeg, wait_until};

/// A 15 MB photo with GPS: a real JPEG with its location, then bytes a decoder never reads
/// (after its end marker), as the field benchmark pads its photos.
fn big_photo_with_gps(env: &Env) -> std::path::PathBuf {
    let plain = env.path("plain.jpg");
    oriented_jpeg(&plain, 640, 480, 1);
    let src = std::fs::read(&plain).expect("read");
    let photo = with_gps(&src, env.dir.path(), "IMG_0042.jpg", FileExtension::JPEG);
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&photo)
        .expect("open");
    let pad: Vec<u8> = (0..15_000_000 - src.len())
        .map(|_| fastrand::u8(..))
        .collect();
    f.write_all(&pad).expect("pad");
    photo
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_location_survives_kill_9_and_resume_with_at_most_one_chunk_again() {
    let env = Env::start().await;
    let photo = big_photo_with_gps(&env);
    let original = std::fs::read(&photo).expect("read");
    let size = original.len() as u64;
    let chunk: u64 = 1 << 20;
    // A slow link: every PATCH takes a while, so the kill lands mid-upload.
    env.slow_patches(80);
    let mut c = wixup(&env, "data");
    c.args([
        "upload",
        "--json",
        "--keep-location",
        "--chunk-size",
        "1MiB",
    ])
    .arg(&photo)
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    let mut child = c.spawn().expect("spawn");
    wait_until("40 % of the photo sent", Duration::from_secs(60), || {
        env.stat(|s| &s.bytes_received) >= size * 2 / 5
    })
    .await;
    child.kill().expect("kill -9");
    let _ = child.wait();
    let before = env.stat(|s| &s.bytes_received);
    assert!(before < size, "killed mid-upload ({before} of {size})");
    env.sandbox.faults.clear();

    let mut c = wixup(&env, "data");
    c.args(["resume", "--json"]);
    let out = run(c).await;
    exits_with(&out, 0);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["verified"], true);
    assert_eq!(lines[0]["location_removed"], false, "{}", lines[0]);
    let (_, served) = get(lines[0]["url"].as_str().expect("url")).await;
    assert!(served == original, "the site serves the original bytes");
    assert!(
        gps(&served, FileExtension::JPEG) >= 4,
        "with the location kept"
    );
    let total = env.stat(|s| &s.bytes_received);
    assert!(
        total <= size + chunk,
        "continued from the server's offset: received {total} for {size}"
    );
    assert_eq!(env.stat(|s| &s.uploads_created), 1, "never started over");
    assert_eq!(env.stat(|s| &s.files_created), 1);
}
