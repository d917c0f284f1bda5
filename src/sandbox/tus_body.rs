//! Receiving a PATCH (or creation-with-upload) body: bytes appended to the upload's file on the
//! blocking pool, one write in flight while the next buffer fills, the checksum (header or
//! trailer) computed in the same task, and what to keep when a body is cut short or the disk
//! fails (nothing: the upload keeps its offset and gives back the space).

use std::io::{Seek, SeekFrom, Write};
use std::sync::atomic::Ordering;

use axum::extract::Request;
use axum::http::StatusCode;
use base64::Engine as _;
use http_body_util::BodyExt as _;
use md5::Digest as _;

use super::disk::{DiskError, drain};
use super::faults::DropAfter;
use super::state::AppState;

/// Non-final bodies are kept in whole units of this with `strict_chunks`.
const CHUNK_UNIT: u64 = 256 * 1024;

/// Bytes gathered before each disk write.
const WRITE_BUF: usize = 4 * 1024 * 1024;

fn header<'a>(h: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
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
/// new offset, or what the disk refused (the upload then stays at `offset`).
pub(super) async fn receive(
    app: &AppState,
    id: &str,
    offset: u64,
    req: Request,
) -> Result<(StatusCode, u64), DiskError> {
    let h = req.headers().clone();
    let drop_after = req.extensions().get::<DropAfter>().map(|d| d.0);
    let header_checksum = match header(&h, "upload-checksum") {
        None => None,
        Some(v) => match parse_checksum(v) {
            Some(c) if Hasher::new(&c.0).is_some() => Some(c),
            _ => return Ok((StatusCode::BAD_REQUEST, offset)),
        },
    };
    let trailer_declared = h
        .get_all("trailer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("upload-checksum"));
    // Hash on the fly with the header's algorithm; for a trailer, with crc32, the cheapest one
    // (the range is re-read from disk if the trailer names another).
    let hasher = match (&header_checksum, trailer_declared) {
        (Some((alg, _)), _) => Hasher::new(alg),
        (None, true) => Hasher::new("crc32"),
        (None, false) => None,
    };
    let wants_checksum = hasher.is_some();
    let Some(length) = app.with(|s| s.uploads.get(id).map(|u| u.length)) else {
        return Ok((StatusCode::NOT_FOUND, offset));
    };
    let path = app.inner.dirs.upload(id);
    let disk = |e| DiskError::new("the upload's bytes", &path, e);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .and_then(|mut f| f.seek(SeekFrom::Start(offset)).map(|_| f))
        .map_err(disk)?;
    let mut writer = Writer::new(file, hasher);
    let mut body = req.into_body();
    let mut received = 0u64;
    let mut broken = false;
    let mut too_long = false;
    let mut trailer_checksum = None;
    let stats = app.inner.stats.clone();
    let read_timeout = app.inner.config.body_read_timeout;
    loop {
        // A body that stalls ends here: what arrived is kept and the upload is let go.
        let frame = match tokio::time::timeout(read_timeout, body.frame()).await {
            Ok(Some(frame)) => frame,
            Ok(None) => break,
            Err(_) => {
                tracing::debug!(upload = id, "sandbox: request body stalled");
                broken = true;
                break;
            }
        };
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
        if let Err(e) = writer.push(&chunk).await {
            // The answer is the client's only news of it: it must not find a reset instead.
            drain(&mut body, read_timeout).await;
            truncate(&path, offset);
            return Err(disk(e));
        }
        if broken {
            break;
        }
    }
    let digest = match writer.finish().await {
        Ok(d) => d,
        Err(e) => {
            truncate(&path, offset);
            return Err(disk(e));
        }
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
    if app.inner.config.strict_chunks && offset + keep < length && !keep.is_multiple_of(CHUNK_UNIT)
    {
        // A resumable session in Google Cloud Storage keeps whole 256 KiB units only; a body
        // that ended short on purpose is refused as well.
        keep -= keep % CHUNK_UNIT;
        if !broken {
            status = StatusCode::BAD_REQUEST;
        }
    }
    let new = offset + keep;
    if keep != received {
        truncate(&path, new);
    }
    app.with(|s| {
        if let Some(u) = s.uploads.get_mut(id) {
            u.offset = new;
        }
    });
    Ok((status, new))
}

/// Cuts an upload's bytes back to `len` (what it holds), giving back what a failed body took.
fn truncate(path: &std::path::Path, len: u64) {
    let _ = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|f| f.set_len(len));
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
