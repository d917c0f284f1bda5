//! The sandbox's import from a link, over raw HTTP: files/import and bulk import-v2 answer at
//! once with the file PENDING, the sandbox fetches the link itself, and the file turns READY
//! (stored bytes, MD5, dimensions) or FAILED with the reason.

use std::time::Duration;

use serde_json::{Value, json};
use wixup::sandbox;

use super::links::{LinkServer, jpeg_bytes, md5_hex, png_bytes};
use super::support::{Env, get, start_sandbox, wait_until, wait_until_async};

async fn post(env_base: &reqwest::Url, path: &str, body: Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(env_base.join(path).expect("url"))
        .header("Authorization", sandbox::DEFAULT_API_KEY)
        .header("wix-site-id", sandbox::DEFAULT_SITE_ID)
        .json(&body)
        .send()
        .await
        .expect("send");
    let status = r.status().as_u16();
    (status, r.json().await.expect("json"))
}

async fn import(base: &reqwest::Url, body: Value) -> (u16, Value) {
    post(base, "/site-media/v1/files/import", body).await
}

async fn file(base: &reqwest::Url, id: &str) -> Value {
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

/// Polls the file until it is no longer PENDING; returns its descriptor.
async fn settled(base: &reqwest::Url, id: &str) -> Value {
    wait_until_async(
        &format!("{id} no longer PENDING"),
        Duration::from_secs(20),
        async || {
            let f = file(base, id).await;
            (f["operationStatus"] != "PENDING").then_some(f)
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_imported_jpeg_is_pending_at_once_then_ready_with_its_bytes_hash_and_size() {
    let env = Env::start().await;
    let links = LinkServer::start().await;
    let bytes = jpeg_bytes(env.dir.path(), 40, 30);
    // No extension in the link: the type comes from the Content-Type.
    let url = links.serve("pictures/holiday", "image/jpeg", bytes.clone());
    let (status, a) = import(
        &env.base(),
        json!({ "url": url, "mimeType": "image/jpeg", "displayName": "Holiday" }),
    )
    .await;
    assert_eq!(status, 200, "{a}");
    let f = &a["file"];
    assert_eq!(f["operationStatus"], "PENDING");
    assert_eq!(f["hash"], "");
    assert!(f["media"].is_null(), "{f}");
    assert_eq!(f["displayName"], "Holiday.jpg", "the extension is added");
    let id = f["id"].as_str().expect("id").to_string();
    let (prefix, rest) = id.split_once('_').expect("Wix-shaped id");
    assert_eq!(prefix.len(), 6);
    assert!(rest.ends_with("~mv2.jpg"), "{id}");
    assert!(f["url"].as_str().is_some_and(|u| u.ends_with(&id)));
    assert!(f["thumbnailUrl"].as_str().is_some());

    let f = settled(&env.base(), &id).await;
    assert_eq!(f["operationStatus"], "READY", "{f}");
    assert_eq!(f["hash"], md5_hex(&bytes));
    assert_eq!(f["sizeInBytes"], bytes.len().to_string());
    assert_eq!(f["media"]["image"]["image"]["width"], 40);
    assert_eq!(f["media"]["image"]["image"]["height"], 30);
    let (code, served) = get(f["url"].as_str().expect("url")).await;
    assert_eq!(code, 200);
    assert_eq!(served, bytes, "byte-identical at its URL");
    let (code, thumb) = get(f["thumbnailUrl"].as_str().expect("thumb")).await;
    assert_eq!(code, 200);
    assert!(image::load_from_memory(&thumb).is_ok(), "a real thumbnail");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_imports_say_why_not_found_too_big_not_media_undecodable_stalled() {
    let env = Env::start_with(|c| {
        super::support::tus_full(c);
        c.import_max_bytes = 64 * 1024;
        c.import_idle_timeout = Duration::from_millis(500);
    })
    .await;
    let links = LinkServer::start().await;
    let cases = [
        (links.url("missing.jpg"), "not found"),
        (
            links.serve("big.png", "image/png", vec![7u8; 100 * 1024]),
            "too big",
        ),
        (
            links.serve("page", "text/html", b"<html></html>".to_vec()),
            "not a media type",
        ),
        (
            links.serve("broken.png", "image/png", b"not a png at all".to_vec()),
            "cannot be decoded",
        ),
        (
            links.stall("slow.jpg", "image/jpeg", vec![0xFF, 0xD8]),
            "stalled",
        ),
    ];
    for (url, why) in cases {
        let (status, a) = import(&env.base(), json!({ "url": url })).await;
        assert_eq!(status, 200, "{a}");
        let id = a["file"]["id"].as_str().expect("id").to_string();
        let f = settled(&env.base(), &id).await;
        assert_eq!(f["operationStatus"], "FAILED", "{url}: {f}");
        let reason = f["failureReason"].as_str().unwrap_or_default();
        assert!(reason.contains(why), "{url}: {reason:?} should say {why:?}");
        let (code, _) = get(f["url"].as_str().expect("url")).await;
        assert_eq!(code, 404, "a failed import has no bytes at its URL");
    }
    // A PNG within the cap still imports.
    let png = png_bytes(12, 9);
    let (_, a) = import(
        &env.base(),
        json!({ "url": links.serve("ok.png", "image/png", png.clone()) }),
    )
    .await;
    let f = settled(&env.base(), a["file"]["id"].as_str().expect("id")).await;
    assert_eq!(f["operationStatus"], "READY", "{f}");
    assert_eq!(f["hash"], md5_hex(&png));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_that_are_not_http_are_refused_at_once_and_imports_need_the_key() {
    let env = Env::start().await;
    for bad in [
        "ftp://127.0.0.1/a.jpg",
        "file:///etc/passwd",
        "not a url",
        "",
    ] {
        let (status, a) = import(&env.base(), json!({ "url": bad })).await;
        assert_eq!(status, 400, "{bad}: {a}");
        assert_eq!(
            a["details"]["validationError"]["fieldViolations"][0]["field"],
            "url"
        );
    }
    let r = reqwest::Client::new()
        .post(env.base().join("/site-media/v1/files/import").expect("url"))
        .json(&json!({ "url": "http://127.0.0.1:9/a.jpg" }))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 403, "behind the API-key check");
    let r = reqwest::Client::new()
        .post(
            env.base()
                .join("/site-media/v1/bulk/files/import-v2")
                .expect("url"),
        )
        .json(&json!({ "importFileRequests": [] }))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_import_reports_each_item_and_refuses_more_than_100() {
    let env = Env::start().await;
    let links = LinkServer::start().await;
    let png = png_bytes(8, 8);
    let ok = links.serve("a.png", "image/png", png.clone());
    let too_many: Vec<Value> = (0..101).map(|_| json!({ "url": ok })).collect();
    let (status, a) = post(
        &env.base(),
        "/site-media/v1/bulk/files/import-v2",
        json!({ "importFileRequests": too_many, "returnEntity": true }),
    )
    .await;
    assert_eq!(status, 400, "{a}");
    assert_eq!(
        a["details"]["validationError"]["fieldViolations"][0]["field"],
        "importFileRequests"
    );

    let (status, a) = post(
        &env.base(),
        "/site-media/v1/bulk/files/import-v2",
        json!({ "importFileRequests": [
            { "url": ok },
            { "url": "gopher://127.0.0.1/x" },
            { "url": links.url("gone.png") },
        ], "returnEntity": true }),
    )
    .await;
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["bulkActionMetadata"]["totalSuccesses"], 2);
    assert_eq!(a["bulkActionMetadata"]["totalFailures"], 1);
    let r = a["results"].as_array().expect("results");
    assert_eq!(r.len(), 3);
    for (i, item) in r.iter().enumerate() {
        assert_eq!(item["itemMetadata"]["originalIndex"], i);
    }
    assert_eq!(r[0]["itemMetadata"]["success"], true);
    assert_eq!(r[0]["item"]["operationStatus"], "PENDING");
    assert_eq!(r[0]["item"]["id"], r[0]["itemMetadata"]["id"]);
    assert_eq!(r[1]["itemMetadata"]["success"], false);
    assert!(
        r[1]["itemMetadata"]["error"]["description"]
            .as_str()
            .is_some_and(|d| d.contains("http")),
        "{}",
        r[1]
    );
    assert!(r[1].get("item").is_none());
    let first = settled(
        &env.base(),
        r[0]["itemMetadata"]["id"].as_str().expect("id"),
    )
    .await;
    assert_eq!(first["operationStatus"], "READY");
    assert_eq!(first["hash"], md5_hex(&png));
    // Accepted, then FAILED once fetched: the link is missing.
    let gone = settled(
        &env.base(),
        r[2]["itemMetadata"]["id"].as_str().expect("id"),
    )
    .await;
    assert_eq!(gone["operationStatus"], "FAILED");

    // Without returnEntity, no items.
    let (_, a) = post(
        &env.base(),
        "/site-media/v1/bulk/files/import-v2",
        json!({ "importFileRequests": [{ "url": ok }], "returnEntity": false }),
    )
    .await;
    assert!(a["results"][0].get("item").is_none(), "{a}");
    assert_eq!(env.stat(|s| &s.bulk_import_requests), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_cut_short_by_a_restart_is_failed_on_load() {
    let dir = tempfile::tempdir().expect("tmp");
    let links = LinkServer::start().await;
    let url = links.stall("forever.jpg", "image/jpeg", vec![0xFF, 0xD8, 0xFF]);
    let sb = start_sandbox(&dir.path().join("sb"), super::support::tus_full).await;
    let (_, a) = import(&sb.local_url(), json!({ "url": url })).await;
    let id = a["file"]["id"].as_str().expect("id").to_string();
    wait_until("the fetch started", Duration::from_secs(10), || {
        links.hits() >= 1
    })
    .await;
    sb.stop().await;
    let sb = start_sandbox(&dir.path().join("sb"), super::support::tus_full).await;
    let f = file(&sb.local_url(), &id).await;
    assert_eq!(f["operationStatus"], "FAILED", "{f}");
    assert!(
        f["failureReason"]
            .as_str()
            .is_some_and(|r| r.contains("stopped while it was fetching")),
        "{f}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("sb/files"))
        .expect("files dir")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(leftovers.is_empty(), "no partial bytes left: {leftovers:?}");
}
