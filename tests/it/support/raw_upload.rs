//! Uploads to the sandbox over raw HTTP, as Wix's docs describe them: resumable (generate, tus
//! creation, one PATCH, finalize) and one-PUT (generate-upload-url, PUT); and a file's
//! descriptor, polled until processed.

use std::time::Duration;

use serde_json::{Value, json};
use wixup::sandbox;

use super::wait_until_async;

async fn rest(base: &reqwest::Url, path: &str, body: Value) -> Value {
    reqwest::Client::new()
        .post(base.join(path).expect("url"))
        .header("Authorization", sandbox::DEFAULT_API_KEY)
        .header("wix-site-id", sandbox::DEFAULT_SITE_ID)
        .json(&body)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json")
}

async fn answer(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let text = r.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The finalize's status and body of a resumable upload of `bytes` declared as `mime`.
pub async fn tus_upload(base: &reqwest::Url, name: &str, mime: &str, bytes: &[u8]) -> (u16, Value) {
    let g = rest(
        base,
        "/site-media/v1/files/generate-resumable-upload-url",
        json!({"mimeType": mime, "fileName": name, "sizeInBytes": bytes.len().to_string(),
               "uploadProtocol": "TUS"}),
    )
    .await;
    let upload_url = g["uploadUrl"].as_str().expect("uploadUrl").to_string();
    let token = g["uploadToken"].as_str().expect("uploadToken").to_string();
    let c = reqwest::Client::new();
    let created = c
        .post(&upload_url)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", bytes.len().to_string())
        .header(
            "Upload-Metadata",
            format!(
                "filename {},contentType {},token {}",
                super::b64(name),
                super::b64(mime),
                super::b64(&token)
            ),
        )
        .send()
        .await
        .expect("create");
    assert_eq!(created.status(), 201, "creation of {name}");
    let location = created.headers()["location"].to_str().expect("location");
    let location = reqwest::Url::parse(&upload_url)
        .expect("upload URL")
        .join(location)
        .expect("location");
    let patched = c
        .patch(location)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .body(bytes.to_vec())
        .send()
        .await
        .expect("patch");
    assert_eq!(patched.status(), 204, "PATCH of {name}");
    let finalized = c
        .put(format!("{upload_url}/{token}"))
        .query(&[("filename", name)])
        .send()
        .await
        .expect("finalize");
    answer(finalized).await
}

/// The status and body of a one-PUT upload of `bytes` declared as `mime`.
pub async fn put_upload(base: &reqwest::Url, name: &str, mime: &str, bytes: &[u8]) -> (u16, Value) {
    let g = rest(
        base,
        "/site-media/v1/files/generate-upload-url",
        json!({"mimeType": mime, "fileName": name}),
    )
    .await;
    let url = g["uploadUrl"].as_str().expect("uploadUrl");
    let r = reqwest::Client::new()
        .put(url)
        .query(&[("filename", name)])
        .header("Content-Type", mime)
        .body(bytes.to_vec())
        .send()
        .await
        .expect("put");
    answer(r).await
}

pub async fn file_by_id(base: &reqwest::Url, id: &str) -> Value {
    let r: Value = reqwest::Client::new()
        .get(
            base.join("/site-media/v1/files/get-file-by-id")
                .expect("url"),
        )
        .query(&[("fileId", id)])
        .header("Authorization", sandbox::DEFAULT_API_KEY)
        .header("wix-site-id", sandbox::DEFAULT_SITE_ID)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    r["file"].clone()
}

/// The file's descriptor once it is no longer PENDING.
pub async fn settled(base: &reqwest::Url, id: &str) -> Value {
    wait_until_async(
        &format!("{id} no longer PENDING"),
        Duration::from_secs(20),
        async || {
            let f = file_by_id(base, id).await;
            (f["operationStatus"] != "PENDING").then_some(f)
        },
    )
    .await
}
