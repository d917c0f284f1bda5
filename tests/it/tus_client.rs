//! The tus client against the sandbox's tus server: every extension, retry class and junk answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::http::Method;
use tokio_util::sync::CancellationToken;
use wixup::retry::RetryPolicy;
use wixup::sandbox::{FaultKind, Rule, Stats};
use wixup::tus::{self, ChunkSize, FileSource, Progress, TusClient, TusConfig};
use wixup::wix_media::{UploadRequest, UploadTarget, WixMediaClient};

use super::support::{Env, random_file, stays_still, tus_full, wait_until};

fn config() -> TusConfig {
    TusConfig {
        retry: RetryPolicy::immediate(6),
        idle_timeout: Duration::from_secs(5),
        chunk_size: ChunkSize::Fixed(1 << 20),
        creation_with_upload_max_bytes: 64 * 1024,
        ..TusConfig::default()
    }
}

async fn target(env: &Env, size: u64) -> UploadTarget {
    let wix = WixMediaClient::new(
        env.base(),
        wixup::config::sandbox_credentials(),
        RetryPolicy::immediate(2),
    )
    .expect("client");
    wix.generate_resumable_upload_url(&UploadRequest {
        mime_type: "application/octet-stream".into(),
        file_name: "f.bin".into(),
        size_in_bytes: size,
        upload_protocol: "TUS",
        ..Default::default()
    })
    .await
    .expect("upload url")
}

/// A fresh upload target, a random local file, and the tus upload created for it.
async fn created(
    env: &Env,
    client: &TusClient,
    name: &str,
    size: usize,
) -> (UploadTarget, FileSource, tus::Created) {
    let path = random_file(env.dir.path(), name, size);
    let t = target(env, size as u64).await;
    let file = FileSource::open(&path).expect("file");
    let c = client
        .create(
            &t.endpoint,
            &file,
            &[("token", &t.upload_token)],
            Arc::new(Seen::default()),
            &CancellationToken::new(),
        )
        .await
        .expect("created");
    (t, file, c)
}

#[derive(Default)]
struct Seen {
    acknowledged: AtomicU64,
    retries: AtomicU64,
}

impl tus::Observer for Seen {}

impl Progress for Seen {
    fn acknowledged(&self, offset: u64) {
        let prev = self.acknowledged.swap(offset, Ordering::SeqCst);
        assert!(
            offset >= prev,
            "acknowledged offset went backwards: {prev} -> {offset}"
        );
    }
    fn retrying(&self, _e: &tus::Error, _attempt: usize, _delay: Duration) {
        self.retries.fetch_add(1, Ordering::SeqCst);
    }
}

/// Uploads `size` bytes through `client`; returns the upload URL and what progress saw.
async fn upload_with(
    env: &Env,
    client: &TusClient,
    size: usize,
) -> (Result<(), tus::Error>, Arc<Seen>, reqwest::Url) {
    let path = random_file(env.dir.path(), &format!("f{size}.bin"), size);
    let t = target(env, size as u64).await;
    let file = FileSource::open(&path).expect("file");
    let seen = Arc::new(Seen::default());
    let cancel = CancellationToken::new();
    let meta = [
        ("filename", "f.bin"),
        ("contentType", "application/octet-stream"),
        ("token", t.upload_token.as_str()),
    ];
    let created = client
        .create(&t.endpoint, &file, &meta, seen.clone(), &cancel)
        .await
        .expect("created");
    let r = client
        .upload(
            &t.endpoint,
            &created.url,
            &file,
            Some(created.offset),
            seen.clone(),
            &cancel,
        )
        .await;
    (r, seen, created.url)
}

/// The server's answer to a HEAD, asked with plain reqwest (not the client under test).
async fn raw_head(url: &reqwest::Url) -> reqwest::Response {
    reqwest::Client::new()
        .head(url.clone())
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .expect("head")
}

async fn head_offset(url: &reqwest::Url) -> u64 {
    let r = raw_head(url).await;
    assert!(r.status().is_success(), "HEAD answered {}", r.status());
    r.headers()["upload-offset"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("an offset")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovers_extensions_and_caches_options() {
    let env = Env::start_with(tus_full).await;
    let client = TusClient::new(config()).expect("client");
    let endpoint = env.base().join("/upload/tus").expect("url");
    let caps = client.capabilities(&endpoint).await.expect("options");
    for ext in [
        "creation",
        "creation-with-upload",
        "termination",
        "checksum",
        "expiration",
    ] {
        assert!(caps.supports(ext), "{ext} missing from {caps:?}");
    }
    assert!(caps.max_size.is_some());
    // Cached: from now on every OPTIONS fails (retries cannot hide it), yet the same
    // capabilities come back, because none is sent.
    env.sandbox.faults.add(
        Rule::nth(
            Some(Method::OPTIONS),
            "/upload/tus",
            1,
            FaultKind::Status {
                status: 500,
                retry_after_secs: None,
            },
        )
        .times(u64::MAX / 2),
    );
    assert_eq!(client.capabilities(&endpoint).await.expect("cached"), caps);
    // And a fresh client, which must ask, does see the failure.
    let fresh = TusClient::new(config()).expect("client");
    assert_ne!(
        fresh.capabilities(&endpoint).await.ok().as_ref(),
        Some(&caps),
        "the fault is real"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_in_chunks_and_honours_server_offset() {
    let env = Env::start_with(tus_full).await;
    let client = TusClient::new(config()).expect("client");
    let (r, seen, url) = upload_with(&env, &client, 5 * 1024 * 1024 + 123).await;
    r.expect("uploaded");
    assert_eq!(
        seen.acknowledged.load(Ordering::SeqCst),
        5 * 1024 * 1024 + 123
    );
    assert_eq!(head_offset(&url).await, 5 * 1024 * 1024 + 123);
    assert_eq!(env.stat(|s: &Stats| &s.patch_requests), 6, "1 MiB chunks");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_files_go_in_the_creation_request() {
    let env = Env::start_with(tus_full).await;
    let client = TusClient::new(config()).expect("client");
    let (r, seen, _) = upload_with(&env, &client, 1000).await;
    r.expect("uploaded");
    assert_eq!(seen.acknowledged.load(Ordering::SeqCst), 1000);
    assert_eq!(
        env.stat(|s| &s.patch_requests),
        0,
        "one round trip, no PATCH"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_files_over_tus_max_size_before_creating() {
    let env = Env::start_with(|c| {
        tus_full(c);
        c.max_size_bytes = 1000;
    })
    .await;
    let client = TusClient::new(config()).expect("client");
    let path = random_file(env.dir.path(), "big.bin", 2000);
    let t = target(&env, 2000).await;
    let file = FileSource::open(&path).expect("file");
    let err = client
        .create(
            &t.endpoint,
            &file,
            &[("token", &t.upload_token)],
            Arc::new(Seen::default()),
            &CancellationToken::new(),
        )
        .await
        .expect_err("too large");
    assert!(
        matches!(
            err,
            tus::Error::TooLarge {
                size: 2000,
                max: Some(1000),
                ..
            }
        ),
        "{err:?}"
    );
}

/// Each transient class is retried and the upload completes with the right bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_every_transient_class() {
    for (name, kind) in [
        (
            "500",
            FaultKind::Status {
                status: 500,
                retry_after_secs: None,
            },
        ),
        (
            "503",
            FaultKind::Status {
                status: 503,
                retry_after_secs: None,
            },
        ),
        (
            "409",
            FaultKind::Status {
                status: 409,
                retry_after_secs: None,
            },
        ),
        (
            "423",
            FaultKind::Status {
                status: 423,
                retry_after_secs: None,
            },
        ),
        (
            "429",
            FaultKind::Status {
                status: 429,
                retry_after_secs: Some(0),
            },
        ),
        (
            "460",
            FaultKind::Status {
                status: 460,
                retry_after_secs: None,
            },
        ),
        (
            "drop",
            FaultKind::DropConnection {
                after_bytes: 300_000,
            },
        ),
        ("stall", FaultKind::Stall(Duration::from_secs(30))),
    ] {
        let env = Env::start_with(tus_full).await;
        let mut cfg = config();
        cfg.idle_timeout = Duration::from_millis(400);
        let client = TusClient::new(cfg).expect("client");
        env.sandbox
            .faults
            .add(Rule::nth(Some(Method::PATCH), "/upload/tus/", 2, kind).times(2));
        let (r, seen, url) = upload_with(&env, &client, 3 * 1024 * 1024).await;
        r.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            seen.retries.load(Ordering::SeqCst),
            2,
            "{name}: two retries"
        );
        assert_eq!(head_offset(&url).await, 3 * 1024 * 1024, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_is_honoured() {
    let env = Env::start_with(tus_full).await;
    let client = TusClient::new(config()).expect("client");
    env.sandbox.faults.add(Rule::nth(
        Some(Method::PATCH),
        "",
        1,
        FaultKind::Status {
            status: 429,
            retry_after_secs: Some(1),
        },
    ));
    let started = std::time::Instant::now();
    let (r, _, _) = upload_with(&env, &client, 2 * 1024 * 1024).await;
    r.expect("uploaded");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited as Retry-After asked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_patch_keeps_its_bytes() {
    let env = Env::start_with(tus_full).await;
    let mut cfg = config();
    cfg.checksum = false; // with a checksum the server must drop an unverifiable body
    cfg.chunk_size = ChunkSize::Fixed(4 << 20);
    let client = TusClient::new(cfg).expect("client");
    env.sandbox.faults.add(Rule::nth(
        Some(Method::PATCH),
        "",
        1,
        FaultKind::DropConnection {
            after_bytes: 1_500_000,
        },
    ));
    let (r, _, _) = upload_with(&env, &client, 4 << 20).await;
    r.expect("uploaded");
    let received = env.stat(|s| &s.bytes_received);
    assert_eq!(
        received,
        4 << 20,
        "nothing was sent twice: the server kept the 1.5 MB and the client resumed after them"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn final_statuses_fail_with_the_servers_message() {
    let env = Env::start_with(tus_full).await;
    let client = TusClient::new(config()).expect("client");
    env.sandbox.faults.add(Rule::nth(
        Some(Method::PATCH),
        "",
        1,
        FaultKind::Status {
            status: 400,
            retry_after_secs: None,
        },
    ));
    let (r, seen, _) = upload_with(&env, &client, 2 << 20).await;
    match r {
        Err(tus::Error::Status {
            status: 400,
            ref message,
            ..
        }) => assert!(message.contains("injected fault"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(seen.retries.load(Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_are_bounded_when_no_progress_is_made() {
    let env = Env::start_with(tus_full).await;
    let client = TusClient::new(config()).expect("client");
    env.sandbox.faults.add(
        Rule::nth(
            Some(Method::PATCH),
            "",
            1,
            FaultKind::Status {
                status: 503,
                retry_after_secs: None,
            },
        )
        .times(1000),
    );
    let (r, seen, _) = upload_with(&env, &client, 2 << 20).await;
    assert!(
        matches!(r, Err(tus::Error::Status { status: 503, .. })),
        "{r:?}"
    );
    assert_eq!(
        seen.retries.load(Ordering::SeqCst),
        6,
        "exactly the configured retries"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bogus_offsets_are_clear_errors_not_loops() {
    for bogus in ["-5", "abc", "99999999999", "0"] {
        let env = Env::start_with(tus_full).await;
        let client = TusClient::new(config()).expect("client");
        // The first PATCH succeeds; the second answer lies.
        env.sandbox.faults.add(
            Rule::nth(
                Some(Method::PATCH),
                "",
                2,
                FaultKind::BogusOffset(bogus.into()),
            )
            .times(1000),
        );
        let (r, _, _) = upload_with(&env, &client, 3 << 20).await;
        match r {
            Err(tus::Error::Protocol(m)) => assert!(!m.is_empty(), "{bogus}"),
            other => panic!("{bogus}: expected a protocol error, got {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_413_halves_the_chunk() {
    let env = Env::start_with(tus_full).await;
    let mut cfg = config();
    cfg.chunk_size = ChunkSize::Fixed(2 << 20);
    let client = TusClient::new(cfg).expect("client");
    env.sandbox.faults.add(Rule::nth(
        Some(Method::PATCH),
        "",
        1,
        FaultKind::Status {
            status: 413,
            retry_after_secs: None,
        },
    ));
    let (r, _, _) = upload_with(&env, &client, 4 << 20).await;
    r.expect("uploaded");
    // The refused PATCH never reaches the handler's counter; then 4 chunks of 1 MiB.
    assert_eq!(env.stat(|s| &s.patch_requests), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_ends_early_is_an_error() {
    let env = Env::start_with(tus_full).await;
    let client = TusClient::new(config()).expect("client");
    let (t, file, created) = created(&env, &client, "shrinks.bin", 3 << 20).await;
    let path = file.path.clone();
    let cancel = CancellationToken::new();
    // Truncate but keep the recorded mtime: only the read notices.
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .expect("open");
    f.set_len(1 << 20).expect("truncate");
    let fixed = FileSource {
        mtime: None,
        identity: None,
        len: 3 << 20,
        path: path.clone(),
        redactions: Default::default(),
    };
    let r = client
        .upload(
            &t.endpoint,
            &created.url,
            &fixed,
            Some(0),
            Arc::new(Seen::default()),
            &cancel,
        )
        .await;
    assert!(
        matches!(
            r,
            Err(tus::Error::FileChanged) | Err(tus::Error::FileEndedEarly { .. })
        ),
        "{r:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gone_and_expired_uploads_are_reported() {
    let ttl = Duration::from_secs(3600);
    let env = Env::start_with(|c| {
        tus_full(c);
        c.upload_ttl = ttl;
    })
    .await;
    let client = TusClient::new(config()).expect("client");
    let (t, file, created) = created(&env, &client, "x.bin", 2 << 20).await;
    let cancel = CancellationToken::new();
    assert!(created.expires.is_some(), "Upload-Expires is given");
    // The lifetime passes on the server (its clock jumps; the client's does not, so it is the
    // server that says so).
    env.sandbox.clock.advance(ttl + Duration::from_secs(1));
    let r = client
        .upload(
            &t.endpoint,
            &created.url,
            &file,
            None,
            Arc::new(Seen::default()),
            &cancel,
        )
        .await;
    assert!(matches!(r, Err(tus::Error::Gone { status: 410 })), "{r:?}");
    // Termination: the upload disappears.
    let t2 = target(&env, 2 << 20).await;
    let c2 = client
        .create(
            &t2.endpoint,
            &file,
            &[("token", &t2.upload_token)],
            Arc::new(Seen::default()),
            &cancel,
        )
        .await
        .expect("created");
    client
        .terminate(&t2.endpoint, &c2.url)
        .await
        .expect("terminated");
    assert_eq!(raw_head(&c2.url).await.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_within_a_second() {
    let env = Env::start_with(tus_full).await;
    let mut cfg = config();
    cfg.chunk_size = ChunkSize::Fixed(256 * 1024);
    let client = Arc::new(TusClient::new(cfg).expect("client"));
    env.sandbox.faults.add(
        Rule::nth(
            Some(Method::PATCH),
            "",
            1,
            FaultKind::Latency(Duration::from_millis(100)),
        )
        .times(10_000),
    );
    let (t, file, created) = created(&env, &client, "slow.bin", 8 << 20).await;
    let cancel = CancellationToken::new();
    let (c2, cl) = (cancel.clone(), client.clone());
    let url = created.url.clone();
    let ep = t.endpoint.clone();
    let task = tokio::spawn(async move {
        cl.upload(&ep, &url, &file, Some(0), Arc::new(Seen::default()), &c2)
            .await
    });
    wait_until("the upload under way", Duration::from_secs(10), || {
        env.stat(|s| &s.bytes_received) > 0
    })
    .await;
    cancel.cancel();
    let r = tokio::time::timeout(Duration::from_secs(1), task)
        .await
        .expect("stopped within a second")
        .expect("join");
    assert!(matches!(r, Err(tus::Error::Cancelled)), "{r:?}");
    // Bytes already in the server's socket buffer may still be read; within a second all stops.
    wait_until(
        "the sandbox idle a second after cancel",
        Duration::from_secs(1),
        || env.stat(|s| &s.requests_in_flight) == 0,
    )
    .await;
    // Nothing marks the moment by which a client that went on sending would have: a quiet
    // period, then. A PATCH went out every 100 ms (its injected latency); 500 ms is five.
    stays_still(
        "bytes received after cancel",
        Duration::from_millis(500),
        || env.stat(|s| &s.bytes_received),
    )
    .await;
    assert!(head_offset(&created.url).await < 8 << 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checksums_go_as_trailers_when_offered_and_as_headers_otherwise() {
    for trailer in [true, false] {
        let env = Env::start_with(|c| {
            tus_full(c);
            c.checksum_trailer = trailer;
        })
        .await;
        let client = TusClient::new(config()).expect("client");
        let (r, _, url) = upload_with(&env, &client, (3 << 20) + 5).await;
        r.expect("uploaded");
        assert_eq!(head_offset(&url).await, (3 << 20) + 5);
        let (t, h) = (
            env.stat(|s| &s.checksum_trailers),
            env.stat(|s| &s.checksum_headers),
        );
        if trailer {
            assert_eq!((t, h), (4, 0), "one pass: checksums as trailers");
        } else {
            assert_eq!((t, h), (0, 4), "checksums as headers");
        }
        // A server offering only sha1 gets sha1 (as a trailer, it re-reads to verify).
        let env = Env::start_with(|c| {
            tus_full(c);
            c.checksum_trailer = trailer;
            c.checksum_algorithms = vec!["sha1".into()];
        })
        .await;
        let client = TusClient::new(config()).expect("client");
        upload_with(&env, &client, (2 << 20) + 1)
            .await
            .0
            .expect("uploaded with sha1");
        assert_eq!(
            env.stat(|s| &s.checksum_trailers) + env.stat(|s| &s.checksum_headers),
            3
        );
        // Without checksums, none are sent.
        let env = Env::start_with(|c| {
            tus_full(c);
            c.checksum_trailer = trailer;
        })
        .await;
        let client = TusClient::new(TusConfig {
            checksum: false,
            ..config()
        })
        .expect("client");
        upload_with(&env, &client, 2 << 20)
            .await
            .0
            .expect("uploaded");
        assert_eq!(
            env.stat(|s| &s.checksum_trailers) + env.stat(|s| &s.checksum_headers),
            0
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_attempt_count_resets_whenever_the_offset_advanced() {
    let env = Env::start_with(tus_full).await;
    let mut cfg = config();
    cfg.retry = RetryPolicy::immediate(2);
    cfg.chunk_size = ChunkSize::Fixed(256 * 1024);
    let client = TusClient::new(cfg).expect("client");
    // Every other PATCH fails: 10 failures in all, with only 2 retries allowed in a row.
    for k in 0..10 {
        env.sandbox.faults.add(Rule::nth(
            Some(Method::PATCH),
            "/upload/tus/",
            2 * k + 2,
            FaultKind::Status {
                status: 503,
                retry_after_secs: None,
            },
        ));
    }
    let (r, seen, _) = upload_with(&env, &client, 3 << 20).await;
    r.expect("progress between failures keeps the upload going");
    assert_eq!(seen.retries.load(Ordering::SeqCst), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_upload_starts_at_the_speed_measured_on_the_last() {
    let env = Env::start_with(tus_full).await;
    let client = TusClient::new(TusConfig {
        chunk_size: ChunkSize::Adaptive,
        checksum: false,
        ..config()
    })
    .expect("client");
    upload_with(&env, &client, 24 << 20).await.0.expect("first");
    let first = env.stat(|s| &s.patch_requests);
    assert!(
        first >= 2,
        "the first upload starts at 8 MiB ({first} PATCHes)"
    );
    upload_with(&env, &client, (24 << 20) + 1)
        .await
        .0
        .expect("second");
    assert_eq!(
        env.stat(|s| &s.patch_requests) - first,
        1,
        "the second goes in one PATCH"
    );
}
