//! The background half of an import: the sandbox fetches the link itself (a few at once, within
//! a size cap, with connect and idle timeouts), stores the bytes at `files/<id>`, and turns the
//! file READY (MD5 as its hash, an image's dimensions) or FAILED with the reason, logged.

use std::sync::atomic::Ordering;

use md5::Digest as _;
use reqwest::Url;
use tokio::io::AsyncWriteExt as _;

use super::import_record::{fail, partial_name, with_extension};
use super::processing::{JPEG_XL_REFUSED, process, refused_file};
use super::state::AppState;
use super::store::{Key, now_unix_ms};

/// What a fetch stored.
struct Fetched {
    size: u64,
    md5: String,
    mime: String,
    dimensions: Option<(u32, u32)>,
}

/// Fetches `url` for the file `file_id` in the background and records how it ended.
pub(super) fn spawn(app: AppState, file_id: String, url: Url) {
    tokio::spawn(async move {
        let Ok(_permit) = app.inner.fetches.clone().acquire_owned().await else {
            return;
        };
        let stats = &app.inner.stats;
        let running = stats.fetches_running.fetch_add(1, Ordering::SeqCst) + 1;
        stats.fetches_peak.fetch_max(running, Ordering::SeqCst);
        let hint = app.with(|s| s.files.get(&file_id).map(|f| f.mime_type.clone()));
        let outcome = fetch(&app, &file_id, &url, hint.as_deref()).await;
        stats.fetches_running.fetch_sub(1, Ordering::SeqCst);
        let delay = app.inner.config.processing_delay.as_millis() as u64;
        app.with(|s| {
            let Some(f) = s.files.get_mut(&file_id) else {
                return;
            };
            match &outcome {
                Ok(got) => {
                    f.fetching = false;
                    f.size = got.size;
                    f.md5 = got.md5.clone();
                    f.display_name = with_extension(&f.display_name, Some(&got.mime));
                    f.mime_type = got.mime.clone();
                    f.dimensions = got.dimensions;
                    f.ready_unix_ms = now_unix_ms() + delay;
                }
                Err(why) => fail(f, why),
            }
            s.touch(Key::File(file_id.clone()));
        });
        match &outcome {
            Ok(got) => tracing::info!(file = %file_id, bytes = got.size, "sandbox: link imported"),
            Err(why) => {
                let url = super::import_record::shown(url.as_str());
                tracing::warn!(file = %file_id, url = %url, reason = %why, "sandbox: import failed")
            }
        }
        app.persist().await;
    });
}

/// Downloads the link to `files/<id>` (through a `.part` file), or says why not.
async fn fetch(
    app: &AppState,
    file_id: &str,
    url: &Url,
    hint: Option<&str>,
) -> Result<Fetched, String> {
    let cfg = &app.inner.config;
    let host = url.host_str().unwrap_or("the server").to_string();
    let idle = cfg.import_idle_timeout.as_secs();
    let network = |e: reqwest::Error| {
        if e.is_timeout() && !e.is_connect() {
            format!("stalled: {host} sent nothing for {idle} s")
        } else if e.is_connect() {
            format!("could not connect to {host}")
        } else if e.is_redirect() {
            format!("{host} redirects too often")
        } else {
            format!("the download from {host} failed ({})", e.without_url())
        }
    };
    let mut resp = app
        .inner
        .fetcher
        .get(url.clone())
        .send()
        .await
        .map_err(network)?;
    let status = resp.status();
    if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::GONE {
        return Err(format!("not found: the link answered {status}"));
    }
    if !status.is_success() {
        return Err(format!("the link answered {status}"));
    }
    let mime = served_type(&resp, url, hint);
    if !is_media(&mime) {
        return Err(format!("not a media type: the link serves {mime}"));
    }
    let cap = cfg.import_max_bytes;
    let too_big = || {
        format!(
            "too big: the file is larger than the import limit of {}",
            crate::units::format_bytes(cap)
        )
    };
    if resp.content_length().is_some_and(|n| n > cap) {
        return Err(too_big());
    }
    let files = app.inner.dirs.root.join("files");
    let part = files.join(partial_name(file_id));
    let dst = app.inner.dirs.file(file_id);
    let storage = |e: std::io::Error| format!("the sandbox could not store the file ({e})");
    let opened = super::private_file::options()
        .open(&part)
        .map_err(storage)?;
    let mut out = tokio::fs::File::from_std(opened);
    let mut md5 = md5::Md5::new();
    let mut size = 0u64;
    let written: Result<(), String> = async {
        while let Some(chunk) = resp.chunk().await.map_err(network)? {
            size += chunk.len() as u64;
            if size > cap {
                return Err(too_big());
            }
            md5.update(&chunk);
            out.write_all(&chunk).await.map_err(storage)?;
        }
        out.sync_all().await.map_err(storage)?;
        tokio::fs::rename(&part, &dst).await.map_err(storage)
    }
    .await;
    drop(out);
    if let Err(why) = written {
        let _ = tokio::fs::remove_file(&part).await;
        return Err(why);
    }
    let (path, declared) = (dst.clone(), mime.clone());
    let processed = tokio::task::spawn_blocking(move || {
        (!refused_file(&path)).then(|| process(&path, &declared))
    })
    .await
    .map_err(|_| "the sandbox stopped processing the file".to_string())?;
    let Some(processed) = processed else {
        let _ = tokio::fs::remove_file(&dst).await;
        return Err(JPEG_XL_REFUSED.to_string());
    };
    if processed.failed {
        let _ = tokio::fs::remove_file(&dst).await;
        return Err(format!(
            "the image cannot be decoded: what the link serves is not a valid {mime}"
        ));
    }
    let (mime, dims) = (processed.mime_type, processed.dimensions);
    Ok(Fetched {
        size,
        md5: hex::encode(md5.finalize()),
        mime,
        dimensions: dims,
    })
}

/// The MIME type of what the link serves: its `Content-Type`, or, when that says nothing
/// (missing, `application/octet-stream`), the type the import named or the link's extension.
fn served_type(resp: &reqwest::Response, url: &Url, hint: Option<&str>) -> String {
    let header = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|m| m.contains('/') && m != "application/octet-stream");
    header
        .or_else(|| {
            hint.filter(|h| *h != "application/octet-stream")
                .map(str::to_string)
        })
        .or_else(|| {
            mime_guess::from_path(url.path())
                .first()
                .map(|m| m.essence_str().to_string())
        })
        .unwrap_or_else(|| "application/octet-stream".into())
}

/// Types the Media Manager keeps: images, video, audio, documents and archives (a web page or
/// unknown bytes are not media).
fn is_media(mime: &str) -> bool {
    let top = mime.split('/').next().unwrap_or("");
    matches!(top, "image" | "video" | "audio")
        || matches!(
            mime,
            "application/pdf"
                | "text/plain"
                | "text/csv"
                | "application/rtf"
                | "application/zip"
                | "application/x-tar"
                | "application/gzip"
                | "application/x-7z-compressed"
        )
        || ["officedocument", "msword", "ms-excel", "ms-powerpoint"]
            .iter()
            .any(|k| mime.contains(k))
}

#[cfg(test)]
mod tests {
    #[test]
    fn web_pages_and_unknown_bytes_are_not_media() {
        for m in ["image/png", "video/mp4", "audio/mpeg", "application/pdf"] {
            assert!(super::is_media(m), "{m}");
        }
        for m in ["text/html", "application/octet-stream", "application/json"] {
            assert!(!super::is_media(m), "{m}");
        }
    }
}
