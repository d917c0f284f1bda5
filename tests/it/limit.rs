//! "Limit upload speed": one budget every transfer shares (tus PATCHes and one-PUTs), which
//! holds their bytes back and can be changed or lifted while they send. How close the achieved
//! rate comes to the cap is the field benchmark's to say (`l2`, `l8`); here, that the budget
//! holds each kind of transfer back, that every byte still arrives whole, and that lifting it
//! lets them go on at once.

use std::time::Duration;

use wixup::engine::Verification;
use wixup::file_stream::Throttle;

use super::support::{Env, random_file, start_and_add, wait_until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_limit_holds_each_kind_of_transfer_back_and_lifts_while_they_send() {
    // A one-PUT (under 10 MB), then a tus upload in small chunks, each alone under the limit.
    for (name, size) in [("small.bin", 3_000_000), ("big.bin", 12_000_000)] {
        let env = Env::start().await;
        let file = random_file(env.dir.path(), name, size);
        let throttle = Throttle::new(Some(500_000));
        let mut cfg = env.engine_config("data");
        cfg.tus.throttle = throttle.clone();
        cfg.tus.chunk_size = wixup::tus::ChunkSize::Fixed(1 << 20);
        let (handle, mut events, ids) = start_and_add(cfg, vec![file]).await;
        wait_until(
            &format!("the limit to hold {name} back"),
            Duration::from_secs(10),
            || throttle.holding(Duration::from_secs(1)),
        )
        .await;
        // At 500 kB/s, a second or so in: far from all of it.
        let sent_while_held = env.stat(|s| &s.bytes_received);
        assert!(
            sent_while_held < size as u64 / 2,
            "{name}: {sent_while_held}"
        );
        // Lifted while it sends: the rest goes at the link's speed (the loopback's).
        throttle.set(None);
        for o in events.finish(&ids, 60).await {
            assert_eq!(o.done().verified, Verification::Verified);
        }
        assert_eq!(env.stat(|s| &s.bytes_received), size as u64);
        handle.shutdown().await;
    }
}
