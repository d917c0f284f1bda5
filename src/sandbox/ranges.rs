//! A stored file served as a CDN serves it: `Accept-Ranges: bytes`, one `Range` answered with
//! `206 Partial Content` (`bytes=a-b`, `bytes=a-`, `bytes=-n`), `416` when nothing of it is in
//! the file, a strong `ETag` (the MD5) with `If-None-Match` → `304` and `If-Range`, and
//! `Last-Modified`. The bytes stream from disk; nothing reads a whole file.

use std::io::SeekFrom;
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};

/// What a `Range` header asks of a file of `len` bytes.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Wanted {
    /// The whole file (no range, or one this server does not take: several ranges, other units,
    /// bad syntax; a server may ignore those).
    Whole,
    /// Bytes `start..=end`.
    Part { start: u64, end: u64 },
    /// Nothing of the range is in the file.
    Unsatisfiable,
}

pub(super) fn wanted(range: Option<&str>, len: u64) -> Wanted {
    let Some(spec) = range.and_then(|r| r.trim().strip_prefix("bytes=")) else {
        return Wanted::Whole;
    };
    if spec.contains(',') {
        return Wanted::Whole;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return Wanted::Whole;
    };
    let num = |s: &str| s.trim().parse::<u64>().ok();
    match (a.trim().is_empty(), b.trim().is_empty()) {
        // bytes=-n: the last n bytes.
        (true, false) => match num(b) {
            Some(0) => Wanted::Unsatisfiable,
            Some(_) if len == 0 => Wanted::Unsatisfiable,
            Some(n) => Wanted::Part {
                start: len.saturating_sub(n),
                end: len - 1,
            },
            None => Wanted::Whole,
        },
        (false, _) => {
            let Some(start) = num(a) else {
                return Wanted::Whole;
            };
            let end = if b.trim().is_empty() {
                u64::MAX
            } else {
                match num(b) {
                    Some(end) if end >= start => end,
                    _ => return Wanted::Whole,
                }
            };
            if start >= len {
                Wanted::Unsatisfiable
            } else {
                Wanted::Part {
                    start,
                    end: end.min(len - 1),
                }
            }
        }
        (true, true) => Wanted::Whole,
    }
}

/// The file at `path` (`md5` its content's hash, `modified_unix_ms` when it was stored) as the
/// answer to a GET with `request` headers; `None` when its bytes are not there.
pub(super) async fn serve(
    path: &Path,
    md5: &str,
    modified_unix_ms: u64,
    request: &HeaderMap,
) -> Option<Response> {
    let mut file = tokio::fs::File::open(path).await.ok()?;
    let len = file.metadata().await.ok()?.len();
    let etag = format!("\"{md5}\"");
    let modified = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_millis(modified_unix_ms));
    let text = |name| request.get(name).and_then(|v| v.to_str().ok());
    let matches = |list: &str| list.split(',').any(|t| t.trim() == etag || t.trim() == "*");
    let validators = |r: &mut Response| {
        let h = r.headers_mut();
        h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        if let Ok(v) = HeaderValue::from_str(&etag) {
            h.insert(header::ETAG, v);
        }
        if let Ok(v) = HeaderValue::from_str(&modified) {
            h.insert(header::LAST_MODIFIED, v);
        }
    };
    if text(header::IF_NONE_MATCH).is_some_and(matches) {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        validators(&mut r);
        return Some(r);
    }
    // A range of another version of the file is no use: then the whole file.
    let range_applies = text(header::IF_RANGE).is_none_or(|v| v.trim() == etag);
    let range = text(header::RANGE).filter(|_| range_applies);
    let (status, start, count) = match wanted(range, len) {
        Wanted::Whole => (StatusCode::OK, 0, len),
        Wanted::Part { start, end } => (StatusCode::PARTIAL_CONTENT, start, end - start + 1),
        Wanted::Unsatisfiable => {
            let mut r = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            validators(&mut r);
            return Some(r);
        }
    };
    if start > 0 {
        file.seek(SeekFrom::Start(start)).await.ok()?;
    }
    let body = Body::from_stream(tokio_util::io::ReaderStream::with_capacity(
        file.take(count),
        256 * 1024,
    ));
    let mut r = (status, body).into_response();
    validators(&mut r);
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&count.to_string()) {
        h.insert(header::CONTENT_LENGTH, v);
    }
    if status == StatusCode::PARTIAL_CONTENT {
        let end = start + count - 1;
        if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")) {
            h.insert(header::CONTENT_RANGE, v);
        }
    }
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::Wanted::*;
    use super::*;

    #[test]
    fn ranges_as_rfc_9110_reads_them() {
        let w = |r: &str| wanted(Some(r), 100);
        assert_eq!(w("bytes=0-9"), Part { start: 0, end: 9 });
        assert_eq!(w("bytes=90-"), Part { start: 90, end: 99 });
        assert_eq!(w("bytes=95-200"), Part { start: 95, end: 99 });
        assert_eq!(w("bytes=-10"), Part { start: 90, end: 99 });
        assert_eq!(w("bytes=-1000"), Part { start: 0, end: 99 });
        assert_eq!(w("bytes=100-"), Unsatisfiable);
        assert_eq!(w("bytes=-0"), Unsatisfiable);
        assert_eq!(wanted(Some("bytes=-5"), 0), Unsatisfiable);
        for ignored in [
            "bytes=5-1",
            "bytes=0-1,5-6",
            "items=0-1",
            "bytes=x-",
            "bytes=-",
        ] {
            assert_eq!(w(ignored), Whole, "{ignored}");
        }
        assert_eq!(wanted(None, 100), Whole);
    }
}
