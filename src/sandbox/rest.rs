//! The Wix REST surface: resumable upload URLs, finalize, file descriptors, listings, folders.

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::descriptor::descriptor;
use super::folders::resolve_folder;
use super::store::{FileRec, TokenRec, now_unix, now_unix_ms, random_hex};

pub(super) const ROOT: &str = "media-root";

/// A Wix-style error body.
pub fn wix_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({
            "message": message,
            "details": { "applicationError": { "code": code, "description": message, "data": {} } }
        })),
    )
        .into_response()
}

pub(super) fn violation(field: &str, description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({
            "message": format!("{field}: {description}"),
            "details": { "validationError": { "fieldViolations": [
                { "field": field, "description": description, "violatedRule": "VALIDATION" }
            ] } }
        })),
    )
        .into_response()
}

/// `Authorization` and `wix-site-id` must match the configured key and site.
pub async fn auth(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let h = req.headers();
    let key = h.get("authorization").and_then(|v| v.to_str().ok());
    let site = h.get("wix-site-id").and_then(|v| v.to_str().ok());
    let cfg = &app.inner.config;
    if key != Some(cfg.api_key.as_str()) {
        return wix_error(
            StatusCode::FORBIDDEN,
            "PERMISSION_DENIED",
            "the API key is missing or not valid for this site",
        );
    }
    if site != Some(cfg.site_id.as_str()) {
        return wix_error(
            StatusCode::FORBIDDEN,
            "PERMISSION_DENIED",
            "the wix-site-id header is missing or names another site",
        );
    }
    next.run(req).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateBody {
    mime_type: Option<String>,
    file_name: Option<String>,
    size_in_bytes: Option<Value>,
    parent_folder_id: Option<String>,
    file_path: Option<String>,
    #[serde(default)]
    private: bool,
    upload_protocol: Option<String>,
}

pub async fn generate_resumable_upload_url(
    State(app): State<AppState>,
    body: Result<Json<GenerateBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(Json(b)) = body else {
        return violation("body", "must be a JSON object");
    };
    let Some(mime) = b.mime_type.filter(|m| m.contains('/')) else {
        return violation("mimeType", "must be a MIME type such as image/jpeg");
    };
    if let Some(p) = &b.upload_protocol
        && p != "TUS"
    {
        return violation("uploadProtocol", "must be TUS");
    }
    if let Some(v) = &b.size_in_bytes
        && !(v.is_string() || v.is_u64())
    {
        return violation("sizeInBytes", "must be an int64 as a string");
    }
    let parent = match resolve_folder(&app, b.parent_folder_id.as_deref(), b.file_path.as_deref()) {
        Ok(p) => p,
        Err(r) => return r,
    };
    // A JWT-shaped token, long like Wix's, so header and URL limits get exercised.
    let payload = json!({ "iss": "wixup-sandbox", "sub": random_hex(16), "iat": now_unix(), "pad": random_hex(160) });
    let token = format!(
        "eyJhbGciOiJub25lIn0.{}.{}",
        base64_url(payload.to_string().as_bytes()),
        random_hex(32)
    );
    let rec = TokenRec {
        mime_type: mime,
        file_name: b.file_name,
        parent_folder_id: parent,
        private: b.private,
        expires_unix: now_unix() + app.inner.config.token_ttl.as_secs(),
        upload_id: None,
        file_id: None,
    };
    app.with(|s| s.tokens.insert(token.clone(), rec));
    app.persist().await;
    Json(json!({
        "uploadProtocol": "TUS",
        "uploadUrl": app.url("/upload/tus"),
        "uploadToken": token,
    }))
    .into_response()
}

fn base64_url(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

#[derive(Deserialize)]
pub struct FinalizeQuery {
    filename: Option<String>,
}

/// `PUT /upload/tus/{token}?filename=`: turns a complete upload into a file. Repeating it with
/// the same token returns the same file, so a lost answer never creates a duplicate.
pub async fn finalize(
    State(app): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<FinalizeQuery>,
    headers: HeaderMap,
) -> Response {
    let stats = &app.inner.stats;
    stats.finalize_requests.fetch_add(1, Ordering::SeqCst);
    if headers.contains_key("authorization") || headers.contains_key("wix-site-id") {
        stats
            .credentials_on_upload_host
            .fetch_add(1, Ordering::SeqCst);
    }
    let Some(rec) = app.with(|s| s.tokens.get(&token).cloned()) else {
        return wix_error(
            StatusCode::NOT_FOUND,
            "UPLOAD_TOKEN_NOT_FOUND",
            "unknown upload token",
        );
    };
    if let Some(id) = &rec.file_id
        && let Some(f) = app.with(|s| s.files.get(id).cloned())
    {
        return Json(json!({ "file": descriptor(&app, &f) })).into_response();
    }
    if rec.expires_unix <= now_unix() {
        return wix_error(
            StatusCode::BAD_REQUEST,
            "UPLOAD_TOKEN_EXPIRED",
            "the upload token expired; request a new upload URL",
        );
    }
    let Some(upload_id) = rec.upload_id.clone() else {
        return wix_error(
            StatusCode::BAD_REQUEST,
            "UPLOAD_INCOMPLETE",
            "nothing was uploaded with this token",
        );
    };
    let Some(up) = app.with(|s| s.uploads.get(&upload_id).cloned()) else {
        return wix_error(
            StatusCode::BAD_REQUEST,
            "UPLOAD_INCOMPLETE",
            "the upload for this token is gone",
        );
    };
    if up.offset < up.length {
        return wix_error(
            StatusCode::BAD_REQUEST,
            "UPLOAD_INCOMPLETE",
            &format!(
                "the upload is incomplete: {} of {} bytes",
                up.offset, up.length
            ),
        );
    }
    let name = q
        .filename
        .filter(|n| !n.is_empty())
        .or(rec.file_name.clone())
        .or(up.metadata.get("filename").cloned())
        .unwrap_or_else(|| "file".into());
    let ext = std::path::Path::new(&name)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .filter(|e| e.len() <= 5 && e.chars().all(|c| c.is_ascii_alphanumeric()));
    let mime = up
        .metadata
        .get("contentType")
        .cloned()
        .unwrap_or(rec.mime_type.clone());
    let is_image = mime.starts_with("image/");
    let id = format!(
        "wxsbx_{}{}{}",
        random_hex(16),
        if is_image { "~mv2" } else { "" },
        ext.map(|e| format!(".{e}")).unwrap_or_default()
    );
    let src = app.inner.dirs.upload(&upload_id);
    let dst = app.inner.dirs.file(&id);
    let facts =
        tokio::task::spawn_blocking(move || -> std::io::Result<(String, Option<(u32, u32)>)> {
            std::fs::rename(&src, &dst)?;
            let md5 = super::media::md5_file(&dst)?;
            let dims = if is_image {
                super::media::dimensions(&dst)
            } else {
                None
            };
            Ok((md5, dims))
        })
        .await;
    let (md5, dimensions) = match facts {
        Ok(Ok(f)) => f,
        _ => {
            return wix_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "STORAGE",
                "could not store the file",
            );
        }
    };
    let created = now_unix_ms();
    let file = app.with(|s| {
        let seq = s.next_seq();
        let f = FileRec {
            id: id.clone(),
            display_name: name,
            mime_type: mime,
            parent_folder_id: rec.parent_folder_id.clone(),
            size: up.length,
            md5,
            private: rec.private,
            created_unix_ms: created,
            ready_unix_ms: created + app.inner.config.processing_delay.as_millis() as u64,
            failed: is_image && dimensions.is_none(),
            dimensions,
            seq,
        };
        s.files.insert(id.clone(), f.clone());
        s.uploads.remove(&upload_id);
        if let Some(t) = s.tokens.get_mut(&token) {
            t.file_id = Some(id.clone());
        }
        f
    });
    stats.files_created.fetch_add(1, Ordering::SeqCst);
    app.persist().await;
    Json(json!({ "file": descriptor(&app, &file) })).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileIdQuery {
    file_id: Option<String>,
}

pub async fn get_file_by_id(State(app): State<AppState>, Query(q): Query<FileIdQuery>) -> Response {
    let Some(id) = q.file_id.filter(|i| !i.is_empty()) else {
        return violation("fileId", "is required");
    };
    let id = wix_uri_id(&id);
    match app.with(|s| s.files.get(&id).cloned()) {
        Some(f) => Json(json!({ "file": descriptor(&app, &f) })).into_response(),
        None => wix_error(StatusCode::NOT_FOUND, "NOT_FOUND", "no file with this id"),
    }
}

/// Accepts `wix:image://v1/<id>/<name>#…` as well as a bare id.
fn wix_uri_id(id: &str) -> String {
    id.strip_prefix("wix:image://v1/")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or(id)
        .to_string()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetFilesBody {
    #[serde(default)]
    file_ids: Vec<String>,
}

pub async fn get_files(State(app): State<AppState>, Json(b): Json<GetFilesBody>) -> Response {
    let files: Vec<Value> = b
        .file_ids
        .iter()
        .filter_map(|id| app.with(|s| s.files.get(&wix_uri_id(id)).cloned()))
        .map(|f| descriptor(&app, &f))
        .collect();
    Json(json!({ "files": files })).into_response()
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(rename = "parentFolderId")]
    pub(super) parent_folder_id: Option<String>,
    #[serde(rename = "paging.limit")]
    pub(super) limit: Option<usize>,
    #[serde(rename = "paging.cursor")]
    pub(super) cursor: Option<String>,
}

pub(super) fn page<T>(items: Vec<T>, q: &ListQuery) -> (Vec<T>, Value) {
    let start: usize = q
        .cursor
        .as_deref()
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let limit = q.limit.unwrap_or(50).clamp(1, 100);
    let total = items.len();
    let end = (start + limit).min(total);
    let has_next = end < total;
    let items: Vec<T> = items.into_iter().skip(start).take(limit).collect();
    let next = if has_next {
        json!(end.to_string())
    } else {
        Value::Null
    };
    (
        items,
        json!({ "cursors": { "next": next }, "hasNext": has_next }),
    )
}

/// `GET /site-media/v1/files`: newest first, paged by cursor.
pub async fn list_files(State(app): State<AppState>, Query(q): Query<ListQuery>) -> Response {
    let parent = q.parent_folder_id.clone().unwrap_or_else(|| ROOT.into());
    let mut files: Vec<FileRec> = app.with(|s| {
        s.files
            .values()
            .filter(|f| f.parent_folder_id == parent)
            .cloned()
            .collect()
    });
    files.sort_by_key(|f| std::cmp::Reverse(f.seq));
    let (files, cursor) = page(files, &q);
    let files: Vec<Value> = files.iter().map(|f| descriptor(&app, f)).collect();
    Json(json!({ "files": files, "nextCursor": cursor })).into_response()
}
