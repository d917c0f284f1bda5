//! `wixup` killed with SIGKILL while the sandbox handles its finalize: `wixup resume` finishes
//! the file and the site lists exactly one, with the bytes sent.

use std::process::{Command, Stdio};
use std::time::Duration;

use axum::http::Method;
use wixup::sandbox::{FaultKind, Rule};

use super::support::{Env, get, random_file};

fn wixup(env: &Env) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wixup"));
    c.env("WIXUP_DATA_DIR", env.path("data"))
        .env("WIXUP_API_BASE", env.base().as_str())
        .env_remove("WIX_API_KEY")
        .env_remove("WIX_SITE_ID")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_finalize_then_resume_lists_exactly_one_file() {
    let env = Env::start().await;
    let file = random_file(env.dir.path(), "f.bin", 3 << 20);
    // The first finalize pauses after moving the bytes: the client dies right then.
    env.sandbox.faults.add(Rule::nth(
        Some(Method::PUT),
        "/upload/tus/",
        1,
        FaultKind::PauseMidway(Duration::from_secs(2)),
    ));
    let mut c = wixup(&env);
    c.args(["upload", "--json"])
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = c.spawn().expect("spawn");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while env.stat(|s| &s.finalize_requests) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the upload never reached finalize"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Well inside the pause: the bytes are moved, the file is not recorded yet.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(env.stat(|s| &s.files_created), 0, "still mid-way");
    child.kill().expect("kill -9");
    let _ = child.wait();
    // The sandbox completes that finalize on its own; resume comes after, as a user would.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while env.stat(|s| &s.files_created) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the interrupted finalize was never completed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let mut c = wixup(&env);
    c.args(["resume", "--json"]);
    let out = tokio::task::spawn_blocking(move || c.output().expect("runs"))
        .await
        .expect("join");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["status"], "done");
    assert_eq!(lines[0]["verified"], true);

    let wix = wixup::wix_media::WixMediaClient::new(
        env.base(),
        wixup::config::sandbox_credentials(),
        Default::default(),
    )
    .expect("client");
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
}
