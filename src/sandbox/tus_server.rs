//! A tus 1.0 server: OPTIONS discovery, creation, creation-with-upload, HEAD, PATCH,
//! termination, checksum (sha1, md5) and expiration. Interrupted PATCHes keep their bytes.

use std::collections::BTreeMap;
use std::io::{Seek, SeekFrom, Write};

use std::sync::atomic::Ordering;

use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use futures_util::StreamExt;
use md5::Digest as _;

use super::AppState;
use super::faults::DropAfter;
use super::store::{UploadRec, now_unix, random_hex};

const VERSION: &str = "1.0.0";
const EXTENSIONS: &str = "creation,creation-with-upload,termination,checksum,expiration";
/// Bytes gathered before each disk write.
const WRITE_BUF: usize = 4 * 1024 * 1024;

fn tus_response(status: StatusCode) -> Response {
    let mut r = status.into_response();
    r.headers_mut()
        .insert("tus-resumable", HeaderValue::from_static(VERSION));
    r.headers_mut()
        .insert("cache-control", HeaderValue::from_static("no-store"));
    r
}

fn tus_error(status: StatusCode, message: &str) -> Response {
    let mut r = (status, message.to_string()).into_response();
    r.headers_mut()
        .insert("tus-resumable", HeaderValue::from_static(VERSION));
    r
}

fn set(r: &mut Response, name: &'static str, value: impl ToString) {
    if let Ok(v) = HeaderValue::from_str(&value.to_string()) {
        r.headers_mut().insert(name, v);
    }
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

fn count_credentials(app: &AppState, h: &HeaderMap) {
    if h.contains_key("authorization") || h.contains_key("wix-site-id") {
        app.inner
            .stats
            .credentials_on_upload_host
            .fetch_add(1, Ordering::SeqCst);
    }
}

/// Rejects requests without `Tus-Resumable: 1.0.0` (412 with our versions).
fn check_version(h: &HeaderMap) -> Result<(), Response> {
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

pub async fn options(State(app): State<AppState>) -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    set(&mut r, "tus-version", VERSION);
    set(&mut r, "tus-extension", EXTENSIONS);
    set(&mut r, "tus-max-size", app.inner.config.max_size_bytes);
    set(&mut r, "tus-checksum-algorithm", "sha1,md5");
    r
}

fn parse_metadata(raw: &str) -> Option<BTreeMap<String, String>> {
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

fn expires_header(unix: u64) -> String {
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix))
}

/// POST /upload/tus: creation (and creation-with-upload). The `token` metadata must be a token
/// this sandbox issued.
pub async fn create(State(app): State<AppState>, req: Request) -> Response {
    let h = req.headers().clone();
    count_credentials(&app, &h);
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
    let Some(metadata) = parse_metadata(header(&h, "upload-metadata").unwrap_or("")) else {
        return tus_error(StatusCode::BAD_REQUEST, "Upload-Metadata is malformed");
    };
    let Some(token) = metadata.get("token").cloned() else {
        return tus_error(StatusCode::FORBIDDEN, "the token metadata is required");
    };
    let id = random_hex(16);
    let expires = now_unix() + app.inner.config.upload_ttl.as_secs();
    let ok = app.with(|s| match s.tokens.get_mut(&token) {
        Some(t) if t.expires_unix > now_unix() && t.file_id.is_none() => {
            t.upload_id = Some(id.clone());
            s.uploads.insert(
                id.clone(),
                UploadRec {
                    length,
                    metadata,
                    token: token.clone(),
                    expires_unix: expires,
                    offset: 0,
                },
            );
            true
        }
        _ => false,
    });
    if !ok {
        return tus_error(
            StatusCode::FORBIDDEN,
            "the upload token is not valid (unknown, expired or used)",
        );
    }
    if let Err(e) = std::fs::File::create(app.inner.dirs.upload(&id)) {
        tracing::error!(error = %e, "sandbox: cannot create upload file");
        return tus_error(StatusCode::INTERNAL_SERVER_ERROR, "storage error");
    }
    app.persist().await;
    let has_body = header(&h, "content-type") == Some("application/offset+octet-stream");
    let mut r = tus_response(StatusCode::CREATED);
    if has_body {
        let (status, offset) = receive(&app, &id, 0, req).await;
        if status != StatusCode::NO_CONTENT {
            // The upload exists; the client continues it with HEAD + PATCH.
            tracing::debug!(%status, "sandbox: creation-with-upload body not fully taken");
        }
        set(&mut r, "upload-offset", offset);
    }
    set(&mut r, "location", app.url(&format!("/upload/tus/{id}")));
    set(&mut r, "upload-expires", expires_header(expires));
    r
}

fn lookup(app: &AppState, id: &str) -> Result<UploadRec, Response> {
    match app.with(|s| s.uploads.get(id).cloned()) {
        None => Err(tus_error(StatusCode::NOT_FOUND, "no such upload")),
        Some(u) if u.expires_unix <= now_unix() => {
            Err(tus_error(StatusCode::GONE, "the upload expired"))
        }
        Some(u) => Ok(u),
    }
}

pub async fn head(State(app): State<AppState>, Path(id): Path<String>, h: HeaderMap) -> Response {
    count_credentials(&app, &h);
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
    set(&mut r, "upload-expires", expires_header(u.expires_unix));
    let meta: Vec<String> = u
        .metadata
        .iter()
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
    count_credentials(&app, &h);
    if let Err(r) = check_version(&h) {
        return r;
    }
    if app.with(|s| s.uploads.remove(&id)).is_none() {
        return tus_error(StatusCode::NOT_FOUND, "no such upload");
    }
    let _ = std::fs::remove_file(app.inner.dirs.upload(&id));
    app.persist().await;
    tus_response(StatusCode::NO_CONTENT)
}

pub async fn patch(State(app): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    let h = req.headers().clone();
    count_credentials(&app, &h);
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
    let lock = {
        let mut locks = match app.inner.upload_locks.lock() {
            Ok(l) => l,
            Err(p) => p.into_inner(),
        };
        locks.entry(id.clone()).or_default().clone()
    };
    let Ok(_guard) = lock.try_lock_owned() else {
        return tus_error(
            StatusCode::LOCKED,
            "another request is writing to this upload",
        );
    };
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
    let (status, new) = receive(&app, &id, offset, req).await;
    let mut r = if status == StatusCode::NO_CONTENT {
        tus_response(StatusCode::NO_CONTENT)
    } else {
        tus_error(status, "the body could not be stored")
    };
    set(&mut r, "upload-offset", new);
    set(&mut r, "upload-expires", expires_header(u.expires_unix));
    r
}

enum Checksum {
    Sha1(sha1::Sha1, Vec<u8>),
    Md5(md5::Md5, Vec<u8>),
}

/// Appends a request body at `offset`, keeping what arrived if the body is cut short (unless a
/// checksum was asked for: then an unverifiable body is dropped). Returns the status to answer
/// with and the new offset.
async fn receive(app: &AppState, id: &str, offset: u64, req: Request) -> (StatusCode, u64) {
    let h = req.headers().clone();
    let drop_after = req.extensions().get::<DropAfter>().map(|d| d.0);
    let mut checksum = match header(&h, "upload-checksum") {
        None => None,
        Some(v) => {
            let mut it = v.splitn(2, ' ');
            let alg = it.next().unwrap_or("");
            let digest = base64::engine::general_purpose::STANDARD
                .decode(it.next().unwrap_or("").trim())
                .unwrap_or_default();
            match alg {
                "sha1" => Some(Checksum::Sha1(sha1::Sha1::new(), digest)),
                "md5" => Some(Checksum::Md5(md5::Md5::new(), digest)),
                _ => return (StatusCode::BAD_REQUEST, offset),
            }
        }
    };
    let Some(length) = app.with(|s| s.uploads.get(id).map(|u| u.length)) else {
        return (StatusCode::NOT_FOUND, offset);
    };
    let path = app.inner.dirs.upload(id);
    let file = match std::fs::OpenOptions::new().write(true).open(&path) {
        Ok(mut f) => match f.seek(SeekFrom::Start(offset)) {
            Ok(_) => f,
            Err(_) => return (StatusCode::INTERNAL_SERVER_ERROR, offset),
        },
        Err(_) => return (StatusCode::INTERNAL_SERVER_ERROR, offset),
    };
    let mut writer = Writer::new(file);
    let mut stream = req.into_body().into_data_stream();
    let mut received = 0u64;
    let mut broken = false;
    let mut too_long = false;
    let stats = app.inner.stats.clone();
    while let Some(chunk) = stream.next().await {
        let mut chunk = match chunk {
            Ok(c) => c,
            Err(_) => {
                broken = true;
                break;
            }
        };
        if let Some(limit) = drop_after {
            let room = limit.saturating_sub(received) as usize;
            if chunk.len() > room {
                chunk.truncate(room);
                broken = true;
            }
        }
        if offset + received + chunk.len() as u64 > length {
            too_long = true;
            break;
        }
        stats
            .bytes_received
            .fetch_add(chunk.len() as u64, Ordering::Relaxed);
        received += chunk.len() as u64;
        match &mut checksum {
            Some(Checksum::Sha1(s, _)) => s.update(&chunk),
            Some(Checksum::Md5(m, _)) => m.update(&chunk),
            None => {}
        }
        if writer.push(&chunk).await.is_err() {
            return (StatusCode::INTERNAL_SERVER_ERROR, offset);
        }
        if broken {
            break;
        }
    }
    if writer.finish().await.is_err() {
        return (StatusCode::INTERNAL_SERVER_ERROR, offset);
    }
    let mut status = StatusCode::NO_CONTENT;
    let mut keep = received;
    if too_long {
        status = StatusCode::BAD_REQUEST;
        keep = 0;
    } else if let Some(c) = checksum {
        let ok = match c {
            Checksum::Sha1(s, want) => s.finalize().as_slice() == want.as_slice(),
            Checksum::Md5(m, want) => m.finalize().as_slice() == want.as_slice(),
        };
        if broken || !ok {
            keep = 0;
            status = if broken {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::from_u16(460).unwrap_or(StatusCode::BAD_REQUEST)
            };
        }
    } else if broken {
        status = StatusCode::BAD_REQUEST;
    }
    let new = offset + keep;
    if keep != received {
        let _ = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_len(new));
    }
    app.with(|s| {
        if let Some(u) = s.uploads.get_mut(id) {
            u.offset = new;
        }
    });
    (status, new)
}

/// Writes gathered body bytes on the blocking pool, one write in flight while the next buffer
/// fills, so the socket keeps being read while the disk works.
struct Writer {
    file: Option<std::fs::File>,
    buf: Vec<u8>,
    pending: Option<PendingWrite>,
}

/// A write on the blocking pool; gives back the file and the emptied buffer.
type PendingWrite = tokio::task::JoinHandle<std::io::Result<(std::fs::File, Vec<u8>)>>;

impl Writer {
    fn new(file: std::fs::File) -> Self {
        Self {
            file: Some(file),
            buf: Vec::with_capacity(WRITE_BUF),
            pending: None,
        }
    }

    async fn push(&mut self, data: &[u8]) -> std::io::Result<()> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= WRITE_BUF {
            self.flush().await?;
        }
        Ok(())
    }

    async fn wait(&mut self) -> std::io::Result<Vec<u8>> {
        match self.pending.take() {
            Some(p) => {
                let (f, mut spare) = p.await.map_err(std::io::Error::other)??;
                self.file = Some(f);
                spare.clear();
                Ok(spare)
            }
            None => Ok(Vec::with_capacity(WRITE_BUF)),
        }
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        let spare = self.wait().await?;
        let data = std::mem::replace(&mut self.buf, spare);
        let Some(mut f) = self.file.take() else {
            return Err(std::io::Error::other("writer lost its file"));
        };
        self.pending = Some(tokio::task::spawn_blocking(move || {
            f.write_all(&data)?;
            Ok((f, data))
        }));
        Ok(())
    }

    async fn finish(mut self) -> std::io::Result<()> {
        if !self.buf.is_empty() {
            self.flush().await?;
        }
        self.wait().await?;
        Ok(())
    }
}
