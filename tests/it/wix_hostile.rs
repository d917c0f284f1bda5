//! The Wix REST client against servers that lose answers, stall, loop, or flood: each failure
//! says what happened, nothing is created twice, and nothing is read without a bound.

use std::time::Duration;

use axum::http::Method;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use wixup::retry::RetryPolicy;
use wixup::sandbox::{FaultKind, Rule};
use wixup::wix_media::{Error, WixMediaClient};

use super::support::Env;

/// A server on 127.0.0.1 that answers every request with what `answer` makes of its path
/// (`None`: accept, read, and never answer). Stops with the test's runtime.
async fn hostile(answer: fn(&str, u16) -> Option<Vec<u8>>) -> reqwest::Url {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        for _ in 0..200 {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 << 10];
                let mut n = 0;
                while !buf[..n].windows(4).any(|w| w == b"\r\n\r\n") && n < buf.len() {
                    match sock.read(&mut buf[n..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(k) => n += k,
                    }
                }
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                match answer(&path, port) {
                    Some(bytes) => {
                        let _ = sock.write_all(&bytes).await;
                    }
                    None => tokio::time::sleep(Duration::from_secs(60)).await,
                }
            });
        }
    });
    reqwest::Url::parse(&format!("http://127.0.0.1:{port}")).expect("url")
}

fn client(base: reqwest::Url, idle: Duration) -> WixMediaClient {
    WixMediaClient::with_idle_timeout(
        base,
        wixup::config::sandbox_credentials(),
        RetryPolicy::immediate(1),
        idle,
    )
    .expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_is_a_stall_not_a_wait_of_minutes() {
    let base = hostile(|_, _| None).await;
    let started = std::time::Instant::now();
    let err = client(base, Duration::from_millis(300))
        .get_file("f")
        .await
        .expect_err("stalled");
    assert!(matches!(err, Error::Stalled { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert!(err.to_string().contains("sent nothing"), "{err}");
    // Two attempts of 0.3 s, not two of two minutes (a bound, not a benchmark).
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_loop_says_so() {
    // `Connection: close`: the test server answers once per connection, so a client that reused
    // the connection for the next hop could race its closing and see a reset instead of a loop.
    let base = hostile(|path, port| {
        Some(
            format!(
                "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:{port}{path}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            .into_bytes(),
        )
    })
    .await;
    let err = client(base, Duration::from_secs(5))
        .get_file("f")
        .await
        .expect_err("loop");
    assert!(matches!(err, Error::Redirects { .. }), "{err:?}");
    assert!(err.to_string().contains("keeps redirecting"), "{err}");
    assert!(!err.is_retryable());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_answer_is_refused_without_reading_it_all() {
    // 150 MB of JSON announced, and (without a length) streamed.
    for announced in [true, false] {
        let base = if announced {
            hostile(|_, _| {
                Some(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 150000000\r\n\r\n{\"file\":"
                        .to_vec(),
                )
            })
            .await
        } else {
            hostile(|_, _| {
                let mut v = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"file\":{\"id\":\"".to_vec();
                v.resize(v.len() + (20 << 20), b'a');
                Some(v)
            })
            .await
        };
        let err = client(base, Duration::from_secs(5))
            .get_file("f")
            .await
            .expect_err("too large");
        assert!(
            matches!(err, Error::TooLarge { .. }),
            "{announced}: {err:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_html_error_page_gives_a_readable_message() {
    let base = hostile(|_, _| {
        Some(
            b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: 50\r\n\r\n<html><body><h1>502 Bad Gateway</h1></body></html>"
                .to_vec(),
        )
    })
    .await;
    let err = client(base, Duration::from_secs(5))
        .get_file("f")
        .await
        .expect_err("502");
    assert_eq!(err.status(), Some(502), "{err:?}");
    assert!(!err.to_string().contains("<html"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_whose_answer_was_lost_is_not_created_twice() {
    let env = Env::start().await;
    // The server creates the folder, then the connection dies before the answer.
    env.sandbox.faults.add(Rule::nth(
        Some(Method::POST),
        "/site-media/v1/folders",
        1,
        FaultKind::DropConnection { after_bytes: 0 },
    ));
    let c = WixMediaClient::new(
        env.base(),
        wixup::config::sandbox_credentials(),
        RetryPolicy::immediate(3),
    )
    .expect("client");
    let made = c.create_folder("shoot", None).await.expect("folder");
    assert_eq!(made.display_name.as_deref(), Some("shoot"));
    let root = c.list_folders(None, None).await.expect("folders");
    let named: Vec<_> = root
        .items
        .iter()
        .filter(|f| f.display_name.as_deref() == Some("shoot"))
        .collect();
    assert_eq!(named.len(), 1, "one folder, not a duplicate");
    assert_eq!(named[0].id, made.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_text_with_control_characters_is_shown_escaped() {
    use super::support::{Events, random_file};
    // Every REST call fails with a message that would clear a terminal and forge a line.
    let base = hostile(|_, _| {
        let body = "{\"message\":\"nope\\u001b[2J\\nerror: forged line\"}";
        Some(
            format!(
                "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes(),
        )
    })
    .await;
    let dir = tempfile::tempdir().expect("tmp");
    let file = random_file(dir.path(), "f.bin", 100);
    let mut cfg = wixup::engine::EngineConfig::new(
        dir.path().join("data"),
        base,
        wixup::config::sandbox_credentials(),
    );
    cfg.api_retry = RetryPolicy::immediate(0);
    let (handle, rx) = wixup::engine::start(cfg, None).expect("engine");
    let mut events = Events::new(rx);
    handle.send(wixup::engine::Command::AddFiles {
        request: 1,
        paths: vec![file],
        destination: Default::default(),
        options: Default::default(),
    });
    let (ids, _, _) = events.added().await;
    let out = events.finish(&ids, 20).await;
    let err = out[0].failed();
    assert!(
        !err.message.contains('\u{1b}') && !err.message.contains('\n'),
        "{:?}",
        err.message
    );
    assert!(
        err.message.contains("\\u{1b}[2J\\nerror: forged line"),
        "{:?}",
        err.message
    );
    handle.shutdown().await;
}
