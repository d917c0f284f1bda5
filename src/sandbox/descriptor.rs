//! The FileDescriptor JSON the sandbox hands out, shaped like Wix's (sizes as strings, `media`
//! by type, `operationStatus` turning READY after processing).

use serde_json::{Value, json};

use super::state::AppState;
use super::store::{FileRec, now_unix_ms, rfc3339};

/// The FileDescriptor JSON of a file, as Wix shapes it.
pub(super) fn descriptor(app: &AppState, f: &FileRec) -> Value {
    let ready = now_unix_ms() >= f.ready_unix_ms;
    let quirks = app.quirks();
    // Wix fills the hash and the media facts in once the file is processed.
    let hide_facts = quirks.pending_files_have_empty_hash_and_null_media && !ready;
    let url = app.url(&format!("/media/{}", f.id));
    let media_type = media_type(&f.mime_type);
    let mut d = json!({
        "id": f.id,
        "displayName": f.display_name,
        "url": url,
        "parentFolderId": f.parent_folder_id,
        "hash": if hide_facts { "" } else { f.md5.as_str() },
        "sizeInBytes": f.size.to_string(),
        "private": f.private,
        "mediaType": media_type,
        "operationStatus": match (ready, f.failed) {
            (false, _) => "PENDING",
            (true, false) => "READY",
            (true, true) => "FAILED",
        },
        "labels": f.labels,
        "createdDate": rfc3339(f.created_unix_ms),
        "updatedDate": rfc3339(f.ready_unix_ms.min(now_unix_ms()).max(f.created_unix_ms)),
        "siteId": app.inner.config.site_id,
        "state": "OK",
    });
    if media_type == "IMAGE" {
        d["thumbnailUrl"] = json!(format!("{url}/v1/fill/w_160,h_160,al_c,q_80/thumb.jpg"));
    }
    if hide_facts {
        d["media"] = Value::Null;
    } else if media_type == "IMAGE" {
        let (w, h) = f.dimensions.unwrap_or((0, 0));
        d["media"] = json!({ "image": { "image": {
            "id": f.id, "url": url, "width": w, "height": h,
            "filename": f.display_name, "sizeInBytes": f.size.to_string(),
        }, "faces": [] } });
    } else {
        let key = media_type.to_ascii_lowercase();
        d["media"] = json!({ key: { "id": f.id, "url": url, "filename": f.display_name } });
    }
    super::import_record::overlay(&mut d, f, quirks.failure_reason);
    d
}

/// Wix's `mediaType` of a MIME type (the one processing read from the bytes).
fn media_type(mime: &str) -> &'static str {
    let top = mime.split('/').next().unwrap_or("");
    match (top, mime) {
        (_, "image/svg+xml") => "VECTOR",
        (_, "image/vnd.adobe.photoshop" | "application/x-photoshop") => "DOCUMENT",
        ("image", _) => "IMAGE",
        ("video", _) => "VIDEO",
        ("audio", _) => "AUDIO",
        ("model", _) => "MODEL3D",
        (
            _,
            "application/zip"
            | "application/x-zip-compressed"
            | "application/x-tar"
            | "application/gzip"
            | "application/x-gzip"
            | "application/x-bzip2"
            | "application/x-xz"
            | "application/x-7z-compressed"
            | "application/vnd.rar"
            | "application/x-rar-compressed",
        ) => "ARCHIVE",
        ("text", _)
        | (
            _,
            "application/pdf"
            | "application/rtf"
            | "application/json"
            | "application/epub+zip"
            | "application/postscript"
            | "application/illustrator"
            | "application/gpx+xml"
            | "application/vnd.google-earth.kml+xml",
        ) => "DOCUMENT",
        _ if mime.contains("officedocument")
            || mime.contains("msword")
            || mime.contains("ms-excel")
            || mime.contains("ms-powerpoint")
            || mime.contains("opendocument")
            || mime.starts_with("application/vnd.apple.") =>
        {
            "DOCUMENT"
        }
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn media_types_are_wixs() {
        for (mime, want) in [
            ("image/heic", "IMAGE"),
            ("image/avif", "IMAGE"),
            ("image/tiff", "IMAGE"),
            ("image/bmp", "IMAGE"),
            ("image/x-canon-cr2", "IMAGE"),
            ("image/svg+xml", "VECTOR"),
            ("video/quicktime", "VIDEO"),
            ("audio/mpeg", "AUDIO"),
            ("application/pdf", "DOCUMENT"),
            ("text/csv", "DOCUMENT"),
            ("application/vnd.oasis.opendocument.text", "DOCUMENT"),
            ("application/vnd.rar", "ARCHIVE"),
            ("application/x-7z-compressed", "ARCHIVE"),
            ("model/gltf-binary", "MODEL3D"),
            ("application/octet-stream", "OTHER"),
        ] {
            assert_eq!(super::media_type(mime), want, "{mime}");
        }
    }
}
