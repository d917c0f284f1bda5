//! What every worker (upload or import) shares: the HTTP clients, the poller and the settings
//! the engine was started with.

use std::time::Duration;

use crate::tus::TusClient;
use crate::wix_media::WixMediaClient;

/// What workers share.
pub(super) struct Shared {
    pub tus: TusClient,
    pub wix: WixMediaClient,
    /// Asks Wix about every file still processing, together.
    pub poller: super::poller::Poller,
    pub poll_timeout: Duration,
    /// Waiting this long for READY is said to the person (`processing.rs`).
    pub processing_notice_after: Duration,
    /// Waits between finalizes refused by a rate limit.
    pub api_retry: crate::retry::RetryPolicy,
    /// Files smaller than this take the one-PUT path (0: none).
    pub one_put_below: u64,
    /// A one-PUT that moves no byte for this long is stalled (as a tus PATCH).
    pub put_idle: Duration,
    /// Where staged copies live (`<data_dir>/staged/`).
    pub data_dir: std::path::PathBuf,
    /// The upload speed limit every transfer shares.
    pub throttle: crate::file_stream::Throttle,
    /// Told whether anything sends (the sleep inhibitor).
    pub keep_awake: crate::awake::KeepAwake,
}
