//! The Wix REST surface: the API-key check, resumable upload URLs, file lookups and listings
//! (folders are in `folders.rs`, the FileDescriptor JSON in `descriptor.rs`, finalize in
//! `finalize.rs`).

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::descriptor::descriptor;
use super::folders::resolve_folder;
use super::ids::mint_file_id;
use super::reply::{ListQuery, page_of_at_most, violation, wix_error};
use super::state::AppState;
use super::store::{FileRec, Key, ROOT, TokenRec, now_unix, random_hex};

/// `Authorization` and `wix-site-id` must match the configured key and site.
pub async fn auth(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let h = req.headers();
    let key = h.get("authorization").and_then(|v| v.to_str().ok());
    let site = h.get("wix-site-id").and_then(|v| v.to_str().ok());
    let cfg = &app.inner.config;
    let refuse = |why: &str| {
        if cfg.html_errors {
            forbidden_page()
        } else {
            wix_error(StatusCode::FORBIDDEN, "PERMISSION_DENIED", why)
        }
    };
    if key != Some(cfg.api_key.as_str()) {
        return refuse("the API key is missing or not valid for this site");
    }
    if site != Some(cfg.site_id.as_str()) {
        return refuse("the wix-site-id header is missing or names another site");
    }
    if let Some(limiter) = &app.inner.limiter
        && let Err(refusal) = limiter.admit(std::time::Instant::now())
    {
        app.inner.stats.rate_limited.fetch_add(1, Ordering::SeqCst);
        let mut r = wix_error(
            StatusCode::TOO_MANY_REQUESTS,
            "RESOURCE_EXHAUSTED",
            "too many requests; slow down",
        );
        if let Some(d) = refusal.retry_after
            && let Ok(v) = axum::http::HeaderValue::from_str(&d.as_secs().to_string())
        {
            r.headers_mut().insert("retry-after", v);
        }
        return r;
    }
    app.inner.stats.rest_requests.fetch_add(1, Ordering::SeqCst);
    next.run(req).await
}

/// A refusal as a proxy or firewall in front of an API gives it: an HTML page.
fn forbidden_page() -> Response {
    (
        StatusCode::FORBIDDEN,
        [("content-type", "text/html; charset=utf-8")],
        "<!DOCTYPE html><html><head><title>403 Forbidden</title></head><body>\
         <h1>403 Forbidden</h1><p>Request blocked.</p></body></html>",
    )
        .into_response()
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
    #[serde(default)]
    labels: Vec<String>,
}

pub async fn generate_resumable_upload_url(
    State(app): State<AppState>,
    body: Result<Json<GenerateBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(Json(b)) = body else {
        return violation("body", "must be a JSON object");
    };
    if let Some(p) = &b.upload_protocol
        && p != "TUS"
    {
        return violation("uploadProtocol", "must be TUS");
    }
    match issue_token(&app, b, false).await {
        Ok(token) => Json(json!({
            "uploadProtocol": "TUS",
            "uploadUrl": app.url("/upload/tus"),
            "uploadToken": token,
        }))
        .into_response(),
        Err(r) => r,
    }
}

/// `POST /site-media/v1/files/generate-upload-url`: a one-PUT upload URL, nothing else.
pub async fn generate_upload_url(
    State(app): State<AppState>,
    body: Result<Json<GenerateBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(Json(b)) = body else {
        return violation("body", "must be a JSON object");
    };
    match issue_token(&app, b, true).await {
        Ok(token) => {
            Json(json!({ "uploadUrl": app.url(&format!("/upload/{token}")) })).into_response()
        }
        Err(r) => r,
    }
}

/// Checks a generate request and records the token it hands out.
async fn issue_token(app: &AppState, b: GenerateBody, plain: bool) -> Result<String, Response> {
    let Some(mime) = b.mime_type.filter(|m| m.contains('/')) else {
        return Err(violation(
            "mimeType",
            "must be a MIME type such as image/jpeg",
        ));
    };
    let size = match &b.size_in_bytes {
        None => None,
        Some(Value::String(t)) => match t.parse::<u64>() {
            Ok(n) => Some(n),
            Err(_) => return Err(violation("sizeInBytes", "must be an int64 as a string")),
        },
        Some(v) if v.is_u64() => v.as_u64(),
        Some(_) => return Err(violation("sizeInBytes", "must be an int64 as a string")),
    };
    let cfg = &app.inner.config;
    if let (Some(size), Some((kind, limit))) = (size, cfg.type_limits.for_mime(&mime))
        && size > limit
    {
        return Err(over_limit(kind, limit));
    }
    let parent = resolve_folder(app, b.parent_folder_id.as_deref(), b.file_path.as_deref())?;
    let quirks = app.quirks();
    let token = new_token(quirks.jwt_sized_tokens, plain);
    let rec = TokenRec {
        minted_file_id: quirks
            .file_id_fixed_at_generate
            .then(|| mint_file_id(&cfg.site_id, b.file_name.as_deref(), &mime)),
        mime_type: mime,
        file_name: b.file_name,
        parent_folder_id: parent,
        private: b.private,
        expires_unix: app.clock_unix() + cfg.token_ttl.as_secs(),
        upload_id: None,
        file_id: None,
        labels: b.labels,
        plain,
    };
    app.with(|s| {
        s.tokens.insert(token.clone(), rec);
        s.touch(Key::Token(token.clone()));
    });
    app.persist().await;
    Ok(token)
}

/// A JWT-shaped token. Wix's are about 3.3 KB (its sample's is 3,219 characters; a plain
/// upload URL is about 2.8 KB), so with `jwt_sized` (the `wix` profile) headers and URLs get
/// their real sizes; `tus-full` keeps them short.
fn new_token(jwt_sized: bool, plain: bool) -> String {
    let pad = match (jwt_sized, plain) {
        (false, _) => 160,
        (true, false) => 1_150,
        (true, true) => 940,
    };
    let payload = json!({ "iss": "wixup-sandbox", "sub": random_hex(16), "iat": now_unix(), "pad": random_hex(pad) });
    format!(
        "eyJhbGciOiJub25lIn0.{}.{}",
        base64_url(payload.to_string().as_bytes()),
        random_hex(32)
    )
}

/// Wix's validation error for a file over its type's size limit.
pub(super) fn over_limit(kind: &str, limit: u64) -> Response {
    violation(
        "sizeInBytes",
        &format!("the file is larger than the {limit}-byte limit for {kind} files"),
    )
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
    one_file(&app, &id)
}

/// `GET /site-media/v1/files/{id}`: the older path of get-file-by-id, which Wix still answers.
pub async fn get_file_by_path(State(app): State<AppState>, Path(id): Path<String>) -> Response {
    one_file(&app, &id)
}

fn one_file(app: &AppState, id: &str) -> Response {
    app.inner
        .stats
        .status_requests
        .fetch_add(1, Ordering::SeqCst);
    let id = wix_uri_id(id);
    match app.with(|s| s.files.get(&id).cloned()) {
        Some(f) => Json(json!({ "file": descriptor(app, &f) })).into_response(),
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

/// The most ids one get-files call takes.
const GET_FILES_MAX: usize = 100;

pub async fn get_files(State(app): State<AppState>, Json(b): Json<GetFilesBody>) -> Response {
    app.inner
        .stats
        .status_requests
        .fetch_add(1, Ordering::SeqCst);
    if b.file_ids.len() > GET_FILES_MAX {
        return violation(
            "fileIds",
            &format!("must name at most {GET_FILES_MAX} files"),
        );
    }
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
    let (files, cursor) = page_of_at_most(files, &q, app.inner.config.list_page_max);
    let files: Vec<Value> = files.iter().map(|f| descriptor(&app, f)).collect();
    Json(json!({ "files": files, "nextCursor": cursor })).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkDeleteBody {
    #[serde(default)]
    file_ids: Vec<String>,
}

/// `POST /site-media/v1/bulk/files/delete`: the files leave the Media Manager (trashed or
/// deleted for good, the sandbox treats both alike: get-file-by-id no longer finds them).
/// Kept in memory only: a sandbox started again from its records has them back.
pub async fn bulk_delete(State(app): State<AppState>, Json(b): Json<BulkDeleteBody>) -> Response {
    if b.file_ids.is_empty() {
        return violation("fileIds", "is required");
    }
    app.with(|s| {
        for id in &b.file_ids {
            s.files.remove(&wix_uri_id(id));
        }
    });
    Json(json!({})).into_response()
}
