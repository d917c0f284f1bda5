//! Small files take the one-PUT path (`generate-upload-url`, then one PUT of the bytes), big ones
//! the resumable flow; a lost PUT answer never leaves a duplicate; a refused one-PUT falls back.

use std::time::Duration;

use axum::http::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wixup::engine::{Command, EngineHandle, Event, JobResult, JobState, Verification};
use wixup::sandbox::{FaultKind, Rule};

use super::support::{Env, Events, each_profile, get, random_file, start_and_add, wait_until};

/// The sandbox's one-PUT requests (`PUT /upload/{token}`), and none of tus's.
fn put_fault(kind: FaultKind) -> Rule {
    Rule::nth(Some(Method::PUT), "/upload/eyJ", 1, kind)
}

/// The site's copy of a finished file is the local file, byte for byte.
async fn same_bytes(url: Option<&str>, path: &std::path::Path) {
    let (status, body) = get(url.expect("a url")).await;
    assert_eq!(status, 200);
    assert!(body == std::fs::read(path).expect("read"), "byte-identical");
}

/// Uploads one new file of `size` bytes with the default engine; checks the site's copy.
async fn upload_one(env: &Env, name: &str, size: usize) -> (EngineHandle, Events, JobResult) {
    let file = random_file(env.dir.path(), name, size);
    let (handle, mut events, ids) =
        start_and_add(env.engine_config("data"), vec![file.clone()]).await;
    let r = events.finish(&ids, 30).await[0].done().clone();
    assert_eq!(r.verified, Verification::Verified);
    same_bytes(r.url.as_deref(), &file).await;
    (handle, events, r)
}

/// The journal's table, as `{"jobs": [...]}`.
fn journal(env: &Env, data: &str) -> serde_json::Value {
    let (_, jobs) = super::support::journal_table(&env.path(data));
    serde_json::json!({ "jobs": jobs })
}

each_profile! {
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_file_takes_one_put_and_a_big_one_tus(profile) {
    let env = Env::start_as(profile).await;
    let small = random_file(env.dir.path(), "small.jpg.bin", 300_000);
    let big = random_file(env.dir.path(), "big.bin", 1_500_000);
    let mut cfg = env.engine_config("data");
    assert_eq!(cfg.one_put_below, 10_000_000, "Wix's advice by default");
    cfg.one_put_below = 1_000_000;
    let (handle, mut events, ids) = start_and_add(cfg, vec![small.clone()]).await;
    let r = events.finish(&ids, 30).await[0].done().clone();
    assert_eq!(r.verified, Verification::Verified);
    same_bytes(r.url.as_deref(), &small).await;
    assert_eq!(env.stat(|s| &s.plain_puts), 1);
    assert_eq!(env.stat(|s| &s.uploads_created), 0, "no tus creation");
    assert_eq!(env.stat(|s| &s.patch_requests), 0);
    assert_eq!(env.stat(|s| &s.finalize_requests), 0);
    eprintln!("one-PUT: {} REST requests", env.stat(|s| &s.rest_requests));

    handle.send(Command::AddFiles { request: 2, paths: vec![big.clone()], destination: Default::default(), options: Default::default() });
    let (added, _, _) = events.added().await;
    let r = events.finish(&added, 30).await[0].done().clone();
    same_bytes(r.url.as_deref(), &big).await;
    assert_eq!(env.stat(|s| &s.plain_puts), 1, "the big file went resumably");
    assert_eq!(env.stat(|s| &s.uploads_created), 1);
    assert_eq!(env.stat(|s| &s.files_created), 2);
    handle.shutdown().await;

    // Finished, the jobs keep what their rows show, not the URLs and tokens they were sent
    // with (about 3 KB each on Wix, and of no use once the file is made).
    let j = journal(&env, "data");
    let jobs = j["jobs"].as_array().expect("jobs");
    assert_eq!(jobs.len(), 2, "{j}");
    for job in jobs {
        assert_eq!(job["state"], "done", "{job}");
        assert!(job["plain"].is_null() && job["session"].is_null(), "{job}");
        assert!(job["result"]["url"].as_str().is_some(), "{job}");
    }
}
}

each_profile! {
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn threshold_zero_sends_every_file_resumably(profile) {
    let env = Env::start_as(profile).await;
    let small = random_file(env.dir.path(), "s.bin", 50_000);
    let mut cfg = env.engine_config("data");
    cfg.one_put_below = 0;
    let (handle, mut events, ids) = start_and_add(cfg, vec![small]).await;
    events.finish(&ids, 30).await[0].done();
    assert_eq!(env.stat(|s| &s.plain_puts), 0);
    assert_eq!(env.stat(|s| &s.uploads_created), 1);
    eprintln!(
        "resumable: {} REST requests, 1 creation, {} PATCH, {} finalize",
        env.stat(|s| &s.rest_requests),
        env.stat(|s| &s.patch_requests),
        env.stat(|s| &s.finalize_requests)
    );
    handle.shutdown().await;
}
}

/// A proxy to `target` that lets at most about `bytes_per_sec` through from client to server.
async fn slow_link(listener: TcpListener, target: std::net::SocketAddr, bytes_per_sec: u64) {
    while let Ok((client, _)) = listener.accept().await {
        let Ok(server) = TcpStream::connect(target).await else {
            continue;
        };
        tokio::spawn(async move {
            let (mut cr, mut cw) = client.into_split();
            let (mut sr, mut sw) = server.into_split();
            let up = async {
                let mut buf = vec![0u8; 16 * 1024];
                while let Ok(n) = cr.read(&mut buf).await {
                    if n == 0 || sw.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_secs_f64(n as f64 / bytes_per_sec as f64))
                        .await;
                }
            };
            let down = async {
                let _ = tokio::io::copy(&mut sr, &mut cw).await;
            };
            tokio::select! { _ = up => {} _ = down => {} }
        });
    }
}

each_profile! {
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_moves_while_a_put_sends(profile) {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(64 * 1024).expect("rcvbuf");
    socket.bind("127.0.0.1:0".parse().expect("addr")).expect("bind");
    let listener = socket.listen(16).expect("listen");
    let proxy = listener.local_addr().expect("addr");
    let env = Env::start_with(|c| {
        c.profile = profile;
        c.public_url = Some(format!("http://{proxy}").parse().expect("url"));
    }).await;
    let link = tokio::spawn(slow_link(listener, env.sandbox.addr, 4 << 20));
    // Big enough that the socket buffers on loopback (a few MB) do not take it all at once.
    let size = 9_000_000;
    let file = random_file(env.dir.path(), "p.bin", size);
    let (handle, mut events, ids) = start_and_add(env.engine_config("data"), vec![file.clone()]).await;
    let r = events.finish(&ids, 60).await[0].done().clone();
    assert_eq!(env.stat(|s| &s.plain_puts), 1);
    let midway: Vec<_> = events.seen.iter().filter_map(|e| match e {
        Event::Progress { sent_bytes, bytes_per_sec, acknowledged_bytes, .. }
            if *sent_bytes > 0 && *sent_bytes < size as u64 => Some((*sent_bytes, *bytes_per_sec, *acknowledged_bytes)),
        _ => None,
    }).collect();
    assert!(midway.len() >= 3, "progress during the PUT: {midway:?}");
    assert!(midway.windows(2).all(|w| w[0].0 <= w[1].0), "{midway:?}");
    // The server confirms nothing until it answers the PUT: bytes in flight are no speed (they
    // were, and the socket buffers made them read several times the link's rate).
    assert!(
        midway.iter().all(|m| m.1.is_none() && m.2 == 0),
        "no speed before the server confirmed a byte: {midway:?}"
    );
    assert_eq!(r.verified, Verification::Verified, "the MD5 computed while streaming");
    handle.shutdown().await;
    link.abort();
}
}

each_profile! {
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_put_answer_leaves_exactly_one_file(profile) {
    let env = Env::start_as(profile).await;
    // The body arrives and the file is made, then the connection is cut instead of answering.
    env.sandbox.faults.add(put_fault(FaultKind::DropConnection { after_bytes: u64::MAX }));
    let (handle, _, _) = upload_one(&env, "lost.bin", 700_000).await;
    assert_eq!(env.stat(|s| &s.files_created), 1, "exactly one file on the site");
    assert_eq!(env.stat(|s| &s.plain_puts), 1, "adopted, not sent again");
    handle.shutdown().await;
}
}

each_profile! {
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_cut_midway_starts_over_with_a_new_url(profile) {
    let env = Env::start_as(profile).await;
    // A 5xx before the file is made: nothing on the site, so a new URL and a second PUT.
    env.sandbox.faults.add(put_fault(FaultKind::Status { status: 503, retry_after_secs: None }));
    let (handle, events, _) = upload_one(&env, "again.bin", 200_000).await;
    // (A PUT the fault answers never reaches the handler that counts it.)
    assert_eq!(env.stat(|s| &s.plain_puts), 1);
    assert!(events.seen.iter().any(|e| matches!(e, Event::Retrying { .. })));
    assert_eq!(env.stat(|s| &s.files_created), 1);
    handle.shutdown().await;
}
}

each_profile! {
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_during_the_put_then_resume_leaves_one_file(profile) {
    let env = Env::start_as(profile).await;
    // The file is made, and the answer waits: Pause lands while the PUT is still open.
    env.sandbox.faults.add(put_fault(FaultKind::Stall(Duration::from_secs(3))));
    let file = random_file(env.dir.path(), "pause.bin", 400_000);
    let (handle, mut events, ids) = start_and_add(env.engine_config("data"), vec![file.clone()]).await;
    let id = ids[0];
    wait_until("the PUT made its file", Duration::from_secs(20), || {
        env.stat(|s| &s.files_created) == 1
    }).await;
    handle.send(Command::Pause(id));
    events.wait_state(JobState::Paused).await;
    handle.send(Command::Resume(id));
    let r = events.finish(&ids, 30).await[0].done().clone();
    same_bytes(r.url.as_deref(), &file).await;
    assert_eq!(env.stat(|s| &s.files_created), 1, "exactly one file");
    assert_eq!(env.stat(|s| &s.plain_puts), 1, "found, not sent again");
    handle.shutdown().await;
}
}

each_profile! {
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_put_waits_and_goes_again(profile) {
    let env = Env::start_as(profile).await;
    env.sandbox.faults.add(put_fault(FaultKind::Status { status: 429, retry_after_secs: None }));
    let (handle, events, _) = upload_one(&env, "rl.bin", 100_000).await;
    assert_eq!(env.stat(|s| &s.plain_puts), 1, "the second PUT (the fault answered the first)");
    assert!(events.seen.iter().any(|e| matches!(e, Event::Retrying { .. })));
    assert_eq!(env.stat(|s| &s.files_created), 1);
    assert_eq!(env.stat(|s| &s.uploads_created), 0, "still one-PUT");
    handle.shutdown().await;
}
}

each_profile! {
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_put_falls_back_to_tus(profile) {
    let env = Env::start_as(profile).await;
    env.sandbox.faults.add(put_fault(FaultKind::Status { status: 400, retry_after_secs: None }));
    let (handle, _, _) = upload_one(&env, "refused.bin", 150_000).await;
    assert_eq!(env.stat(|s| &s.plain_puts), 0, "the fault answered the only PUT");
    assert_eq!(env.stat(|s| &s.uploads_created), 1, "sent resumably instead");
    assert_eq!(env.stat(|s| &s.files_created), 1);
    handle.shutdown().await;
    let j = journal(&env, "data");
    assert!(j["jobs"][0]["plain"].is_null(), "the job took the resumable path");
}
}

each_profile! {
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_put_times_out_like_a_patch(profile) {
    let env = Env::start_as(profile).await;
    // The file is made, then the answer never comes: the stall limit ends the PUT, and the
    // file is found.
    env.sandbox.faults.add(put_fault(FaultKind::Stall(Duration::from_secs(60))));
    let file = random_file(env.dir.path(), "stall.bin", 300_000);
    let mut cfg = env.engine_config("data");
    cfg.tus.idle_timeout = Duration::from_secs(1);
    let started = std::time::Instant::now();
    let (handle, mut events, ids) = start_and_add(cfg, vec![file.clone()]).await;
    let r = events.finish(&ids, 15).await[0].done().clone();
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    same_bytes(r.url.as_deref(), &file).await;
    assert_eq!(env.stat(|s| &s.files_created), 1);
    handle.shutdown().await;
}
}

each_profile! {
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_listed_late_after_a_lost_answer_is_never_made_twice(profile) {
    let env = Env::start_as(profile).await;
    // The bytes are in, but the site makes the file 3 s later; the client gives up after 1 s
    // of silence and finds nothing listed yet. A new URL would make a second copy; the same
    // URL waits for the first PUT and is refused (or answered with its file).
    env.sandbox.faults.add(put_fault(FaultKind::PauseMidway(Duration::from_secs(3))));
    let file = random_file(env.dir.path(), "late.bin", 300_000);
    let mut cfg = env.engine_config("data");
    cfg.tus.idle_timeout = Duration::from_secs(1);
    let (handle, mut events, ids) = start_and_add(cfg, vec![file.clone()]).await;
    let r = events.finish(&ids, 30).await[0].done().clone();
    same_bytes(r.url.as_deref(), &file).await;
    // The first PUT goes on after its client gave up; once it too has ended, every copy the
    // sandbox was asked for is made.
    env.sandbox_idle().await;
    assert_eq!(env.stat(|s| &s.files_created), 1, "one copy on the site");
    handle.shutdown().await;
}
}

each_profile! {
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_put_is_waited_out_past_the_retry_count(profile) {
    let env = Env::start_as(profile).await;
    // Ten 429s in a row on the PUT: more than the two retries failures get.
    env.sandbox.faults.add(
        put_fault(FaultKind::Status {
            status: 429,
            retry_after_secs: Some(0),
        })
        .times(10),
    );
    let file = random_file(env.dir.path(), "busy.bin", 50_000);
    let mut cfg = env.engine_config("data");
    cfg.api_retry = wixup::retry::RetryPolicy::immediate(2);
    let (handle, mut events, ids) = start_and_add(cfg, vec![file.clone()]).await;
    let r = events.finish(&ids, 30).await[0].done().clone();
    same_bytes(r.url.as_deref(), &file).await;
    assert_eq!(env.stat(|s| &s.files_created), 1);
    handle.shutdown().await;
}
}
