//! How each request of the machines goes out: the reqwest request built with its headers, the
//! file range streamed as its body, the whole exchange under the stall watchdog, the answer read
//! into a [`Reply`]. Nothing here decides what an answer means.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

use reqwest::{Method, Url};
use tokio_util::sync::CancellationToken;

use super::checksum::{Hasher, digest_range};
use super::error::Error;
use super::file::{FileSource, Progress};
use super::machine::{Options, Post, Resume};
use super::protocol::{self, Checksum, OFFSET_CONTENT_TYPE, TUS_VERSION};
use super::status;
use super::step::Reply;
use crate::file_stream::{self as body, Interrupted, StreamState, Trailer, watch};

/// The HTTP side of the client: the connection pool and the stall limit.
pub(super) struct Wire {
    pub http: reqwest::Client,
    /// A request that moves no bytes for this long is aborted.
    pub idle_timeout: Duration,
    /// The upload speed limit every body shares.
    pub throttle: crate::file_stream::Throttle,
}

/// Sends the requests of one operation (one implementation per machine's request type).
pub(super) trait Sender<R> {
    fn send(&self, request: R) -> impl Future<Output = Result<Reply, Error>> + Send;
}

impl Wire {
    /// A `HEAD` of the upload at `url`.
    pub async fn head(&self, url: &Url, cancel: &CancellationToken) -> Result<Reply, Error> {
        let req = self
            .http
            .head(url.clone())
            .header("Tus-Resumable", TUS_VERSION);
        self.exchange(status::Method::Head, req, None, Instant::now(), cancel)
            .await
    }

    /// A `DELETE` of the upload at `url`.
    pub async fn delete(&self, url: &Url) -> Result<Reply, Error> {
        let req = self
            .http
            .delete(url.clone())
            .header("Tus-Resumable", TUS_VERSION);
        let never = CancellationToken::new();
        self.exchange(status::Method::Delete, req, None, Instant::now(), &never)
            .await
    }

    /// [`Self::exchange`] for a request whose body streams `file`: a file that ran out before
    /// the body did is [`Error::FileEndedEarly`], whatever the server answered.
    async fn exchange_file(
        &self,
        method: status::Method,
        req: reqwest::RequestBuilder,
        state: &Arc<StreamState>,
        file: &FileSource,
        started: Instant,
        cancel: &CancellationToken,
    ) -> Result<Reply, Error> {
        let reply = self
            .exchange(method, req, Some(state.clone()), started, cancel)
            .await;
        ended_early(state, file)?;
        reply
    }

    /// Sends a request under the stall watchdog, stopping early when `cancel` fires, and reads
    /// the answer: its text too when the status makes it an error message (that read must end
    /// within the idle timeout as well). `started` is when the exchange began, for
    /// [`Reply::elapsed`].
    async fn exchange(
        &self,
        method: status::Method,
        req: reqwest::RequestBuilder,
        state: Option<Arc<StreamState>>,
        started: Instant,
        cancel: &CancellationToken,
    ) -> Result<Reply, Error> {
        let idle = self.idle_timeout;
        let fut = req.send();
        let resp = watch(
            async { fut.await.map_err(Error::network) },
            state,
            idle,
            cancel,
        )
        .await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let elapsed = started.elapsed();
        let message = if status::meaning(method, status).wants_message() {
            let text = async { Ok::<_, Error>(resp.text().await.unwrap_or_default()) };
            watch(text, None, idle, cancel).await?
        } else {
            String::new()
        };
        Ok(Reply {
            status,
            headers,
            message,
            elapsed,
            at: SystemTime::now(),
        })
    }
}

/// Discovery's `OPTIONS`, never cancelled (the answer is shared by every upload).
pub(super) struct Discover<'a> {
    pub wire: &'a Wire,
    pub endpoint: &'a Url,
}

impl Sender<Options> for Discover<'_> {
    async fn send(&self, _: Options) -> Result<Reply, Error> {
        let req = self
            .wire
            .http
            .request(Method::OPTIONS, self.endpoint.clone());
        let never = CancellationToken::new();
        self.wire
            .exchange(status::Method::Options, req, None, Instant::now(), &never)
            .await
    }
}

/// A creation's `POST`, with the whole file when the machine asks for it.
pub(super) struct Create<'a> {
    pub wire: &'a Wire,
    pub endpoint: &'a Url,
    pub file: &'a FileSource,
    /// `Upload-Metadata`, encoded.
    pub metadata: &'a str,
    pub progress: &'a Arc<dyn Progress>,
    pub cancel: &'a CancellationToken,
}

impl Sender<Post> for Create<'_> {
    async fn send(&self, Post { with_data }: Post) -> Result<Reply, Error> {
        let file = self.file;
        let mut req = self
            .wire
            .http
            .post(self.endpoint.clone())
            .header("Tus-Resumable", TUS_VERSION)
            .header("Upload-Length", file.len);
        if !self.metadata.is_empty() {
            // An empty Upload-Metadata header is refused by some servers (@tus/server).
            req = req.header("Upload-Metadata", self.metadata);
        }
        let started = Instant::now();
        if !with_data {
            let req = req.header("Content-Length", 0);
            return self
                .wire
                .exchange(status::Method::Post, req, None, started, self.cancel)
                .await;
        }
        file.check_unchanged().await?;
        let (body, state) = body::range_body(
            file.path.clone(),
            file.redactions.clone(),
            0,
            file.len,
            None,
            self.progress.clone(),
            &self.wire.throttle,
        );
        let req = req
            .header("Content-Type", OFFSET_CONTENT_TYPE)
            .header("Content-Length", file.len)
            .body(body);
        self.wire
            .exchange_file(
                status::Method::Post,
                req,
                &state,
                file,
                started,
                self.cancel,
            )
            .await
    }
}

/// The transfer loop's `HEAD` and `PATCH` requests.
pub(super) struct Transfer<'a> {
    pub wire: &'a Wire,
    /// The upload URL.
    pub url: &'a Url,
    pub file: &'a FileSource,
    pub checksum: Checksum,
    pub progress: &'a Arc<dyn Progress>,
    pub cancel: &'a CancellationToken,
}

impl Sender<Resume> for Transfer<'_> {
    async fn send(&self, request: Resume) -> Result<Reply, Error> {
        match request {
            Resume::Head => self.wire.head(self.url, self.cancel).await,
            Resume::Patch { offset, len } => {
                self.file.check_unchanged().await?;
                self.patch(offset, len).await
            }
        }
    }
}

impl Transfer<'_> {
    /// One PATCH of `len` bytes from `offset`.
    async fn patch(&self, offset: u64, len: u64) -> Result<Reply, Error> {
        let file = self.file;
        let started = Instant::now();
        let mut req = self
            .wire
            .http
            .patch(self.url.clone())
            .header("Tus-Resumable", TUS_VERSION)
            .header("Upload-Offset", offset)
            .header("Content-Type", OFFSET_CONTENT_TYPE);
        let mut trailer = None;
        match self.checksum {
            Checksum::None => req = req.header("Content-Length", len),
            Checksum::Header(alg) => {
                let digest =
                    digest_range(file.path.clone(), file.redactions.clone(), offset, len, alg)
                        .await?;
                req = req
                    .header("Content-Length", len)
                    .header("Upload-Checksum", protocol::checksum_header(alg, &digest));
            }
            Checksum::Trailer(alg) => {
                // Chunked, with the checksum computed while reading and sent after the data.
                req = req.header("Trailer", "Upload-Checksum");
                trailer = Some(Box::new(Hasher::new(alg)) as Box<dyn Trailer>);
            }
        }
        let (body, state) = body::range_body(
            file.path.clone(),
            file.redactions.clone(),
            offset,
            len,
            trailer,
            self.progress.clone(),
            &self.wire.throttle,
        );
        self.wire
            .exchange_file(
                status::Method::Patch,
                req.body(body),
                &state,
                file,
                started,
                self.cancel,
            )
            .await
    }
}

/// [`Error::FileEndedEarly`] when the file ran out before the body streaming it did: whatever
/// the server then answered, the bytes were not the file's.
fn ended_early(state: &StreamState, file: &FileSource) -> Result<(), Error> {
    if state.short.load(Ordering::Relaxed) {
        return Err(Error::FileEndedEarly {
            offset: state.sent.load(Ordering::Relaxed),
            expected: file.len,
        });
    }
    Ok(())
}

impl From<Interrupted> for Error {
    fn from(i: Interrupted) -> Self {
        match i {
            Interrupted::Stalled(idle) => Error::Stalled(idle),
            Interrupted::Cancelled => Error::Cancelled,
        }
    }
}
