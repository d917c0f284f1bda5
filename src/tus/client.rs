//! The tus driver: runs the state machines of `super::machine` by executing their steps. It
//! sends what they ask (through `super::wire`), sleeps between retries and reports progress;
//! every decision is the machines'.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Url;
use tokio_util::sync::CancellationToken;

use super::chunk::{ChunkSize, ChunkSizer};
use super::error::Error;
pub use super::file::{FileSource, NoProgress, Progress};
use super::machine::{Creation, Discovery, Transfer};
use super::protocol::{self, Capabilities, Created};
use super::step::{self, Machine, Step};
use super::wire::{self, Sender, Wire};
use crate::retry::{self, RetryPolicy};

/// How the client behaves. `Default` is what users get.
#[derive(Debug, Clone)]
pub struct TusConfig {
    /// PATCH size: adaptive (about 10 s of data each) unless fixed by `--chunk-size`.
    pub chunk_size: ChunkSize,
    /// A request that moves no bytes for this long is aborted and resumed.
    pub idle_timeout: Duration,
    /// Delays between retries of transient failures.
    pub retry: RetryPolicy,
    /// Send `Upload-Checksum` on each PATCH when the server offers an algorithm we know.
    pub checksum: bool,
    /// Files up to this size go in the creation request itself when the server offers
    /// creation-with-upload (one round trip). Bigger files are created empty first, so that the
    /// upload URL can be saved before any byte is sent.
    pub creation_with_upload_max_bytes: u64,
    /// Connection establishment limit.
    pub connect_timeout: Duration,
    /// The upload speed limit, shared with every other transfer (and changed through it).
    pub throttle: crate::file_stream::Throttle,
}

impl Default for TusConfig {
    fn default() -> Self {
        Self {
            chunk_size: ChunkSize::Adaptive,
            idle_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            checksum: true,
            creation_with_upload_max_bytes: 4 * 1024 * 1024,
            connect_timeout: Duration::from_secs(15),
            throttle: crate::file_stream::Throttle::default(),
        }
    }
}

/// A tus 1.0 client. Cheap to share (`Arc`); caches each endpoint's `OPTIONS` answer.
pub struct TusClient {
    wire: Wire,
    config: TusConfig,
    /// How requests reach the network: a retry after an outage looks for it where they go.
    network: crate::net::Network,
    /// `OPTIONS` answers by endpoint.
    capabilities: Mutex<HashMap<String, Arc<Capabilities>>>,
    /// The last speed measured per endpoint (bytes per second), to size the next upload's
    /// first chunk.
    speeds: Mutex<HashMap<String, f64>>,
}

impl TusClient {
    pub fn new(config: TusConfig) -> Result<Self, Error> {
        Self::with_proxy(config, &crate::net::Network::default())
    }

    /// Like [`TusClient::new`], through `proxy` (loopback always direct).
    pub fn with_proxy(config: TusConfig, proxy: &crate::net::Network) -> Result<Self, Error> {
        let http = proxy
            .apply(crate::trust::Uses::Bytes, reqwest::Client::builder())
            .connect_timeout(config.connect_timeout)
            .tcp_nodelay(true)
            .user_agent(concat!("wixup/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(Error::network)?;
        Ok(Self {
            wire: Wire {
                http,
                idle_timeout: config.idle_timeout,
                throttle: config.throttle.clone(),
            },
            config,
            network: proxy.clone(),
            capabilities: Mutex::new(HashMap::new()),
            speeds: Mutex::new(HashMap::new()),
        })
    }

    /// What the endpoint supports, from one `OPTIONS` per endpoint (cached). A server that does
    /// not answer `OPTIONS` is assumed to offer creation only.
    pub async fn capabilities(&self, endpoint: &Url) -> Result<Arc<Capabilities>, Error> {
        if let Some(c) = self.cached(endpoint) {
            return Ok(c);
        }
        let sender = wire::Discover {
            wire: &self.wire,
            endpoint,
        };
        let mut machine = Discovery::new(self.config.retry.clone());
        let never = CancellationToken::new();
        let caps = self
            .drive(&mut machine, &sender, endpoint, &NoProgress, &never)
            .await?;
        let caps = Arc::new(caps);
        if let Ok(mut map) = self.capabilities.lock() {
            map.insert(endpoint.to_string(), caps.clone());
        }
        Ok(caps)
    }

    fn cached(&self, endpoint: &Url) -> Option<Arc<Capabilities>> {
        self.capabilities
            .lock()
            .ok()
            .and_then(|m| m.get(endpoint.as_str()).cloned())
    }

    /// Creates an upload. Small files (and only when the server offers creation-with-upload) are
    /// sent in the same request; otherwise the upload is created empty, so the caller can save
    /// its URL before the first byte goes out.
    pub async fn create(
        &self,
        endpoint: &Url,
        file: &FileSource,
        metadata: &[(&str, &str)],
        progress: Arc<dyn Progress>,
        cancel: &CancellationToken,
    ) -> Result<Created, Error> {
        let caps = self.capabilities(endpoint).await?;
        let mut machine = Creation::new(
            &caps,
            endpoint,
            file.len,
            self.config.creation_with_upload_max_bytes,
            self.config.retry.clone(),
        )?;
        let metadata = protocol::encode_metadata(metadata)?;
        let sender = wire::Create {
            wire: &self.wire,
            endpoint,
            file,
            metadata: &metadata,
            progress: &progress,
            cancel,
        };
        let created = self
            .drive(&mut machine, &sender, endpoint, progress.as_ref(), cancel)
            .await?;
        if created.offset > 0 {
            progress.acknowledged(created.offset);
        }
        Ok(created)
    }

    /// Deletes an upload (termination), when the endpoint offers it. A missing upload is fine.
    pub async fn terminate(&self, endpoint: &Url, url: &Url) -> Result<(), Error> {
        if !self.capabilities(endpoint).await?.supports("termination") {
            return Ok(());
        }
        step::delete_answer(&self.wire.delete(url).await?)
    }

    /// Sends the rest of `file` to the upload at `url`, from the server's offset, until the
    /// server holds every byte. `known_offset` is what the caller already knows the server holds
    /// (from creation); `None` asks the server first.
    ///
    /// Retries transient failures (resetting the attempt count whenever the offset advanced),
    /// aborts stalled requests, halves the chunk on 413, and returns [`Error::Cancelled`]
    /// promptly when `cancel` fires.
    pub async fn upload(
        &self,
        endpoint: &Url,
        url: &Url,
        file: &FileSource,
        known_offset: Option<u64>,
        progress: Arc<dyn Progress>,
        cancel: &CancellationToken,
    ) -> Result<(), Error> {
        let caps = self.capabilities(endpoint).await?;
        let known_speed = self
            .speeds
            .lock()
            .ok()
            .and_then(|m| m.get(endpoint.as_str()).copied());
        let sizer = ChunkSizer::with_speed(self.config.chunk_size, known_speed);
        let mut machine = Transfer::new(file.len, known_offset, sizer, self.config.retry.clone());
        let sender = wire::Transfer {
            wire: &self.wire,
            url,
            file,
            checksum: caps.checksum_mode(self.config.checksum),
            progress: &progress,
            cancel,
        };
        self.drive(&mut machine, &sender, endpoint, progress.as_ref(), cancel)
            .await
    }

    /// Runs `machine` to its end: sends what it asks through `sender`, feeds back the answers,
    /// sleeps between retries, reports progress. Stops with [`Error::Cancelled`] once `cancel`
    /// fires.
    async fn drive<M: Machine>(
        &self,
        machine: &mut M,
        sender: &impl Sender<M::Request>,
        endpoint: &Url,
        progress: &dyn Progress,
        cancel: &CancellationToken,
    ) -> Result<M::Output, Error> {
        let beacon = retry::Beacon::for_url(endpoint, &self.network);
        loop {
            // Checked at every step, as before the machines: a cancel that lands while the last
            // PATCH is answered still ends the upload as cancelled, not done.
            if cancel.is_cancelled() {
                return Err(Error::Cancelled);
            }
            match machine.poll() {
                Step::Send(request) => match sender.send(request).await {
                    Ok(reply) => machine.on_reply(request, reply),
                    Err(e) => machine.on_error(e),
                },
                Step::Acknowledged(offset) => progress.acknowledged(offset),
                Step::Measured(bytes_per_sec) => {
                    if let Ok(mut m) = self.speeds.lock() {
                        m.insert(endpoint.to_string(), bytes_per_sec);
                    }
                }
                Step::Wait {
                    delay,
                    attempt,
                    error,
                } => {
                    tracing::debug!(attempt, ?delay, error = %error, "tus: retrying");
                    progress.retrying(&error, attempt, delay);
                    let waited = if error.is_offline() {
                        retry::wait_offline(delay, beacon.as_ref(), cancel).await
                    } else {
                        retry::wait(delay, cancel).await
                    };
                    if !waited {
                        return Err(Error::Cancelled);
                    }
                }
                Step::Done(output) => return Ok(output),
                Step::Failed(e) => return Err(e),
            }
        }
    }
}
