//! The sandbox on a full disk: `wixup serve` with its data dir on a tmpfs of 256 KiB, mounted in
//! a mount namespace of its own (`unshare`: no root needed where user namespaces are allowed).
//! Uploads bigger than that fail with an answer that says the disk is full, the sandbox's log
//! names what it could not write, and the space a failed upload took is given back.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use wixup::sandbox;

use super::super::support::{b64, poll_until};
use super::http;

/// What the OS says when the disk is full (ENOSPC).
const ENOSPC: &str = "No space left on device";

/// The way to mount here: `unshare` with a user namespace (unprivileged), or without one
/// (root). A machine where neither works fails the test, saying so: it is never skipped.
fn unshare_prefix(probe: &Path) -> Vec<&'static str> {
    let mut tried = Vec::new();
    for prefix in [
        &["unshare", "--user", "--map-root-user", "--mount"][..],
        &["unshare", "--mount"][..],
    ] {
        let out = Command::new(prefix[0])
            .args(&prefix[1..])
            .args([
                "sh",
                "-c",
                r#"mount -t tmpfs -o size=16k wixup-probe "$1""#,
                "sh",
            ])
            .arg(probe)
            .output();
        match out {
            Ok(o) if o.status.success() => return prefix.to_vec(),
            Ok(o) => tried.push(format!(
                "`{}`: {}",
                prefix.join(" "),
                String::from_utf8_lossy(&o.stderr).trim()
            )),
            Err(e) => tried.push(format!("`{}`: {e}", prefix.join(" "))),
        }
    }
    panic!(
        "this test mounts a small tmpfs for the sandbox's data dir, and cannot here: {}. \
         Allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, \
         user.max_user_namespaces > 0, or kernel.apparmor_restrict_unprivileged_userns=0), \
         or run the tests as root",
        tried.join("; ")
    );
}

/// `wixup serve` in its own mount namespace, its data dir on a fresh 256 KiB tmpfs at `mount`,
/// its log in `log`; killed when dropped (the mount goes with it).
struct FullServe {
    child: Child,
    base: reqwest::Url,
    log: PathBuf,
}

impl FullServe {
    fn start(mount: &Path, log: PathBuf) -> Self {
        std::fs::create_dir_all(mount).expect("mount point");
        let prefix = unshare_prefix(mount);
        let mut child = Command::new(prefix[0])
            .args(&prefix[1..])
            .args([
                "sh",
                "-c",
                r#"mount -t tmpfs -o size=256k wixup-full "$1" && exec "$2" serve --addr 127.0.0.1:0 --data-dir "$1/sandbox""#,
                "sh",
            ])
            .arg(mount)
            .arg(env!("CARGO_BIN_EXE_wixup"))
            .env_remove("WIXUP_SANDBOX_API_KEY")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("spawn unshare");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("first line");
        let Some(addr) = line.trim().strip_prefix("listening on ") else {
            let _ = child.wait();
            panic!(
                "wixup serve did not start on the tmpfs; it said: {:?} {}",
                line,
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        };
        Self {
            base: addr.parse().expect("url"),
            child,
            log,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).expect("log")
    }

    async fn generate(&self, path: &str, name: &str, size: usize) -> Value {
        let r = http()
            .post(self.base.join(path).expect("url"))
            .header("Authorization", sandbox::DEFAULT_API_KEY)
            .header("wix-site-id", sandbox::DEFAULT_SITE_ID)
            .json(
                &json!({"mimeType": "application/octet-stream", "fileName": name,
                          "sizeInBytes": size.to_string()}),
            )
            .send()
            .await
            .expect("generate");
        assert_eq!(r.status(), 200, "{path}");
        r.json().await.expect("json")
    }

    /// One PUT of `size` bytes; the status and the JSON answer.
    async fn put(&self, name: &str, size: usize) -> (u16, Value) {
        let g = self
            .generate("/site-media/v1/files/generate-upload-url", name, size)
            .await;
        let url = format!("{}?filename={name}", g["uploadUrl"].as_str().expect("url"));
        let r = http()
            .put(url)
            .header("Content-Type", "application/octet-stream")
            .body(vec![7u8; size])
            .send()
            .await
            .expect("the sandbox answers the PUT");
        (r.status().as_u16(), r.json().await.expect("a JSON answer"))
    }
}

impl Drop for FullServe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_named_in_the_answer_and_in_the_sandbox_log() {
    let dir = tempfile::tempdir().expect("tmp");
    let serve = FullServe::start(&dir.path().join("data"), dir.path().join("serve.log"));

    // One PUT of 2 MiB: the disk fills half-way through the body.
    let (status, body) = serve.put("big.bin", 2 << 20).await;
    assert_eq!(status, 500, "{body}");
    let message = body["message"].as_str().expect("message");
    assert!(message.contains(ENOSPC), "{body}");
    assert!(message.contains("free space"), "says what to do: {body}");
    assert_eq!(body["details"]["applicationError"]["code"], "STORAGE");
    assert_eq!(
        body["details"]["applicationError"]["description"], message,
        "{body}"
    );

    // A tus PATCH of 6 MiB (more than the server gathers before its first write).
    let g = serve
        .generate(
            "/site-media/v1/files/generate-resumable-upload-url",
            "big.bin",
            6 << 20,
        )
        .await;
    let endpoint = g["uploadUrl"].as_str().expect("uploadUrl");
    let token = g["uploadToken"].as_str().expect("uploadToken");
    let r = http()
        .post(endpoint)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", (6 << 20).to_string())
        .header(
            "Upload-Metadata",
            format!("filename {},token {}", b64("big.bin"), b64(token)),
        )
        .send()
        .await
        .expect("create");
    assert_eq!(r.status(), 201);
    let location = reqwest::Url::parse(endpoint)
        .expect("endpoint")
        .join(r.headers()["location"].to_str().expect("location"))
        .expect("upload url");
    let r = http()
        .patch(location.clone())
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .body(vec![7u8; 6 << 20])
        .send()
        .await
        .expect("the sandbox answers the PATCH");
    assert_eq!(r.status(), 500);
    assert_eq!(r.headers()["upload-offset"], "0", "nothing was kept");
    let text = r.text().await.expect("text");
    assert!(text.contains(ENOSPC), "{text}");

    // Both sides say it: the log names what could not be written, and where.
    let uploads = format!("{}/uploads/", dir.path().join("data/sandbox").display());
    let names = |log: &str, plain: bool| {
        log.lines().any(|l| {
            l.contains("ERROR")
                && l.contains(ENOSPC)
                && l.split(&uploads)
                    .nth(1)
                    .is_some_and(|rest| rest.starts_with("plain-") == plain)
        })
    };
    let logged = poll_until(Duration::from_secs(10), || {
        let log = serve.log();
        (names(&log, true) && names(&log, false)).then_some(())
    })
    .await;
    assert!(
        logged.is_some(),
        "the log does not name both files it could not write under {uploads}:\n{}",
        serve.log()
    );

    // The failed uploads gave their space back: a small file still fits.
    let (status, body) = serve.put("small.bin", 20_000).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["file"]["sizeInBytes"], "20000");
}
