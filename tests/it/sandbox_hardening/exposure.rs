//! What a web page or another local user could reach: hosts, inline pages, keys, modes.

use std::time::Duration;

use super::super::support::{Env, exits_failing, poll_until};
use super::{ServeChild, http, read_until_closed, upload_to};

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
    // An SVG is a vector Wix keeps as sent (READY): its bytes are what a page would use.
    let (handle, mut events, ids) =
        super::super::support::start_and_add(env.engine_config("data-svg"), vec![svg]).await;
    events.finish(&ids, 60).await[0].done();
    handle.shutdown().await;
    let wix = env.wix_client(Default::default());
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
        // Every folder 0700 and every file 0600: uploads, finalized files, records, the cache.
        let (mut dirs, mut files) = (0, 0);
        let mut stack = vec![root.clone()];
        while let Some(p) = stack.pop() {
            if p.is_dir() {
                assert_eq!(mode(&p), 0o700, "folder {}", p.display());
                dirs += 1;
                for e in std::fs::read_dir(&p).expect("dir") {
                    stack.push(e.expect("entry").path());
                }
            } else {
                assert_eq!(mode(&p), 0o600, "file {}", p.display());
                files += 1;
            }
        }
        assert!(
            dirs >= 4 && files >= 4,
            "{dirs} folders, {files} files checked"
        );
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
    let ended = poll_until(Duration::from_secs(30), || {
        child.try_wait().expect("wait").is_some()
    })
    .await;
    if ended.is_none() {
        let _ = child.kill();
        let _ = child.wait();
        panic!("serve {args:?} kept running instead of refusing");
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
    exits_failing(&out);
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
    // --api-key-file needs a path.
    exits_failing(&out);
    let mut args = vec![
        "--addr",
        "127.0.0.1:0",
        "--data-dir",
        data_s,
        "--api-key-file",
    ];
    args.push(empty.to_str().expect("utf-8"));
    let out = serve_exit(&args, &[]).await;
    exits_failing(&out);
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
