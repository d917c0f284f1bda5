//! The sandbox on its own, over raw HTTP: auth, tus rules, static media, transforms, restarts.

use std::time::Duration;

use super::support::{
    Env, b64, get, oriented_jpeg, random_file, shared_testdata, start_sandbox, tus_full,
};
use wixup::engine::{Event, Verification};

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_requires_key_and_site_with_a_wix_error_body() {
    let env = Env::start_with(tus_full).await;
    let r = http()
        .get(env.base().join("/site-media/v1/files").expect("url"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 403);
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(
        v["details"]["applicationError"]["code"],
        "PERMISSION_DENIED"
    );
    assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tus_rules_409_415_412_token_and_incomplete_finalize() {
    // Processing outlasts the test: the finalize answers are PENDING however loaded the machine.
    let env = Env::start_with(|c| {
        tus_full(c);
        c.processing_delay = std::time::Duration::from_secs(30);
    })
    .await;
    let (upload_url, tok) = token(&env).await;
    let c = http();
    // Creation needs a token this sandbox issued.
    let r = c
        .post(&upload_url)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "5")
        .header(
            "Upload-Metadata",
            format!("filename {},token {}", b64("a.txt"), b64("forged")),
        )
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 403);
    let r = c
        .post(&upload_url)
        .header("Upload-Length", "5")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 412, "Tus-Resumable required");
    assert_eq!(r.headers()["tus-version"], "1.0.0");
    let r = c
        .post(&upload_url)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "5")
        .header(
            "Upload-Metadata",
            format!("filename {},token {}", b64("a.txt"), b64(&tok)),
        )
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 201);
    let loc = r.headers()["location"].to_str().expect("loc").to_string();
    assert!(r.headers().contains_key("upload-expires"));
    let patch = |off: &str, ct: &str, body: &'static str| {
        c.patch(&loc)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", off)
            .header("Content-Type", ct)
            .body(body)
            .send()
    };
    assert_eq!(
        patch("0", "text/plain", "hel")
            .await
            .expect("send")
            .status(),
        415
    );
    assert_eq!(
        patch("0", "application/offset+octet-stream", "hel")
            .await
            .expect("send")
            .status(),
        204
    );
    assert_eq!(
        patch("0", "application/offset+octet-stream", "lo")
            .await
            .expect("send")
            .status(),
        409
    );
    let finalize = format!("{upload_url}/{tok}?filename=a.txt");
    let r = c
        .put(&finalize)
        .json(&serde_json::json!({}))
        .send()
        .await
        .expect("send");
    assert_eq!(
        r.status(),
        400,
        "finalizing an incomplete upload is a clear 4xx"
    );
    let v: serde_json::Value = r.json().await.expect("json");
    assert!(
        v["message"].as_str().expect("msg").contains("3 of 5"),
        "{v}"
    );
    let r = patch("3", "application/offset+octet-stream", "lo")
        .await
        .expect("send");
    assert_eq!(r.status(), 204);
    assert_eq!(r.headers()["upload-offset"], "5");
    let first: serde_json::Value = c
        .put(&finalize)
        .json(&serde_json::json!({}))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    let again: serde_json::Value = c
        .put(&finalize)
        .json(&serde_json::json!({}))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(
        first["file"]["id"], again["file"]["id"],
        "a repeated finalize returns the same file"
    );
    assert_eq!(first["file"]["operationStatus"], "PENDING");
    assert_eq!(first["file"]["sizeInBytes"], "5");
    assert_eq!(
        first["file"]["hash"], "5d41402abc4b2a76b9719d911017c592",
        "MD5 of hello"
    );
    let (status, body) = get(first["file"]["url"].as_str().expect("url")).await;
    assert_eq!((status, body.as_slice()), (200, b"hello".as_slice()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transforms_fill_and_fit_and_listing_pages() {
    let env = Env::start_with(tus_full).await;
    let dir = env.path("imgs");
    let mut paths = Vec::new();
    for i in 0..3 {
        let p = dir.join(format!("p{i}.jpg"));
        oriented_jpeg(&p, 400, 200, 1);
        paths.push(p);
    }
    let (handle, mut events, ids) =
        super::support::start_and_add(env.engine_config("data"), paths).await;
    let outs = events.finish(&ids, 60).await;
    let url = outs[0].done().url.clone().expect("url");
    let (s, fit) = get(&format!("{url}/v1/fit/w_100,h_100/file.png")).await;
    assert_eq!(s, 200);
    let fit = image::load_from_memory(&fit).expect("png");
    assert_eq!(
        (fit.width(), fit.height()),
        (100, 50),
        "fit keeps the aspect ratio"
    );
    let (_, big) = get(&format!("{url}/v1/fit/w_4000,h_4000/file.jpg")).await;
    assert_eq!(
        image::load_from_memory(&big).expect("jpg").width(),
        400,
        "fit never upscales"
    );
    let (_, fill) = get(&format!("{url}/v1/fill/w_50,h_80,al_c,q_80/x.webp")).await;
    let fill = image::load_from_memory(&fill).expect("webp");
    assert_eq!((fill.width(), fill.height()), (50, 80));
    assert_eq!(get(&format!("{url}/v1/fill/w_0,h_80/x.jpg")).await.0, 400);

    let wix = env.wix_client(Default::default());
    let p1 = wix.list_files(None, None, 2).await.expect("page 1");
    assert_eq!(p1.items.len(), 2);
    let p2 = wix
        .list_files(None, p1.next_cursor.as_deref(), 2)
        .await
        .expect("page 2");
    assert_eq!(p2.items.len(), 1);
    assert!(p2.next_cursor.is_none());
    let ids_listed: Vec<_> = p1
        .items
        .iter()
        .chain(&p2.items)
        .map(|f| f.id.clone())
        .collect();
    assert_eq!(ids_listed.len(), 3);
    let got = wix.get_files(&ids_listed).await.expect("get-files");
    assert_eq!(got.len(), 3);
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_exif_orientation_gives_an_upright_thumbnail() {
    let Some(dir) = shared_testdata() else { return };
    let env = Env::start_with(tus_full).await;
    let paths: Vec<_> = (1..=8)
        .flat_map(|i| {
            [
                dir.join(format!("Landscape_{i}.jpg")),
                dir.join(format!("Portrait_{i}.jpg")),
            ]
        })
        .collect();
    let (handle, mut events, ids) =
        super::support::start_and_add(env.engine_config("data"), paths).await;
    let outs = events.finish(&ids, 120).await;
    let mut reference: Option<(String, image::RgbImage)> = None;
    for (o, job) in outs.iter().zip(handle.snapshot().await) {
        let r = o.done();
        let (w, h) = r.image_size.expect("size");
        assert_eq!(
            w > h,
            job.name.starts_with("Landscape"),
            "{}: {w}x{h}",
            job.name
        );
        let (_, t) = get(&format!(
            "{}/v1/fit/w_64,h_64/t.png",
            r.url.as_deref().expect("url")
        ))
        .await;
        let t = image::load_from_memory(&t).expect("png").to_rgb8();
        if job.name.starts_with("Landscape") {
            match &reference {
                None => reference = Some((job.name.clone(), t)),
                Some((name, refimg)) => {
                    let diff: u64 = t
                        .pixels()
                        .zip(refimg.pixels())
                        .map(|(a, b)| (a[0] as i64 - b[0] as i64).unsigned_abs())
                        .sum();
                    let mean = diff / (t.width() * t.height()) as u64;
                    assert!(
                        mean < 20,
                        "{} looks like {name} once upright (mean diff {mean})",
                        job.name
                    );
                }
            }
        }
    }
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_resume_across_a_sandbox_restart() {
    let dir = tempfile::tempdir().expect("tmp");
    let sb_dir = dir.path().join("sb");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let mut cfg = wixup::sandbox::SandboxConfig::new(sb_dir.clone());
    cfg.processing_delay = Duration::from_millis(10);
    let sb = wixup::sandbox::start(listener, cfg.clone())
        .await
        .expect("start");
    sb.faults.add(
        wixup::sandbox::Rule::nth(
            Some(axum::http::Method::PATCH),
            "",
            1,
            wixup::sandbox::FaultKind::Latency(Duration::from_millis(50)),
        )
        .times(100_000),
    );
    let file = random_file(dir.path(), "f.bin", 3 << 20);
    let mut ecfg = wixup::engine::EngineConfig::new(
        dir.path().join("data"),
        sb.local_url(),
        wixup::config::sandbox_credentials(),
    );
    ecfg.tus.chunk_size = wixup::tus::ChunkSize::Fixed(256 * 1024);
    ecfg.tus.retry = wixup::retry::RetryPolicy {
        delays: vec![Duration::from_millis(200); 20],
        jitter: 0.0,
    };
    ecfg.poll_delays = vec![Duration::from_millis(10)];
    let (handle, mut events, ids) = super::support::start_and_add(ecfg, vec![file.clone()]).await;
    events.wait_for(30, |e| matches!(e, Event::Progress { acknowledged_bytes, .. } if *acknowledged_bytes >= 512 * 1024)).await;
    sb.stop().await;
    // Same port, same storage: the upload URL still works.
    let listener = tokio::net::TcpListener::bind(addr).await.expect("rebind");
    let sb = wixup::sandbox::start(listener, cfg).await.expect("restart");
    let out = events.finish(&ids, 60).await;
    assert_eq!(out[0].done().verified, Verification::Verified);
    let received = wixup::sandbox::Stats::get(&sb.stats.bytes_received);
    assert!(
        received < 3 << 20,
        "the restarted sandbox only got the rest ({received} bytes)"
    );
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_url_is_the_base_of_every_url() {
    let dir = tempfile::tempdir().expect("tmp");
    let sb = start_sandbox(&dir.path().join("sb"), |c| {
        tus_full(c);
        c.public_url = Some("http://127.0.0.1:9/prefix/".parse().expect("url"));
    })
    .await;
    let env_base = sb.local_url();
    let r: serde_json::Value = http()
        .post(
            env_base
                .join("/site-media/v1/files/generate-resumable-upload-url")
                .expect("url"),
        )
        .header("Authorization", wixup::sandbox::DEFAULT_API_KEY)
        .header("wix-site-id", wixup::sandbox::DEFAULT_SITE_ID)
        .json(&serde_json::json!({"mimeType": "text/plain"}))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(r["uploadUrl"], "http://127.0.0.1:9/prefix/upload/tus");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_checksum_is_460_and_the_bytes_are_dropped() {
    let env = Env::start_with(tus_full).await;
    let (upload_url, tok) = token(&env).await;
    let c = http();
    let r = c
        .post(&upload_url)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "5")
        .header("Upload-Metadata", format!("token {}", b64(&tok)))
        .send()
        .await
        .expect("send");
    let loc = r.headers()["location"].to_str().expect("loc").to_string();
    let patch = |sum: &'static str| {
        c.patch(&loc)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", "0")
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Checksum", sum)
            .body("hello")
            .send()
    };
    // sha1("hello") = qvTGHdzF6KLavt4PO0gs2a6pQ00=
    let r = patch("sha1 AAAAAAAAAAAAAAAAAAAAAAAAAAA=")
        .await
        .expect("send");
    assert_eq!(r.status(), 460);
    assert_eq!(r.headers()["upload-offset"], "0");
    assert_eq!(
        patch("crc99 AAAA").await.expect("send").status(),
        400,
        "unknown algorithm"
    );
    let r = patch("sha1 qvTGHdzF6KLavt4PO0gs2a6pQ00=")
        .await
        .expect("send");
    assert_eq!(r.status(), 204);
    assert_eq!(r.headers()["upload-offset"], "5");
}

async fn token(env: &Env) -> (String, String) {
    super::support::sandbox_token(&env.base(), Some(5)).await
}
