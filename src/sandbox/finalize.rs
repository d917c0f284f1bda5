//! `PUT /upload/tus/{token}?filename=`: turns a complete upload into a file.
//!
//! Idempotent and cancellation-safe. The work runs in its own task, so a client that drops the
//! connection (axum then drops the handler) never stops it half-way; one finalize runs at a
//! time per token and the callers behind it get the file it made. Every step can be redone:
//! the chosen file is recorded (upload phase `Finalizing`) before the bytes move, the move is
//! skipped when the bytes are already there, and bytes moved without a record are found by
//! their name, which starts with the upload's id.

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Json;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::descriptor::descriptor;
use super::disk::DiskError;
use super::faults::Midway;
use super::file_facts::md5_file;
use super::processing::process;
use super::refusal::refuse_by_content;
use super::reply::wix_error;
use super::state::AppState;
use super::stats::Stats;
use super::store::{FileRec, Key, Phase, UploadRec, now_unix_ms};

#[derive(Deserialize)]
pub struct FinalizeQuery {
    filename: Option<String>,
}

pub async fn finalize(
    State(app): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<FinalizeQuery>,
    headers: HeaderMap,
    midway: Option<Extension<Midway>>,
) -> Response {
    let stats = &app.inner.stats;
    stats.finalize_requests.fetch_add(1, Ordering::SeqCst);
    stats.count_credentials(&headers);
    let pause = midway.map(|Extension(Midway(d))| d);
    let in_flight = Stats::in_flight(stats);
    let work = tokio::spawn(async move {
        let _in_flight = in_flight;
        single_flight(app, token, q.filename, pause).await
    });
    work.await.unwrap_or_else(|_| {
        wix_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "STORAGE",
            "the finalize stopped unexpectedly; finalize again",
        )
    })
}

/// Runs one finalize at a time for `token`; a caller that waited finds the file made.
async fn single_flight(
    app: AppState,
    token: String,
    filename: Option<String>,
    pause: Option<Duration>,
) -> Response {
    let lock = app.inner.finalize_locks.entry(&token);
    let guard = lock.lock().await;
    let result = run(&app, &token, filename, pause).await;
    drop(guard);
    app.inner.finalize_locks.release(&token, lock);
    match result {
        Ok(file) => Json(json!({ "file": descriptor(&app, &file) })).into_response(),
        Err(r) => r,
    }
}

fn incomplete(message: &str) -> Response {
    wix_error(StatusCode::BAD_REQUEST, "UPLOAD_INCOMPLETE", message)
}

/// What a finalize's client does after the sandbox failed to store something.
const AGAIN: &str = "finalize again";

/// A failure that is not the disk's, or a read: `what` went wrong.
fn storage(what: &str) -> Response {
    wix_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "STORAGE",
        &format!("{what}; finalize again"),
    )
}

/// The file a finalize of this token makes, made now or found made.
async fn run(
    app: &AppState,
    token: &str,
    filename: Option<String>,
    pause: Option<Duration>,
) -> Result<FileRec, Response> {
    let Some(rec) = app.with(|s| s.tokens.get(token).cloned()) else {
        return Err(wix_error(
            StatusCode::NOT_FOUND,
            "UPLOAD_TOKEN_NOT_FOUND",
            "unknown upload token",
        ));
    };
    if let Some(id) = &rec.file_id
        && let Some(f) = app.with(|s| s.files.get(id).cloned())
    {
        if app.quirks().one_time_tokens {
            return Err(used_token(app));
        }
        return Ok(f);
    }
    let Some(upload_id) = rec.upload_id.clone() else {
        if rec.expires_unix <= app.clock_unix() {
            return Err(expired());
        }
        return Err(incomplete("nothing was uploaded with this token"));
    };
    let Some(up) = app.with(|s| s.uploads.get(&upload_id).cloned()) else {
        return Err(incomplete("the upload for this token is gone"));
    };
    let (file_id, display_name, mime_type) = match up.phase.clone() {
        Phase::Finalized { .. } if app.quirks().one_time_tokens => {
            return Err(used_token(app));
        }
        Phase::Finalized { file_id } => return link(app, token, &upload_id, &file_id).await,
        Phase::Finalizing {
            file_id,
            display_name,
            mime_type,
        } => (file_id, display_name, mime_type),
        Phase::Receiving => {
            if rec.expires_unix <= app.clock_unix() {
                return Err(expired());
            }
            let minted = rec.minted_file_id.clone();
            let moved = moved_without_record(app, &upload_id, minted.as_deref()).await;
            if moved.is_none() && up.offset < up.length {
                return Err(incomplete(&format!(
                    "the upload is incomplete: {} of {} bytes",
                    up.offset, up.length
                )));
            }
            if moved.is_none() {
                refuse_by_content(app, token, &upload_id).await?;
            }
            let (display_name, mime_type) =
                name_and_type(&up, &rec.mime_type, rec.file_name, filename);
            let file_id = moved
                .or(minted)
                .unwrap_or_else(|| file_id_for(&upload_id, &display_name, &mime_type));
            // Recorded before the bytes move: whatever happens next, the next finalize
            // knows where they went.
            // Only if it is still this token's upload, still receiving: a DELETE or a new
            // creation with the same token may have come in between.
            let still_ours = app.with(|s| {
                let current = s.tokens.get(token).and_then(|t| t.upload_id.clone());
                match s.uploads.get_mut(&upload_id) {
                    Some(u)
                        if current.as_deref() == Some(upload_id.as_str())
                            && matches!(u.phase, Phase::Receiving) =>
                    {
                        u.phase = Phase::Finalizing {
                            file_id: file_id.clone(),
                            display_name: display_name.clone(),
                            mime_type: mime_type.clone(),
                        };
                        s.touch(Key::Upload(upload_id.clone()));
                        true
                    }
                    _ => false,
                }
            });
            if !still_ours {
                return Err(incomplete("the upload for this token is gone"));
            }
            if let Err(e) = app.save().await {
                return Err(DiskError::from(e).wix_reply(AGAIN));
            }
            (file_id, display_name, mime_type)
        }
    };
    if app.with(|s| s.files.contains_key(&file_id)) {
        // Recorded by an earlier finalize that stopped before linking the token.
        return link(app, token, &upload_id, &file_id).await;
    }
    let src = app.inner.dirs.upload(&upload_id);
    let dst = app.inner.dirs.file(&file_id);
    let target = dst.clone();
    let moved = tokio::task::spawn_blocking(move || match std::fs::rename(&src, &dst) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && dst.exists() => Ok(dst),
        r => r.map(|()| dst),
    })
    .await;
    let dst = match moved {
        Ok(Ok(dst)) => dst,
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(incomplete(
                "the bytes of this upload are gone; upload the file again",
            ));
        }
        Ok(Err(e)) => return Err(DiskError::new("the file", target, e).wix_reply(AGAIN)),
        Err(_) => return Err(storage("could not store the file")),
    };
    if let Some(d) = pause {
        app.inner.stats.paused_midway.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(d).await;
    }
    let declared = mime_type.clone();
    let kept = dst.clone();
    let facts = tokio::task::spawn_blocking(move || {
        let md5 = md5_file(&dst)?;
        Ok::<_, std::io::Error>((md5, process(&dst, &declared)))
    })
    .await;
    let Ok(Ok((md5, processed))) = facts else {
        return Err(storage("could not read the stored file"));
    };
    let created = now_unix_ms();
    let processing_ms = app.inner.config.processing_delay.as_millis() as u64;
    app.with(|s| {
        let seq = s.next_seq();
        s.files.insert(
            file_id.clone(),
            FileRec {
                id: file_id.clone(),
                display_name,
                mime_type: processed.mime_type,
                parent_folder_id: rec.parent_folder_id.clone(),
                size: up.length,
                md5,
                private: rec.private,
                created_unix_ms: created,
                ready_unix_ms: created + processing_ms,
                failed: processed.failed,
                dimensions: processed.dimensions,
                seq,
                labels: rec.labels.clone(),
                source_url: None,
                fetching: false,
                failure: None,
            },
        );
        s.touch(Key::File(file_id.clone()));
    });
    app.inner.stats.files_created.fetch_add(1, Ordering::SeqCst);
    let linked = link(app, token, &upload_id, &file_id).await;
    if processed.failed {
        // A file that failed processing keeps no bytes: its record says FAILED, nothing more.
        let _ = tokio::fs::remove_file(&kept).await;
    }
    linked
}

/// Wix's answer to a second finalize of a one-time token: its generic 429
/// ([`Quirks::one_time_tokens`](super::quirks::Quirks::one_time_tokens)).
fn used_token(app: &AppState) -> Response {
    app.inner
        .stats
        .finalize_refused
        .fetch_add(1, Ordering::SeqCst);
    wix_error(
        StatusCode::TOO_MANY_REQUESTS,
        "RESOURCE_EXHAUSTED",
        "the one-time upload token was already used",
    )
}

fn expired() -> Response {
    wix_error(
        StatusCode::BAD_REQUEST,
        "UPLOAD_TOKEN_EXPIRED",
        "the upload token expired; request a new upload URL",
    )
}

/// The last step: the upload is finalized into `file_id` and the token leads to it.
async fn link(
    app: &AppState,
    token: &str,
    upload_id: &str,
    file_id: &str,
) -> Result<FileRec, Response> {
    let file = app.with(|s| {
        if let Some(u) = s.uploads.get_mut(upload_id) {
            u.phase = Phase::Finalized {
                file_id: file_id.to_string(),
            };
            u.offset = u.length;
            s.touch(Key::Upload(upload_id.to_string()));
        }
        if let Some(t) = s.tokens.get_mut(token) {
            t.file_id = Some(file_id.to_string());
            s.touch(Key::Token(token.to_string()));
        }
        s.files.get(file_id).cloned()
    });
    let Some(file) = file else {
        return Err(storage("the finalized file has no record"));
    };
    if let Err(e) = app.save().await {
        return Err(DiskError::from(e).wix_reply(AGAIN));
    }
    Ok(file)
}

/// The display name and MIME type of the file an upload becomes.
fn name_and_type(
    up: &UploadRec,
    token_mime: &str,
    token_name: Option<String>,
    query_name: Option<String>,
) -> (String, String) {
    let name = query_name
        .filter(|n| !n.is_empty())
        .or(token_name)
        .or(up.metadata.get("filename").cloned())
        .unwrap_or_else(|| "file".into());
    let mime = up
        .metadata
        .get("contentType")
        .cloned()
        .unwrap_or_else(|| token_mime.to_string());
    (name, mime)
}

/// The file id an upload becomes, Wix-shaped (`~mv2` for images, the extension kept) and
/// starting with the upload's id, so bytes moved without a record can be found again.
fn file_id_for(upload_id: &str, name: &str, mime: &str) -> String {
    let ext = std::path::Path::new(name)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .filter(|e| e.len() <= 5 && e.chars().all(|c| c.is_ascii_alphanumeric()));
    format!(
        "{}{}{}",
        file_prefix(upload_id),
        if mime.starts_with("image/") {
            "~mv2"
        } else {
            ""
        },
        ext.map(|e| format!(".{e}")).unwrap_or_default()
    )
}

fn file_prefix(upload_id: &str) -> String {
    format!("wxsbx_{upload_id}")
}

/// The file an upload's bytes were moved to when the upload has no bytes of its own left and
/// no record says where they went (a finalize stopped between the move and the record): the
/// id minted with the token, or a file named after the upload.
async fn moved_without_record(
    app: &AppState,
    upload_id: &str,
    minted: Option<&str>,
) -> Option<String> {
    let bin = app.inner.dirs.upload(upload_id);
    let files = app.inner.dirs.root.join("files");
    let prefix = file_prefix(upload_id);
    let minted = minted.map(str::to_string);
    tokio::task::spawn_blocking(move || {
        if bin.exists() {
            return None;
        }
        if let Some(id) = minted {
            return files.join(&id).exists().then_some(id);
        }
        std::fs::read_dir(files).ok()?.flatten().find_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let rest = name.strip_prefix(&prefix)?;
            (rest.is_empty() || rest.starts_with('~') || rest.starts_with('.')).then_some(name)
        })
    })
    .await
    .ok()
    .flatten()
}
