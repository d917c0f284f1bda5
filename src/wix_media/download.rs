//! Download URLs: `POST /site-media/v1/files/{fileId}/generate-download-url`, the way to a
//! private file (its static URL answers 403). Wix signs the URL and lets it live
//! `expirationInMinutes` (600 by default, a year at most); anyone holding it can download the
//! file until then, so it is handed to the person and never logged.

use std::time::Duration;

use reqwest::{Method, Url};

use super::client::WixMediaClient;
use super::error::Error;
use super::repeat::Repeat;

/// Wix's longest lifetime of a download URL: 525,600 minutes (a year).
pub const MAX_DOWNLOAD_LIFETIME: Duration = Duration::from_secs(525_600 * 60);

/// A signed URL that downloads one file until it expires.
#[derive(Clone, PartialEq, Eq)]
pub struct DownloadUrl {
    pub url: Url,
    /// How long it was asked to live (from the moment Wix answered).
    pub lifetime: Duration,
}

impl std::fmt::Debug for DownloadUrl {
    /// The URL is a credential: only its host shows.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DownloadUrl")
            .field("host", &self.url.host_str())
            .field("lifetime", &self.lifetime)
            .finish()
    }
}

impl WixMediaClient {
    /// A URL that downloads the original of `file_id` for `lifetime` (rounded up to whole
    /// minutes, at least one, at most [`MAX_DOWNLOAD_LIFETIME`]). Safe to repeat: a URL that
    /// is never used costs nothing.
    pub async fn generate_download_url(
        &self,
        file_id: &str,
        lifetime: Duration,
    ) -> Result<DownloadUrl, Error> {
        #[derive(serde::Deserialize, Default)]
        #[serde(default, rename_all = "camelCase")]
        struct Answer {
            download_urls: Vec<Entry>,
        }
        #[derive(serde::Deserialize, Default)]
        #[serde(default, rename_all = "camelCase")]
        struct Entry {
            url: Option<String>,
            asset_key: Option<String>,
        }
        let minutes = lifetime
            .min(MAX_DOWNLOAD_LIFETIME)
            .as_secs()
            .div_ceil(60)
            .max(1);
        let mut url = self.api_url("/site-media/v1/files")?;
        url.path_segments_mut()
            .map_err(|_| Error::BadResponse("the API base cannot take a path".into()))?
            .push(file_id)
            .push("generate-download-url");
        let body = serde_json::json!({ "expirationInMinutes": minutes, "assetKeys": ["src"] });
        let a: Answer = self
            .transport
            .call("generate-download-url", Repeat::Safe, || {
                self.api(Method::POST, url.clone()).json(&body)
            })
            .await?;
        // The original is `src`; an answer that names no key is taken as it.
        let entry = a
            .download_urls
            .iter()
            .find(|e| e.asset_key.as_deref() == Some("src"))
            .or_else(|| a.download_urls.iter().find(|e| e.asset_key.is_none()));
        let url = entry
            .and_then(|e| e.url.as_deref())
            .and_then(|u| Url::parse(u).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| Error::BadResponse("generate-download-url: no usable URL".into()))?;
        Ok(DownloadUrl {
            url,
            lifetime: Duration::from_secs(minutes * 60),
        })
    }
}
