//! HTTPS as Wix serves it, through the real CLI: the sandbox under TLS offers HTTP/2 by ALPN;
//! `wixup upload` trusts the system's certificates plus `WIXUP_CA_FILE`, speaks HTTP/2 for the
//! API and HTTP/1.1 for the bytes by default (`--http 2` and `--http 1.1` for all), and a
//! certificate it does not trust fails at once, saying what to do. `wixup serve --tls` makes its
//! certificate from a local CA, or serves one made by openssl, and curl checks both.

use std::process::Command;
use std::sync::atomic::Ordering;
use std::time::Duration;

use wixup::sandbox::{Stats, TlsSource};

use super::cli::{run, wixup};
use super::support::{Env, exits_with, random_file};

async fn tls_env() -> Env {
    let env = Env::start_with(|c| c.tls = Some(TlsSource::Generated)).await;
    assert_eq!(env.base().scheme(), "https");
    env
}

fn verified(stdout: &[u8]) -> usize {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter(|l| l.contains("\"verified\""))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_over_https_speak_http2_for_the_api_and_http1_for_the_bytes() {
    let env = tls_env().await;
    let ca = env
        .sandbox
        .ca_file
        .clone()
        .expect("a generated certificate has its CA file");
    let stats = env.sandbox.stats.clone();
    // (flag, expect REST over HTTP/2, expect transfers over HTTP/2)
    for (i, (flag, rest_h2, bytes_h2)) in [
        (None, true, false),
        (Some("2"), true, true),
        (Some("1.1"), false, false),
    ]
    .into_iter()
    .enumerate()
    {
        let dir = env.path(&format!("in{i}"));
        let small = random_file(&dir, "small.bin", 300_000);
        let big = random_file(&dir, "big.bin", 11_000_000);
        let (h2_before, tr_before) = (
            Stats::get(&stats.http2_requests),
            Stats::get(&stats.http2_transfers),
        );
        let mut c = wixup(&env, &format!("data{i}"));
        c.env("WIXUP_CA_FILE", &ca).env_remove("WIXUP_HTTP");
        if let Some(v) = flag {
            c.args(["--http", v]);
        }
        c.args(["upload", "--json"]).arg(&small).arg(&big);
        let out = tokio::time::timeout(Duration::from_secs(90), run(c))
            .await
            .expect("the upload ends");
        exits_with(&out, 0);
        assert_eq!(verified(&out.stdout), 2, "--http {flag:?}");
        let h2 = Stats::get(&stats.http2_requests) - h2_before;
        let transfers = Stats::get(&stats.http2_transfers) - tr_before;
        assert_eq!(
            h2 > 0,
            rest_h2,
            "--http {flag:?}: {h2} requests over HTTP/2"
        );
        assert_eq!(
            transfers > 0,
            bytes_h2,
            "--http {flag:?}: {transfers} transfers over HTTP/2"
        );
    }
    assert!(stats.bytes_received.load(Ordering::SeqCst) >= 3 * 11_300_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_nobody_trusts_fails_at_once_and_says_what_to_do() {
    let env = tls_env().await;
    let file = random_file(&env.path("in"), "photo.bin", 200_000);
    let mut c = wixup(&env, "data");
    c.env_remove("WIXUP_CA_FILE").args(["upload"]).arg(&file);
    let out = tokio::time::timeout(Duration::from_secs(30), run(c))
        .await
        .expect("no retrying for a certificate");
    exits_with(&out, 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("photo.bin")
            && err.contains("does not trust")
            && err.contains("WIXUP_CA_FILE"),
        "{err}"
    );
    assert!(
        !err.contains("ERROR"),
        "one message, no verifier log: {err}"
    );
    // A CA file that is not one is said by name before anything is sent.
    let bogus = env.path("bogus.pem");
    std::fs::write(&bogus, "not a certificate").expect("write");
    let mut c = wixup(&env, "data2");
    c.env("WIXUP_CA_FILE", &bogus).args(["upload"]).arg(&file);
    let out = run(c).await;
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bogus.pem") && err.contains("no certificate"),
        "{err}"
    );
}

/// `wixup serve --tls` as a person starts it: a certificate from its own CA (kept across
/// restarts), or one openssl made; curl, trusting the CA, gets HTTP/2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_tls_makes_or_takes_a_certificate_that_curl_trusts_over_http2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("sb");
    let (url, ca_first) = {
        let serve = Serve::start(&[], &data);
        let ca = std::fs::read(data.join("tls/ca.pem")).expect("the CA is written");
        assert!(
            serve.stderr_line.contains("WIXUP_CA_FILE="),
            "{}",
            serve.stderr_line
        );
        assert_eq!(curl_version(&serve.url, &data.join("tls/ca.pem")), "2");
        (serve.url.clone(), ca)
    };
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    // A restart keeps the CA a client was told to trust.
    let serve = Serve::start(&[], &data);
    assert_eq!(
        std::fs::read(data.join("tls/ca.pem")).expect("ca"),
        ca_first
    );
    assert_eq!(curl_version(&serve.url, &data.join("tls/ca.pem")), "2");
    drop(serve);
    // A certificate openssl made, given by --tls-cert and --tls-key.
    let (cert, key) = (dir.path().join("own.pem"), dir.path().join("own.key"));
    openssl_cert(&cert, &key, "/CN=localhost", "DNS:localhost,IP:127.0.0.1");
    let args = [
        "--tls".to_string(),
        "--tls-cert".into(),
        cert.display().to_string(),
        "--tls-key".into(),
        key.display().to_string(),
    ];
    let serve = Serve::start(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        &dir.path().join("own"),
    );
    assert_eq!(curl_version(&serve.url, &cert), "2");
    assert!(
        !dir.path().join("own/tls/ca.pem").exists(),
        "no CA made when given a certificate"
    );
}

/// `wixup serve --tls` on a free port, killed on drop.
struct Serve {
    child: std::process::Child,
    /// Kept open: a closed stderr would end the server at its next line.
    _stderr: std::io::BufReader<std::process::ChildStderr>,
    url: String,
    stderr_line: String,
}

impl Serve {
    fn start(extra: &[&str], data: &std::path::Path) -> Serve {
        use std::io::BufRead as _;
        let mut c = Command::new(env!("CARGO_BIN_EXE_wixup"));
        c.args(["serve", "--addr", "127.0.0.1:0"]);
        if extra.is_empty() {
            c.arg("--tls");
        }
        let mut child = c
            .args(extra)
            .arg("--data-dir")
            .arg(data)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("serve starts");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("a line");
        let mut stderr = std::io::BufReader::new(child.stderr.take().expect("stderr"));
        let mut stderr_line = String::new();
        if extra.is_empty() {
            stderr.read_line(&mut stderr_line).expect("a line");
        }
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("{line:?}"))
            .to_string();
        Serve {
            child,
            _stderr: stderr,
            url,
            stderr_line,
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The HTTP version curl spoke to `url`'s stats, trusting only `ca`.
fn curl_version(url: &str, ca: &std::path::Path) -> String {
    let out = Command::new("curl")
        .args([
            "-sS",
            "--fail",
            "--noproxy",
            "*",
            "-o",
            "/dev/null",
            "-w",
            "%{http_version}",
        ])
        .arg("--cacert")
        .arg(ca)
        .arg(format!("{url}/_sandbox/stats"))
        .output()
        .expect("curl runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A certificate good for the API's address but not for the upload host's name: the one-PUT's
/// refusal fails the file at once too (before, the PUT was sent again for the whole retry
/// schedule, as if lost on the way).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_host_the_certificate_does_not_name_fails_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, key) = (dir.path().join("ip.pem"), dir.path().join("ip.key"));
    openssl_cert(&cert, &key, "/CN=127.0.0.1", "IP:127.0.0.1");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let mut cfg = wixup::sandbox::SandboxConfig::new(dir.path().join("sandbox"));
    cfg.tls = Some(TlsSource::Files {
        cert: cert.clone(),
        key,
    });
    // The URLs it hands out name `localhost`, which the certificate does not.
    cfg.public_url = Some(format!("https://localhost:{port}").parse().expect("url"));
    let sandbox = wixup::sandbox::start(listener, cfg).await.expect("sandbox");
    let env = Env { dir, sandbox };
    let file = random_file(&env.path("in"), "photo.bin", 200_000);
    let mut c = wixup(&env, "data");
    c.env("WIXUP_API_BASE", format!("https://127.0.0.1:{port}"))
        .env("WIXUP_CA_FILE", &cert)
        .env_remove("WIXUP_RETRY_DELAYS_MS")
        .args(["upload"])
        .arg(&file);
    let out = tokio::time::timeout(Duration::from_secs(20), run(c))
        .await
        .expect("no retrying for a certificate (the retries take 44 s)");
    exits_with(&out, 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("photo.bin") && err.contains("another name"),
        "{err}"
    );
}

/// A self-signed certificate for `names` (an end entity, not a CA) and its key, made by openssl.
fn openssl_cert(cert: &std::path::Path, key: &std::path::Path, subject: &str, names: &str) {
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-days", "2", "-subj", subject])
        .args(["-addext", &format!("subjectAltName={names}")])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(key)
        .arg("-out")
        .arg(cert)
        .output()
        .expect("openssl runs (.ci/run installs it)");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
}
