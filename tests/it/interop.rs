//! Interop with the official tus implementations (Node): Wixup's client uploading to
//! `@tus/server` (FileStore), and `tus-js-client` uploading to the sandbox. Both are checked by
//! the sha256 of the stored bytes.
//!
//! They need `npm ci` in `tests/interop`, so they are `#[ignore]`d in a plain `cargo test`;
//! `.ci/run` installs the packages and runs them with `cargo test -- --ignored interop`.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use wixup::retry::RetryPolicy;
use wixup::tus::client::NoProgress;
use wixup::tus::{ChunkSize, FileSource, TusClient, TusConfig};
use wixup::wix_media::{UploadRequest, WixMediaClient};

use super::support::{
    ChaosProxy, Env, get, random_file, sha256_file, sha256_hex, wait_until_async,
};

fn interop_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop");
    assert!(
        d.join("node_modules").is_dir(),
        "run `npm ci` in {} first",
        d.display()
    );
    d
}

/// `@tus/server` with a FileStore, killed on drop.
struct NodeTusServer {
    child: Child,
    endpoint: reqwest::Url,
    store: PathBuf,
}

impl NodeTusServer {
    fn start(store: &Path) -> Self {
        std::fs::create_dir_all(store).expect("store");
        let mut child = Command::new("node")
            .arg(interop_dir().join("tus-server.mjs"))
            .arg(store)
            .stdout(Stdio::piped())
            .spawn()
            .expect("node runs");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("first line");
        let endpoint = line
            .trim()
            .strip_prefix("listening on ")
            .expect("address")
            .parse()
            .expect("url");
        Self {
            child,
            endpoint,
            store: store.to_path_buf(),
        }
    }

    fn stored(&self, upload_url: &reqwest::Url) -> PathBuf {
        self.store.join(
            upload_url
                .path_segments()
                .and_then(|mut s| s.next_back())
                .expect("id"),
        )
    }
}

/// A process whose first stdout line is `listening on URL`; killed on drop.
struct Listening {
    child: Child,
    url: reqwest::Url,
}

impl Listening {
    fn start(cmd: &mut Command) -> Self {
        let mut child = cmd.stdout(Stdio::piped()).spawn().expect("spawns");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("first line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .expect("address")
            .parse()
            .expect("url");
        Self { child, url }
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for NodeTusServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn wixup_upload(client: &TusClient, endpoint: &reqwest::Url, path: &Path) -> reqwest::Url {
    let file = FileSource::open(path).expect("file");
    let cancel = CancellationToken::new();
    let name = path
        .file_name()
        .expect("name")
        .to_string_lossy()
        .to_string();
    let created = client
        .create(
            endpoint,
            &file,
            &[("filename", &name)],
            Arc::new(NoProgress),
            &cancel,
        )
        .await
        .expect("created");
    client
        .upload(
            endpoint,
            &created.url,
            &file,
            Some(created.offset),
            Arc::new(NoProgress),
            &cancel,
        )
        .await
        .expect("uploaded");
    created.url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs `npm ci` in tests/interop; run by .ci/run"]
async fn interop_wixup_client_to_tus_node_server() {
    let dir = tempfile::tempdir().expect("tmp");
    let server = NodeTusServer::start(&dir.path().join("store"));
    let client = TusClient::new(TusConfig {
        retry: RetryPolicy::immediate(8),
        ..TusConfig::default()
    })
    .expect("client");
    let caps = client
        .capabilities(&server.endpoint)
        .await
        .expect("options");
    assert!(
        caps.supports("creation") && caps.checksum_algorithm().is_none(),
        "{caps:?}"
    );
    // No metadata at all: the header must be left out, not sent empty.
    let bare = random_file(dir.path(), "bare.bin", 10_000);
    let file = FileSource::open(&bare).expect("file");
    let cancel = CancellationToken::new();
    let created = client
        .create(&server.endpoint, &file, &[], Arc::new(NoProgress), &cancel)
        .await
        .expect("created without metadata");
    client
        .upload(
            &server.endpoint,
            &created.url,
            &file,
            Some(created.offset),
            Arc::new(NoProgress),
            &cancel,
        )
        .await
        .expect("uploaded");
    assert_eq!(
        sha256_file(&server.stored(&created.url)),
        sha256_file(&bare)
    );
    for (i, size) in [0usize, 1000, 3 << 20, 33 << 20].into_iter().enumerate() {
        let path = random_file(dir.path(), &format!("w{i}.bin"), size);
        let url = wixup_upload(&client, &server.endpoint, &path).await;
        assert_eq!(
            sha256_file(&server.stored(&url)),
            sha256_file(&path),
            "{size} bytes stored identical"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs `npm ci` in tests/interop; run by .ci/run"]
async fn interop_wixup_client_survives_cut_connections_to_tus_node_server() {
    let dir = tempfile::tempdir().expect("tmp");
    let server = NodeTusServer::start(&dir.path().join("store"));
    let target = format!(
        "{}:{}",
        server.endpoint.host_str().expect("host"),
        server.endpoint.port().expect("port")
    )
    .parse()
    .expect("addr");
    let proxy = ChaosProxy::start(target, 11, 1000, 4 << 20, 12).await;
    let mut endpoint = server.endpoint.clone();
    endpoint.set_port(Some(proxy.addr.port())).expect("port");
    let client = TusClient::new(TusConfig {
        retry: RetryPolicy {
            delays: vec![Duration::from_millis(50); 12],
            jitter: 0.0,
        },
        chunk_size: ChunkSize::Fixed(1 << 20),
        ..TusConfig::default()
    })
    .expect("client");
    let path = random_file(dir.path(), "chaos.bin", 24 << 20);
    let url = wixup_upload(&client, &endpoint, &path).await;
    assert!(proxy.cuts_done.load(std::sync::atomic::Ordering::SeqCst) >= 3);
    assert_eq!(sha256_file(&server.stored(&url)), sha256_file(&path));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs `npm ci` in tests/interop; run by .ci/run"]
async fn interop_tus_js_client_to_the_sandbox() {
    let env = Env::start().await;
    let wix = WixMediaClient::new(
        env.base(),
        wixup::config::sandbox_credentials(),
        RetryPolicy::immediate(2),
    )
    .expect("wix");
    for (name, size, chunk) in [
        ("small.bin", 1234usize, None),
        ("big.bin", 21 << 20, None),
        ("chunked.bin", 9 << 20, Some(1 << 20)),
    ] {
        let path = random_file(env.dir.path(), name, size);
        let target = wix
            .generate_resumable_upload_url(&UploadRequest {
                mime_type: "application/octet-stream".into(),
                file_name: name.into(),
                size_in_bytes: size as u64,
                upload_protocol: "TUS",
                ..Default::default()
            })
            .await
            .expect("target");
        let mut cmd = Command::new("node");
        cmd.arg(interop_dir().join("tus-js-upload.mjs"))
            .arg(target.endpoint.as_str())
            .arg(&path)
            .arg(format!("filename={name}"))
            .arg("contentType=application/octet-stream")
            .arg(format!("token={}", target.upload_token));
        if let Some(c) = chunk {
            cmd.env("CHUNK_SIZE", c.to_string());
        }
        let out = tokio::task::spawn_blocking(move || cmd.output().expect("node"))
            .await
            .expect("join");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let file = wix.finalize(&target, name).await.expect("finalize");
        assert_eq!(file.size_in_bytes, Some(size as u64));
        let (_, body) = get(file.url.as_deref().expect("url")).await;
        assert_eq!(
            sha256_hex(&body),
            sha256_file(&path),
            "{name}: stored bytes identical"
        );
    }
    assert_eq!(env.stat(|s| &s.files_created), 3);
}

/// The must-show check: `wixup serve` with its default profile (Wix as far as it is known)
/// against the flow of Wix's docs with the official tus-js-client, in Node: generate, tus,
/// finalize; then the descriptor, READY, with the bytes identical at its URL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs `npm ci` in tests/interop; run by .ci/run"]
async fn interop_wix_docs_flow_with_tus_js_client_against_wixup_serve() {
    let dir = tempfile::tempdir().expect("tmp");
    let serve = Listening::start(
        Command::new(env!("CARGO_BIN_EXE_wixup"))
            .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path().join("sandbox"))
            .stderr(Stdio::null()),
    );
    let base = serve.url.clone();
    let options = reqwest::Client::new()
        .request(
            reqwest::Method::OPTIONS,
            base.join("/upload/tus").expect("url"),
        )
        .send()
        .await
        .expect("options");
    assert_eq!(
        options.headers()["tus-extension"],
        "creation",
        "the wix profile is the default"
    );
    let files = dir.path().join("files");
    std::fs::create_dir_all(&files).expect("dir");
    let photo = files.join("photo.jpg");
    super::support::oriented_jpeg(&photo, 640, 480, 6);
    for (name, size) in [("small.bin", 1234usize), ("big.bin", 21 << 20)] {
        random_file(&files, name, size);
    }
    let out = {
        let mut cmd = Command::new("node");
        cmd.arg(interop_dir().join("wix-docs-flow.mjs"))
            .arg(base.as_str().trim_end_matches('/'))
            .arg(&files)
            .env("WIX_API_KEY", wixup::sandbox::DEFAULT_API_KEY)
            .env("WIX_SITE_ID", wixup::sandbox::DEFAULT_SITE_ID);
        tokio::task::spawn_blocking(move || cmd.output().expect("node"))
            .await
            .expect("join")
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let wix = WixMediaClient::new(
        base.clone(),
        wixup::config::sandbox_credentials(),
        RetryPolicy::immediate(2),
    )
    .expect("wix");
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    for line in &lines {
        let path = PathBuf::from(line["path"].as_str().expect("path"));
        let id = line["id"].as_str().expect("id");
        let d = wait_until_async("the file READY", Duration::from_secs(10), async || {
            let d = wix.get_file(id).await.expect("get-file-by-id");
            d.is_ready().then_some(d)
        })
        .await;
        let (status, body) = get(d.url.as_deref().expect("url")).await;
        assert_eq!(status, 200);
        assert_eq!(
            sha256_hex(&body),
            sha256_file(&path),
            "{}: bytes identical",
            path.display()
        );
        assert_eq!(d.size_in_bytes, Some(body.len() as u64));
        if path.extension().is_some_and(|e| e == "jpg") {
            assert_eq!(d.image_size(), Some((480, 640)), "upright dimensions");
        }
    }
}
