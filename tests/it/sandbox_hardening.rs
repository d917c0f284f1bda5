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

/// A 35-byte GIF whose logical screen is `w`×`h` around a single 1×1 frame: a decoder that
/// trusts the header allocates and fills the whole screen.
pub fn gif_bomb(w: u16, h: u16) -> Vec<u8> {
    let mut g = b"GIF89a".to_vec();
    g.extend_from_slice(&w.to_le_bytes());
    g.extend_from_slice(&h.to_le_bytes());
    g.extend_from_slice(&[0x80, 0, 0, 0, 0, 0, 255, 255, 255]); // two global colours
    g.extend_from_slice(&[0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0]); // a 1×1 frame at 0,0
    g.extend_from_slice(&[2, 2, 0x44, 0x01, 0, 0x3B]); // LZW: clear, colour 0, end; trailer
    g
}

/// A valid PNG whose header declares `side`² pixels (its data is a tiny 4×3 image's).
pub fn png_bomb(side: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    image::RgbImage::new(4, 3)
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .expect("png");
    bytes[16..20].copy_from_slice(&side.to_be_bytes());
    bytes[20..24].copy_from_slice(&side.to_be_bytes());
    let crc = crc32fast::hash(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    bytes
}

/// Uploads `paths` through the engine to the sandbox at `base`; returns each job's result.
async fn upload_to(
    base: &reqwest::Url,
    data: &std::path::Path,
    paths: Vec<std::path::PathBuf>,
) -> Vec<wixup::engine::JobResult> {
    let mut cfg = wixup::engine::EngineConfig::new(
        data.to_path_buf(),
        base.clone(),
        wixup::config::sandbox_credentials(),
    );
    cfg.tus.retry = wixup::retry::RetryPolicy::immediate(3);
    cfg.api_retry = wixup::retry::RetryPolicy::immediate(3);
    cfg.poll_delays = vec![Duration::from_millis(10)];
    cfg.poll_timeout = Duration::from_secs(20);
    let (handle, mut events, ids) = super::support::start_and_add(cfg, paths).await;
    let outs = events.finish(&ids, 60).await;
    let results = outs.iter().map(|o| o.done().clone()).collect();
    handle.shutdown().await;
    results
}

/// `wixup serve` as a child process on 127.0.0.1:0; killed when dropped.
pub struct ServeChild {
    pub child: std::process::Child,
    pub base: reqwest::Url,
}

impl ServeChild {
    pub async fn start(data: &std::path::Path, extra: &[&str], envs: &[(&str, &str)]) -> Self {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wixup"))
            .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(data)
            .args(extra)
            .env_remove("WIXUP_SANDBOX_API_KEY")
            .env_remove("RUST_LOG")
            .envs(envs.iter().copied())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn wixup serve");
        let stdout = child.stdout.take().expect("stdout");
        let line = tokio::task::spawn_blocking(move || {
            use std::io::BufRead;
            let mut l = String::new();
            std::io::BufReader::new(stdout)
                .read_line(&mut l)
                .expect("line");
            l
        });
        let line = tokio::time::timeout(Duration::from_secs(30), line)
            .await
            .expect("serve printed its address in time")
            .expect("join");
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("first line: {line:?}"));
        assert!(addr.starts_with("http://127.0.0.1:"), "{addr}");
        Self {
            child,
            base: addr.parse().expect("url"),
        }
    }

    /// Peak resident memory so far, in bytes (`VmHWM`).
    #[cfg(target_os = "linux")]
    pub fn peak_rss(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).expect("status");
        let kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM");
        kb * 1024
    }
}

impl Drop for ServeChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bombs_uploaded_to_serve_answer_their_thumbnail_quickly_within_400_mib() {
    let dir = tempfile::tempdir().expect("tempdir");
    let serve = ServeChild::start(&dir.path().join("sandbox"), &[], &[]).await;
    let gif = dir.path().join("bomb.gif");
    std::fs::write(&gif, gif_bomb(16_384, 16_384)).expect("write");
    let png = dir.path().join("bomb.png");
    std::fs::write(&png, png_bomb(50_000)).expect("write");
    let results = upload_to(&serve.base, &dir.path().join("data"), vec![gif, png]).await;
    let client = http();
    for r in &results {
        let thumb = r
            .thumbnail_url
            .as_deref()
            .expect("an image has a thumbnail URL");
        let started = std::time::Instant::now();
        // Ten seconds is a generous client timeout, not the measurement: memory is.
        let resp = client
            .get(thumb)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .expect("the thumbnail answers within 10 s");
        assert_eq!(resp.status(), 422, "{thumb}");
        let body: serde_json::Value = resp.json().await.expect("a Wix error body");
        assert_eq!(
            body["details"]["applicationError"]["code"],
            "IMAGE_TOO_LARGE"
        );
        assert!(started.elapsed() < Duration::from_secs(10));
        // The original is still served as uploaded.
        let (status, _) = super::support::get(r.url.as_deref().expect("url")).await;
        assert_eq!(status, 200);
    }
    let peak = serve.peak_rss();
    assert!(
        peak < 400 * 1024 * 1024,
        "serve peaked at {} MiB",
        peak >> 20
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fill_never_upscales_and_transforms_run_two_at_a_time() {
    let env = Env::start().await;
    let tiny = env.path("tiny.png");
    image::RgbImage::from_pixel(1, 1, image::Rgb([1, 2, 3]))
        .save(&tiny)
        .expect("png");
    let big = env.path("big.png");
    image::RgbImage::from_fn(1500, 1500, |x, y| image::Rgb([x as u8, y as u8, 7]))
        .save(&big)
        .expect("png");
    let results = upload_to(&env.base(), &env.path("data"), vec![tiny, big]).await;
    let tiny_url = results[0].url.clone().expect("url");
    let (s, body) = super::support::get(&format!("{tiny_url}/v1/fill/w_5000,h_5000/x.png")).await;
    assert_eq!(s, 200);
    let img = image::load_from_memory(&body).expect("png");
    assert_eq!(
        (img.width(), img.height()),
        (1, 1),
        "a fill never scales up"
    );
    // Six different transforms of the same large image at once: at most two decode together.
    let big_url = results[1].url.clone().expect("url");
    let gets: Vec<_> = (0..6)
        .map(|i| {
            let u = format!("{big_url}/v1/fill/w_{},h_100/x.jpg", 100 + i);
            tokio::spawn(async move { super::support::get(&u).await.0 })
        })
        .collect();
    for g in gets {
        assert_eq!(g.await.expect("join"), 200);
    }
    let s = stats(&env).await;
    let peak = s["transformsPeak"].as_u64().expect("peak");
    assert!((1..=2).contains(&peak), "{peak} transforms decoded at once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_transform_cache_stays_within_its_bound() {
    let env = Env::start_with(|c| c.transform_cache_bytes = 40 * 1024).await;
    let photo = env.path("p.png");
    image::RgbImage::from_fn(300, 300, |x, y| {
        image::Rgb([x as u8, y as u8, (x ^ y) as u8])
    })
    .save(&photo)
    .expect("png");
    let results = upload_to(&env.base(), &env.path("data"), vec![photo]).await;
    let url = results[0].url.clone().expect("url");
    for w in 0..40 {
        let (s, _) = super::support::get(&format!("{url}/v1/fill/w_{},h_120/x.png", 100 + w)).await;
        assert_eq!(s, 200);
    }
    let cache = env.dir.path().join("sandbox").join("cache");
    let total: u64 = std::fs::read_dir(&cache)
        .expect("cache dir")
        .map(|e| e.expect("entry").metadata().expect("meta").len())
        .sum();
    let count = std::fs::read_dir(&cache).expect("cache dir").count();
    assert!(count > 0, "transforms are cached");
    assert!(
        total <= 40 * 1024,
        "the cache holds {total} bytes in {count} files"
    );
}

async fn upload_token(base: &reqwest::Url) -> (String, String) {
    let r: serde_json::Value = http()
        .post(
            base.join("/site-media/v1/files/generate-resumable-upload-url")
                .expect("url"),
        )
        .header("Authorization", wixup::sandbox::DEFAULT_API_KEY)
        .header("wix-site-id", wixup::sandbox::DEFAULT_SITE_ID)
        .json(
            &serde_json::json!({"mimeType": "text/plain", "fileName": "a.txt", "sizeInBytes": "100"}),
        )
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    (
        r["uploadUrl"].as_str().expect("url").into(),
        r["uploadToken"].as_str().expect("token").into(),
    )
}

/// Creates a 100-byte tus upload; returns its URL.
async fn create_upload(base: &reqwest::Url) -> String {
    use base64::Engine as _;
    let (upload_url, token) = upload_token(base).await;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let r = http()
        .post(&upload_url)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "100")
        .header(
            "Upload-Metadata",
            format!("filename {},token {}", b64("a.txt"), b64(&token)),
        )
        .send()
        .await
        .expect("create");
    assert_eq!(r.status(), 201);
    r.headers()["location"].to_str().expect("location").into()
}

/// Reads until the server closes the connection (EOF or reset); returns what came.
async fn read_until_closed(s: &mut tokio::net::TcpStream, within: Duration) -> Vec<u8> {
    use tokio::io::AsyncReadExt as _;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Err(_) => panic!(
                "the connection is still open after {within:?}; got {:?}",
                String::from_utf8_lossy(&got)
            ),
            Ok(Ok(0)) | Ok(Err(_)) => return got,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_headers_and_idle_connections_are_closed() {
    use tokio::io::AsyncWriteExt as _;
    let env = Env::start_with(|c| c.header_timeout = Duration::from_millis(300)).await;
    // Half a request, then nothing.
    let mut half = tokio::net::TcpStream::connect(env.sandbox.addr)
        .await
        .expect("connect");
    half.write_all(b"GET /_sandbox/stats HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .expect("write");
    let started = std::time::Instant::now();
    let got = read_until_closed(&mut half, Duration::from_secs(5)).await;
    assert!(started.elapsed() >= Duration::from_millis(250));
    assert!(
        !got.starts_with(b"HTTP/1.1 200"),
        "no answer to half a request"
    );
    // A full request is answered; the kept-alive connection is closed once it idles.
    let mut idle = tokio::net::TcpStream::connect(env.sandbox.addr)
        .await
        .expect("connect");
    idle.write_all(b"GET /_sandbox/stats HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .expect("write");
    let got = read_until_closed(&mut idle, Duration::from_secs(5)).await;
    assert!(
        got.starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&got)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_patch_body_lets_go_of_its_upload_and_keeps_its_bytes() {
    use tokio::io::AsyncWriteExt as _;
    let env = Env::start_with(|c| c.body_read_timeout = Duration::from_millis(400)).await;
    let location = create_upload(&env.base()).await;
    let path = reqwest::Url::parse(&location)
        .expect("url")
        .path()
        .to_string();
    let mut stalled = tokio::net::TcpStream::connect(env.sandbox.addr)
        .await
        .expect("connect");
    let head = format!(
        "PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\n\
         Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n\
         Content-Length: 100\r\n\r\n"
    );
    stalled.write_all(head.as_bytes()).await.expect("write");
    stalled.write_all(&[7u8; 10]).await.expect("write");
    // While the body stalls, the upload is taken...
    tokio::time::sleep(Duration::from_millis(100)).await;
    let c = http();
    let patch = |offset: u64, body: Vec<u8>| {
        c.patch(&location)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", offset.to_string())
            .header("Content-Type", "application/offset+octet-stream")
            .body(body)
            .send()
    };
    assert_eq!(patch(0, vec![1; 10]).await.expect("send").status(), 423);
    // ...and once the body has sent nothing for the read timeout, it is let go.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let r = c
        .head(&location)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .expect("head");
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["upload-offset"],
        "10",
        "the bytes that came are kept"
    );
    let r = patch(10, vec![8; 90]).await.expect("send");
    assert_eq!(r.status(), 204, "another connection continues the upload");
    assert_eq!(r.headers()["upload-offset"], "100");
    let got = read_until_closed(&mut stalled, Duration::from_secs(5)).await;
    assert!(
        !got.starts_with(b"HTTP/1.1 204"),
        "{:?}",
        String::from_utf8_lossy(&got)
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_exits_on_sigterm_while_a_client_holds_half_sent_headers() {
    use tokio::io::AsyncWriteExt as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut serve = ServeChild::start(dir.path(), &[], &[]).await;
    let addr = serve.base.socket_addrs(|| None).expect("addr")[0];
    let mut half = tokio::net::TcpStream::connect(addr).await.expect("connect");
    half.write_all(b"GET /_sandbox/stats HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .expect("write");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let status = std::process::Command::new("kill")
        .args(["-TERM", &serve.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let exit = loop {
        if let Some(s) = serve.child.try_wait().expect("wait") {
            break s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "serve still runs 15 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "{exit:?}");
    drop(half);
}

/// Sends one raw request with this `Host` and returns the status line's code.
async fn status_for_host(addr: std::net::SocketAddr, path: &str, host: &str, extra: &str) -> u16 {
    use tokio::io::AsyncWriteExt as _;
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let req = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.expect("write");
    let got = read_until_closed(&mut s, Duration::from_secs(10)).await;
    let text = String::from_utf8_lossy(&got);
    text.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {text:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_hosts_the_sandbox_serves_are_answered() {
    let env = Env::start_with(|c| {
        c.public_url = Some("http://uploads.example.test:9/".parse().expect("url"));
    })
    .await;
    let addr = env.sandbox.addr;
    let port = addr.port();
    let key = format!(
        "Authorization: {}\r\nwix-site-id: {}\r\n",
        wixup::sandbox::DEFAULT_API_KEY,
        wixup::sandbox::DEFAULT_SITE_ID
    );
    let files = "/site-media/v1/files";
    // A page on a rebinding domain sends its own name; it gets nothing, even with the key.
    assert_eq!(
        status_for_host(addr, files, &format!("rebind.evil.test:{port}"), &key).await,
        421
    );
    assert_eq!(
        status_for_host(addr, "/_sandbox/stats", "evil.test", "").await,
        421
    );
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        "uploads.example.test:9".to_string(),
    ] {
        assert_eq!(
            status_for_host(addr, files, &host, &key).await,
            200,
            "{host}"
        );
    }
}

#[cfg(unix)]
fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_are_served_unsniffed_and_pages_only_as_sandboxed_downloads() {
    let env = Env::start().await;
    let html = env.path("page.html");
    std::fs::write(&html, "<script>alert(1)</script>").expect("write");
    let svg = env.path("pic.svg");
    std::fs::write(
        &svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#,
    )
    .expect("write");
    let png = env.path("photo.png");
    image::RgbImage::from_pixel(8, 8, image::Rgb([1, 2, 3]))
        .save(&png)
        .expect("png");
    let results = upload_to(&env.base(), &env.path("data"), vec![html, png]).await;
    // The sandbox cannot decode an SVG, so its job fails processing; its bytes are served all
    // the same, and that is what a page would use.
    let (handle, mut events, ids) =
        super::support::start_and_add(env.engine_config("data-svg"), vec![svg]).await;
    events.finish(&ids, 60).await[0].failed();
    handle.shutdown().await;
    let wix = wixup::wix_media::WixMediaClient::new(
        env.base(),
        wixup::config::sandbox_credentials(),
        Default::default(),
    )
    .expect("client");
    let listed = wix.list_files(None, None, 10).await.expect("list");
    let svg_url = listed
        .items
        .iter()
        .find(|f| f.display_name.as_deref() == Some("pic.svg"))
        .and_then(|f| f.url.clone())
        .expect("the SVG is stored");
    let c = http();
    let html_url = results[0].url.clone().expect("url");
    for url in [html_url.as_str(), svg_url.as_str()] {
        let resp = c.get(url).send().await.expect("get");
        assert_eq!(resp.status(), 200);
        let h = resp.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{url}");
        assert_eq!(
            h["content-security-policy"], "sandbox; default-src 'none'",
            "{url}"
        );
        assert_eq!(h["content-disposition"], "attachment", "{url}");
    }
    let url = results[1].url.as_deref().expect("url");
    for u in [url.to_string(), format!("{url}/v1/fill/w_4,h_4/x.jpg")] {
        let resp = c.get(&u).send().await.expect("get");
        assert_eq!(resp.status(), 200);
        let h = resp.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{u}");
        assert!(
            h.get("content-disposition").is_none(),
            "images show inline: {u}"
        );
        assert!(h.get("content-security-policy").is_none(), "{u}");
    }
    // Only the owner can read what the sandbox stores.
    #[cfg(unix)]
    {
        let root = env.dir.path().join("sandbox");
        for d in ["", "uploads", "files", "cache"] {
            assert_eq!(mode(&root.join(d)), 0o700, "folder {d:?}");
        }
        assert_eq!(mode(&root.join("state.json")), 0o600);
        for e in std::fs::read_dir(root.join("cache")).expect("cache") {
            assert_eq!(mode(&e.expect("entry").path()), 0o600, "cached transform");
        }
    }
}

/// Runs `wixup serve` expecting it to refuse and exit; one that serves instead is killed after
/// 30 s and fails the test.
async fn serve_exit(args: &[&str], envs: &[(&str, &str)]) -> std::process::Output {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wixup"))
        .arg("serve")
        .args(args)
        .env_remove("WIXUP_SANDBOX_API_KEY")
        .env_remove("RUST_LOG")
        .envs(envs.iter().copied())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while child.try_wait().expect("wait").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("serve {args:?} kept running instead of refusing");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.wait_with_output().expect("output")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_refuses_a_public_address_without_a_key_and_takes_keys_from_files_and_env() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let data_s = data.to_str().expect("utf-8");
    // Refused before anything is bound: no non-loopback socket is ever opened by this test.
    let out = serve_exit(&["--addr", "0.0.0.0:0", "--data-dir", data_s], &[]).await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("0.0.0.0:0")
            && err.contains("--api-key-file")
            && err.contains("WIXUP_SANDBOX_API_KEY"),
        "{err}"
    );
    let empty = dir.path().join("empty.key");
    std::fs::write(&empty, "\n").expect("write");
    let out = serve_exit(
        &[
            "--addr",
            "127.0.0.1:0",
            "--data-dir",
            data_s,
            "--api-key-file",
        ],
        &[],
    )
    .await;
    assert!(!out.status.success(), "--api-key-file needs a path");
    let mut args = vec![
        "--addr",
        "127.0.0.1:0",
        "--data-dir",
        data_s,
        "--api-key-file",
    ];
    args.push(empty.to_str().expect("utf-8"));
    let out = serve_exit(&args, &[]).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty"));

    let key_file = dir.path().join("sandbox.key");
    std::fs::write(&key_file, "file-secret-1\n").expect("write");
    let from_file = ServeChild::start(
        &dir.path().join("a"),
        &["--api-key-file", key_file.to_str().expect("utf-8")],
        &[],
    )
    .await;
    let from_env = ServeChild::start(
        &dir.path().join("b"),
        &[],
        &[("WIXUP_SANDBOX_API_KEY", "env-secret-2")],
    )
    .await;
    for (serve, key) in [(&from_file, "file-secret-1"), (&from_env, "env-secret-2")] {
        let files = serve.base.join("/site-media/v1/files").expect("url");
        for (k, want) in [(key, 200), (wixup::sandbox::DEFAULT_API_KEY, 403)] {
            let r = http()
                .get(files.clone())
                .header("Authorization", k)
                .header("wix-site-id", wixup::sandbox::DEFAULT_SITE_ID)
                .send()
                .await
                .expect("send");
            assert_eq!(r.status(), want, "key {k:?}");
        }
    }
}
