//! A network that goes away mid-batch (a laptop lid closed, Wi-Fi off) fails no file: the jobs
//! that could reach nothing wait, saying so, and go on by themselves once the link is back, with
//! every file whole and finalized once.

use std::time::Duration;

use wixup::engine::{Event, Verification};
use wixup::sandbox::SandboxConfig;

use super::support::relay::Relay;
use super::support::{Env, random_file, start_and_add, wait_until};

/// A sandbox reached only through a relay (its URLs name the relay too), slow enough that an
/// upload is under way when the relay goes down; an engine config for it, 256 KiB chunks.
async fn relayed() -> (Env, Relay, wixup::engine::EngineConfig) {
    let dir = tempfile::tempdir().expect("tempdir");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let relay = Relay::start(listener.local_addr().unwrap()).await;
    let mut sandbox_cfg = SandboxConfig::new(dir.path().join("sandbox"));
    sandbox_cfg.processing_delay = Duration::from_millis(20);
    sandbox_cfg.public_url = Some(relay.url().parse().unwrap());
    let sandbox = wixup::sandbox::start(listener, sandbox_cfg).await.unwrap();
    let env = Env { dir, sandbox };
    env.slow_patches(30);
    let mut cfg = env.engine_config("data");
    cfg.api_base = relay.url().parse().unwrap();
    cfg.tus.chunk_size = wixup::tus::ChunkSize::Fixed(256 << 10);
    (env, relay, cfg)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_network_gone_for_a_while_fails_no_file_and_they_go_on_when_it_is_back() {
    let (env, relay, mut cfg) = relayed().await;
    let files: Vec<_> = (0..4)
        .map(|i| random_file(env.dir.path(), &format!("photo{i}.bin"), 2_000_000))
        .chain([random_file(env.dir.path(), "small.bin", 300_000)])
        .collect();
    cfg.one_put_below = 1_000_000;
    let (handle, mut events, ids) = start_and_add(cfg, files).await;
    events.wait_acknowledged(512 << 10).await;

    // Gone: refused connections, every transfer cut. Each job still under way waits, said.
    relay.down().await;
    events
        .wait_for(30, |e| {
            matches!(e, Event::Note { message, .. } if message.starts_with("Waiting for the network"))
        })
        .await;
    let failed = events
        .seen
        .iter()
        .any(|e| matches!(e, Event::Failed { .. }));
    assert!(!failed, "a file failed while the network was gone");

    // Back: they go on by themselves and finish whole, each finalized once.
    relay.up().await;
    for o in events.finish(&ids, 60).await {
        assert_eq!(o.done().verified, Verification::Verified);
    }
    wait_until("every file made once", Duration::from_secs(5), || {
        env.stat(|s| &s.files_created) == 5
    })
    .await;
    handle.shutdown().await;
}

/// A transfer that met the outage while its retries wait long (here ten minutes) goes on once
/// the link is back, without waiting the rest of that delay: its wait looks for the network
/// every second and ends when a connection opens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_in_a_long_retry_wait_goes_on_when_the_link_is_back() {
    let (env, relay, mut cfg) = relayed().await;
    let file = random_file(env.dir.path(), "video.bin", 3_000_000);
    cfg.one_put_below = 0;
    let long = Duration::from_secs(600);
    cfg.tus.retry = wixup::retry::RetryPolicy {
        delays: vec![Duration::ZERO, long, long],
        jitter: 0.0,
    };
    let (handle, mut events, ids) = start_and_add(cfg, vec![file]).await;
    events.wait_acknowledged(512 << 10).await;

    relay.down().await;
    events
        .wait_for(
            30,
            |e| matches!(e, Event::Retrying { delay, .. } if *delay >= long),
        )
        .await;
    relay.up().await;
    // Well within the ten minutes: the wait ends once the link is back.
    for o in events.finish(&ids, 30).await {
        assert_eq!(o.done().verified, Verification::Verified);
    }
    handle.shutdown().await;
}
