//! Lock entries, header and idle timeouts, stalled bodies and shutdown.

use std::time::Duration;

use super::super::support::{Env, exits_with, wait_until};
use super::{ServeChild, create_upload, http, read_until_closed, stats};

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
    // While the body stalls, the upload is taken (its lock is held while its bytes come in)...
    wait_until(
        "the stalled PATCH's first bytes",
        Duration::from_secs(10),
        || env.stat(|s| &s.bytes_received) == 10,
    )
    .await;
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
    wait_until("the stalled PATCH to end", Duration::from_secs(10), || {
        env.stat(|s| &s.requests_in_flight) == 0
    })
    .await;
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
    // A request on a second connection is answered: the server took that connection, so it
    // took the first one before it (connections are accepted in the order they came).
    let answered = http()
        .get(serve.base.join("/_sandbox/stats").expect("url"))
        .send()
        .await
        .expect("stats");
    assert_eq!(answered.status(), 200);
    let status = std::process::Command::new("kill")
        .args(["-TERM", &serve.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = wait_until(
        "serve still runs 15 s after SIGTERM",
        Duration::from_secs(15),
        || serve.child.try_wait().expect("wait"),
    )
    .await;
    exits_with(&exit, 0);
    drop(half);
}
