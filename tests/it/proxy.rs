//! Proxies, through the real CLI: loopback is never proxied whatever the environment says; a
//! proxy named by `--proxy` carries every request (REST, one PUT, tus) to a site that is not
//! this computer by its name, with a user and password when it asks for them, and a refusal by
//! the proxy is said as the proxy's.

use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::net::TcpListener;
use wixup::sandbox::{self, SandboxConfig};

use super::cli::{run, wixup};
use super::support::proxy::{DeadProxy, ForwardProxy, SITE_HOST};
use super::support::{Env, exits_with, random_file};

const PROXY_VARS: [&str; 6] = [
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
];

/// Both lines of `--json` output say verified.
fn all_verified(stdout: &[u8], files: usize) {
    let text = String::from_utf8_lossy(stdout);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("\"verified\""))
        .collect();
    assert_eq!(lines.len(), files, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_never_goes_through_the_proxies_the_environment_names() {
    let env = Env::start().await;
    let dead = DeadProxy::start().await;
    let small = random_file(&env.path("in"), "small.bin", 300_000);
    let big = random_file(&env.path("in"), "big.bin", 11_000_000);
    // `wixup serve` on 127.0.0.1, and the embedded sandbox (no backend configured).
    for embedded in [false, true] {
        let mut c = wixup(&env, if embedded { "embedded" } else { "data" });
        if embedded {
            c.env_remove("WIXUP_API_BASE")
                .env("WIXUP_SANDBOX_PORT", "0");
        }
        for v in PROXY_VARS {
            c.env(v, dead.url());
        }
        c.env_remove("NO_PROXY").env_remove("no_proxy");
        c.args(["upload", "--json"]).arg(&small).arg(&big);
        let out = tokio::time::timeout(Duration::from_secs(60), run(c))
            .await
            .expect("the upload ends (before, it hung on the dead proxy)");
        exits_with(&out, 0);
        all_verified(&out.stdout, 2);
    }
    assert_eq!(dead.connections.load(Ordering::SeqCst), 0);
}

/// A sandbox whose URLs name it `wix.test`, which only the forward proxy resolves.
pub(super) async fn site_behind_a_name() -> (Env, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let base = format!("http://{SITE_HOST}:{port}/");
    let mut cfg = SandboxConfig::new(dir.path().join("sandbox"));
    cfg.processing_delay = Duration::from_millis(20);
    cfg.public_url = Some(base.parse().expect("url"));
    let sandbox = sandbox::start(listener, cfg).await.expect("sandbox");
    (Env { dir, sandbox }, base)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_named_proxy_carries_every_request_with_its_user_and_password() {
    let (env, base) = site_behind_a_name().await;
    let small = random_file(&env.path("in"), "small.bin", 300_000);
    let big = random_file(&env.path("in"), "big.bin", 11_000_000);
    let sizes = 11_300_000;

    let open = ForwardProxy::start(None).await;
    let mut c = wixup(&env, "open");
    c.env("WIXUP_API_BASE", &base)
        .args(["--proxy", &open.url(), "upload", "--json"])
        .arg(&small)
        .arg(&big);
    let out = run(c).await;
    exits_with(&out, 0);
    all_verified(&out.stdout, 2);
    assert!(open.forwarded() >= 6, "{}", open.forwarded());
    assert!(open.counts.bytes_up.load(Ordering::SeqCst) >= sizes);

    let guarded = ForwardProxy::start(Some(("ana", "s3cret pw"))).await;
    let with_user = guarded.url().replace("http://", "http://ana@");
    let mut c = wixup(&env, "guarded");
    c.env("WIXUP_API_BASE", &base)
        .env("WIXUP_PROXY_PASSWORD", "s3cret pw")
        .args(["--proxy", &with_user, "upload", "--json"])
        .arg(&small)
        .arg(&big);
    let out = run(c).await;
    exits_with(&out, 0);
    assert_eq!(guarded.counts.refused.load(Ordering::SeqCst), 0);
    assert!(guarded.counts.bytes_up.load(Ordering::SeqCst) >= sizes);

    // A wrong password: the proxy's refusal is said as the proxy's, and what to check.
    let mut c = wixup(&env, "wrong");
    c.env("WIXUP_API_BASE", &base)
        .env("WIXUP_PROXY_PASSWORD", "not it")
        .args(["--proxy", &with_user, "upload"])
        .arg(&small);
    let out = run(c).await;
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("proxy") && said.contains("407"), "{said}");
    assert!(
        !said.contains("not it"),
        "the password is never said: {said}"
    );
    assert!(guarded.counts.refused.load(Ordering::SeqCst) > 0);

    // A password on the command line is refused before anything is sent.
    let mut c = wixup(&env, "argv");
    let in_argv = guarded.url().replace("http://", "http://ana:pw@");
    c.env("WIXUP_API_BASE", &base)
        .args(["--proxy", &in_argv, "upload"])
        .arg(&small);
    let out = run(c).await;
    exits_with(&out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("WIXUP_PROXY_PASSWORD"));
}
