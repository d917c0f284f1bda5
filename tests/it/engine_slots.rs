//! A slot is a transfer: a file whose bytes are all sent frees its upload slot while Wix
//! finalizes and processes it, so slow processing (minutes for a video on Wix) never stops the
//! next file from sending.

use std::time::Duration;

use wixup::engine::{Command, JobState, Verification};

use super::support::{Env, Events, random_file, wait_until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_being_processed_does_not_hold_the_only_slot() {
    // Processing takes 4 s: long enough to see the next file send meanwhile.
    let env = Env::start_with(|c| c.processing_delay = Duration::from_secs(4)).await;
    let a = random_file(env.dir.path(), "a.bin", 300_000);
    let b = random_file(env.dir.path(), "b.bin", 300_000);
    let mut cfg = env.engine_config("data");
    cfg.parallel = 1;
    cfg.poll_delays = vec![Duration::from_millis(50)];
    let (handle, rx) = wixup::engine::start(cfg, None).expect("engine");
    let mut events = Events::new(rx);
    handle.send(Command::AddFiles {
        request: 1,
        paths: vec![a, b],
        destination: Default::default(),
    });
    let (ids, _, _) = events.added().await;
    wait_until(
        "the second file never finished sending while the first was processing",
        Duration::from_secs(3),
        || env.stat(|s| &s.files_created) == 2,
    )
    .await;
    let jobs = handle.snapshot().await;
    assert!(
        jobs.iter()
            .all(|j| matches!(j.state, JobState::Processing | JobState::Finalizing)),
        "both sent, both still processing: {:?}",
        jobs.iter().map(|j| j.state).collect::<Vec<_>>()
    );
    for o in events.finish(&ids, 30).await {
        assert_eq!(o.done().verified, Verification::Verified);
    }
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_poller_asks_about_every_processing_file_together() {
    // 24 files processing for 2 s each, polled every 100 ms: a poll per file would be about
    // 24 × 20 = 480 status requests; one shared get-files poller needs about 20-30.
    let env = Env::start_with(|c| c.processing_delay = Duration::from_secs(2)).await;
    let paths: Vec<_> = (0..24)
        .map(|i| random_file(env.dir.path(), &format!("p{i}.bin"), 20_000))
        .collect();
    let mut cfg = env.engine_config("data");
    cfg.parallel = 16;
    cfg.poll_delays = vec![Duration::from_millis(100)];
    let (handle, rx) = wixup::engine::start(cfg, None).expect("engine");
    let mut events = Events::new(rx);
    handle.send(Command::AddFiles {
        request: 1,
        paths,
        destination: Default::default(),
    });
    let (ids, _, _) = events.added().await;
    for o in events.finish(&ids, 60).await {
        assert_eq!(o.done().verified, Verification::Verified);
    }
    let asked = env.stat(|s| &s.status_requests);
    assert!(
        asked <= 60,
        "{asked} status requests for 24 files: they are not asked about together"
    );
    handle.shutdown().await;
}
