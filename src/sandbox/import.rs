//! Import from a link: `POST /site-media/v1/files/import` and
//! `POST /site-media/v1/bulk/files/import-v2` (at most 100 per call). Each import answers at
//! once with its file PENDING; the link is fetched in the background (`import_fetch.rs`) and the
//! file turns READY, or FAILED with the reason.

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::response::{IntoResponse, Response};
use reqwest::Url;
use serde::Deserialize;
use serde_json::{Value, json};

use super::descriptor::descriptor;
use super::folders::resolve_folder;
use super::import_record::with_extension;
use super::reply::violation;
use super::state::AppState;
use super::store::{FileRec, Key, ROOT, now_unix_ms};

/// The most imports one bulk call may carry (Wix's limit).
pub(super) const BULK_MAX: usize = 100;

/// One import, as Wix takes it (`urlParams`, `urlHeaders` and `mediaType` are not used by the
/// sandbox: the type comes from what the link serves).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportBody {
    url: Option<String>,
    mime_type: Option<String>,
    display_name: Option<String>,
    parent_folder_id: Option<String>,
    file_path: Option<String>,
    #[serde(default)]
    private: bool,
    #[serde(default)]
    labels: Vec<String>,
}

/// A request field that is wrong, and why.
struct Invalid {
    field: &'static str,
    description: String,
}

fn invalid(field: &'static str, description: impl Into<String>) -> Invalid {
    Invalid {
        field,
        description: description.into(),
    }
}

pub async fn import_file(
    State(app): State<AppState>,
    body: Result<Json<ImportBody>, JsonRejection>,
) -> Response {
    app.inner
        .stats
        .import_requests
        .fetch_add(1, Ordering::SeqCst);
    let Ok(Json(b)) = body else {
        return violation("body", "must be a JSON object");
    };
    match accept(&app, b) {
        Ok((file, url)) => {
            app.persist().await;
            super::import_fetch::spawn(app.clone(), file.id.clone(), url);
            Json(json!({ "file": descriptor(&app, &file) })).into_response()
        }
        Err(e) => violation(e.field, &e.description),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkBody {
    #[serde(default)]
    import_file_requests: Vec<Value>,
    #[serde(default = "yes")]
    return_entity: bool,
}

fn yes() -> bool {
    true
}

pub async fn bulk_import(
    State(app): State<AppState>,
    body: Result<Json<BulkBody>, JsonRejection>,
) -> Response {
    app.inner
        .stats
        .bulk_import_requests
        .fetch_add(1, Ordering::SeqCst);
    let Ok(Json(b)) = body else {
        return violation("body", "must be a JSON object with importFileRequests");
    };
    let n = b.import_file_requests.len();
    if n == 0 || n > BULK_MAX {
        return violation(
            "importFileRequests",
            &format!("must hold 1 to {BULK_MAX} imports (it holds {n})"),
        );
    }
    let mut accepted = Vec::new();
    let mut results = Vec::with_capacity(n);
    for (i, raw) in b.import_file_requests.into_iter().enumerate() {
        let one = serde_json::from_value::<ImportBody>(raw)
            .map_err(|_| invalid("importFileRequests", "each must be a JSON object"))
            .and_then(|body| accept(&app, body));
        results.push(match one {
            Ok((file, url)) => {
                let mut r = json!({ "itemMetadata": {
                    "id": file.id, "originalIndex": i, "success": true,
                } });
                if b.return_entity {
                    r["item"] = descriptor(&app, &file);
                }
                accepted.push((file.id, url));
                r
            }
            Err(e) => json!({ "itemMetadata": {
                "originalIndex": i, "success": false,
                "error": {
                    "code": "INVALID_ARGUMENT",
                    "description": format!("{}: {}", e.field, e.description),
                },
            } }),
        });
    }
    let successes = accepted.len();
    app.persist().await;
    for (id, url) in accepted {
        super::import_fetch::spawn(app.clone(), id, url);
    }
    Json(json!({
        "results": results,
        "bulkActionMetadata": {
            "totalSuccesses": successes,
            "totalFailures": n - successes,
            "undetailedFailures": 0,
        },
    }))
    .into_response()
}

/// Checks one import and records its file, PENDING until the link is fetched.
fn accept(app: &AppState, b: ImportBody) -> Result<(FileRec, Url), Invalid> {
    let raw = b
        .url
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| invalid("url", "is required"))?;
    let url = Url::parse(raw.trim()).map_err(|_| invalid("url", "is not a valid URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("url", "must be an http or https link"));
    }
    let mime = match b.mime_type.filter(|m| !m.is_empty()) {
        Some(m) if m.contains('/') => Some(m.to_ascii_lowercase()),
        Some(_) => {
            return Err(invalid(
                "mimeType",
                "must be a MIME type such as image/jpeg",
            ));
        }
        None => mime_guess::from_path(url.path())
            .first()
            .map(|m| m.essence_str().to_string()),
    };
    let name = b
        .display_name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| name_from_url(&url));
    let name = with_extension(&name, mime.as_deref());
    let parent = b.parent_folder_id.as_deref().filter(|p| !p.is_empty());
    if parent.is_some_and(|p| p != ROOT && app.with(|s| !s.folders.contains_key(p))) {
        return Err(invalid("parentFolderId", "no such folder"));
    }
    let parent = resolve_folder(app, parent, b.file_path.as_deref())
        .map_err(|_| invalid("parentFolderId", "no such folder"))?;
    let mime = mime.unwrap_or_else(|| "application/octet-stream".into());
    let id = super::ids::mint_file_id(&app.inner.config.site_id, Some(&name), &mime);
    let created = now_unix_ms();
    let file = app.with(|s| {
        let f = FileRec {
            id: id.clone(),
            display_name: name,
            mime_type: mime,
            parent_folder_id: parent,
            size: 0,
            md5: String::new(),
            private: b.private,
            created_unix_ms: created,
            ready_unix_ms: u64::MAX,
            dimensions: None,
            failed: false,
            seq: s.next_seq(),
            source_url: Some(url.to_string()),
            fetching: true,
            failure: None,
            labels: b.labels,
        };
        s.files.insert(id.clone(), f.clone());
        s.touch(Key::File(id));
        f
    });
    let shown = super::import_record::shown(url.as_str());
    tracing::info!(file = %file.id, url = %shown, "sandbox: importing a link");
    Ok((file, url))
}

/// The last segment of the link's path (percent-decoded), or its host.
fn name_from_url(url: &Url) -> String {
    url.path_segments()
        .and_then(|mut s| s.next_back())
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .chars()
                .filter(|c| !c.is_control() && *c != '/')
                .collect::<String>()
        })
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| url.host_str().unwrap_or("file").to_string())
}

/// A Wix-shaped file id: `<6hex>_<32hex>`, `~mv2` for images, and the name's extension.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_link_and_get_an_extension_from_the_type() {
        let u = Url::parse("http://127.0.0.1:9/a/My%20Photo?x=1").expect("url");
        assert_eq!(name_from_url(&u), "My Photo");
        assert_eq!(
            with_extension("My Photo", Some("image/jpeg")),
            "My Photo.jpg"
        );
        assert_eq!(with_extension("a.png", Some("image/jpeg")), "a.png");
        assert_eq!(with_extension("notes", None), "notes");
        let bare = Url::parse("https://example.com/").expect("url");
        assert_eq!(name_from_url(&bare), "example.com");
        assert_eq!(
            name_from_url(&Url::parse("http://h/50%25%2").expect("url")),
            "50%%2"
        );
    }
}
