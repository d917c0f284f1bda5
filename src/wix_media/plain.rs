//! The plain (one-PUT) upload: `generate-upload-url` hands out a one-time upload URL, and
//! `PUT {uploadUrl}?filename=…` with the raw bytes makes the file (two requests instead of the
//! resumable flow's five). The body is bytes the caller read whole (a small file's snapshot, so
//! what is sent is one version of it, never a mix of two), sent through [`crate::file_stream`]
//! under the stall watchdog a tus PATCH runs under.

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, Url};
use tokio_util::sync::CancellationToken;

use super::client::{FileAnswer, UploadRequest, WixMediaClient};
use super::error::Error;
use super::repeat::Repeat;
use super::types::FileDescriptor;
use crate::file_stream::{self, Interrupted, Observer};

/// What a one-PUT upload sends.
#[derive(Debug, Clone, Copy)]
pub struct PutFile<'a> {
    /// The whole file (its length is the `Content-Length`); shared, not copied.
    pub bytes: &'a bytes::Bytes,
    /// `?filename=`.
    pub name: &'a str,
    /// `Content-Type`.
    pub mime_type: &'a str,
}

/// How long a PUT may take at most, whatever its speed: stalls are caught much sooner.
const PUT_LIMIT: Duration = Duration::from_secs(24 * 3600);

impl WixMediaClient {
    /// A one-time upload URL for one file (`uploadProtocol` is not sent: it is the resumable
    /// flow's). Safe to repeat: an unused URL costs nothing.
    pub async fn generate_upload_url(&self, req: &UploadRequest) -> Result<Url, Error> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Answer {
            upload_url: Option<String>,
        }
        let mut body = serde_json::to_value(req)
            .map_err(|e| Error::BadResponse(format!("cannot encode the request ({e})")))?;
        if let Some(o) = body.as_object_mut() {
            o.remove("uploadProtocol");
        }
        let url = self.api_url("/site-media/v1/files/generate-upload-url")?;
        let a: Answer = self
            .transport
            .call("generate-upload-url", Repeat::Safe, || {
                self.api(Method::POST, url.clone()).json(&body)
            })
            .await?;
        a.upload_url
            .and_then(|u| Url::parse(&u).ok())
            .ok_or_else(|| Error::BadResponse("no usable uploadUrl".into()))
    }

    /// One `PUT {uploadUrl}?filename=…` of the whole file (`progress` sees the bytes go), with
    /// no Wix credentials: the URL authorizes it. Never retried here: the
    /// URL is one-time, so after a lost answer the caller looks for the file first. A PUT that
    /// moves no byte for `idle` fails as [`Error::Stalled`]; `cancel` ends it as
    /// [`Error::Cancelled`]. The answer is `{file}`, or the descriptor unwrapped.
    pub async fn put_file<O: Observer + ?Sized + 'static>(
        &self,
        upload_url: &Url,
        file: PutFile<'_>,
        progress: Arc<O>,
        idle: Duration,
        cancel: &CancellationToken,
    ) -> Result<FileDescriptor, Error> {
        let mut url = upload_url.clone();
        url.query_pairs_mut().append_pair("filename", file.name);
        let host = url.host_str().unwrap_or("the upload server").to_string();
        let len = file.bytes.len();
        let (body, state) =
            file_stream::bytes_body(file.bytes.clone(), progress, &self.transport.throttle);
        let req = self
            .transport
            .upload_http
            .put(url)
            .timeout(PUT_LIMIT)
            .header("Content-Type", file.mime_type)
            .header("Content-Length", len)
            .body(body);
        let sent = file_stream::watch(
            async { self.transport.try_call(req).await.map_err(Watched::Wix) },
            Some(state),
            idle,
            cancel,
        )
        .await;
        let bytes = match sent {
            Ok(b) => b,
            Err(Watched::Wix(e)) => return Err(e),
            Err(Watched::Stopped(Interrupted::Cancelled)) => return Err(Error::Cancelled),
            Err(Watched::Stopped(Interrupted::Stalled(idle))) => {
                return Err(Error::Stalled { host, idle });
            }
        };
        file_answer(&bytes)
    }
}

/// `{file: {...}}`, or the descriptor itself (one client saw Wix answer so).
fn file_answer(bytes: &[u8]) -> Result<FileDescriptor, Error> {
    let bad = |e: serde_json::Error| {
        Error::BadResponse(format!("upload: the body is not the expected JSON ({e})"))
    };
    let v: serde_json::Value = serde_json::from_slice(bytes).map_err(bad)?;
    if v.get("file").is_some_and(|f| f.is_object()) {
        let a: FileAnswer = serde_json::from_value(v).map_err(bad)?;
        return a
            .file
            .ok_or_else(|| Error::BadResponse("upload: no file in the answer".into()));
    }
    if v.get("id").is_some_and(|id| id.is_string()) {
        return serde_json::from_value(v).map_err(bad);
    }
    Err(Error::BadResponse("upload: no file in the answer".into()))
}

/// What can end a watched PUT.
enum Watched {
    Wix(Error),
    Stopped(Interrupted),
}

impl From<Interrupted> for Watched {
    fn from(i: Interrupted) -> Self {
        Watched::Stopped(i)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_answer_is_read_wrapped_or_not() {
        let wrapped = br#"{"file":{"id":"a~mv2.png","displayName":"a.png","sizeInBytes":"3"}}"#;
        let bare = br#"{"id":"a~mv2.png","displayName":"a.png","sizeInBytes":"3"}"#;
        for body in [&wrapped[..], &bare[..]] {
            let f = super::file_answer(body).expect("a file");
            assert_eq!(f.id, "a~mv2.png");
            assert_eq!(f.size_in_bytes, Some(3));
        }
        assert!(super::file_answer(br#"{"other":1}"#).is_err());
        assert!(super::file_answer(b"<html>").is_err());
    }
}
