//! The REST calls: builds their requests, adds credentials for the API host only, decodes
//! answers. Sending, retrying and bounding them is [`super::transport`]'s.

use std::time::Duration;

use reqwest::{Method, Url};
use serde::Serialize;

use super::error::Error;
use super::repeat::Repeat;
use super::transport::Transport;
use super::types::{FileDescriptor, Page};
use crate::redact::ApiKey;
use crate::retry::RetryPolicy;

/// What authorizes calls to the API host.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub api_key: ApiKey,
    pub site_id: String,
}

/// What `generate-resumable-upload-url` (and, without `uploadProtocol`, `generate-upload-url`)
/// needs to know about a file.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadRequest {
    pub mime_type: String,
    pub file_name: String,
    /// Wix takes int64 as a decimal string.
    #[serde(serialize_with = "as_string")]
    pub size_in_bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_folder_id: Option<String>,
    /// A folder path such as `/photos/2026`; Wix creates missing folders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_path: Option<String>,
    pub private: bool,
    pub upload_protocol: &'static str,
}

fn as_string<S: serde::Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&v.to_string())
}

/// Where to send the bytes of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadTarget {
    /// The tus creation endpoint (Wix calls it `uploadUrl`).
    pub endpoint: Url,
    /// The single-use token: tus metadata `token` and the finalize path.
    pub upload_token: String,
}

/// A REST call that moves no byte for this long is stalled (like a tus PATCH).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// A client for one site (or the sandbox).
#[derive(Clone)]
pub struct WixMediaClient {
    pub(super) transport: Transport,
    base: Url,
    credentials: Credentials,
}

impl WixMediaClient {
    /// `base` is `https://www.wixapis.com` in production, or the sandbox's address.
    pub fn new(base: Url, credentials: Credentials, retry: RetryPolicy) -> Result<Self, Error> {
        Self::with_idle_timeout(base, credentials, retry, DEFAULT_IDLE_TIMEOUT)
    }

    /// Like [`WixMediaClient::new`], with the stall limit: a call whose server sends nothing
    /// for `idle_timeout` fails as [`Error::Stalled`] (and is retried).
    pub fn with_idle_timeout(
        base: Url,
        credentials: Credentials,
        retry: RetryPolicy,
        idle_timeout: Duration,
    ) -> Result<Self, Error> {
        let proxy = crate::net::Network::default();
        Self::with_options(base, credentials, retry, idle_timeout, &proxy)
    }

    /// Like [`WixMediaClient::with_idle_timeout`], through `proxy` (loopback always direct).
    pub fn with_options(
        base: Url,
        credentials: Credentials,
        retry: RetryPolicy,
        idle_timeout: Duration,
        proxy: &crate::net::Network,
    ) -> Result<Self, Error> {
        let http = proxy
            .apply(crate::trust::Uses::Rest, reqwest::Client::builder())
            .connect_timeout(Duration::from_secs(15))
            .read_timeout(idle_timeout)
            .timeout(Duration::from_secs(120))
            .redirect(reqwest::redirect::Policy::limited(5))
            .user_agent(concat!("wixup/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Network(e.without_url()))?;
        let upload_http = proxy
            .apply(crate::trust::Uses::Bytes, reqwest::Client::builder())
            .connect_timeout(Duration::from_secs(15))
            .tcp_nodelay(true)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("wixup/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Network(e.without_url()))?;
        Ok(Self {
            transport: Transport {
                http,
                upload_http,
                retry,
                idle_timeout,
                pushbacks: Default::default(),
                throttle: Default::default(),
                beacon: crate::retry::Beacon::for_url(&base, proxy),
            },
            base,
            credentials,
        })
    }

    /// This client's one-PUTs share `throttle`, the upload speed limit.
    pub fn with_throttle(mut self, throttle: crate::file_stream::Throttle) -> Self {
        self.transport.throttle = throttle;
        self
    }

    /// How many 429 and 503 answers this client (and its clones) met: the server asking for
    /// fewer requests.
    pub fn pushbacks(&self) -> u64 {
        self.transport
            .pushbacks
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Where a retry after an outage looks for the network: the API host, or its proxy.
    pub fn beacon(&self) -> Option<&crate::retry::Beacon> {
        self.transport.beacon.as_ref()
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    pub(super) fn api_url(&self, path: &str) -> Result<Url, Error> {
        self.base
            .join(path)
            .map_err(|_| Error::BadResponse(format!("cannot build a URL for {path}")))
    }

    /// A request to the API host, with the credentials.
    pub(super) fn api(&self, method: Method, url: Url) -> reqwest::RequestBuilder {
        self.transport
            .http
            .request(method, url)
            .header("Authorization", self.credentials.api_key.expose())
            .header("wix-site-id", &self.credentials.site_id)
    }

    /// Step 1: a tus endpoint and a single-use token for one file. Safe to repeat: a token that
    /// is never used costs nothing.
    pub async fn generate_resumable_upload_url(
        &self,
        req: &UploadRequest,
    ) -> Result<UploadTarget, Error> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Answer {
            upload_url: Option<String>,
            upload_token: Option<String>,
        }
        let url = self.api_url("/site-media/v1/files/generate-resumable-upload-url")?;
        let a: Answer = self
            .transport
            .call("generate-resumable-upload-url", Repeat::Safe, || {
                self.api(Method::POST, url.clone()).json(req)
            })
            .await?;
        let endpoint = a
            .upload_url
            .and_then(|u| Url::parse(&u).ok())
            .ok_or_else(|| Error::BadResponse("no usable uploadUrl".into()))?;
        let upload_token = a
            .upload_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Error::BadResponse("no uploadToken".into()))?;
        Ok(UploadTarget {
            endpoint,
            upload_token,
        })
    }

    /// Step 3: `PUT {uploadUrl}/{uploadToken}?filename=…` with `{}`. Goes to the upload host, so
    /// no credentials. A lost answer is retried ([`Repeat::NotOn429`]): the token is one-time, so
    /// a repeat never makes a second file, but it may be refused with a 429 although the file
    /// was made. So a 429 is handed back at once, and the caller looks for the file before
    /// trying again, see [`WixMediaClient::find_file`].
    pub async fn finalize(
        &self,
        target: &UploadTarget,
        filename: &str,
    ) -> Result<FileDescriptor, Error> {
        let mut url = target.endpoint.clone();
        url.path_segments_mut()
            .map_err(|_| Error::BadResponse("uploadUrl cannot take a path".into()))?
            .pop_if_empty()
            .push(&target.upload_token);
        url.query_pairs_mut().append_pair("filename", filename);
        let a: FileAnswer = self
            .transport
            .call("finalize", Repeat::NotOn429, || {
                self.transport
                    .http
                    .put(url.clone())
                    .header("Content-Type", "application/json")
                    .body("{}")
            })
            .await?;
        a.file
            .ok_or_else(|| Error::BadResponse("finalize: no file in the answer".into()))
    }

    /// Step 4: the current descriptor of a file (a read: safe to repeat).
    pub async fn get_file(&self, file_id: &str) -> Result<FileDescriptor, Error> {
        let mut url = self.api_url("/site-media/v1/files/get-file-by-id")?;
        url.query_pairs_mut().append_pair("fileId", file_id);
        let a: FileAnswer = self
            .transport
            .call("get-file-by-id", Repeat::Safe, || {
                self.api(Method::GET, url.clone())
            })
            .await?;
        a.file
            .ok_or_else(|| Error::BadResponse("get-file-by-id: no file in the answer".into()))
    }

    /// Several descriptors in one request (a read, though a POST: safe to repeat).
    pub async fn get_files(&self, file_ids: &[String]) -> Result<Vec<FileDescriptor>, Error> {
        #[derive(serde::Deserialize, Default)]
        #[serde(default)]
        struct Answer {
            files: Vec<FileDescriptor>,
        }
        let url = self.api_url("/site-media/v1/files/get-files")?;
        let body = serde_json::json!({ "fileIds": file_ids });
        let a: Answer = self
            .transport
            .call("get-files", Repeat::Safe, || {
                self.api(Method::POST, url.clone()).json(&body)
            })
            .await?;
        Ok(a.files)
    }

    /// One page of the files in a folder (`media-root` when `None`), newest first (a read: safe
    /// to repeat).
    pub async fn list_files(
        &self,
        parent_folder_id: Option<&str>,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<FileDescriptor>, Error> {
        #[derive(serde::Deserialize, Default)]
        #[serde(default, rename_all = "camelCase")]
        struct Answer {
            files: Vec<FileDescriptor>,
            next_cursor: Option<Cursor>,
        }
        let mut url = self.api_url("/site-media/v1/files")?;
        {
            let mut q = url.query_pairs_mut();
            if let Some(p) = parent_folder_id {
                q.append_pair("parentFolderId", p);
            }
            q.append_pair("sort.fieldName", "updatedDate")
                .append_pair("sort.order", "DESC")
                .append_pair("paging.limit", &limit.to_string());
            if let Some(c) = cursor {
                q.append_pair("paging.cursor", c);
            }
        }
        let a: Answer = self
            .transport
            .call("list files", Repeat::Safe, || {
                self.api(Method::GET, url.clone())
            })
            .await?;
        Ok(Page {
            items: a.files,
            next_cursor: a.next_cursor.and_then(Cursor::next),
        })
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct FileAnswer {
    pub(super) file: Option<FileDescriptor>,
}

/// `nextCursor: {cursors: {next}, hasNext}`.
#[derive(serde::Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct Cursor {
    cursors: Option<CursorInner>,
    has_next: Option<bool>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct CursorInner {
    next: Option<String>,
}

impl Cursor {
    pub(super) fn next(self) -> Option<String> {
        if self.has_next == Some(false) {
            return None;
        }
        self.cursors?.next.filter(|s| !s.is_empty())
    }
}
