//! The plain (one-PUT) upload: `POST /site-media/v1/files/generate-upload-url` hands out an
//! upload URL (`…/upload/<JWT>`, about 2.8 KB like Wix's), and `PUT {uploadUrl}?filename=…`
//! with the raw bytes as the body makes the file at once (PENDING, then READY). Like a finalize,
//! the URL is one-time with the `wix` profile ([`Quirks::one_time_tokens`]): a second PUT after
//! the file was made is refused with 429 `RESOURCE_EXHAUSTED`; `tus-full` answers it with the
//! same file.
//!
//! [`Quirks::one_time_tokens`]: super::quirks::Quirks::one_time_tokens

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt as _;
use md5::Digest as _;
use serde::Deserialize;
use serde_json::json;
use tokio::io::AsyncWriteExt as _;

use super::descriptor::descriptor;
use super::disk::{DiskError, drain};
use super::faults::Midway;
use super::processing::{process, refused_file};
use super::reply::wix_error;
use super::state::AppState;
use super::stats::Stats;
use super::store::{FileRec, Key, now_unix_ms, random_hex};

#[derive(Deserialize)]
pub struct PutQuery {
    filename: Option<String>,
}

/// `PUT /upload/{token}?filename=…`: the whole file in one body.
pub async fn put(
    State(app): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<PutQuery>,
    req: Request,
) -> Response {
    let stats = &app.inner.stats;
    stats.plain_puts.fetch_add(1, Ordering::SeqCst);
    stats.count_credentials(req.headers());
    let Some(rec) = app
        .with(|s| s.tokens.get(&token).cloned())
        .filter(|t| t.plain)
    else {
        return wix_error(
            StatusCode::NOT_FOUND,
            "UPLOAD_URL_NOT_FOUND",
            "unknown upload URL",
        );
    };
    if let Some(id) = &rec.file_id
        && let Some(f) = app.with(|s| s.files.get(id).cloned())
    {
        if app.quirks().one_time_tokens {
            stats.finalize_refused.fetch_add(1, Ordering::SeqCst);
            return wix_error(
                StatusCode::TOO_MANY_REQUESTS,
                "RESOURCE_EXHAUSTED",
                "the one-time upload URL was already used",
            );
        }
        return Json(json!({ "file": descriptor(&app, &f) })).into_response();
    }
    if rec.expires_unix <= app.clock_unix() {
        return wix_error(
            StatusCode::BAD_REQUEST,
            "UPLOAD_URL_EXPIRED",
            "the upload URL expired; request a new one",
        );
    }
    // The rest runs on its own, as a server finishes a request whose client went away: a
    // client that gave up waiting may find the file made later. One PUT at a time per URL: a
    // second one waits and finds the file made.
    let pause = req.extensions().get::<Midway>().map(|m| m.0);
    let in_flight = Stats::in_flight(&app.inner.stats);
    let work = tokio::spawn(async move {
        let _in_flight = in_flight;
        let lock = app.inner.finalize_locks.entry(&token);
        let guard = lock.lock().await;
        let made = app.with(|s| s.tokens.get(&token).and_then(|t| t.file_id.clone()));
        let answer = match made {
            Some(_) => Err(wix_error(
                StatusCode::TOO_MANY_REQUESTS,
                "RESOURCE_EXHAUSTED",
                "the one-time upload URL was already used",
            )),
            None => receive_and_store(&app, &token, &rec, q.filename, req, pause).await,
        };
        drop(guard);
        app.inner.finalize_locks.release(&token, lock);
        match answer {
            Ok(f) => Json(json!({ "file": descriptor(&app, &f) })).into_response(),
            Err(r) => r,
        }
    });
    work.await.unwrap_or_else(|_| storage())
}

async fn receive_and_store(
    app: &AppState,
    token: &str,
    rec: &super::store::TokenRec,
    filename: Option<String>,
    req: Request,
    pause: Option<std::time::Duration>,
) -> Result<FileRec, Response> {
    let cfg = &app.inner.config;
    let part = app.inner.dirs.upload(&format!("plain-{}", random_hex(8)));
    let disk = |path: &std::path::Path, e| DiskError::new(BYTES, path, e).wix_reply(AGAIN);
    let file = super::private_file::options()
        .open(&part)
        .map_err(|e| disk(&part, e))?;
    let mut out = tokio::io::BufWriter::with_capacity(1 << 20, tokio::fs::File::from_std(file));
    let mut body = req.into_body();
    let mut md5 = md5::Md5::new();
    let mut size = 0u64;
    let limit = match cfg.type_limits.for_mime(&rec.mime_type) {
        Some((_, l)) => l.min(cfg.max_size_bytes),
        None => cfg.max_size_bytes,
    };
    let cut = |part: &std::path::Path, r: Response| {
        let _ = std::fs::remove_file(part);
        Err(r)
    };
    loop {
        let frame = match tokio::time::timeout(cfg.body_read_timeout, body.frame()).await {
            Ok(Some(Ok(f))) => f,
            Ok(None) => break,
            // Cut short or stalled: nothing is kept; the client sends the file again.
            Ok(Some(Err(_))) | Err(_) => {
                return cut(
                    &part,
                    incomplete("the body was cut short; PUT the file again"),
                );
            }
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        size += data.len() as u64;
        if size > limit {
            return cut(
                &part,
                wix_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "FILE_TOO_LARGE",
                    &format!("the file is larger than the {limit}-byte limit for its type"),
                ),
            );
        }
        app.inner
            .stats
            .bytes_received
            .fetch_add(data.len() as u64, Ordering::Relaxed);
        md5.update(&data);
        if let Err(e) = out.write_all(&data).await {
            // The answer is the client's only news of it: it must not find a reset instead.
            drain(&mut body, cfg.body_read_timeout).await;
            return cut(&part, disk(&part, e));
        }
    }
    let flushed = match out.flush().await {
        Ok(()) => out.get_ref().sync_all().await,
        Err(e) => Err(e),
    };
    if let Err(e) = flushed {
        return cut(&part, disk(&part, e));
    }
    drop(out);
    // A fault: the bytes are in, the file not yet made (a client that gives up now must not
    // conclude it never will be).
    if let Some(d) = pause {
        app.inner.stats.paused_midway.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(d).await;
    }
    // Wix refuses some files by their content (406): nothing of them is kept.
    let head_of = part.clone();
    if tokio::task::spawn_blocking(move || refused_file(&head_of))
        .await
        .unwrap_or(false)
    {
        app.inner
            .stats
            .refused_by_content
            .fetch_add(1, Ordering::SeqCst);
        return cut(&part, super::refusal::not_acceptable());
    }
    let name = filename
        .filter(|n| !n.is_empty())
        .or(rec.file_name.clone())
        .unwrap_or_else(|| "file".into());
    let id = rec
        .minted_file_id
        .clone()
        .unwrap_or_else(|| super::ids::mint_file_id(&cfg.site_id, Some(&name), &rec.mime_type));
    let dst = app.inner.dirs.file(&id);
    if let Err(e) = std::fs::rename(&part, &dst) {
        return cut(&part, disk(&dst, e));
    }
    let (d, declared) = (dst.clone(), rec.mime_type.clone());
    let Ok(processed) = tokio::task::spawn_blocking(move || process(&d, &declared)).await else {
        return Err(storage());
    };
    let created = now_unix_ms();
    let file = FileRec {
        id: id.clone(),
        display_name: name,
        mime_type: processed.mime_type,
        parent_folder_id: rec.parent_folder_id.clone(),
        size,
        md5: hex::encode(md5.finalize()),
        private: rec.private,
        created_unix_ms: created,
        ready_unix_ms: created + cfg.processing_delay.as_millis() as u64,
        failed: processed.failed,
        dimensions: processed.dimensions,
        seq: 0,
        labels: rec.labels.clone(),
        source_url: None,
        fetching: false,
        failure: None,
    };
    app.with(|s| {
        let seq = s.next_seq();
        s.files.insert(id.clone(), FileRec { seq, ..file });
        s.touch(Key::File(id.clone()));
        if let Some(t) = s.tokens.get_mut(token) {
            t.file_id = Some(id.clone());
            s.touch(Key::Token(token.to_string()));
        }
    });
    app.inner.stats.files_created.fetch_add(1, Ordering::SeqCst);
    let saved = app.save().await;
    if processed.failed {
        // A file that failed processing keeps no bytes: its record says FAILED, nothing more.
        let _ = tokio::fs::remove_file(&dst).await;
    }
    if let Err(e) = saved {
        return Err(DiskError::from(e).wix_reply(AGAIN));
    }
    app.with(|s| s.files.get(&id).cloned()).ok_or_else(storage)
}

/// What a one-PUT stores, and what its client does after a failure to store it.
const BYTES: &str = "the file's bytes";
const AGAIN: &str = "PUT the file again";

fn incomplete(message: &str) -> Response {
    wix_error(StatusCode::BAD_REQUEST, "UPLOAD_INCOMPLETE", message)
}

/// A failure that is not the disk's: the work stopped, or its record vanished.
fn storage() -> Response {
    wix_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "STORAGE",
        "could not store the file; PUT it again",
    )
}
