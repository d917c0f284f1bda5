//! Media Manager folders: listing, creating, and resolving an upload's `filePath`.

use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::reply::{ListQuery, page, violation};
use super::state::AppState;
use super::store::{FolderRec, Key, ROOT, now_unix_ms, random_hex, rfc3339};

/// The parent folder for an upload: `filePath` (created as needed) under `parentFolderId`.
pub(super) fn resolve_folder(
    app: &AppState,
    parent: Option<&str>,
    path: Option<&str>,
) -> Result<String, Response> {
    let mut current = parent.filter(|p| !p.is_empty()).unwrap_or(ROOT).to_string();
    app.with(|s| {
        if current != ROOT && !s.folders.contains_key(&current) {
            return Err(violation("parentFolderId", "no such folder"));
        }
        for part in path.unwrap_or("").split('/').filter(|p| !p.is_empty()) {
            let existing = s
                .folders
                .values()
                .find(|f| f.parent_folder_id == current && f.display_name == part)
                .map(|f| f.id.clone());
            current = match existing {
                Some(id) => id,
                None => {
                    let id = random_hex(16);
                    s.folders.insert(
                        id.clone(),
                        FolderRec {
                            id: id.clone(),
                            display_name: part.to_string(),
                            parent_folder_id: current.clone(),
                            created_unix_ms: now_unix_ms(),
                        },
                    );
                    s.touch(Key::Folder(id.clone()));
                    id
                }
            };
        }
        Ok(current)
    })
}

fn folder_json(f: &FolderRec) -> Value {
    json!({
        "id": f.id, "displayName": f.display_name, "parentFolderId": f.parent_folder_id,
        "createdDate": rfc3339(f.created_unix_ms), "updatedDate": rfc3339(f.created_unix_ms), "state": "OK",
    })
}

pub async fn list_folders(State(app): State<AppState>, Query(q): Query<ListQuery>) -> Response {
    let parent = q.parent_folder_id.clone().unwrap_or_else(|| ROOT.into());
    let mut folders: Vec<FolderRec> = app.with(|s| {
        s.folders
            .values()
            .filter(|f| f.parent_folder_id == parent)
            .cloned()
            .collect()
    });
    folders.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    let (folders, cursor) = page(folders, &q);
    let folders: Vec<Value> = folders.iter().map(folder_json).collect();
    Json(json!({ "folders": folders, "nextCursor": cursor })).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateFolderBody {
    display_name: Option<String>,
    parent_folder_id: Option<String>,
}

pub async fn create_folder(
    State(app): State<AppState>,
    Json(b): Json<CreateFolderBody>,
) -> Response {
    let Some(name) = b.display_name.filter(|n| !n.trim().is_empty()) else {
        return violation("displayName", "is required");
    };
    let parent = b.parent_folder_id.unwrap_or_else(|| ROOT.into());
    let folder = app.with(|s| {
        if parent != ROOT && !s.folders.contains_key(&parent) {
            return None;
        }
        let f = FolderRec {
            id: random_hex(16),
            display_name: name,
            parent_folder_id: parent,
            created_unix_ms: now_unix_ms(),
        };
        s.folders.insert(f.id.clone(), f.clone());
        s.touch(Key::Folder(f.id.clone()));
        Some(f)
    });
    let Some(folder) = folder else {
        return violation("parentFolderId", "no such folder");
    };
    app.persist().await;
    Json(json!({ "folder": folder_json(&folder) })).into_response()
}
