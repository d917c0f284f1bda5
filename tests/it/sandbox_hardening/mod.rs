//! The sandbox under hostile or careless clients: lock entries for bogus uploads, decompression
//! bombs, stalled connections and shutdown, foreign `Host` headers, inline HTML, public keys,
//! a full disk.
//! This module holds the shared helpers; the tests are in its submodules, by concern.

mod connections;
mod exposure;
mod full_disk;
mod images;
#[cfg(feature = "gui")]
mod window;

use std::time::Duration;

use super::support::{Env, b64};

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

pub async fn stats(env: &Env) -> serde_json::Value {
    http()
        .get(env.base().join("/_sandbox/stats").expect("url"))
        .send()
        .await
        .expect("stats")
        .json()
        .await
        .expect("json")
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
pub async fn upload_to(
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

/// Creates a 100-byte tus upload; returns its URL.
pub async fn create_upload(base: &reqwest::Url) -> String {
    let (upload_url, token) = super::support::sandbox_token(base, Some(100)).await;
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
pub async fn read_until_closed(s: &mut tokio::net::TcpStream, within: Duration) -> Vec<u8> {
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
