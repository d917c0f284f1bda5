//! How a REST call goes out: sent, its answer read within a size limit, decoded, and repeated
//! after a failure as the call's [`Repeat`] allows, on the shared schedule of [`crate::retry`].

use std::time::Duration;

use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;

use super::error::Error;
use super::repeat::{Failure, Next, Repeat};
use crate::retry::{self, Backoff, RetryPolicy, parse_retry_after};

/// The largest REST answer read: a page of 100 file descriptors is well under 1 MiB.
const MAX_ANSWER_BYTES: u64 = 8 << 20;

/// The HTTP side of the Wix client.
#[derive(Clone)]
pub(super) struct Transport {
    pub http: reqwest::Client,
    /// For the one-PUT upload's body: no total or read timeout (the body may take minutes on a
    /// slow link); its stalls are caught by [`crate::file_stream::watch`].
    pub upload_http: reqwest::Client,
    /// Delays between retries of transient failures.
    pub retry: RetryPolicy,
    /// A call whose server sends nothing for this long is stalled (named in the error).
    pub idle_timeout: Duration,
    /// 429 and 503 answers so far, shared by every clone: the server asking for less.
    pub pushbacks: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// The upload speed limit the one-PUT's body shares with every other transfer.
    pub throttle: crate::file_stream::Throttle,
    /// Where a retry after an outage looks for the network (the API host, or its proxy).
    pub beacon: Option<crate::retry::Beacon>,
}

impl Transport {
    /// Sends a request (rebuilt for each attempt) and decodes its JSON answer, repeated after a
    /// failure as `repeat` allows: the one loop that carries out [`Repeat::after`].
    pub async fn call<T: DeserializeOwned>(
        &self,
        what: &str,
        repeat: Repeat<'_, T>,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<T, Error> {
        let mut backoff = Backoff::new(self.retry.clone());
        loop {
            let err = match self.call_once(what, build()).await {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            match repeat.after(Failure::of(&err)) {
                Next::GiveUp => return Err(err),
                Next::Retry => {}
                Next::LookFirst => {
                    if let Some(found) = repeat.look().await? {
                        tracing::debug!(what, error = %err, "wix: answer lost; found what it made");
                        return Ok(found);
                    }
                }
            }
            self.wait_to_retry(what, err, &mut backoff).await?;
        }
    }

    /// Sleeps before the next attempt, or hands back the error when the retries ran out (a 429
    /// is waited out by time, not by count).
    async fn wait_to_retry(
        &self,
        what: &str,
        err: Error,
        backoff: &mut Backoff,
    ) -> Result<(), Error> {
        let next = if err.status() == Some(429) {
            backoff.next_throttled_delay(err.retry_after())
        } else {
            backoff.next_delay(err.is_retryable(), err.retry_after())
        };
        let Some(delay) = next else {
            return Err(err);
        };
        let attempt = backoff.attempt();
        tracing::debug!(what, attempt, ?delay, error = %err, "wix: retrying");
        // A Wix call has no owner to cancel it: it waits the whole delay, or until the network
        // is back after an outage.
        if err.is_offline() {
            retry::wait_offline(delay, self.beacon.as_ref(), &CancellationToken::new()).await;
        } else {
            retry::wait(delay, &CancellationToken::new()).await;
        }
        Ok(())
    }

    /// One attempt, decoded.
    async fn call_once<T: DeserializeOwned>(
        &self,
        what: &str,
        req: reqwest::RequestBuilder,
    ) -> Result<T, Error> {
        let bytes = self.try_call(req).await?;
        serde_json::from_slice(&bytes).map_err(|e| {
            Error::BadResponse(format!("{what}: the body is not the expected JSON ({e})"))
        })
    }

    pub async fn try_call(&self, req: reqwest::RequestBuilder) -> Result<bytes::Bytes, Error> {
        let host = req
            .try_clone()
            .and_then(|r| r.build().ok())
            .and_then(|r| r.url().host_str().map(str::to_string))
            .unwrap_or_else(|| "this address".into());
        let classify = |e: reqwest::Error| {
            if let Some(reason) = crate::trust::certificate_problem(&e) {
                Error::Untrusted {
                    host: host.clone(),
                    reason,
                }
            } else if e.is_connect() {
                Error::Network(e.without_url())
            } else if e.is_timeout() {
                Error::Stalled {
                    host: host.clone(),
                    idle: self.idle_timeout,
                }
            } else if e.is_redirect() {
                Error::Redirects { host: host.clone() }
            } else {
                Error::Network(e.without_url())
            }
        };
        let mut resp = req.send().await.map_err(classify)?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let too_large = || Error::TooLarge {
            host: host.clone(),
            limit_bytes: MAX_ANSWER_BYTES,
        };
        if resp.content_length().is_some_and(|n| n > MAX_ANSWER_BYTES) {
            return Err(too_large());
        }
        // Read at most the limit, whatever the server claims or omits.
        let mut body = bytes::BytesMut::new();
        while let Some(chunk) = resp.chunk().await.map_err(classify)? {
            if (body.len() + chunk.len()) as u64 > MAX_ANSWER_BYTES {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        let body = body.freeze();
        if matches!(status, 429 | 503) {
            self.pushbacks
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        if (200..300).contains(&status) {
            Ok(body)
        } else {
            Err(Error::from_response(status, &body, retry_after))
        }
    }
}
