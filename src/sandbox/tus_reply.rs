//! The tus server's wire pieces: its version and extensions, OPTIONS, the headers every answer
//! carries, and the parsing of `Upload-Metadata`.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;

use super::state::AppState;

const VERSION: &str = "1.0.0";
/// The largest `Upload-Metadata` taken, encoded (a real Wix token makes it about 4.4 KB).
pub(super) const MAX_METADATA_BYTES: usize = 8 * 1024;

pub(super) fn tus_response(status: StatusCode) -> Response {
    let mut r = status.into_response();
    r.headers_mut()
        .insert("tus-resumable", HeaderValue::from_static(VERSION));
    r.headers_mut()
        .insert("cache-control", HeaderValue::from_static("no-store"));
    r
}

pub(super) fn tus_error(status: StatusCode, message: &str) -> Response {
    let mut r = (status, message.to_string()).into_response();
    r.headers_mut()
        .insert("tus-resumable", HeaderValue::from_static(VERSION));
    r
}

pub(super) fn set(r: &mut Response, name: &'static str, value: impl ToString) {
    if let Ok(v) = HeaderValue::from_str(&value.to_string()) {
        r.headers_mut().insert(name, v);
    }
}

pub(super) fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

/// Rejects requests without `Tus-Resumable: 1.0.0` (412 with our versions).
pub(super) fn check_version(h: &HeaderMap) -> Result<(), Response> {
    if header(h, "tus-resumable") == Some(VERSION) {
        return Ok(());
    }
    let mut r = tus_error(
        StatusCode::PRECONDITION_FAILED,
        "Tus-Resumable 1.0.0 required",
    );
    set(&mut r, "tus-version", VERSION);
    Err(r)
}

pub(super) async fn options(State(app): State<AppState>) -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    set(&mut r, "tus-version", VERSION);
    let (quirks, config) = (app.quirks(), &app.inner.config);
    set(
        &mut r,
        "tus-extension",
        quirks.tus_extensions(config.checksum_trailer),
    );
    if quirks.announces_max_size {
        set(&mut r, "tus-max-size", config.max_size_bytes);
    }
    if quirks.offers_checksum {
        set(
            &mut r,
            "tus-checksum-algorithm",
            config.checksum_algorithms.join(","),
        );
    }
    r
}

pub(super) fn parse_metadata(raw: &str) -> Option<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let mut it = pair.splitn(2, ' ');
        let key = it.next()?.to_string();
        let value = match it.next() {
            Some(v) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(v.trim())
                    .ok()?;
                String::from_utf8(bytes).ok()?
            }
            None => String::new(),
        };
        if key.is_empty() || out.insert(key, value).is_some() {
            return None;
        }
    }
    Some(out)
}

pub(super) fn expires_header(unix: u64) -> String {
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix))
}
