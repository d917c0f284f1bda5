//! A `wixup upload` killed with SIGKILL while its one-PUT is open, then `wixup resume`: the file
//! the PUT made is found and adopted, never uploaded twice.

use std::process::Stdio;
use std::time::Duration;

use axum::http::Method;
use wixup::sandbox::{FaultKind, Rule};

use super::cli::{resume_one, wixup};
use super::support::{Env, each_profile, get, random_file, wait_until};

each_profile! {
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_put_then_resume_leaves_one_file(profile) {
    let env = Env::start_as(profile).await;
    // The file is made, and the answer never comes before the kill.
    env.sandbox.faults.add(Rule::nth(
        Some(Method::PUT),
        "/upload/eyJ",
        1,
        FaultKind::Stall(Duration::from_secs(30)),
    ));
    let file = random_file(env.dir.path(), "killed.bin", 3 << 20);
    let mut c = wixup(&env, "data");
    c.args(["upload", "--json"]).arg(&file).stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = c.spawn().expect("spawn");
    wait_until("the PUT made its file", Duration::from_secs(30), || {
        env.stat(|s| &s.files_created) == 1
    })
    .await;
    child.kill().expect("kill -9");
    let _ = child.wait();
    env.sandbox.faults.clear();

    let line = resume_one(&env).await;
    let (_, body) = get(line["url"].as_str().expect("url")).await;
    assert!(body == std::fs::read(&file).expect("read"), "byte-identical");
    assert_eq!(env.stat(|s| &s.files_created), 1, "exactly one file on the site");
    assert_eq!(env.stat(|s| &s.plain_puts), 1, "found, not sent again");
}
}
