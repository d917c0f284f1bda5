//! A tus 1.0 server: OPTIONS discovery, creation, HEAD and PATCH; with the `tus-full` profile
//! also creation-with-upload, termination, checksum (crc32, sha1, md5: OPTIONS lists the
//! configured ones, `tus_body.rs` verifies any of the three), checksum-trailer and expiration.
//! The `wix` profile offers creation only and refuses what it does not offer, answers some
//! creations with a relative `Location`, and never sends `Upload-Expires` (each by name in
//! `quirks.rs`). A PATCH cut short keeps its bytes unless checksummed.

use std::sync::atomic::Ordering;

use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine as _;

use super::disk::DiskError;
use super::state::AppState;
use super::stats::Stats;
use super::store::{Key, Phase, UploadRec, random_hex};
use super::tus_body::receive;
use super::tus_reply::{
    MAX_METADATA_BYTES, check_version, expires_header, header, parse_metadata, set, tus_error,
    tus_response,
};

/// Why a creation was refused.
enum Refused {
    /// Unknown, expired or already finalized.
    Token,
    /// Its earlier upload is being finalized.
    Finalizing,
    /// Over the size limit of its type.
    TooLarge(&'static str, u64),
}

/// POST /upload/tus: creation (and creation-with-upload). The `token` metadata must be a token
/// this sandbox issued.
pub async fn create(State(app): State<AppState>, req: Request) -> Response {
    let h = req.headers().clone();
    app.inner.stats.count_credentials(&h);
    if let Err(r) = check_version(&h) {
        return r;
    }
    if h.contains_key("upload-defer-length") {
        return tus_error(
            StatusCode::BAD_REQUEST,
            "Upload-Defer-Length is not supported",
        );
    }
    let Some(length) = header(&h, "upload-length").and_then(|v| v.parse::<u64>().ok()) else {
        return tus_error(
            StatusCode::BAD_REQUEST,
            "Upload-Length must be a byte count",
        );
    };
    if length > app.inner.config.max_size_bytes {
        return tus_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the upload is larger than Tus-Max-Size",
        );
    }
    let quirks = app.quirks();
    let has_body = header(&h, "content-type") == Some("application/offset+octet-stream");
    if has_body && !quirks.offers_creation_with_upload {
        return tus_error(
            StatusCode::BAD_REQUEST,
            "creation-with-upload is not supported; create the upload, then PATCH",
        );
    }
    let raw_metadata = header(&h, "upload-metadata").unwrap_or("");
    if raw_metadata.len() > MAX_METADATA_BYTES {
        return tus_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("Upload-Metadata is larger than {MAX_METADATA_BYTES} bytes"),
        );
    }
    let Some(mut metadata) = parse_metadata(raw_metadata) else {
        return tus_error(StatusCode::BAD_REQUEST, "Upload-Metadata is malformed");
    };
    // Kept apart from the metadata, so it is never echoed.
    let Some(token) = metadata.remove("token") else {
        return tus_error(StatusCode::FORBIDDEN, "the token metadata is required");
    };
    let id = random_hex(16);
    let now = app.clock_unix();
    let expires = now + app.inner.config.upload_ttl.as_secs();
    let bin = app.inner.dirs.upload(&id);
    if let Err(e) = super::private_file::options().open(&bin) {
        return DiskError::new("a new upload", bin, e).tus_reply("create the upload again");
    }
    // One live upload per token: a new creation replaces the earlier upload and its bytes,
    // unless a finalize is turning it into a file.
    let limits = &app.inner.config.type_limits;
    let made = app.with(|s| {
        let earlier = match s.tokens.get(&token) {
            Some(t) if t.expires_unix > now && t.file_id.is_none() => {
                let mime = metadata.get("contentType").unwrap_or(&t.mime_type);
                if let Some((kind, limit)) = limits.for_mime(mime)
                    && length > limit
                {
                    return Err(Refused::TooLarge(kind, limit));
                }
                t.upload_id.clone()
            }
            _ => return Err(Refused::Token),
        };
        if let Some(old) = &earlier
            && s.uploads
                .get(old)
                .is_some_and(|u| u.phase != Phase::Receiving)
        {
            return Err(Refused::Finalizing);
        }
        if let Some(old) = &earlier
            && s.uploads.remove(old).is_some()
        {
            s.touch(Key::Upload(old.clone()));
        }
        if let Some(t) = s.tokens.get_mut(&token) {
            t.upload_id = Some(id.clone());
        }
        s.uploads.insert(
            id.clone(),
            UploadRec {
                length,
                metadata,
                token: token.clone(),
                expires_unix: expires,
                offset: 0,
                phase: Phase::Receiving,
            },
        );
        s.touch(Key::Upload(id.clone()));
        s.touch(Key::Token(token.clone()));
        Ok(earlier)
    });
    let earlier = match made {
        Ok(earlier) => earlier,
        Err(refused) => {
            let _ = std::fs::remove_file(app.inner.dirs.upload(&id));
            return match refused {
                Refused::Token => tus_error(
                    StatusCode::FORBIDDEN,
                    "the upload token is not valid (unknown, expired or used)",
                ),
                Refused::Finalizing => tus_error(
                    StatusCode::CONFLICT,
                    "the upload of this token is being finalized",
                ),
                Refused::TooLarge(kind, limit) => tus_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &format!("the file is larger than the {limit}-byte limit for {kind} files"),
                ),
            };
        }
    };
    app.persist().await;
    if let Some(old) = earlier {
        let _ = std::fs::remove_file(app.inner.dirs.upload(&old));
    }
    app.inner
        .stats
        .uploads_created
        .fetch_add(1, Ordering::SeqCst);
    let mut r = tus_response(StatusCode::CREATED);
    if has_body {
        let (status, offset) = receive(&app, &id, 0, req).await.unwrap_or_else(|e| {
            e.log();
            (StatusCode::INTERNAL_SERVER_ERROR, 0)
        });
        if status != StatusCode::NO_CONTENT {
            // The upload exists; the client continues it with HEAD + PATCH.
            tracing::debug!(%status, "sandbox: creation-with-upload body not fully taken");
        }
        set(&mut r, "upload-offset", offset);
    }
    let created = Stats::get(&app.inner.stats.uploads_created);
    if quirks.relative_location_every_other && created.is_multiple_of(2) {
        // Relative to the creation URL (`…/upload/tus`), as some servers answer.
        set(&mut r, "location", format!("tus/{id}"));
    } else {
        set(&mut r, "location", app.url(&format!("/upload/tus/{id}")));
    }
    if quirks.offers_expiration {
        set(&mut r, "upload-expires", expires_header(expires));
    }
    r
}

fn lookup(app: &AppState, id: &str) -> Result<UploadRec, Response> {
    match app.with(|s| s.uploads.get(id).cloned()) {
        None => Err(tus_error(StatusCode::NOT_FOUND, "no such upload")),
        Some(u) if u.expires_unix <= app.clock_unix() => {
            Err(tus_error(StatusCode::GONE, "the upload expired"))
        }
        Some(u) => Ok(u),
    }
}

pub async fn head(State(app): State<AppState>, Path(id): Path<String>, h: HeaderMap) -> Response {
    app.inner.stats.count_credentials(&h);
    if let Err(r) = check_version(&h) {
        return r;
    }
    let u = match lookup(&app, &id) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let mut r = tus_response(StatusCode::OK);
    set(&mut r, "upload-offset", u.offset);
    set(&mut r, "upload-length", u.length);
    if app.quirks().offers_expiration {
        set(&mut r, "upload-expires", expires_header(u.expires_unix));
    }
    // The token never goes back out: it is enough to finalize the upload.
    let meta: Vec<String> = u
        .metadata
        .iter()
        .filter(|(k, _)| k.as_str() != "token")
        .map(|(k, v)| {
            format!(
                "{k} {}",
                base64::engine::general_purpose::STANDARD.encode(v)
            )
        })
        .collect();
    set(&mut r, "upload-metadata", meta.join(","));
    r
}

pub async fn terminate(
    State(app): State<AppState>,
    Path(id): Path<String>,
    h: HeaderMap,
) -> Response {
    app.inner
        .stats
        .delete_requests
        .fetch_add(1, Ordering::SeqCst);
    app.inner.stats.count_credentials(&h);
    if let Err(r) = check_version(&h) {
        return r;
    }
    if !app.quirks().offers_termination {
        return tus_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "termination is not supported",
        );
    }
    let removed = app.with(|s| {
        match s.uploads.get(&id).map(|u| &u.phase) {
            None => return Err(StatusCode::NOT_FOUND),
            Some(Phase::Finalizing { .. }) => return Err(StatusCode::CONFLICT),
            Some(_) => {}
        }
        let Some(u) = s.uploads.remove(&id) else {
            return Err(StatusCode::NOT_FOUND);
        };
        s.touch(Key::Upload(id.clone()));
        if let Some(t) = s.tokens.get_mut(&u.token)
            && t.upload_id.as_deref() == Some(id.as_str())
        {
            t.upload_id = None;
            s.touch(Key::Token(u.token.clone()));
        }
        Ok(u)
    });
    match removed {
        Ok(_) => {}
        Err(StatusCode::CONFLICT) => {
            return tus_error(
                StatusCode::CONFLICT,
                "the upload is being finalized; it cannot be terminated",
            );
        }
        Err(_) => return tus_error(StatusCode::NOT_FOUND, "no such upload"),
    }
    app.persist().await;
    let _ = std::fs::remove_file(app.inner.dirs.upload(&id));
    app.inner
        .stats
        .uploads_terminated
        .fetch_add(1, Ordering::SeqCst);
    tus_response(StatusCode::NO_CONTENT)
}

pub async fn patch(State(app): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    let h = req.headers().clone();
    app.inner.stats.count_credentials(&h);
    app.inner
        .stats
        .patch_requests
        .fetch_add(1, Ordering::SeqCst);
    if let Err(r) = check_version(&h) {
        return r;
    }
    if header(&h, "content-type") != Some("application/offset+octet-stream") {
        return tus_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/offset+octet-stream",
        );
    }
    let Some(offset) = header(&h, "upload-offset").and_then(|v| v.parse::<u64>().ok()) else {
        return tus_error(
            StatusCode::BAD_REQUEST,
            "Upload-Offset must be a byte count",
        );
    };
    if !app.quirks().offers_checksum
        && (h.contains_key("upload-checksum") || h.contains_key("trailer"))
    {
        return tus_error(
            StatusCode::BAD_REQUEST,
            "the checksum extension is not supported",
        );
    }
    // Look the upload up first: a PATCH to an id that does not exist takes no lock entry.
    if let Err(r) = lookup(&app, &id) {
        return r;
    }
    let Some(_guard) = app.inner.upload_locks.try_acquire(&id) else {
        return tus_error(
            StatusCode::LOCKED,
            "another request is writing to this upload",
        );
    };
    // Read it again under the lock: a PATCH that just finished moved its offset.
    let u = match lookup(&app, &id) {
        Ok(u) => u,
        Err(r) => return r,
    };
    if offset != u.offset {
        let mut r = tus_error(
            StatusCode::CONFLICT,
            "Upload-Offset does not match the upload's offset",
        );
        set(&mut r, "upload-offset", u.offset);
        return r;
    }
    if let Some(len) = header(&h, "content-length").and_then(|v| v.parse::<u64>().ok())
        && offset + len > u.length
    {
        return tus_error(
            StatusCode::BAD_REQUEST,
            "the body goes beyond Upload-Length",
        );
    }
    let (status, new) = match receive(&app, &id, offset, req).await {
        Ok(received) => received,
        Err(e) => {
            let mut r = e.tus_reply("send the rest again");
            set(&mut r, "upload-offset", offset);
            return r;
        }
    };
    let mut r = if status == StatusCode::NO_CONTENT {
        tus_response(StatusCode::NO_CONTENT)
    } else {
        tus_error(status, "the body could not be stored")
    };
    set(&mut r, "upload-offset", new);
    if app.quirks().offers_expiration {
        set(&mut r, "upload-expires", expires_header(u.expires_unix));
    }
    r
}
