//! Static media: `/media/{id}` serves the bytes with their Content-Type; Wix-style transforms
//! `/media/{id}/v1/fill/w_W,h_H[,…]/name` and `/v1/fit/…` return resized images (EXIF
//! orientation applied), cached on disk.

use std::io::Read;
use std::path::Path as FsPath;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};
use md5::Digest as _;

use super::AppState;
use super::rest::wix_error;

/// The MD5 of a file, as lowercase hex.
pub fn md5_file(path: &FsPath) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = md5::Md5::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Width and height as displayed (orientations 5–8 swap them), read from the header only.
pub fn dimensions(path: &FsPath) -> Option<(u32, u32)> {
    let mut decoder = ImageReader::open(path)
        .ok()?
        .with_guessed_format()
        .ok()?
        .into_decoder()
        .ok()?;
    let (w, h) = decoder.dimensions();
    let swapped = matches!(
        decoder.orientation().ok()?,
        image::metadata::Orientation::Rotate90
            | image::metadata::Orientation::Rotate270
            | image::metadata::Orientation::Rotate90FlipH
            | image::metadata::Orientation::Rotate270FlipH
    );
    Some(if swapped { (h, w) } else { (w, h) })
}

fn file_for(app: &AppState, id: &str) -> Result<super::store::FileRec, Response> {
    match app.with(|s| s.files.get(id).cloned()) {
        None => Err(wix_error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "no such file",
        )),
        Some(f) if f.private => Err(wix_error(
            StatusCode::FORBIDDEN,
            "PERMISSION_DENIED",
            "private files need a download URL",
        )),
        Some(f) => Ok(f),
    }
}

pub async fn original(State(app): State<AppState>, Path(id): Path<String>) -> Response {
    let f = match file_for(&app, &id) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let file = match tokio::fs::File::open(app.inner.dirs.file(&id)).await {
        Ok(file) => file,
        Err(_) => {
            return wix_error(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                "the file's bytes are missing",
            );
        }
    };
    let body = Body::from_stream(tokio_util::io::ReaderStream::with_capacity(
        file,
        256 * 1024,
    ));
    let mut r = body.into_response();
    if let Ok(v) = HeaderValue::from_str(&f.mime_type) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&f.size.to_string()) {
        r.headers_mut().insert(header::CONTENT_LENGTH, v);
    }
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
    let result = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, String> {
        if let Ok(b) = std::fs::read(&cached) {
            return Ok(b);
        }
        let bytes = render(&src, &t, format)?;
        let _ = std::fs::write(&cached, &bytes);
        Ok(bytes)
    })
    .await;
    match result {
        Ok(Ok(bytes)) => {
            let mut r = bytes.into_response();
            if let Ok(v) = HeaderValue::from_str(format.to_mime_type()) {
                r.headers_mut().insert(header::CONTENT_TYPE, v);
            }
            r.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000"),
            );
            r
        }
        _ => wix_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "CANNOT_DECODE",
            "the image could not be decoded",
        ),
    }
}

fn render(src: &FsPath, t: &Transform, format: ImageFormat) -> Result<Vec<u8>, String> {
    let mut decoder = ImageReader::open(src)
        .and_then(|r| r.with_guessed_format())
        .map_err(|e| e.to_string())?
        .into_decoder()
        .map_err(|e| e.to_string())?;
    let orientation = decoder.orientation().map_err(|e| e.to_string())?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| e.to_string())?;
    img.apply_orientation(orientation);
    let filter = image::imageops::FilterType::Triangle;
    let out = if t.fill {
        img.resize_to_fill(t.width, t.height, filter)
    } else if img.width() <= t.width && img.height() <= t.height {
        img // fit never upscales
    } else {
        img.resize(t.width, t.height, filter)
    };
    let mut bytes = Vec::new();
    let mut cursor = std::io::Cursor::new(&mut bytes);
    match format {
        ImageFormat::Jpeg => {
            let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut cursor, t.quality);
            out.to_rgb8()
                .write_with_encoder(enc)
                .map_err(|e| e.to_string())?;
        }
        ImageFormat::WebP | ImageFormat::Gif | ImageFormat::Png => {
            out.write_to(&mut cursor, format)
                .map_err(|e| e.to_string())?;
        }
        _ => return Err("unsupported format".into()),
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
}
