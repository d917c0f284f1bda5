//! The sandbox's state over raw HTTP: a finalize that survives a client leaving mid-way and
//! callers racing, one bounded upload per token with the token never echoed, and the upload
//! counters. The helpers here are shared with `sandbox_records.rs`.

use std::path::Path;
use std::time::Duration;

use axum::http::Method;
use reqwest::Url;
use wixup::sandbox::{FaultKind, Rule, SandboxHandle, Stats};

use super::support::{b64, get, start_sandbox, tus_full, wait_until};

pub(super) fn http() -> reqwest::Client {
    reqwest::Client::new()
}

/// A fresh upload token: (tus endpoint, token).
pub(super) async fn token(base: &Url) -> (String, String) {
    super::support::sandbox_token(base, None).await
}

/// A tus creation with this metadata header; returns the response.
pub(super) async fn create(endpoint: &str, length: usize, metadata: &str) -> reqwest::Response {
    http()
        .post(endpoint)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", length.to_string())
        .header("Upload-Metadata", metadata)
        .send()
        .await
        .expect("send")
}

pub(super) fn location(r: &reqwest::Response) -> String {
    r.headers()["location"].to_str().expect("loc").to_string()
}

pub(super) async fn patch(location: &str, offset: usize, body: &[u8]) -> u16 {
    http()
        .patch(location)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", offset.to_string())
        .header("Content-Type", "application/offset+octet-stream")
        .body(body.to_vec())
        .send()
        .await
        .expect("send")
        .status()
        .as_u16()
}

/// Token, creation and one PATCH of `body`: (endpoint, token, upload location).
pub(super) async fn uploaded(base: &Url, body: &[u8]) -> (String, String, String) {
    let (endpoint, tok) = token(base).await;
    let r = create(
        &endpoint,
        body.len(),
        &format!("filename {},token {}", b64("a.txt"), b64(&tok)),
    )
    .await;
    assert_eq!(r.status(), 201);
    let loc = location(&r);
    assert_eq!(patch(&loc, 0, body).await, 204);
    (endpoint, tok, loc)
}

pub(super) fn finalize_url(endpoint: &str, tok: &str) -> String {
    format!("{endpoint}/{tok}?filename=a.txt")
}

/// A finalize: (status, answer).
pub(super) async fn finalize(
    c: &reqwest::Client,
    endpoint: &str,
    tok: &str,
) -> (u16, serde_json::Value) {
    let r = c
        .put(finalize_url(endpoint, tok))
        .json(&serde_json::json!({}))
        .send()
        .await
        .expect("send");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

/// The ids of the files the site lists at its root.
pub(super) async fn listed(base: &Url) -> Vec<String> {
    let v: serde_json::Value = http()
        .get(
            base.join("/site-media/v1/files?paging.limit=100")
                .expect("url"),
        )
        .header("Authorization", wixup::sandbox::DEFAULT_API_KEY)
        .header("wix-site-id", wixup::sandbox::DEFAULT_SITE_ID)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    v["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["id"].as_str().expect("id").to_string())
        .collect()
}

pub(super) fn stat(sb: &SandboxHandle, which: fn(&Stats) -> &std::sync::atomic::AtomicU64) -> u64 {
    Stats::get(which(&sb.stats))
}

/// The names in a directory.
pub(super) fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

pub(super) async fn restart(dir: &Path, sb: SandboxHandle) -> SandboxHandle {
    sb.stop().await;
    start_sandbox(dir, tus_full).await
}

/// `127.0.0.1:PORT` of a URL.
pub(super) fn url_host(u: &str) -> String {
    let u = Url::parse(u).expect("url");
    format!(
        "{}:{}",
        u.host_str().expect("host"),
        u.port().expect("port")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finalize_whose_client_gives_up_mid_way_still_makes_the_file_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let sb = start_sandbox(&dir.path().join("sb"), tus_full).await;
    let base = sb.local_url();
    let (endpoint, tok, _) = uploaded(&base, b"hello").await;
    // The first finalize pauses after moving the bytes; its client gives up before that ends.
    sb.faults.add(Rule::nth(
        Some(Method::PUT),
        "/upload/tus/",
        1,
        FaultKind::PauseMidway(Duration::from_millis(1500)),
    ));
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(400))
        .build()
        .expect("client");
    let r = impatient
        .put(finalize_url(&endpoint, &tok))
        .json(&serde_json::json!({}))
        .send()
        .await;
    assert!(r.is_err(), "the client gave up mid-way: {r:?}");
    // The sandbox finishes that finalize on its own...
    wait_until(
        "the dropped finalize was never completed",
        Duration::from_secs(10),
        || stat(&sb, |s| &s.files_created) > 0,
    )
    .await;
    // ...and the next finalize gets that file.
    let (status, v) = finalize(&http(), &endpoint, &tok).await;
    assert_eq!(status, 200, "{v}");
    let id = v["file"]["id"].as_str().expect("id").to_string();
    let (s, body) = get(v["file"]["url"].as_str().expect("url")).await;
    assert_eq!((s, body.as_slice()), (200, b"hello".as_slice()));
    assert_eq!(listed(&base).await, vec![id]);
    assert_eq!(stat(&sb, |s| &s.files_created), 1);
    let stats: serde_json::Value = http()
        .get(base.join("/_sandbox/stats").expect("url"))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(stats["filesCreated"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_finalizes_at_once_all_get_the_same_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let sb = start_sandbox(&dir.path().join("sb"), tus_full).await;
    let base = sb.local_url();
    let (endpoint, tok, _) = uploaded(&base, b"hello").await;
    // The first one is still mid-way when the other two arrive.
    sb.faults.add(Rule::nth(
        Some(Method::PUT),
        "/upload/tus/",
        1,
        FaultKind::PauseMidway(Duration::from_millis(800)),
    ));
    let first = tokio::spawn({
        let (e, t) = (endpoint.clone(), tok.clone());
        async move { finalize(&http(), &e, &t).await }
    });
    wait_until(
        "the first finalize to reach its pause",
        Duration::from_secs(10),
        || stat(&sb, |s| &s.paused_midway) == 1,
    )
    .await;
    let others: Vec<_> = (0..2)
        .map(|_| {
            let (e, t) = (endpoint.clone(), tok.clone());
            tokio::spawn(async move { finalize(&http(), &e, &t).await })
        })
        .collect();
    let mut ids = Vec::new();
    for task in std::iter::once(first).chain(others) {
        let (status, v) = task.await.expect("join");
        assert_eq!(status, 200, "{v}");
        ids.push(v["file"]["id"].as_str().expect("id").to_string());
    }
    assert!(ids.iter().all(|i| i == &ids[0]), "{ids:?}");
    assert_eq!(stat(&sb, |s| &s.files_created), 1);
    assert_eq!(listed(&base).await, vec![ids[0].clone()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_is_bounded_one_upload_per_token_and_head_never_shows_the_token() {
    let dir = tempfile::tempdir().expect("tmp");
    let sb_dir = dir.path().join("sb");
    let sb = start_sandbox(&sb_dir, tus_full).await;
    let (endpoint, tok) = token(&sb.local_url()).await;
    let meta = format!("filename {},token {}", b64("a.txt"), b64(&tok));
    let huge = format!("{meta},pad {}", b64(&"x".repeat(9 * 1024)));
    let r = create(&endpoint, 5, &huge).await;
    assert_eq!(r.status(), 413, "metadata past 8 KiB is refused");
    assert_eq!(r.headers()["tus-resumable"], "1.0.0");
    // A real Wix token makes it about 4.4 KB: that still goes through.
    let wix_sized = format!("{meta},pad {}", b64(&"x".repeat(3 * 1024)));
    let r = create(&endpoint, 5, &wix_sized).await;
    assert_eq!(r.status(), 201);
    let first = location(&r);
    assert_eq!(patch(&first, 0, b"hel").await, 204);
    let r = create(&endpoint, 5, &meta).await;
    assert_eq!(r.status(), 201);
    let second = location(&r);
    assert_ne!(first, second);
    let head = |loc: String| async move {
        http()
            .head(&loc)
            .header("Tus-Resumable", "1.0.0")
            .send()
            .await
            .expect("send")
    };
    assert_eq!(
        head(first.clone()).await.status(),
        404,
        "the second creation replaced the first"
    );
    let second_id = second.rsplit('/').next().expect("id").to_string();
    assert_eq!(
        names(&sb_dir.join("uploads")),
        vec![format!("{second_id}.bin")],
        "the replaced upload's bytes are gone"
    );
    assert_eq!(
        names(&sb_dir.join("records/uploads")),
        vec![format!("{second_id}.json")]
    );
    let r = head(second.clone()).await;
    assert_eq!(r.status(), 200);
    let echoed = r.headers()["upload-metadata"].to_str().expect("ascii");
    assert!(
        echoed.contains(&format!("filename {}", b64("a.txt"))),
        "{echoed}"
    );
    assert!(
        !echoed.contains(&b64(&tok)) && !echoed.contains("token"),
        "HEAD never echoes the token: {echoed}"
    );
    for (name, value) in r.headers() {
        let v = value.to_str().unwrap_or("");
        assert!(!v.contains(&tok), "{name} carries the token");
    }
    // The upload that stayed finishes normally.
    assert_eq!(patch(&second, 0, b"hello").await, 204);
    let (status, v) = finalize(&http(), &endpoint, &tok).await;
    assert_eq!(status, 200, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_count_uploads_created_and_terminated() {
    let dir = tempfile::tempdir().expect("tmp");
    let sb = start_sandbox(&dir.path().join("sb"), tus_full).await;
    let base = sb.local_url();
    let mut locations = Vec::new();
    for _ in 0..2 {
        let (endpoint, tok) = token(&base).await;
        let r = create(&endpoint, 5, &format!("token {}", b64(&tok))).await;
        assert_eq!(r.status(), 201);
        locations.push(location(&r));
    }
    let (endpoint, _) = token(&base).await;
    let r = create(&endpoint, 5, &format!("token {}", b64("forged"))).await;
    assert_eq!(r.status(), 403, "a refused creation is not counted");
    let delete = |loc: String| async move {
        http()
            .delete(&loc)
            .header("Tus-Resumable", "1.0.0")
            .send()
            .await
            .expect("send")
            .status()
            .as_u16()
    };
    assert_eq!(delete(locations[0].clone()).await, 204);
    assert_eq!(
        delete(locations[0].clone()).await,
        404,
        "nothing left to remove"
    );
    assert_eq!(stat(&sb, |s| &s.uploads_created), 2);
    assert_eq!(stat(&sb, |s| &s.uploads_terminated), 1);
    let v: serde_json::Value = http()
        .get(base.join("/_sandbox/stats").expect("url"))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(
        (v["uploadsCreated"].clone(), v["uploadsTerminated"].clone()),
        (2.into(), 1.into())
    );
}
