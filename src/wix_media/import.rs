//! Import from a link: Wix fetches a public URL itself. `files/import` for one link,
//! `bulk/files/import-v2` for up to [`BULK_IMPORT_MAX`] at once. Both answer at once, the file
//! usually PENDING; [`WixMediaClient::get_file`] tells when it is READY.
//!
//! An import is a POST Wix does not deduplicate, and the file it made cannot be told from one an
//! earlier import of the same link made: it is sent again only when it surely never reached the
//! server (no connection, 429), never after an answer may have been lost
//! ([`Repeat::OnlyIfNotReceived`]).

use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::client::WixMediaClient;
use super::error::Error;
use super::repeat::Repeat;
use super::types::FileDescriptor;

/// The most links one bulk import may carry.
pub const BULK_IMPORT_MAX: usize = 100;

/// One link to import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportRequest {
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_folder_id: Option<String>,
    /// A folder path such as `/photos/2026`; Wix creates missing folders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_path: Option<String>,
    pub private: bool,
}

/// Why Wix refused one link of a bulk import (the others may have been accepted).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Wix refused to import the link: {message}")]
pub struct ImportRefused {
    pub code: Option<String>,
    pub message: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FileAnswer {
    file: Option<FileDescriptor>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct BulkAnswer {
    results: Vec<BulkResult>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct BulkResult {
    item_metadata: ItemMetadata,
    item: Option<FileDescriptor>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct ItemMetadata {
    id: Option<String>,
    original_index: Option<usize>,
    success: Option<bool>,
    error: Option<ItemError>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ItemError {
    code: Option<String>,
    description: Option<String>,
    message: Option<String>,
}

impl WixMediaClient {
    /// Imports one link: the file as Wix first describes it (usually PENDING).
    pub async fn import_file(&self, req: &ImportRequest) -> Result<FileDescriptor, Error> {
        let url = self.api_url("/site-media/v1/files/import")?;
        let a: FileAnswer = self
            .transport
            .call("import file", Repeat::OnlyIfNotReceived, || {
                self.api(Method::POST, url.clone()).json(req)
            })
            .await?;
        a.file
            .filter(|f| !f.id.is_empty())
            .ok_or_else(|| Error::BadResponse("import: no file in the answer".into()))
    }

    /// Imports up to [`BULK_IMPORT_MAX`] links in one call. The answer has one entry per
    /// request, in the requests' order: the file (usually PENDING), or why Wix refused that
    /// link. More than [`BULK_IMPORT_MAX`] is refused before anything is sent.
    pub async fn bulk_import_files(
        &self,
        reqs: &[ImportRequest],
    ) -> Result<Vec<Result<FileDescriptor, ImportRefused>>, Error> {
        if reqs.is_empty() {
            return Ok(Vec::new());
        }
        if reqs.len() > BULK_IMPORT_MAX {
            return Err(Error::BadResponse(format!(
                "bulk import: {} links in one call; Wix takes at most {BULK_IMPORT_MAX}",
                reqs.len()
            )));
        }
        let url = self.api_url("/site-media/v1/bulk/files/import-v2")?;
        let body = serde_json::json!({ "importFileRequests": reqs, "returnEntity": true });
        let a: BulkAnswer = self
            .transport
            .call("bulk import", Repeat::OnlyIfNotReceived, || {
                self.api(Method::POST, url.clone()).json(&body)
            })
            .await?;
        Ok(match_results(reqs.len(), a.results))
    }
}

/// Puts bulk results back in the requests' order (by `originalIndex`, else by position); a
/// request Wix gave no result for is refused.
fn match_results(n: usize, results: Vec<BulkResult>) -> Vec<Result<FileDescriptor, ImportRefused>> {
    let mut out: Vec<Option<Result<FileDescriptor, ImportRefused>>> =
        (0..n).map(|_| None).collect();
    for (pos, r) in results.into_iter().enumerate() {
        let i = r.item_metadata.original_index.unwrap_or(pos);
        let Some(slot) = out.get_mut(i) else {
            continue;
        };
        let id = r
            .item
            .as_ref()
            .map(|f| f.id.clone())
            .filter(|id| !id.is_empty())
            .or(r.item_metadata.id.clone())
            .filter(|id| !id.is_empty());
        let ok = r.item_metadata.success != Some(false) && r.item_metadata.error.is_none();
        *slot = Some(match (ok, id) {
            (true, Some(id)) => {
                let mut f = r.item.unwrap_or_default();
                f.id = id;
                Ok(f)
            }
            _ => {
                let e = r.item_metadata.error.unwrap_or_default();
                Err(ImportRefused {
                    message: e
                        .description
                        .or(e.message)
                        .filter(|m| !m.is_empty())
                        .unwrap_or_else(|| "no reason given".into()),
                    code: e.code,
                })
            }
        });
    }
    out.into_iter()
        .map(|r| {
            r.unwrap_or_else(|| {
                Err(ImportRefused {
                    code: None,
                    message: "Wix gave no result for this link".into(),
                })
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_results_follow_original_index_and_missing_ones_are_refusals() {
        let results: BulkAnswer = serde_json::from_value(serde_json::json!({ "results": [
            { "itemMetadata": { "originalIndex": 2, "success": false,
                "error": { "code": "INVALID_ARGUMENT", "description": "url: bad" } } },
            { "itemMetadata": { "id": "a_1", "originalIndex": 0, "success": true },
              "item": { "id": "a_1", "operationStatus": "PENDING" } },
        ]}))
        .expect("parses");
        let got = match_results(4, results.results);
        assert_eq!(got[0].as_ref().expect("ok").id, "a_1");
        assert!(
            got[1]
                .as_ref()
                .is_err_and(|e| e.message.contains("no result"))
        );
        let e = got[2].as_ref().expect_err("refused");
        assert_eq!(e.message, "url: bad");
        assert_eq!(e.code.as_deref(), Some("INVALID_ARGUMENT"));
        assert_eq!(got.len(), 4);
    }

    #[test]
    fn a_result_without_its_entity_still_gives_the_id() {
        let results: BulkAnswer = serde_json::from_value(serde_json::json!({ "results": [
            { "itemMetadata": { "id": "b_2", "originalIndex": 0, "success": true } },
        ]}))
        .expect("parses");
        let got = match_results(1, results.results);
        assert_eq!(got[0].as_ref().expect("ok").id, "b_2");
    }
}
