//! The must-show chaos check: the sandbox behind a proxy that cuts TCP connections at random.
//! Every file still completes byte-identical, each made exactly once (one-PUT or tus).

use std::time::Duration;

use wixup::engine::Verification;

use super::support::{ChaosProxy, Env, each_profile, get, random_file, start_and_add};

each_profile! {
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_connection_cuts_never_lose_or_duplicate_a_file(profile) {
    // The sandbox hands out URLs through the proxy, so tus and finalize requests cross it too.
    let proxy_port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let env = Env::start_with(|c| {
        c.profile = profile;
        c.public_url = Some(
            format!("http://127.0.0.1:{proxy_port}")
                .parse()
                .expect("url"),
        );
    })
    .await;
    let proxy_listener_addr: std::net::SocketAddr =
        format!("127.0.0.1:{proxy_port}").parse().expect("addr");
    let proxy =
        ChaosProxy::start_on(proxy_listener_addr, env.sandbox.addr, 7, 100, 3 << 20, 25).await;
    let mut paths = Vec::new();
    // (An empty file fails before any request: it has no place among connection cuts.)
    for (i, size) in [1usize, 5000, 300_000, 2 << 20, 5 << 20, 9 << 20]
        .into_iter()
        .enumerate()
    {
        paths.push(random_file(env.dir.path(), &format!("c{i}.bin"), size));
    }
    let mut cfg = env.engine_config("data");
    cfg.api_base = format!("http://{}", proxy.addr).parse().expect("url");
    cfg.tus.chunk_size = wixup::tus::ChunkSize::Fixed(1 << 20);
    // Both paths under the cuts: up to 2 MiB one PUT each, 5 and 9 MiB resumable.
    cfg.one_put_below = 4 << 20;
    cfg.tus.retry = wixup::retry::RetryPolicy {
        delays: vec![Duration::from_millis(20); 12],
        jitter: 0.0,
    };
    cfg.api_retry = cfg.tus.retry.clone();
    let (handle, mut events, ids) = start_and_add(cfg, paths.clone()).await;
    let outs = events.finish(&ids, 120).await;
    let jobs = handle.snapshot().await;
    for (o, job) in outs.iter().zip(&jobs) {
        let r = o.done();
        assert_eq!(r.verified, Verification::Verified, "{}", job.name);
        let url = r.url.as_deref().expect("url").replace(
            &format!(":{proxy_port}/"),
            &format!(":{}/", env.sandbox.addr.port()),
        );
        let (_, body) = get(&url).await;
        assert!(
            body == std::fs::read(&job.path).expect("read"),
            "{} byte-identical",
            job.name
        );
    }
    assert_eq!(
        env.stat(|s| &s.files_created),
        paths.len() as u64,
        "each file made once"
    );
    assert!(env.stat(|s| &s.plain_puts) >= 4, "the small files went one-PUT");
    assert!(env.stat(|s| &s.uploads_created) >= 2, "the big ones resumably");
    let cuts = proxy.cuts_done.load(std::sync::atomic::Ordering::SeqCst);
    assert!(cuts >= 5, "the proxy really cut connections ({cuts})");
    eprintln!(
        "chaos: {cuts} connections cut, {} files intact",
        paths.len()
    );
    handle.shutdown().await;
}
}
