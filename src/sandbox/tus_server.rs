//! A tus 1.0 server: OPTIONS discovery, creation, creation-with-upload, HEAD, PATCH,
//! termination, checksum (sha1, md5) and expiration. Interrupted PATCHes keep their bytes.

use std::collections::BTreeMap;
use std::io::{Seek, SeekFrom, Write};

use std::sync::atomic::Ordering;

use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use http_body_util::BodyExt as _;
use md5::Digest as _;

use super::AppState;
use super::faults::DropAfter;
use super::store::{UploadRec, now_unix, random_hex};

const VERSION: &str = "1.0.0";
const EXTENSIONS: &str =
    "creation,creation-with-upload,termination,checksum,checksum-trailer,expiration";
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
    let extensions = if app.inner.config.checksum_trailer {
        EXTENSIONS.to_string()
    } else {
        EXTENSIONS.replace(",checksum-trailer", "")
    };
    set(&mut r, "tus-extension", extensions);
    set(&mut r, "tus-max-size", app.inner.config.max_size_bytes);
    set(
        &mut r,
        "tus-checksum-algorithm",
        app.inner.config.checksum_algorithms.join(","),
    );
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

/// A running digest of a PATCH body.
enum Hasher {
    Crc32(crc32fast::Hasher),
    Sha1(sha1::Sha1),
    Md5(md5::Md5),
}

impl Hasher {
    fn new(alg: &str) -> Option<Self> {
        match alg {
            "crc32" => Some(Hasher::Crc32(crc32fast::Hasher::new())),
            "sha1" => Some(Hasher::Sha1(sha1::Sha1::new())),
            "md5" => Some(Hasher::Md5(md5::Md5::new())),
            _ => None,
        }
    }

    fn update(&mut self, b: &[u8]) {
        match self {
            Hasher::Crc32(h) => h.update(b),
            Hasher::Sha1(h) => h.update(b),
            Hasher::Md5(h) => h.update(b),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Hasher::Crc32(_) => "crc32",
            Hasher::Sha1(_) => "sha1",
            Hasher::Md5(_) => "md5",
        }
    }

    fn finish(self) -> Vec<u8> {
        match self {
            Hasher::Crc32(h) => h.finalize().to_be_bytes().to_vec(),
            Hasher::Sha1(h) => h.finalize().to_vec(),
            Hasher::Md5(h) => h.finalize().to_vec(),
        }
    }
}

/// `Upload-Checksum: ALG BASE64` → (algorithm, digest).
fn parse_checksum(v: &str) -> Option<(String, Vec<u8>)> {
    let (alg, digest) = v.trim().split_once(' ')?;
    let digest = base64::engine::general_purpose::STANDARD
        .decode(digest.trim())
        .ok()?;
    Some((alg.to_string(), digest))
}

/// Digest of `len` bytes of a file from `offset`, for a trailer naming another algorithm than
/// the one hashed on the fly.
fn digest_on_disk(path: &std::path::Path, offset: u64, len: u64, alg: &str) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut h = Hasher::new(alg)?;
    let mut f = std::fs::File::open(path).ok()?;
    f.seek(SeekFrom::Start(offset)).ok()?;
    let mut f = f.take(len);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Some(h.finish())
}

/// Appends a request body at `offset`, keeping what arrived if the body is cut short (unless a
/// checksum was asked for: then an unverifiable body is dropped). The checksum may come as a
/// header or, with `checksum-trailer`, as a trailer. Returns the status to answer with and the
/// new offset.
async fn receive(app: &AppState, id: &str, offset: u64, req: Request) -> (StatusCode, u64) {
    let h = req.headers().clone();
    let drop_after = req.extensions().get::<DropAfter>().map(|d| d.0);
    let header_checksum = match header(&h, "upload-checksum") {
        None => None,
        Some(v) => match parse_checksum(v) {
            Some(c) if Hasher::new(&c.0).is_some() => Some(c),
            _ => return (StatusCode::BAD_REQUEST, offset),
        },
    };
    let trailer_declared = h
        .get_all("trailer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("upload-checksum"));
    // Hash on the fly with the header's algorithm; for a trailer, with the cheapest one we offer
    // (the range is re-read from disk if the trailer names another).
    let hasher = match (&header_checksum, trailer_declared) {
        (Some((alg, _)), _) => Hasher::new(alg),
        (None, true) => Hasher::new("crc32"),
        (None, false) => None,
    };
    let wants_checksum = hasher.is_some();
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
    let mut writer = Writer::new(file, hasher);
    let mut body = req.into_body();
    let mut received = 0u64;
    let mut broken = false;
    let mut too_long = false;
    let mut trailer_checksum = None;
    let stats = app.inner.stats.clone();
    while let Some(frame) = body.frame().await {
        let frame = match frame {
            Ok(f) => f,
            Err(_) => {
                broken = true;
                break;
            }
        };
        let mut chunk = match frame.into_data() {
            Ok(d) => d,
            Err(frame) => {
                if let Ok(t) = frame.into_trailers() {
                    trailer_checksum = t
                        .get("upload-checksum")
                        .and_then(|v| v.to_str().ok())
                        .and_then(parse_checksum);
                }
                continue;
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
        if writer.push(&chunk).await.is_err() {
            return (StatusCode::INTERNAL_SERVER_ERROR, offset);
        }
        if broken {
            break;
        }
    }
    let digest = match writer.finish().await {
        Ok(d) => d,
        Err(_) => return (StatusCode::INTERNAL_SERVER_ERROR, offset),
    };
    let mut status = StatusCode::NO_CONTENT;
    let mut keep = received;
    if too_long {
        status = StatusCode::BAD_REQUEST;
        keep = 0;
    } else if wants_checksum {
        let counter = if header_checksum.is_some() {
            &stats.checksum_headers
        } else {
            &stats.checksum_trailers
        };
        counter.fetch_add(1, Ordering::Relaxed);
        let expected = header_checksum.or(trailer_checksum);
        let ok = match (&expected, &digest) {
            (Some((alg, want)), Some((name, got))) if alg == name => want == got,
            (Some((alg, want)), _) => {
                digest_on_disk(&path, offset, received, alg).is_some_and(|got| &got == want)
            }
            (None, _) => false, // a declared trailer never came
        };
        if broken || !ok {
            keep = 0;
            status = if broken || expected.is_none() {
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
/// The checksum, if any, is computed in the same blocking task as the write.
struct Writer {
    file: Option<(std::fs::File, Option<Hasher>)>,
    buf: Vec<u8>,
    pending: Option<PendingWrite>,
}

/// A write (and hash) on the blocking pool; gives back the file, hasher and emptied buffer.
type PendingWrite =
    tokio::task::JoinHandle<std::io::Result<(std::fs::File, Option<Hasher>, Vec<u8>)>>;

impl Writer {
    fn new(file: std::fs::File, hasher: Option<Hasher>) -> Self {
        Self {
            file: Some((file, hasher)),
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
                let (f, h, mut spare) = p.await.map_err(std::io::Error::other)??;
                self.file = Some((f, h));
                spare.clear();
                Ok(spare)
            }
            None => Ok(Vec::with_capacity(WRITE_BUF)),
        }
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        let spare = self.wait().await?;
        let data = std::mem::replace(&mut self.buf, spare);
        let Some((mut f, mut h)) = self.file.take() else {
            return Err(std::io::Error::other("writer lost its file"));
        };
        self.pending = Some(tokio::task::spawn_blocking(move || {
            if let Some(h) = &mut h {
                h.update(&data);
            }
            f.write_all(&data)?;
            Ok((f, h, data))
        }));
        Ok(())
    }

    /// Writes what is left; returns the digest (algorithm name, bytes) when hashing.
    async fn finish(mut self) -> std::io::Result<Option<(&'static str, Vec<u8>)>> {
        if !self.buf.is_empty() {
            self.flush().await?;
        }
        self.wait().await?;
        Ok(self
            .file
            .take()
            .and_then(|(_, h)| h)
            .map(|h| (h.name(), h.finish())))
    }
}
