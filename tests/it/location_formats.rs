//! Issue 21's must-show, as a new user meets it: nine files as phones, cameras and editors make
//! them, each with a location, sent with `wixup upload --json` and the defaults to the sandbox.
//! Every one finishes, and exiftool finds no location in the bytes served at its URL, while
//! every other tag and the pixels (a video's frames) are unchanged. With `--keep-location` the
//! same nine are served byte for byte.

use std::path::Path;

use super::cli::{json_lines, run, wixup};
use super::support::real_files::{
    Made, decoded, location_tags, nine, other_tags, tags, tools_here,
};
use super::support::{Env, exits_with, get};

/// The bytes served at `url`, written beside the original (same name, so exiftool and the
/// decoders see what a person who downloads it sees).
async fn served(env: &Env, made: &Made, url: &str, tag: &str) -> std::path::PathBuf {
    let (status, bytes) = get(url).await;
    assert_eq!(status, 200, "{}: {url}", made.label);
    let name = made.path.file_name().expect("name");
    let dir = env.path(tag);
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

fn upload_all(env: &Env, files: &[Made], data: &str, extra: &[&str]) -> std::process::Command {
    let mut c = wixup(env, data);
    c.args(["upload", "--json"]).args(extra);
    for f in files {
        c.arg(&f.path);
    }
    c
}

/// The `--json` line of `path`.
fn line_of<'a>(lines: &'a [serde_json::Value], path: &Path) -> &'a serde_json::Value {
    let canonical = std::fs::canonicalize(path).expect("canonical");
    lines
        .iter()
        .find(|l| l["path"].as_str().map(Path::new) == Some(canonical.as_path()))
        .unwrap_or_else(|| panic!("no line for {}: {lines:?}", path.display()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nine_real_files_reach_the_site_without_their_location_and_otherwise_unchanged() {
    if !tools_here() {
        return;
    }
    let env = Env::start().await;
    let files = nine(env.dir.path());
    let out = run(upload_all(&env, &files, "data", &[])).await;
    exits_with(&out, 0);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), files.len(), "{lines:?}");
    for f in &files {
        let line = line_of(&lines, &f.path);
        assert_eq!(line["status"], "done", "{}: {line}", f.label);
        assert_eq!(line["verified"], true, "{}: {line}", f.label);
        assert_eq!(line["locationRemoved"], true, "{}: {line}", f.label);
        let url = line["url"].as_str().expect("url");
        let got = served(&env, f, url, "served").await;
        let (before, after) = (tags(&f.path), tags(&got));
        assert_eq!(
            location_tags(&after),
            Vec::<String>::new(),
            "{}: exiftool finds a location in the bytes served",
            f.label
        );
        assert_eq!(
            other_tags(&after),
            other_tags(&before),
            "{}: every other tag is as it was",
            f.label
        );
        assert_eq!(
            std::fs::metadata(&got).expect("served").len(),
            std::fs::metadata(&f.path).expect("original").len(),
            "{}: the same size (nothing moved)",
            f.label
        );
        assert!(
            decoded(&got, f.video) == decoded(&f.path, f.video),
            "{}: the same pixels",
            f.label
        );
    }
    // The files on disk keep their location.
    for f in &files {
        assert!(!location_tags(&tags(&f.path)).is_empty(), "{}", f.label);
    }
    // Nothing was copied: the location left as the bytes were read.
    let staged = env.path("data").join("staged");
    assert!(
        !staged.exists() || std::fs::read_dir(&staged).expect("dir").next().is_none(),
        "no staged copy"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_keep_location_the_nine_are_served_byte_for_byte() {
    if !tools_here() {
        return;
    }
    let env = Env::start().await;
    let files = nine(env.dir.path());
    let out = run(upload_all(&env, &files, "data", &["--keep-location"])).await;
    exits_with(&out, 0);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), files.len(), "{lines:?}");
    for f in &files {
        let line = line_of(&lines, &f.path);
        assert_eq!(line["status"], "done", "{}: {line}", f.label);
        assert_eq!(line["locationRemoved"], false, "{}: {line}", f.label);
        let (_, bytes) = get(line["url"].as_str().expect("url")).await;
        assert!(
            bytes == std::fs::read(&f.path).expect("read"),
            "{}: served byte for byte",
            f.label
        );
    }
}
