//! Static media: `/media/{id}` serves the bytes with their Content-Type; Wix-style transforms
//! `/media/{id}/v1/fill/w_W,h_H[,…]/name` and `/v1/fit/…` return resized images (EXIF
//! orientation applied), cached on disk.

use std::path::Path as FsPath;
use std::sync::atomic::Ordering;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use image::ImageFormat;

use crate::imaging::{Budget, DecodeError};

use super::guard::media_headers;
use super::media_cache;
use super::reply::wix_error;
use super::state::AppState;
use super::store::FileRec;

/// Images the sandbox keeps and sizes but has no bounded decoder for (HEVC and AV1 pictures).
const NO_DECODER: [&str; 3] = ["image/heic", "image/heif", "image/avif"];

fn file_for(app: &AppState, id: &str) -> Result<FileRec, Response> {
    match app.with(|s| s.files.get(id).cloned()) {
        None => Err(wix_error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "no such file",
        )),
        // Processing failed: Wix keeps nothing to serve.
        Some(f) if f.failed || f.fetching => Err(wix_error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "the file failed processing; nothing is served",
        )),
        Some(f) if f.private => Err(wix_error(
            StatusCode::FORBIDDEN,
            "PERMISSION_DENIED",
            "private files need a download URL",
        )),
        Some(f) => Ok(f),
    }
}

pub async fn original(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let f = match file_for(&app, &id) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let path = app.inner.dirs.file(&id);
    let Some(mut r) = super::ranges::serve(&path, &f.md5, f.created_unix_ms, &headers).await else {
        return wix_error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "the file's bytes are missing",
        );
    };
    if let Ok(v) = HeaderValue::from_str(&f.mime_type) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    media_headers(r.headers_mut(), &f.mime_type);
    r
}

/// The parsed `w_W,h_H,…` of a transform URL.
#[derive(Debug, PartialEq)]
struct Transform {
    fill: bool,
    width: u32,
    height: u32,
    quality: u8,
}

fn parse_transform(mode: &str, params: &str) -> Option<Transform> {
    let fill = match mode {
        "fill" => true,
        "fit" => false,
        _ => return None,
    };
    let (mut w, mut h, mut q) = (None, None, 85u8);
    for p in params.split(',') {
        if let Some(v) = p.strip_prefix("w_") {
            w = v.parse().ok();
        } else if let Some(v) = p.strip_prefix("h_") {
            h = v.parse().ok();
        } else if let Some(v) = p.strip_prefix("q_") {
            q = v.parse().ok()?;
        }
    }
    let (width, height): (u32, u32) = (w?, h?);
    if !(1..=5000).contains(&width) || !(1..=5000).contains(&height) {
        return None;
    }
    Some(Transform {
        fill,
        width,
        height,
        quality: q.clamp(1, 100),
    })
}

pub async fn transform(
    State(app): State<AppState>,
    Path((id, mode, params, name)): Path<(String, String, String, String)>,
) -> Response {
    let f = match file_for(&app, &id) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some(t) = parse_transform(&mode, &params) else {
        return wix_error(
            StatusCode::BAD_REQUEST,
            "INVALID_TRANSFORM",
            "width and height must be 1–5000",
        );
    };
    if !f.mime_type.starts_with("image/") {
        return wix_error(
            StatusCode::BAD_REQUEST,
            "NOT_AN_IMAGE",
            "transforms apply to images only",
        );
    }
    if NO_DECODER.contains(&f.mime_type.as_str()) {
        return wix_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "RENDITION_NOT_SUPPORTED",
            &format!(
                "the sandbox cannot resize {} images (no decoder for them here); the original \
                 is served unchanged at /media/{id}",
                f.mime_type
            ),
        );
    }
    let format = match name
        .rsplit('.')
        .next()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("png") => ImageFormat::Png,
        Some("webp") => ImageFormat::WebP,
        Some("gif") => ImageFormat::Gif,
        _ => ImageFormat::Jpeg,
    };
    let src = app.inner.dirs.file(&id);
    let key = format!(
        "{}-{}-{}x{}-q{}.{}",
        id.replace(['/', '~'], "_"),
        mode,
        t.width,
        t.height,
        t.quality,
        format.extensions_str()[0]
    );
    let cached = app.inner.dirs.cache(&key);
    let result = match tokio::fs::read(&cached).await {
        Ok(bytes) => Ok(bytes),
        Err(_) => {
            // Decoding holds a whole image in memory: a few at a time, the others wait.
            let Ok(_permit) = app.inner.transforms.clone().acquire_owned().await else {
                return wix_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "SHUTTING_DOWN",
                    "the sandbox is stopping",
                );
            };
            let cache_dir = cached.parent().map(FsPath::to_path_buf);
            let max_bytes = app.inner.config.transform_cache_bytes;
            let stats = app.inner.stats.clone();
            tokio::task::spawn_blocking(move || {
                let running = stats.transforms_running.fetch_add(1, Ordering::SeqCst) + 1;
                stats.transforms_peak.fetch_max(running, Ordering::SeqCst);
                let rendered = render(&src, &t, format);
                stats.transforms_running.fetch_sub(1, Ordering::SeqCst);
                let bytes = rendered?;
                if let Some(dir) = cache_dir {
                    media_cache::store(&dir, &cached, &bytes, max_bytes);
                }
                Ok(bytes)
            })
            .await
            .unwrap_or_else(|e| Err(RenderError::Encode(e.to_string())))
        }
    };
    match result {
        Ok(bytes) => {
            let mut r = bytes.into_response();
            if let Ok(v) = HeaderValue::from_str(format.to_mime_type()) {
                r.headers_mut().insert(header::CONTENT_TYPE, v);
            }
            r.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000"),
            );
            media_headers(r.headers_mut(), format.to_mime_type());
            r
        }
        Err(RenderError::Decode(DecodeError::TooLarge {
            width,
            height,
            max_pixels,
            ..
        })) => wix_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "IMAGE_TOO_LARGE",
            &format!(
                "the image declares {width}×{height} pixels, more than the {max_pixels} \
                 pixels the sandbox resizes; the original is served unchanged at /media/{id}"
            ),
        ),
        Err(e) => {
            tracing::debug!(error = %e, "sandbox: transform failed");
            wix_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "CANNOT_DECODE",
                "the image could not be decoded",
            )
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum RenderError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("cannot encode the resized image: {0}")]
    Encode(String),
}

/// The size a transform renders at: fill never scales above the source (a fill larger than the
/// image shrinks to the largest box of the same shape that fits in it); fit shrinks only.
fn clamp_to_source(t: &Transform, src: (u32, u32)) -> (u32, u32) {
    let (sw, sh) = (f64::from(src.0.max(1)), f64::from(src.1.max(1)));
    let (tw, th) = (f64::from(t.width), f64::from(t.height));
    let f = if t.fill {
        (sw / tw).min(sh / th).min(1.0)
    } else {
        1.0
    };
    let side = |v: f64| (v * f).round().max(1.0) as u32;
    (side(tw), side(th))
}

fn render(src: &FsPath, t: &Transform, format: ImageFormat) -> Result<Vec<u8>, RenderError> {
    let img = crate::imaging::decode(src, Budget::SANDBOX)?;
    let encode = |e: image::ImageError| RenderError::Encode(e.to_string());
    let filter = image::imageops::FilterType::Triangle;
    let (w, h) = clamp_to_source(t, (img.width(), img.height()));
    let out = if t.fill {
        img.resize_to_fill(w, h, filter)
    } else if img.width() <= w && img.height() <= h {
        img // fit never upscales
    } else {
        img.resize(w, h, filter)
    };
    let mut bytes = Vec::new();
    let mut cursor = std::io::Cursor::new(&mut bytes);
    match format {
        ImageFormat::Jpeg => {
            let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut cursor, t.quality);
            out.to_rgb8().write_with_encoder(enc).map_err(encode)?;
        }
        ImageFormat::WebP | ImageFormat::Gif | ImageFormat::Png => {
            out.write_to(&mut cursor, format).map_err(encode)?;
        }
        _ => return Err(RenderError::Encode("unsupported format".into())),
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_wix_transform_params() {
        assert_eq!(
            parse_transform("fill", "w_200,h_100,al_c,q_80,enc_auto"),
            Some(Transform {
                fill: true,
                width: 200,
                height: 100,
                quality: 80
            })
        );
        assert!(parse_transform("fit", "w_0,h_10").is_none());
        assert!(parse_transform("fit", "w_5001,h_10").is_none());
        assert!(parse_transform("crop", "w_10,h_10").is_none());
        assert!(parse_transform("fit", "h_10").is_none());
    }

    #[test]
    fn transforms_never_scale_above_the_source() {
        let fill = |w, h| Transform {
            fill: true,
            width: w,
            height: h,
            quality: 80,
        };
        assert_eq!(clamp_to_source(&fill(5000, 5000), (1, 1)), (1, 1));
        assert_eq!(clamp_to_source(&fill(800, 400), (400, 400)), (400, 200));
        assert_eq!(clamp_to_source(&fill(100, 100), (400, 200)), (100, 100));
        let fit = Transform {
            fill: false,
            ..fill(5000, 5000)
        };
        assert_eq!(
            clamp_to_source(&fit, (1, 1)),
            (5000, 5000),
            "fit shrinks only"
        );
    }
}
