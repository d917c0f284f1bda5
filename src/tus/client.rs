//! The tus driver: reqwest requests built from [`super::protocol`] decisions, file ranges streamed
//! from disk, a stall watchdog on every request, and the retry loop.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use reqwest::{Method, StatusCode, Url};
use tokio_util::sync::CancellationToken;

use super::Error;
use super::body::{self, StreamState};
use super::chunk::{ChunkSize, ChunkSizer};
use super::error::error_from_response;
pub use super::file::{FileSource, NoProgress, Progress};
use super::protocol::{
    self, Capabilities, ChecksumAlgorithm, Created, HeadInfo, OFFSET_CONTENT_TYPE, TUS_VERSION,
};
use crate::retry::RetryPolicy;

/// How the client behaves. `Default` is what users get.
#[derive(Debug, Clone)]
pub struct TusConfig {
    /// PATCH size: adaptive (about 3 s of data each) unless fixed by `--chunk-size`.
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
        }
    }
}

/// A tus 1.0 client. Cheap to share (`Arc`); caches each endpoint's `OPTIONS` answer.
pub struct TusClient {
    pub(super) http: reqwest::Client,
    pub(super) config: TusConfig,
    /// `OPTIONS` answers by endpoint.
    pub(super) capabilities: Mutex<HashMap<String, Arc<Capabilities>>>,
    /// The last speed measured per endpoint (bytes per second), to size the next upload's
    /// first chunk.
    speeds: Mutex<HashMap<String, f64>>,
}

impl TusClient {
    pub fn new(config: TusConfig) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .tcp_nodelay(true)
            .user_agent(concat!("wixup/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(Error::network)?;
        Ok(Self {
            http,
            config,
            capabilities: Mutex::new(HashMap::new()),
            speeds: Mutex::new(HashMap::new()),
        })
    }

    pub fn config(&self) -> &TusConfig {
        &self.config
    }

    /// What the endpoint supports, from one `OPTIONS` per endpoint (cached). A server that does
    /// not answer `OPTIONS` is assumed to offer creation only.
    pub async fn capabilities(&self, endpoint: &Url) -> Result<Arc<Capabilities>, Error> {
        if let Some(c) = self.cached(endpoint) {
            return Ok(c);
        }
        let mut attempt = 0;
        let caps = loop {
            let req = self.http.request(Method::OPTIONS, endpoint.clone());
            match self.send(req).await {
                Ok(resp) if resp.status().is_success() => {
                    break Capabilities::from_headers(resp.headers());
                }
                Ok(resp) if resp.status().is_client_error() => break Capabilities::assumed(),
                Ok(resp) => {
                    let e = error_from_response("OPTIONS", resp).await;
                    self.backoff(e, &mut attempt, &NoProgress, None).await?;
                }
                Err(e) => self.backoff(e, &mut attempt, &NoProgress, None).await?,
            }
        };
        if !caps.versions.is_empty() && !caps.versions.iter().any(|v| v == TUS_VERSION) {
            return Err(Error::UnsupportedVersion(caps.versions.join(",")));
        }
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
        caps.check_size(file.len)?;
        let metadata = protocol::encode_metadata(metadata)?;
        let with_data = caps.supports("creation-with-upload")
            && file.len > 0
            && file.len <= self.config.creation_with_upload_max_bytes;
        let mut attempt = 0;
        loop {
            let mut req = self
                .http
                .post(endpoint.clone())
                .header("Tus-Resumable", TUS_VERSION)
                .header("Upload-Length", file.len);
            if !metadata.is_empty() {
                // An empty Upload-Metadata header is refused by some servers (@tus/server).
                req = req.header("Upload-Metadata", &metadata);
            }
            let mut state = None;
            if with_data {
                file.check_unchanged().await?;
                let (body, s) =
                    body::range_body(file.path.clone(), 0, file.len, None, progress.clone());
                req = req
                    .header("Content-Type", OFFSET_CONTENT_TYPE)
                    .header("Content-Length", file.len)
                    .body(body);
                state = Some(s);
            } else {
                req = req.header("Content-Length", 0);
            }
            let result = self.send_watched(req, state.clone(), cancel).await;
            if let Some(s) = &state
                && s.short.load(Ordering::Relaxed)
            {
                return Err(Error::FileEndedEarly {
                    offset: s.sent.load(Ordering::Relaxed),
                    expected: file.len,
                });
            }
            let err = match result {
                Ok(resp) if resp.status() == StatusCode::CREATED => {
                    let url = protocol::resolve_location(endpoint, resp.headers())?;
                    let offset = if with_data {
                        let o = protocol::parse_offset(resp.headers()).unwrap_or(0);
                        protocol::validate_patch_offset(0, file.len, o)?
                    } else {
                        0
                    };
                    if offset > 0 {
                        progress.acknowledged(offset);
                    }
                    return Ok(Created {
                        url,
                        offset,
                        expires: protocol::parse_expires(resp.headers()),
                    });
                }
                Ok(resp) if resp.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    return Err(Error::TooLarge {
                        size: file.len,
                        max: caps.max_size.unwrap_or(0),
                    });
                }
                Ok(resp) => error_from_response("POST", resp).await,
                Err(e) => e,
            };
            self.backoff(err, &mut attempt, progress.as_ref(), Some(cancel))
                .await?;
        }
    }

    /// Asks the server where the upload stands.
    pub async fn head(&self, url: &Url) -> Result<HeadInfo, Error> {
        let req = self
            .http
            .head(url.clone())
            .header("Tus-Resumable", TUS_VERSION);
        let resp = self.send(req).await?;
        match resp.status().as_u16() {
            200..=299 => HeadInfo::from_headers(resp.headers()),
            403 | 404 | 410 => Err(Error::Gone {
                status: resp.status().as_u16(),
            }),
            _ => Err(error_from_response("HEAD", resp).await),
        }
    }

    /// Deletes an upload (termination), when the endpoint offers it. A missing upload is fine.
    pub async fn terminate(&self, endpoint: &Url, url: &Url) -> Result<(), Error> {
        if !self.capabilities(endpoint).await?.supports("termination") {
            return Ok(());
        }
        let req = self
            .http
            .delete(url.clone())
            .header("Tus-Resumable", TUS_VERSION);
        let resp = self.send(req).await?;
        match resp.status().as_u16() {
            200..=299 | 404 | 410 => Ok(()),
            _ => Err(error_from_response("DELETE", resp).await),
        }
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
        let checksum = match caps.checksum_algorithm() {
            Some(alg) if self.config.checksum && caps.supports("checksum-trailer") => {
                Checksum::Trailer(alg)
            }
            Some(alg) if self.config.checksum => Checksum::Header(alg),
            _ => Checksum::None,
        };
        let known_speed = self
            .speeds
            .lock()
            .ok()
            .and_then(|m| m.get(endpoint.as_str()).copied());
        let mut sizer = ChunkSizer::with_speed(self.config.chunk_size, known_speed);
        let mut acknowledged = known_offset.unwrap_or(0);
        let mut offset = acknowledged;
        let mut need_head = known_offset.is_none();
        let mut attempt = 0;
        loop {
            if cancel.is_cancelled() {
                return Err(Error::Cancelled);
            }
            if need_head {
                match self.watch(self.head(url), None, cancel).await {
                    Ok(info) => {
                        if protocol::is_expired(info.expires, SystemTime::now()) {
                            return Err(Error::Expired);
                        }
                        offset = info.validate(file.len, acknowledged)?;
                        need_head = false;
                    }
                    Err(e) => {
                        self.backoff(e, &mut attempt, progress.as_ref(), Some(cancel))
                            .await?;
                        continue;
                    }
                }
            }
            if offset > acknowledged {
                acknowledged = offset;
                attempt = 0;
                progress.acknowledged(offset);
            }
            if offset >= file.len {
                return Ok(());
            }
            file.check_unchanged().await?;
            let len = sizer.next().min(file.len - offset);
            let started = Instant::now();
            match self
                .patch(url, file, offset, len, checksum, progress.clone(), cancel)
                .await
            {
                Ok(new) => {
                    if new == offset {
                        // Accepted nothing: count it as a failed attempt so it cannot loop.
                        let e = Error::Protocol("the server accepted no bytes".into());
                        self.backoff_any(e, &mut attempt, progress.as_ref(), cancel)
                            .await?;
                        need_head = true;
                    } else {
                        let elapsed = started.elapsed();
                        tracing::debug!(
                            offset,
                            bytes = new - offset,
                            ?elapsed,
                            "tus: PATCH acknowledged"
                        );
                        sizer.observe(new - offset, elapsed);
                        if let (Some(bps), Ok(mut m)) = (sizer.speed(), self.speeds.lock()) {
                            m.insert(endpoint.to_string(), bps);
                        }
                        offset = new;
                    }
                }
                Err(Error::Status { status: 413, .. }) if sizer.halve() => {
                    tracing::info!(chunk = sizer.next(), "413 on PATCH: halving the chunk size");
                    need_head = true;
                }
                Err(Error::Gone { status }) => return Err(Error::Gone { status }),
                Err(e) => {
                    self.backoff(e, &mut attempt, progress.as_ref(), Some(cancel))
                        .await?;
                    need_head = true;
                }
            }
        }
    }

    /// One PATCH of `len` bytes from `offset`; returns the server's new offset.
    #[allow(clippy::too_many_arguments)]
    async fn patch(
        &self,
        url: &Url,
        file: &FileSource,
        offset: u64,
        len: u64,
        checksum: Checksum,
        progress: Arc<dyn Progress>,
        cancel: &CancellationToken,
    ) -> Result<u64, Error> {
        let mut req = self
            .http
            .patch(url.clone())
            .header("Tus-Resumable", TUS_VERSION)
            .header("Upload-Offset", offset)
            .header("Content-Type", OFFSET_CONTENT_TYPE);
        let mut trailer = None;
        match checksum {
            Checksum::None => req = req.header("Content-Length", len),
            Checksum::Header(alg) => {
                let digest = body::digest_range(file.path.clone(), offset, len, alg).await?;
                req = req
                    .header("Content-Length", len)
                    .header("Upload-Checksum", protocol::checksum_header(alg, &digest));
            }
            Checksum::Trailer(alg) => {
                // Chunked, with the checksum computed while reading and sent after the data.
                req = req.header("Trailer", "Upload-Checksum");
                trailer = Some(alg);
            }
        }
        let (body, state) = body::range_body(file.path.clone(), offset, len, trailer, progress);
        let result = self
            .send_watched(req.body(body), Some(state.clone()), cancel)
            .await;
        if state.short.load(Ordering::Relaxed) {
            return Err(Error::FileEndedEarly {
                offset: state.sent.load(Ordering::Relaxed),
                expected: file.len,
            });
        }
        let resp = result?;
        match resp.status().as_u16() {
            200..=299 => {
                let new = protocol::parse_offset(resp.headers())?;
                if protocol::is_expired(protocol::parse_expires(resp.headers()), SystemTime::now())
                    && new < file.len
                {
                    return Err(Error::Expired);
                }
                protocol::validate_patch_offset(offset, len, new)
            }
            404 | 410 => Err(Error::Gone {
                status: resp.status().as_u16(),
            }),
            _ => Err(error_from_response("PATCH", resp).await),
        }
    }

    /// Sends a request under the stall watchdog, stopping early when `cancel` fires.
    async fn send_watched(
        &self,
        req: reqwest::RequestBuilder,
        state: Option<Arc<StreamState>>,
        cancel: &CancellationToken,
    ) -> Result<reqwest::Response, Error> {
        let fut = req.send();
        self.watch(async { fut.await.map_err(Error::network) }, state, cancel)
            .await
    }

    /// Sends a bodiless request under the stall watchdog.
    async fn send(&self, req: reqwest::RequestBuilder) -> Result<reqwest::Response, Error> {
        self.send_watched(req, None, &CancellationToken::new())
            .await
    }
}

/// How a PATCH proves its bytes.
#[derive(Debug, Clone, Copy)]
enum Checksum {
    None,
    /// `Upload-Checksum` header: the range is hashed before it is sent (a second read).
    Header(ChecksumAlgorithm),
    /// `Upload-Checksum` trailer (`checksum-trailer`): hashed while it streams.
    Trailer(ChecksumAlgorithm),
}
