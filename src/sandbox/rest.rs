//! The Wix REST surface: the API-key check, resumable upload URLs, file lookups and listings
//! (folders are in `folders.rs`, the FileDescriptor JSON in `descriptor.rs`, finalize in
//! `finalize.rs`).

use axum::Json;
use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::descriptor::descriptor;
use super::folders::resolve_folder;
use super::reply::{ListQuery, page, violation, wix_error};
use super::state::AppState;
use super::store::{FileRec, Key, ROOT, TokenRec, now_unix, random_hex};

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
    app.with(|s| {
        s.tokens.insert(token.clone(), rec);
        s.touch(Key::Token(token.clone()));
    });
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
