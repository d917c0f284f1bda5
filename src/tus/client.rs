//! The tus driver: reqwest requests built from [`super::protocol`] decisions, file ranges streamed
//! from disk, a stall watchdog on every request, and the retry loop.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use reqwest::{Method, StatusCode, Url};
use tokio_util::sync::CancellationToken;

use super::Error;
use super::body::{self, StreamState};
use super::protocol::{
    self, Capabilities, ChecksumAlgorithm, ChunkSize, ChunkSizer, Created, HeadInfo,
    OFFSET_CONTENT_TYPE, TUS_VERSION,
};
use crate::retry::{RetryPolicy, parse_retry_after};

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

/// The local file behind an upload, with the identity it had when the upload began.
#[derive(Debug, Clone)]
pub struct FileSource {
    pub path: PathBuf,
    pub len: u64,
    /// Modification time when queued; a change means the file was edited mid-upload.
    pub mtime: Option<SystemTime>,
}

impl FileSource {
    /// Reads the identity of a file on disk.
    pub fn open(path: impl Into<PathBuf>) -> std::io::Result<Self> {
        let path = path.into();
        let meta = std::fs::metadata(&path)?;
        if !meta.is_file() {
            return Err(std::io::Error::other("not a regular file"));
        }
        Ok(Self {
            len: meta.len(),
            mtime: meta.modified().ok(),
            path,
        })
    }

    /// Fails with [`Error::FileChanged`] when the size or modification time moved.
    pub async fn check_unchanged(&self) -> Result<(), Error> {
        let meta = tokio::fs::metadata(&self.path).await?;
        if meta.len() != self.len || (self.mtime.is_some() && meta.modified().ok() != self.mtime) {
            return Err(Error::FileChanged);
        }
        Ok(())
    }
}

/// Observes an upload. Every method has an empty default.
pub trait Progress: Send + Sync {
    /// Bytes up to `offset` were handed to the connection (may run ahead of the server).
    fn sent(&self, _offset: u64) {}
    /// The server acknowledged bytes up to `offset`.
    fn acknowledged(&self, _offset: u64) {}
    /// A transient failure; the client will retry after `delay`.
    fn retrying(&self, _error: &Error, _attempt: usize, _delay: Duration) {}
    /// Bytes read from the file at `offset`, as they are sent (for hashing on the fly).
    fn data(&self, _offset: u64, _bytes: &[u8]) {}
}

/// A [`Progress`] that ignores everything.
pub struct NoProgress;
impl Progress for NoProgress {}

/// A tus 1.0 client. Cheap to share (`Arc`); caches each endpoint's `OPTIONS` answer.
pub struct TusClient {
    http: reqwest::Client,
    config: TusConfig,
    capabilities: Mutex<HashMap<String, Arc<Capabilities>>>,
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
                    self.backoff(&e, &mut attempt, &NoProgress, None).await?;
                }
                Err(e) => self.backoff(&e, &mut attempt, &NoProgress, None).await?,
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
            self.backoff(&err, &mut attempt, progress.as_ref(), Some(cancel))
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
        let mut sizer = ChunkSizer::new(self.config.chunk_size);
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
                        self.backoff(&e, &mut attempt, progress.as_ref(), Some(cancel))
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
                        self.backoff_any(&e, &mut attempt, progress.as_ref(), cancel)
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
                        offset = new;
                    }
                }
                Err(Error::Status { status: 413, .. }) if sizer.halve() => {
                    tracing::info!(chunk = sizer.next(), "413 on PATCH: halving the chunk size");
                    need_head = true;
                }
                Err(Error::Gone { status }) => return Err(Error::Gone { status }),
                Err(e) => {
                    self.backoff(&e, &mut attempt, progress.as_ref(), Some(cancel))
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

    /// Runs `fut` until it finishes, `cancel` fires, or no bytes move for the idle timeout.
    /// Bytes moving means the request body being pulled (when `state` is given); without a body
    /// the whole exchange must finish within the idle timeout.
    async fn watch<T>(
        &self,
        fut: impl Future<Output = Result<T, Error>>,
        state: Option<Arc<StreamState>>,
        cancel: &CancellationToken,
    ) -> Result<T, Error> {
        let idle = self.config.idle_timeout;
        let started = Instant::now();
        let tick = (idle / 4).clamp(Duration::from_millis(20), Duration::from_secs(1));
        let mut ticker = tokio::time::interval(tick);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(fut);
        loop {
            tokio::select! {
                r = &mut fut => return r,
                _ = cancel.cancelled() => return Err(Error::Cancelled),
                _ = ticker.tick() => {
                    let last = state.as_ref().map_or(started, |s| s.last_activity(started));
                    if last.elapsed() >= idle {
                        return Err(Error::Stalled(idle));
                    }
                }
            }
        }
    }

    /// Waits before the next retry, or returns the error when it is final or retries ran out.
    async fn backoff(
        &self,
        err: &Error,
        attempt: &mut usize,
        progress: &dyn Progress,
        cancel: Option<&CancellationToken>,
    ) -> Result<(), Error> {
        if !err.is_retryable() {
            return Err(clone_error(err));
        }
        match cancel {
            Some(c) => self.backoff_any(err, attempt, progress, c).await,
            None => {
                self.backoff_any(err, attempt, progress, &CancellationToken::new())
                    .await
            }
        }
    }

    /// Like `backoff`, for an error the caller already decided to retry.
    async fn backoff_any(
        &self,
        err: &Error,
        attempt: &mut usize,
        progress: &dyn Progress,
        cancel: &CancellationToken,
    ) -> Result<(), Error> {
        let Some(delay) = self.config.retry.delay(*attempt, err.retry_after()) else {
            return Err(clone_error(err));
        };
        *attempt += 1;
        tracing::debug!(attempt = *attempt, ?delay, error = %err, "tus: retrying");
        progress.retrying(err, *attempt, delay);
        tokio::select! {
            _ = tokio::time::sleep(delay) => Ok(()),
            _ = cancel.cancelled() => Err(Error::Cancelled),
        }
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

/// Errors hold a non-clonable `reqwest::Error`; the retry loop hands back a faithful copy of the
/// last one when it gives up.
fn clone_error(e: &Error) -> Error {
    match e {
        Error::Network(inner) => Error::Protocol(format!("network error: {inner}")),
        Error::Stalled(d) => Error::Stalled(*d),
        Error::Status {
            method,
            status,
            message,
            retry_after,
        } => Error::Status {
            method,
            status: *status,
            message: message.clone(),
            retry_after: *retry_after,
        },
        Error::Gone { status } => Error::Gone { status: *status },
        Error::Expired => Error::Expired,
        Error::TooLarge { size, max } => Error::TooLarge {
            size: *size,
            max: *max,
        },
        Error::UnsupportedVersion(v) => Error::UnsupportedVersion(v.clone()),
        Error::Protocol(m) => Error::Protocol(m.clone()),
        Error::FileEndedEarly { offset, expected } => Error::FileEndedEarly {
            offset: *offset,
            expected: *expected,
        },
        Error::FileChanged => Error::FileChanged,
        Error::Io(io) => Error::Io(std::io::Error::new(io.kind(), io.to_string())),
        Error::Cancelled => Error::Cancelled,
    }
}

/// Turns an unexpected answer into an [`Error::Status`] carrying the server's message.
async fn error_from_response(method: &'static str, resp: reqwest::Response) -> Error {
    let status = resp.status().as_u16();
    let retry_after =
        protocol::header_str(resp.headers(), "retry-after").and_then(parse_retry_after);
    if status == 412 {
        let v = protocol::header_str(resp.headers(), "tus-version").unwrap_or("");
        return Error::UnsupportedVersion(v.to_string());
    }
    let text = resp.text().await.unwrap_or_default();
    let mut message: String = text.trim().chars().take(300).collect();
    if message.starts_with('<') {
        message = String::new(); // an HTML error page says nothing a person can use
    }
    Error::Status {
        method,
        status,
        message,
        retry_after,
    }
}
