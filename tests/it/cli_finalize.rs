//! `wixup` killed with SIGKILL while the sandbox handles its finalize: `wixup resume` finishes
//! the file and the site lists exactly one, with the bytes sent.

use std::process::Stdio;
use std::time::Duration;

use axum::http::Method;
use wixup::sandbox::{FaultKind, Rule};

use super::cli::{json_lines, run, wixup};
use super::support::{Env, each_profile, exits_with, get, random_file, wait_until};

each_profile! {
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_finalize_then_resume_lists_exactly_one_file(profile) {
    let env = Env::start_as(profile).await;
    // Above the one-PUT threshold (10 MB): resumable, with a finalize.
    let file = random_file(env.dir.path(), "f.bin", 11 << 20);
    // The first finalize pauses after moving the bytes: the client dies right then.
    env.sandbox.faults.add(Rule::nth(
        Some(Method::PUT),
        "/upload/tus/",
        1,
        FaultKind::PauseMidway(Duration::from_secs(2)),
    ));
    let mut c = wixup(&env, "data");
    c.args(["upload", "--json"])
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = c.spawn().expect("spawn");
    // In the pause: the bytes are moved, the file is not recorded yet.
    wait_until(
        "the upload never reached the middle of its finalize",
        Duration::from_secs(60),
        || env.stat(|s| &s.paused_midway) > 0,
    )
    .await;
    assert_eq!(env.stat(|s| &s.files_created), 0, "still mid-way");
    child.kill().expect("kill -9");
    let _ = child.wait();
    // The sandbox completes that finalize on its own; resume comes after, as a user would.
    wait_until(
        "the interrupted finalize was never completed",
        Duration::from_secs(20),
        || env.stat(|s| &s.files_created) > 0,
    )
    .await;

    let mut c = wixup(&env, "data");
    c.args(["resume", "--json"]);
    let out = run(c).await;
    exits_with(&out, 0);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["status"], "done");
    assert_eq!(lines[0]["verified"], true);

    let wix = env.wix_client(Default::default());
    let site = wix.list_files(None, None, 100).await.expect("list");
    assert_eq!(site.items.len(), 1, "the site lists exactly one file");
    assert_eq!(site.items[0].id, lines[0]["id"].as_str().expect("id"));
    let url = site.items[0].url.clone().expect("url");
    let (status, served) = get(&url).await;
    assert_eq!(status, 200);
    assert!(
        served == std::fs::read(&file).expect("read"),
        "served bytes are identical"
    );
    assert_eq!(env.stat(|s| &s.files_created), 1);
    // Wix's token is one-time: the repeat was refused and the file found, not made again.
    let refused = u64::from(profile == wixup::sandbox::Profile::Wix);
    assert_eq!(env.stat(|s| &s.finalize_refused), refused);
}
}
