//! Work (o): the link goes away mid-batch, as a closed laptop lid or Wi-Fi off does, and comes
//! back; how long after its return the sandbox acknowledges a byte again.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::R;
use super::link::{Counters, LinkState, Mode};
use super::sandbox::Sandbox;

/// Waits until 30 % of `payload` crossed the link, takes it away (`mode`) for `gone`, brings it
/// back, and returns the seconds from then to the sandbox's next received byte.
pub fn run(
    rt: &tokio::runtime::Handle,
    sandbox: &Sandbox,
    counters: &Arc<Counters>,
    state: &Arc<LinkState>,
    mode: Mode,
    gone: Duration,
    payload: u64,
) -> R<f64> {
    let base = counters.snapshot()[1];
    let deadline = Instant::now() + Duration::from_secs(120);
    while counters.snapshot()[1] - base < payload * 3 / 10 {
        if Instant::now() > deadline {
            return Err("the batch never reached 30 % of its bytes".into());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    state.set(mode);
    std::thread::sleep(gone);
    let received = |rt: &tokio::runtime::Handle| -> R<u64> {
        let stats = rt.block_on(sandbox.stats())?;
        Ok(stats["bytesReceived"].as_u64().unwrap_or(0))
    };
    // The link comes back whatever the count says, so a failed look cannot keep it away.
    let before = received(rt);
    state.set(Mode::Up);
    let before = before?;
    let back = Instant::now();
    while received(rt)? <= before {
        if back.elapsed() > Duration::from_secs(300) {
            return Err("no byte acknowledged within 300 s of the link's return".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(back.elapsed().as_secs_f64())
}
