//! Fault injection for tests: fail the Nth matching request with a status, drop a connection
//! after K body bytes (or before the answer), add latency, send junk bodies or bogus offsets.
//!
//! Connections can be killed from a handler: the listener wraps each socket with a kill switch
//! that the handler reaches through `ConnectInfo<ConnHandle>`. Once killed, the socket fails
//! every read and write, so the answer never reaches the client, exactly like a cut cable.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use super::AppState;

/// What to do to a matching request.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    /// Answer with this status (a Wix error body; `Retry-After` when given).
    Status {
        status: u16,
        retry_after_secs: Option<u64>,
    },
    /// Process the request (reading at most this many body bytes), then cut the connection
    /// instead of answering.
    DropConnection { after_bytes: u64 },
    /// Wait this long before handling the request.
    Latency(Duration),
    /// Handle the request, then replace its body with text that is not JSON.
    JunkBody,
    /// Handle the request, then replace its `Upload-Offset` header with this text.
    BogusOffset(String),
    /// Wait this long after handling, before answering (a stall: no bytes move).
    Stall(Duration),
    /// Wait this long in the middle of handling: finalize waits after moving the upload's
    /// bytes, before recording the file, so a client that gives up or dies then catches the
    /// server mid-way. Other requests ignore it.
    PauseMidway(Duration),
}

/// Which requests a fault applies to, and how often.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub method: Option<Method>,
    /// A substring of the path (e.g. `/upload/tus`, `get-file-by-id`).
    pub path_contains: Option<String>,
    /// Apply from the Nth matching request (1-based)...
    pub nth: u64,
    /// ...this many times.
    pub times: u64,
    pub kind: FaultKind,
}

impl Rule {
    /// A rule applying once to the Nth request matching `method` and `path`.
    pub fn nth(method: Option<Method>, path: &str, nth: u64, kind: FaultKind) -> Self {
        Self {
            method,
            path_contains: (!path.is_empty()).then(|| path.to_string()),
            nth,
            times: 1,
            kind,
        }
    }

    /// Applies this many times in a row.
    pub fn times(mut self, times: u64) -> Self {
        self.times = times;
        self
    }
}

/// The live fault plan: tests add rules while the sandbox runs.
#[derive(Default)]
pub struct Faults {
    rules: Mutex<Vec<(Rule, u64)>>,
}

impl Faults {
    pub fn add(&self, rule: Rule) {
        if let Ok(mut r) = self.rules.lock() {
            r.push((rule, 0));
        }
    }

    pub fn clear(&self) {
        if let Ok(mut r) = self.rules.lock() {
            r.clear();
        }
    }

    /// The faults that fire for this request (each matching rule counts it).
    fn take(&self, method: &Method, path: &str) -> Vec<FaultKind> {
        let Ok(mut rules) = self.rules.lock() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (rule, seen) in rules.iter_mut() {
            let matches = rule.method.as_ref().is_none_or(|m| m == method)
                && rule
                    .path_contains
                    .as_ref()
                    .is_none_or(|p| path.contains(p.as_str()));
            if !matches {
                continue;
            }
            *seen += 1;
            if *seen >= rule.nth && *seen < rule.nth + rule.times {
                out.push(rule.kind.clone());
            }
        }
        out
    }
}

/// Carried in request extensions: the handler reads at most this many body bytes, then cuts.
#[derive(Debug, Clone, Copy)]
pub struct DropAfter(pub u64);

/// Carried in request extensions: the handler pauses this long mid-way ([`FaultKind::PauseMidway`]).
#[derive(Debug, Clone, Copy)]
pub struct Midway(pub Duration);

/// The middleware applying the fault plan.
pub(crate) async fn middleware(
    State(state): State<AppState>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    mut req: Request,
    next: Next,
) -> Response {
    let faults = state.faults.take(req.method(), req.uri().path());
    let mut after = Vec::new();
    for f in faults {
        match f {
            FaultKind::Status {
                status,
                retry_after_secs,
            } => {
                // Read the body first, as a server does: a client still sending when the
                // answer comes would see a reset instead of the status under test.
                let _ = axum::body::to_bytes(req.into_body(), 1 << 30).await;
                let code =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let mut resp = super::rest::wix_error(code, "INJECTED_FAULT", "injected fault");
                if let Some(s) = retry_after_secs
                    && let Ok(v) = HeaderValue::from_str(&s.to_string())
                {
                    resp.headers_mut().insert("retry-after", v);
                }
                return resp;
            }
            FaultKind::Latency(d) => tokio::time::sleep(d).await,
            FaultKind::PauseMidway(d) => {
                req.extensions_mut().insert(Midway(d));
            }
            FaultKind::DropConnection { after_bytes } => {
                req.extensions_mut().insert(DropAfter(after_bytes));
                after.push(FaultKind::DropConnection { after_bytes });
            }
            other => after.push(other),
        }
    }
    let mut resp = next.run(req).await;
    for f in after {
        match f {
            FaultKind::DropConnection { .. } => conn.kill(),
            FaultKind::JunkBody => {
                let status = resp.status();
                let headers = resp.headers().clone();
                resp = (status, "<<this is not json>>").into_response();
                for (k, v) in headers.iter() {
                    if k != "content-type" && k != "content-length" {
                        resp.headers_mut().insert(k.clone(), v.clone());
                    }
                }
            }
            FaultKind::BogusOffset(v) => {
                if let Ok(v) = HeaderValue::from_str(&v) {
                    resp.headers_mut().insert("upload-offset", v);
                }
            }
            FaultKind::Stall(d) => tokio::time::sleep(d).await,
            _ => {}
        }
    }
    resp
}

/// A listener whose connections can be killed from a handler.
pub struct KillableListener(pub TcpListener);

impl axum::serve::Listener for KillableListener {
    type Io = KillableStream;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.0.accept().await {
                Ok((s, addr)) => {
                    let _ = s.set_nodelay(true);
                    return (
                        KillableStream {
                            inner: s,
                            killed: Arc::new(AtomicBool::new(false)),
                        },
                        addr,
                    );
                }
                Err(e) => {
                    tracing::debug!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

/// A TCP stream with a kill switch.
pub struct KillableStream {
    inner: TcpStream,
    killed: Arc<AtomicBool>,
}

impl KillableStream {
    /// This connection's kill switch.
    pub fn handle(&self) -> ConnHandle {
        ConnHandle(self.killed.clone())
    }
}

/// The kill switch of the connection a request came in on.
#[derive(Clone)]
pub struct ConnHandle(Arc<AtomicBool>);

impl ConnHandle {
    pub fn kill(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, KillableListener>>
    for ConnHandle
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, KillableListener>) -> Self {
        ConnHandle(stream.io().killed.clone())
    }
}

fn reset() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionReset,
        "connection killed by a fault rule",
    )
}

impl AsyncRead for KillableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.killed.load(Ordering::SeqCst) {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.killed.load(Ordering::SeqCst) {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.killed.load(Ordering::SeqCst) {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.killed.load(Ordering::SeqCst) {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
