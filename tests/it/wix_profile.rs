//! The sandbox's `wix` profile over raw HTTP: only what Wix is known to offer, as strictly as
//! it is known to behave; and `tus-full` beside it, still offering everything.

use std::time::Duration;

use serde_json::{Value, json};
use wixup::sandbox::{self, Profile};

use super::support::{Env, b64, get, oriented_jpeg, wait_until_async};

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

async fn env(profile: Profile) -> Env {
    Env::start_with(|c| c.profile = profile).await
}

fn rest(env: &Env, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    http()
        .request(method, env.base().join(path).expect("url"))
        .header("Authorization", sandbox::DEFAULT_API_KEY)
        .header("wix-site-id", sandbox::DEFAULT_SITE_ID)
}

async fn generate(env: &Env, body: Value) -> (String, String) {
    let r = rest(
        env,
        reqwest::Method::POST,
        "/site-media/v1/files/generate-resumable-upload-url",
    )
    .json(&body)
    .send()
    .await
    .expect("send");
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    (
        v["uploadUrl"].as_str().expect("uploadUrl").into(),
        v["uploadToken"].as_str().expect("uploadToken").into(),
    )
}

/// A tus creation for `len` bytes; the `Location` exactly as sent.
async fn create(endpoint: &str, token: &str, name: &str, len: usize) -> reqwest::Response {
    http()
        .post(endpoint)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", len.to_string())
        .header(
            "Upload-Metadata",
            format!(
                "filename {},contentType {},token {}",
                b64(name),
                b64("image/jpeg"),
                b64(token)
            ),
        )
        .send()
        .await
        .expect("create")
}

fn resolve(endpoint: &str, location: &str) -> String {
    reqwest::Url::parse(endpoint)
        .expect("endpoint")
        .join(location)
        .expect("location")
        .to_string()
}

async fn patch_all(upload: &str, bytes: &[u8]) {
    let r = http()
        .patch(upload)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .body(bytes.to_vec())
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), 204);
}

fn finalize_url(endpoint: &str, token: &str, name: &str) -> String {
    let mut u = reqwest::Url::parse(endpoint).expect("endpoint");
    u.path_segments_mut().expect("segments").push(token);
    u.query_pairs_mut().append_pair("filename", name);
    u.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_list_only_creation_and_the_rest_is_refused() {
    let env = env(Profile::Wix).await;
    let (endpoint, token) =
        generate(&env, json!({"mimeType": "image/jpeg", "fileName": "a.jpg"})).await;
    let r = http()
        .request(reqwest::Method::OPTIONS, &endpoint)
        .send()
        .await
        .expect("options");
    assert_eq!(r.headers()["tus-extension"], "creation");
    assert!(!r.headers().contains_key("tus-checksum-algorithm"));

    // creation-with-upload is not offered: refused before anything is made.
    let r = http()
        .post(&endpoint)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "3")
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Metadata", format!("token {}", b64(&token)))
        .body("abc")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 400);
    assert_eq!(env.stat(|s| &s.uploads_created), 0);

    let r = create(&endpoint, &token, "a.jpg", 3).await;
    assert_eq!(r.status(), 201);
    assert!(!r.headers().contains_key("upload-expires"), "no expiration");
    let upload = resolve(&endpoint, r.headers()["location"].to_str().expect("loc"));
    // No checksum: a PATCH asking for one is refused, not silently unverified.
    let r = http()
        .patch(&upload)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Checksum", format!("sha1 {}", b64("x")))
        .body("abc")
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), 400);
    // No termination.
    let r = http()
        .delete(&upload)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), 405);
    let r = http()
        .head(&upload)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .expect("head");
    assert_eq!(r.status(), 200);
    assert!(!r.headers().contains_key("upload-expires"));

    // tus-full still offers all of it.
    let full = self::env(Profile::TusFull).await;
    let (endpoint, _) = generate(&full, json!({"mimeType": "image/jpeg"})).await;
    let r = http()
        .request(reqwest::Method::OPTIONS, &endpoint)
        .send()
        .await
        .expect("options");
    let ext = r.headers()["tus-extension"]
        .to_str()
        .expect("ext")
        .to_string();
    for e in [
        "creation-with-upload",
        "termination",
        "checksum",
        "expiration",
    ] {
        assert!(ext.contains(e), "{ext}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_ids_locations_and_finalize_are_wix_sized_and_one_time() {
    let env = env(Profile::Wix).await;
    let dir = env.dir.path();
    let jpeg = dir.join("p.jpg");
    oriented_jpeg(&jpeg, 64, 48, 1);
    let bytes = std::fs::read(&jpeg).expect("read");
    let mut locations = Vec::new();
    for name in ["one.jpg", "two.jpg"] {
        let (endpoint, token) = generate(
            &env,
            json!({"mimeType": "image/jpeg", "fileName": name, "labels": ["summer", "beach"]}),
        )
        .await;
        assert!(
            (3_000..3_500).contains(&token.len()),
            "Wix-sized token: {}",
            token.len()
        );
        assert_eq!(token.split('.').count(), 3, "JWT-shaped");
        let r = create(&endpoint, &token, name, bytes.len()).await;
        assert_eq!(r.status(), 201);
        let loc = r.headers()["location"].to_str().expect("loc").to_string();
        locations.push(loc.clone());
        patch_all(&resolve(&endpoint, &loc), &bytes).await;

        // Finalize with no body and no Content-Type, as most real clients send it.
        let fin = finalize_url(&endpoint, &token, name);
        let r = http().put(&fin).send().await.expect("finalize");
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.expect("json");
        let f = &v["file"];
        let id = f["id"].as_str().expect("id");
        let (site, random) = id.split_once('_').expect("<6hex>_<32hex>~mv2.jpg");
        assert!(
            site.len() == 6 && site.chars().all(|c| c.is_ascii_hexdigit()),
            "{id}"
        );
        assert!(
            random.len() == 32 + 8 && random.ends_with("~mv2.jpg"),
            "{id}"
        );
        // PENDING: no hash and no media yet, but the URLs and the size.
        assert_eq!(f["operationStatus"], "PENDING");
        assert_eq!(f["hash"], "");
        assert!(f["media"].is_null(), "{f}");
        assert!(f["url"].as_str().is_some_and(|u| u.ends_with(id)));
        assert!(f["thumbnailUrl"].is_string());
        assert_eq!(f["sizeInBytes"], bytes.len().to_string());
        assert_eq!(f["labels"], json!(["summer", "beach"]));

        // The token is one-time: a second finalize is refused, also with `{}`.
        let r = http()
            .put(&fin)
            .header("Content-Type", "application/json")
            .body("{}")
            .send()
            .await
            .expect("again");
        assert_eq!(r.status(), 429);
        let v: Value = r.json().await.expect("json");
        assert_eq!(
            v["details"]["applicationError"]["code"],
            "RESOURCE_EXHAUSTED"
        );

        // READY later, by either path of get-file-by-id.
        let by_path = format!("/site-media/v1/files/{id}");
        let ready = wait_until_async("the file READY", Duration::from_secs(10), async || {
            let v: Value = rest(&env, reqwest::Method::GET, &by_path)
                .send()
                .await
                .expect("get")
                .json()
                .await
                .expect("json");
            (v["file"]["operationStatus"] == "READY").then_some(v)
        })
        .await;
        let f = &ready["file"];
        assert_eq!(f["hash"].as_str().map(str::len), Some(32));
        assert_eq!(f["media"]["image"]["image"]["width"], 64);
        let (status, served) = get(f["url"].as_str().expect("url")).await;
        assert_eq!((status, served == bytes), (200, true));
    }
    // One relative Location, one absolute: a client must resolve both against the endpoint.
    assert!(
        locations.iter().any(|l| !l.starts_with("http"))
            && locations.iter().any(|l| l.starts_with("http")),
        "{locations:?}"
    );
    assert_eq!(env.stat(|s| &s.files_created), 2);
    assert_eq!(env.stat(|s| &s.finalize_refused), 2);

    // get-files takes many ids, at most 100.
    let ids: Vec<String> = (0..101).map(|i| format!("x{i}")).collect();
    let r = rest(
        &env,
        reqwest::Method::POST,
        "/site-media/v1/files/get-files",
    )
    .json(&json!({ "fileIds": ids }))
    .send()
    .await
    .expect("send");
    assert_eq!(r.status(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tus_full_answers_a_repeated_finalize_with_the_same_file() {
    let env = env(Profile::TusFull).await;
    let (endpoint, token) =
        generate(&env, json!({"mimeType": "image/jpeg", "fileName": "a.txt"})).await;
    assert!(token.len() < 1_000, "tus-full keeps short tokens");
    let r = create(&endpoint, &token, "a.txt", 3).await;
    let upload = resolve(&endpoint, r.headers()["location"].to_str().expect("loc"));
    patch_all(&upload, b"abc").await;
    let fin = finalize_url(&endpoint, &token, "a.txt");
    let a: Value = http()
        .put(&fin)
        .send()
        .await
        .expect("1")
        .json()
        .await
        .expect("j");
    let b: Value = http()
        .put(&fin)
        .send()
        .await
        .expect("2")
        .json()
        .await
        .expect("j");
    assert_eq!(a["file"]["id"], b["file"]["id"]);
    assert_eq!(env.stat(|s| &s.files_created), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optional_strictness_rate_limit_type_limits_html_and_256k_chunks() {
    let env = Env::start_with(|c| {
        c.rate_limit = Some(sandbox::RateLimit::parse("3/min").expect("rate"));
        c.type_limits = sandbox::TypeLimits::parse("image=1MB").expect("limits");
        c.html_errors = true;
        c.strict_chunks = true;
    })
    .await;
    // Over the type's limit: Wix's validation error, naming the field.
    let r = rest(
        &env,
        reqwest::Method::POST,
        "/site-media/v1/files/generate-resumable-upload-url",
    )
    .json(&json!({"mimeType": "image/png", "sizeInBytes": "2000000"}))
    .send()
    .await
    .expect("send");
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.expect("json");
    assert_eq!(
        v["details"]["validationError"]["fieldViolations"][0]["field"],
        "sizeInBytes"
    );
    let (endpoint, token) = generate(&env, json!({"mimeType": "image/jpeg"})).await;
    // Calls 3 and 4 of the minute are over the limit: 429, one with Retry-After, one without.
    let mut retry_after = Vec::new();
    for _ in 0..2 {
        let r = rest(&env, reqwest::Method::GET, "/site-media/v1/files")
            .send()
            .await
            .expect("send");
        if r.status() == 200 {
            continue;
        }
        assert_eq!(r.status(), 429);
        retry_after.push(r.headers().contains_key("retry-after"));
    }
    let r = rest(&env, reqwest::Method::GET, "/site-media/v1/files")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 429);
    retry_after.push(r.headers().contains_key("retry-after"));
    assert!(
        retry_after.contains(&true) && retry_after.contains(&false),
        "{retry_after:?}"
    );
    assert_eq!(env.stat(|s| &s.rate_limited), retry_after.len() as u64);

    // A wrong key gets a proxy's HTML page.
    let r = http()
        .get(env.base().join("/site-media/v1/files").expect("url"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 403);
    assert!(r.text().await.expect("text").starts_with("<!DOCTYPE html>"));

    // A non-final PATCH of 300 KiB keeps 256 KiB and is refused; a whole unit is taken.
    let len = 600 * 1024;
    let r = create(&endpoint, &token, "big.jpg", len).await;
    let upload = resolve(&endpoint, r.headers()["location"].to_str().expect("loc"));
    let body = vec![7u8; 300 * 1024];
    let r = http()
        .patch(&upload)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .body(body)
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["upload-offset"], (256 * 1024).to_string());
    // The final PATCH may be any length.
    let rest_len = len - 256 * 1024;
    let r = http()
        .patch(&upload)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", (256 * 1024).to_string())
        .header("Content-Type", "application/offset+octet-stream")
        .body(vec![7u8; rest_len])
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), 204);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_upload_url_takes_the_file_in_one_put_once() {
    for profile in [Profile::Wix, Profile::TusFull] {
        let env = env(profile).await;
        let r = rest(
            &env,
            reqwest::Method::POST,
            "/site-media/v1/files/generate-upload-url",
        )
        .json(&json!({"mimeType": "image/jpeg", "fileName": "p.jpg", "sizeInBytes": "1234"}))
        .send()
        .await
        .expect("send");
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.expect("json");
        let url = v["uploadUrl"].as_str().expect("uploadUrl").to_string();
        assert!(v.get("uploadToken").is_none(), "{v}");
        if profile == Profile::Wix {
            assert!(
                (2_500..3_100).contains(&url.len()),
                "Wix-sized: {}",
                url.len()
            );
        }
        let jpeg = env.path("p.jpg");
        oriented_jpeg(&jpeg, 40, 30, 1);
        let bytes = std::fs::read(&jpeg).expect("read");
        let mut put = reqwest::Url::parse(&url).expect("url");
        put.query_pairs_mut().append_pair("filename", "p.jpg");
        let r = http()
            .put(put.clone())
            .header("Content-Type", "image/jpeg")
            .body(bytes.clone())
            .send()
            .await
            .expect("put");
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.expect("json");
        let id = v["file"]["id"].as_str().expect("id").to_string();
        assert_eq!(v["file"]["sizeInBytes"], bytes.len().to_string());
        assert_eq!(env.stat(|s| &s.credentials_on_upload_host), 0);
        let (status, served) = get(v["file"]["url"].as_str().expect("url")).await;
        assert_eq!((status, served == bytes), (200, true));
        // Again: refused by Wix's one-time URL, the same file from tus-full.
        let r = http()
            .put(put)
            .body(bytes.clone())
            .send()
            .await
            .expect("again");
        match profile {
            Profile::Wix => assert_eq!(r.status(), 429),
            Profile::TusFull => {
                let v: Value = r.json().await.expect("json");
                assert_eq!(v["file"]["id"], id.as_str());
            }
        }
        assert_eq!(env.stat(|s| &s.files_created), 1);
    }
}
