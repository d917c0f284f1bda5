//! The sandbox under hostile or careless clients: lock entries for bogus uploads, decompression
//! bombs, foreign `Host` headers, inline HTML, stalled connections and shutdown.

use std::time::Duration;

use super::support::Env;

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

async fn stats(env: &Env) -> serde_json::Value {
    http()
        .get(env.base().join("/_sandbox/stats").expect("url"))
        .send()
        .await
        .expect("stats")
        .json()
        .await
        .expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patches_to_bogus_uploads_leave_no_lock_entries() {
    let env = Env::start().await;
    let c = http();
    for i in 0..300 {
        let id = format!("{i:05}{}", "x".repeat(30_000));
        let r = c
            .patch(env.base().join(&format!("/upload/tus/{id}")).expect("url"))
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", "0")
            .header("Content-Type", "application/offset+octet-stream")
            .body("hello")
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), 404, "PATCH to a bogus id");
    }
    let s = stats(&env).await;
    assert_eq!(s["patchRequests"], 300);
    assert_eq!(s["uploadLocks"], 0, "lock entries left behind: {s}");
}
