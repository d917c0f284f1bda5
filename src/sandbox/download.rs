//! Download URLs: `POST /site-media/v1/files/{fileId}/generate-download-url` answers
//! `{downloadUrls: [{url, assetKey}]}`, and `GET /download/{token}` serves the file's bytes
//! until the URL expires. They are the way to a private file, whose static URL answers 403.
//!
//! The token is signed, not stored: `base64url(JSON {file, expires, name, inline, redirect})`
//! `.` its HMAC-SHA1 under a key kept in `DATA_DIR/download.key` (0600, `Dirs::download_key`),
//! so a URL handed out stays valid across a restart of the sandbox until it expires, and one
//! whose payload or signature was changed is refused (403). Expiry follows the sandbox's clock.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha1::Digest as _;

use super::guard::media_headers;
use super::reply::{violation, wix_error};
use super::state::AppState;

/// What RFC 5987 escapes in `filename*`: everything but letters, digits and `.-_`.
const FILENAME: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'.')
    .remove(b'-')
    .remove(b'_');

/// Wix's default lifetime of a download URL, in minutes.
const DEFAULT_MINUTES: u64 = 600;
/// Wix's longest: a year.
const MAX_MINUTES: u64 = 525_600;

/// What a download token grants.
#[derive(Debug, Serialize, Deserialize)]
struct Grant {
    /// The file id.
    f: String,
    /// Expires at, seconds since the Unix epoch (by the sandbox's clock).
    e: u64,
    /// `downloadFileName`, for Content-Disposition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    n: Option<String>,
    /// `contentDisposition: INLINE`.
    #[serde(default)]
    i: bool,
    /// `expirationRedirectUrl`: where an expired URL sends the browser.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    r: Option<String>,
}

fn hmac_sha1(key: &[u8], msg: &[u8]) -> String {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..20].copy_from_slice(&sha1::Sha1::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |b: u8| block.map(|k| k ^ b);
    let inner = sha1::Sha1::new()
        .chain_update(pad(0x36))
        .chain_update(msg)
        .finalize();
    let outer = sha1::Sha1::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize();
    hex::encode(outer)
}

fn sign(key: &[u8], grant: &Grant) -> String {
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(grant).unwrap_or_default());
    let sig = hmac_sha1(key, payload.as_bytes());
    format!("{payload}.{sig}")
}

/// The grant of a token whose signature holds; `None` for anything else.
fn verify(key: &[u8], token: &str) -> Option<Grant> {
    let (payload, sig) = token.split_once('.')?;
    let want = hmac_sha1(key, payload.as_bytes());
    // Compared in full whatever differs first.
    let same = want.len() == sig.len()
        && want
            .bytes()
            .zip(sig.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if !same {
        return None;
    }
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    serde_json::from_slice(&json).ok()
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct GenerateBody {
    download_file_name: Option<String>,
    expiration_in_minutes: Option<Value>,
    expiration_redirect_url: Option<String>,
    asset_keys: Option<Vec<String>>,
    content_disposition: Option<String>,
}

/// `POST /site-media/v1/files/{fileId}/generate-download-url` (behind the API-key check).
pub async fn generate(
    State(app): State<AppState>,
    Path(file_id): Path<String>,
    body: Bytes,
) -> Response {
    let b: GenerateBody = if body.iter().all(u8::is_ascii_whitespace) {
        GenerateBody::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(b) => b,
            Err(_) => return violation("body", "must be a JSON object"),
        }
    };
    let minutes = match &b.expiration_in_minutes {
        None => DEFAULT_MINUTES,
        Some(v) => match v
            .as_u64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        {
            Some(m) if (1..=MAX_MINUTES).contains(&m) => m,
            _ => {
                return violation(
                    "expirationInMinutes",
                    &format!("must be a whole number of minutes from 1 to {MAX_MINUTES}"),
                );
            }
        },
    };
    let inline = match b.content_disposition.as_deref() {
        None | Some("ATTACHMENT") => false,
        Some("INLINE") => true,
        Some(_) => return violation("contentDisposition", "must be ATTACHMENT or INLINE"),
    };
    if let Some(keys) = &b.asset_keys
        && keys.iter().any(|k| k != "src")
    {
        return violation("assetKeys", "the sandbox keeps only the original: src");
    }
    if let Some(r) = &b.expiration_redirect_url
        && !reqwest::Url::parse(r).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
    {
        return violation("expirationRedirectUrl", "must be an http or https URL");
    }
    match app.with(|s| s.files.get(&file_id).cloned()) {
        None => return wix_error(StatusCode::NOT_FOUND, "NOT_FOUND", "no file with this id"),
        Some(f) if f.failed || f.fetching => {
            return wix_error(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                "the file failed processing or has no bytes yet; nothing can be downloaded",
            );
        }
        Some(_) => {}
    }
    let grant = Grant {
        f: file_id,
        e: app.clock_unix().saturating_add(minutes * 60),
        n: b.download_file_name.filter(|n| !n.is_empty()),
        i: inline,
        r: b.expiration_redirect_url,
    };
    let token = sign(&app.inner.download_key, &grant);
    let url = app.url(&format!("/download/{token}"));
    Json(json!({ "downloadUrls": [{ "url": url, "assetKey": "src" }] })).into_response()
}

/// `GET /download/{token}`: the file's bytes while the token is valid (no API key: the signed
/// URL is the credential).
pub async fn serve(
    State(app): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(grant) = verify(&app.inner.download_key, &token) else {
        return wix_error(
            StatusCode::FORBIDDEN,
            "PERMISSION_DENIED",
            "this download link is not valid; ask for a new one",
        );
    };
    if app.clock_unix() >= grant.e {
        if let Some(r) = &grant.r {
            return Redirect::to(r).into_response();
        }
        return wix_error(
            StatusCode::FORBIDDEN,
            "PERMISSION_DENIED",
            "this download link has expired; ask for a new one",
        );
    }
    let Some(f) = app
        .with(|s| s.files.get(&grant.f).cloned())
        .filter(|f| !f.failed && !f.fetching)
    else {
        return wix_error(StatusCode::NOT_FOUND, "NOT_FOUND", "no such file");
    };
    let path = app.inner.dirs.file(&f.id);
    let Some(mut r) = super::ranges::serve(&path, &f.md5, f.created_unix_ms, &headers).await else {
        return wix_error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "the file's bytes are missing",
        );
    };
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&f.mime_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    // Risky types are always attachments (media_headers says so); the others as asked.
    media_headers(h, &f.mime_type);
    let inline = grant.i && !h.contains_key(header::CONTENT_DISPOSITION);
    let name = grant.n.as_deref().unwrap_or(&f.display_name);
    let encoded = percent_encoding::utf8_percent_encode(name, FILENAME);
    let disposition = format!(
        "{}; filename*=UTF-8''{encoded}",
        if inline { "inline" } else { "attachment" }
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sha1_matches_rfc_2202() {
        // RFC 2202, test cases 2 and 6 (a key longer than the block).
        assert_eq!(
            hmac_sha1(b"Jefe", b"what do ya want for nothing?"),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
        assert_eq!(
            hmac_sha1(
                &[0xaa; 80],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            ),
            "aa4ae5e15272d00e95705637ce8a3b55ed402112"
        );
    }

    #[test]
    fn a_token_holds_only_with_its_own_signature_and_key() {
        let grant = Grant {
            f: "abc~mv2.jpg".into(),
            e: 10,
            n: None,
            i: false,
            r: None,
        };
        let t = sign(b"key", &grant);
        assert_eq!(verify(b"key", &t).map(|g| g.f), Some(grant.f.clone()));
        assert!(verify(b"other", &t).is_none());
        let (payload, sig) = t.split_once('.').unwrap();
        let other = sign(
            b"key",
            &Grant {
                f: "xyz.pdf".into(),
                ..grant
            },
        );
        let forged = format!("{}.{sig}", other.split_once('.').unwrap().0);
        assert!(verify(b"key", &forged).is_none());
        assert!(verify(b"key", payload).is_none());
    }
}
