//! Fault injection for tests: fail the Nth matching request with a status, drop a connection
//! after K body bytes (or before the answer), add latency, send junk bodies or bogus offsets,
//! or let the lifetimes of tokens and uploads run out just before a request.
//!
//! The plan is applied by [`middleware`]; a connection is cut through its kill switch
//! (`killable.rs`), and the handlers that read bodies or finalize find their part of a fault
//! ([`DropAfter`], [`Midway`]) in the request's extensions.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::clock::Clock;
use super::killable::ConnHandle;
use super::reply::wix_error;

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
    /// Wait this long in the middle of handling: finalize (after moving the upload's bytes)
    /// and a one-PUT (after receiving them) wait before recording the file, and finish even
    /// when the client is gone, so a client that gives up or dies then catches the server
    /// mid-way. Other requests ignore it.
    PauseMidway(Duration),
    /// Move the sandbox's clock this far ahead before handling the request: tokens and
    /// uploads expire as if that much time had passed while the request was on its way.
    AdvanceClock(Duration),
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
pub(super) async fn middleware(
    State((faults, clock)): State<(Arc<Faults>, Arc<Clock>)>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    mut req: Request,
    next: Next,
) -> Response {
    let faults = faults.take(req.method(), req.uri().path());
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
                let mut resp = wix_error(code, "INJECTED_FAULT", "injected fault");
                if let Some(s) = retry_after_secs
                    && let Ok(v) = HeaderValue::from_str(&s.to_string())
                {
                    resp.headers_mut().insert("retry-after", v);
                }
                return resp;
            }
            FaultKind::Latency(d) => tokio::time::sleep(d).await,
            FaultKind::AdvanceClock(d) => clock.advance(d),
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
