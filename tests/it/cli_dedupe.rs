//! Dedupe and location removal as a user of the `wixup` binary sees them: the same photo sent
//! twice is found on the site the second time (nothing sent, the same id and URL), unless
//! `--no-dedupe`; a photo with GPS reaches the site without it, unless `--keep-location`.

use std::path::Path;

use little_exif::filetype::FileExtension;

use super::cli::{json_lines, run, wixup};
use super::location::{gps, orientation, with_gps};
use super::support::{Env, exits_with, get, oriented_jpeg, random_file};

/// `wixup upload --json [extra…] FILE` on the data dir `data`, which must exit 0 with one line.
async fn upload_one(env: &Env, file: &Path, extra: &[&str]) -> serde_json::Value {
    let mut c = wixup(env, "data");
    c.args(["upload", "--json"]).args(extra).arg(file);
    let out = run(c).await;
    exits_with(&out, 0);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["status"], "done", "{}", lines[0]);
    lines[0].clone()
}

/// What the sandbox received so far: bytes, upload URLs asked for, files made.
fn counters(env: &Env) -> (u64, u64, u64) {
    (
        env.stat(|s| &s.bytes_received),
        env.stat(|s| &s.uploads_created),
        env.stat(|s| &s.files_created),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_photo_twice_is_found_on_the_site_unless_no_dedupe() {
    let env = Env::start().await;
    let photo = random_file(env.dir.path(), "photo.bin", 700_000);
    let first = upload_one(&env, &photo, &[]).await;
    assert!(first.get("already_uploaded").is_none(), "{first}");
    let after_first = counters(&env);
    assert!(
        after_first.0 >= 700_000 && after_first.2 == 1,
        "{after_first:?}"
    );

    // The same file, the same data dir: found, nothing asked for or sent.
    let again = upload_one(&env, &photo, &[]).await;
    assert_eq!(again["already_uploaded"], true, "{again}");
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["url"], first["url"]);
    assert_eq!(counters(&env), after_first, "nothing sent the second time");

    // --no-dedupe: sent again, as a new file.
    let forced = upload_one(&env, &photo, &["--no-dedupe"]).await;
    assert!(forced.get("already_uploaded").is_none(), "{forced}");
    assert_ne!(forced["id"], first["id"]);
    let after = counters(&env);
    assert!(after.0 >= after_first.0 + 700_000, "{after:?}");
    assert_eq!(after.2, after_first.2 + 1, "{after:?}");
    let (_, served) = get(forced["url"].as_str().expect("url")).await;
    assert!(
        served == std::fs::read(&photo).expect("read"),
        "the bytes sent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_with_gps_is_served_without_it_unless_keep_location() {
    let env = Env::start().await;
    let plain = env.path("plain.jpg");
    oriented_jpeg(&plain, 96, 64, 6);
    let src = std::fs::read(&plain).expect("read");
    let photo = with_gps(&src, env.dir.path(), "paris.jpg", FileExtension::JPEG);
    let on_disk = std::fs::read(&photo).expect("read");
    assert_eq!(orientation(&on_disk), Some(vec![6]));

    let stripped = upload_one(&env, &photo, &[]).await;
    assert_eq!(stripped["verified"], true, "{stripped}");
    let (status, served) = get(stripped["url"].as_str().expect("url")).await;
    assert_eq!(status, 200);
    assert_eq!(gps(&served, FileExtension::JPEG), 0, "no GPS on the site");
    assert_eq!(orientation(&served), Some(vec![6]), "still upright");
    assert!(std::fs::read(&photo).expect("read") == on_disk, "untouched");

    // --keep-location: byte-identical. With dedupe on: the copy on the site lacks the location
    // asked for, so it is no match (it was, before: `already_uploaded` with the stripped copy).
    let kept = upload_one(&env, &photo, &["--keep-location"]).await;
    assert_eq!(kept["verified"], true, "{kept}");
    assert!(kept.get("already_uploaded").is_none(), "{kept}");
    assert_ne!(kept["id"], stripped["id"]);
    let (_, served) = get(kept["url"].as_str().expect("url")).await;
    assert!(served == on_disk, "sent as it is");
    assert!(gps(&served, FileExtension::JPEG) >= 4);
}
