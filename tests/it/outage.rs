//! A network that goes away mid-batch (a laptop lid closed, Wi-Fi off) fails no file: the jobs
//! that could reach nothing wait, saying so, and go on by themselves once the link is back, with
//! every file whole and finalized once.

use std::time::Duration;

use wixup::engine::{Command, Event, Verification};
use wixup::sandbox::SandboxConfig;

use super::support::relay::Relay;
use super::support::{Env, Events, random_file, wait_until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_network_gone_for_a_while_fails_no_file_and_they_go_on_when_it_is_back() {
    // The sandbox is reached only through the relay (its URLs name it too).
    let dir = tempfile::tempdir().expect("tempdir");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let relay = Relay::start(listener.local_addr().unwrap()).await;
    let mut sandbox_cfg = SandboxConfig::new(dir.path().join("sandbox"));
    sandbox_cfg.processing_delay = Duration::from_millis(20);
    sandbox_cfg.public_url = Some(relay.url().parse().unwrap());
    let sandbox = wixup::sandbox::start(listener, sandbox_cfg).await.unwrap();
    let env = Env { dir, sandbox };
    env.slow_patches(30);
    let files: Vec<_> = (0..4)
        .map(|i| random_file(env.dir.path(), &format!("photo{i}.bin"), 2_000_000))
        .chain([random_file(env.dir.path(), "small.bin", 300_000)])
        .collect();
    let mut cfg = env.engine_config("data");
    cfg.api_base = relay.url().parse().unwrap();
    cfg.tus.chunk_size = wixup::tus::ChunkSize::Fixed(256 << 10);
    cfg.one_put_below = 1_000_000;
    let (handle, rx) = wixup::engine::start(cfg, None).expect("engine");
    let mut events = Events::new(rx);
    handle.send(Command::AddFiles {
        request: 1,
        paths: files.clone(),
        destination: Default::default(),
        options: Default::default(),
    });
    let (ids, _, _) = events.added().await;
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
