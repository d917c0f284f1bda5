//! The client against the `wix` profile's strictness: a lost finalize answer whose repeat is
//! refused (the file is found, never uploaded twice), rate limits, a type's size limit, an HTML
//! refusal, and GCS-style 256 KiB chunks.

use std::time::Duration;

use axum::http::Method;
use wixup::engine::{self, Command, Destination, Verification};
use wixup::sandbox::{FaultKind, RateLimit, Rule, TypeLimits};
use wixup::wix_media::{Error, Place, Wanted};

use super::support::{Env, Events, random_file, wait_until};

async fn upload(
    cfg: engine::EngineConfig,
    paths: Vec<std::path::PathBuf>,
    destination: Destination,
) -> (engine::EngineHandle, Vec<super::support::Outcome>) {
    let (handle, rx) = engine::start(cfg, None).expect("engine starts");
    let mut events = Events::new(rx);
    handle.send(Command::AddFiles {
        request: 1,
        paths,
        destination,
        options: Default::default(),
    });
    let (ids, _, _) = events.added().await;
    let out = events.finish(&ids, 60).await;
    (handle, out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_finalize_answer_into_a_folder_path_is_found_not_uploaded_again() {
    let env = Env::start().await;
    // An older file of the same name and size in the same folder must not be taken for it.
    let file = random_file(env.dir.path(), "same.bin", 70_000);
    let dest = Destination {
        path: Some("/shoots/2026".into()),
        ..Default::default()
    };
    let (h, first) = upload(
        env.tus_engine_config("one"),
        vec![file.clone()],
        dest.clone(),
    )
    .await;
    let older = first[0].done().file_id.clone();
    h.shutdown().await;
    // Made a moment apart (the search takes the newest): the clock is past the millisecond the
    // older file was made in before the next upload begins.
    let now_ms = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_millis()
    };
    let older_made = now_ms();
    wait_until("the clock to move on", Duration::from_secs(1), || {
        now_ms() > older_made
    })
    .await;

    // The first finalize's answer is lost: the file is made, the client hears nothing.
    env.sandbox.faults.add(Rule::nth(
        Some(Method::PUT),
        "/upload/tus/",
        1,
        FaultKind::DropConnection { after_bytes: 0 },
    ));
    let (h, out) = upload(env.tus_engine_config("two"), vec![file], dest).await;
    let done = out[0].done();
    assert_eq!(done.verified, Verification::Verified);
    assert_ne!(done.file_id, older, "its own file, not the older one");
    assert_eq!(env.stat(|s| &s.files_created), 2, "no duplicate");
    assert_eq!(
        env.stat(|s| &s.finalize_refused),
        1,
        "the repeat was refused"
    );
    assert_eq!(env.stat(|s| &s.uploads_created), 2, "never uploaded again");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_is_waited_out_with_and_without_retry_after() {
    let env =
        Env::start_with(|c| c.rate_limit = Some(RateLimit::parse("4/s").expect("rate"))).await;
    let files: Vec<_> = (0..5)
        .map(|i| random_file(env.dir.path(), &format!("r{i}.bin"), 20_000))
        .collect();
    let mut cfg = env.tus_engine_config("data");
    // Without Retry-After the client backs off on its own.
    cfg.api_retry = wixup::retry::RetryPolicy {
        delays: vec![Duration::from_millis(300); 8],
        jitter: 0.0,
    };
    let (h, out) = upload(cfg, files, Destination::default()).await;
    for o in &out {
        assert_eq!(o.done().verified, Verification::Verified);
    }
    assert!(env.stat(|s| &s.rate_limited) > 0, "the limit was hit");
    assert_eq!(env.stat(|s| &s.files_created), 5);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_over_its_types_limit_fails_with_the_servers_reason() {
    let env =
        Env::start_with(|c| c.type_limits = TypeLimits::parse("image=50KB").expect("limits")).await;
    let big = random_file(env.dir.path(), "big.jpg", 80_000);
    let (h, out) = upload(
        env.tus_engine_config("data"),
        vec![big],
        Destination::default(),
    )
    .await;
    let err = out[0].failed();
    let text = format!("{} {}", err.message, err.detail);
    assert!(
        text.contains("larger than the 50000-byte limit for image files"),
        "{text}"
    );
    assert_eq!(env.stat(|s| &s.uploads_created), 0);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_html_refusal_reads_as_a_sentence() {
    let env = Env::start_with(|c| c.html_errors = true).await;
    let file = random_file(env.dir.path(), "f.bin", 5000);
    let mut cfg = env.tus_engine_config("data");
    cfg.credentials.api_key = wixup::redact::ApiKey::new("IST.wrong");
    let (h, out) = upload(cfg, vec![file], Destination::default()).await;
    let err = out[0].failed();
    assert!(!err.message.contains('<'), "{}", err.message);
    assert!(
        err.message.contains("403") || err.message.contains("refused"),
        "{}",
        err.message
    );
    assert_eq!(err.status, Some(403));
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_non_final_patch_is_whole_256k_units() {
    let env = Env::start_with(|c| c.strict_chunks = true).await;
    let file = random_file(env.dir.path(), "c.bin", (3 << 20) + 12_345);
    let mut cfg = env.tus_engine_config("data");
    cfg.tus.chunk_size = wixup::tus::ChunkSize::Fixed(1 << 20);
    let (h, out) = upload(cfg, vec![file.clone()], Destination::default()).await;
    assert_eq!(out[0].done().verified, Verification::Verified);
    assert_eq!(env.stat(|s| &s.patch_requests), 4);
    h.shutdown().await;
    // Adaptive chunks too.
    let (h, out) = upload(
        env.tus_engine_config("adaptive"),
        vec![file],
        Destination::default(),
    )
    .await;
    assert_eq!(out[0].done().verified, Verification::Verified);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_refuses_options_gets_core_tus_and_creation_only() {
    let env = Env::start_with(super::support::tus_full).await;
    env.sandbox.faults.add(
        Rule::nth(
            Some(Method::OPTIONS),
            "/upload/tus",
            1,
            FaultKind::Status {
                status: 405,
                retry_after_secs: None,
            },
        )
        .times(u64::MAX / 2),
    );
    // Small enough that creation-with-upload would carry it, were it assumed.
    let file = random_file(env.dir.path(), "o.bin", 10_000);
    let (h, out) = upload(
        env.tus_engine_config("data"),
        vec![file],
        Destination::default(),
    )
    .await;
    assert_eq!(out[0].done().verified, Verification::Verified);
    assert_eq!(
        env.stat(|s| &s.patch_requests),
        1,
        "created empty, then PATCHed"
    );
    assert_eq!(
        env.stat(|s| &s.checksum_headers) + env.stat(|s| &s.checksum_trailers),
        0,
        "no checksum assumed"
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_that_runs_out_of_pages_says_it_cannot_tell() {
    // Pages of 2: the 45 files made since the upload began take 23 pages, more than a search
    // reads. A file not among the pages read may still be there: "not found" would be a guess
    // that makes a second copy.
    let env = Env::start_with(|c| c.list_page_max = 2).await;
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let paths: Vec<_> = (0..45)
        .map(|i| random_file(env.dir.path(), &format!("s{i:02}.bin"), 1_000))
        .collect();
    let (handle, mut events, ids) =
        super::support::start_and_add(env.engine_config("data"), paths).await;
    events.finish(&ids, 60).await;
    handle.shutdown().await;
    let wix = wixup::wix_media::WixMediaClient::new(
        env.base(),
        wixup::wix_media::Credentials {
            api_key: wixup::redact::ApiKey::new(wixup::sandbox::DEFAULT_API_KEY),
            site_id: wixup::sandbox::DEFAULT_SITE_ID.into(),
        },
        wixup::retry::RetryPolicy::immediate(2),
    )
    .expect("client");
    let find = |name: &'static str| {
        let wix = wix.clone();
        async move {
            wix.find_file(
                Place::Folder(None),
                Wanted {
                    display_name: name,
                    size_bytes: 1_000,
                    since_unix: Some(since),
                },
            )
            .await
        }
    };
    let newest = find("s44.bin").await.expect("found on the first page");
    assert!(newest.is_some());
    match find("absent.bin").await {
        Err(Error::Undecided { .. }) => {}
        other => panic!("a search that stopped early said {other:?}"),
    }
}
