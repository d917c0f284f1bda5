//! Private files and their download URLs, over real HTTP: the sandbox's
//! `generate-download-url` (API key and site required, 404 for an unknown id, Wix's limits on
//! the lifetime) hands out a signed URL that serves the file's bytes until it expires, also
//! after a restart; the static URL keeps answering 403; a forged or expired URL is refused.
//! Then the client's `generate_download_url` against it.

use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};
use wixup::retry::RetryPolicy;
use wixup::sandbox;

use super::support::{Env, get, start_sandbox};

/// A private PDF of `bytes` uploaded in one PUT, as Wix's docs describe it: its descriptor.
async fn private_upload(env: &Env, name: &str, bytes: &[u8]) -> Value {
    let c = reqwest::Client::new();
    let g: Value = c
        .post(
            env.base()
                .join("/site-media/v1/files/generate-upload-url")
                .unwrap(),
        )
        .header("Authorization", sandbox::DEFAULT_API_KEY)
        .header("wix-site-id", sandbox::DEFAULT_SITE_ID)
        .json(&json!({"mimeType": "application/pdf", "fileName": name,
                      "sizeInBytes": bytes.len().to_string(), "private": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let upload = g["uploadUrl"].as_str().expect("uploadUrl");
    let r = c
        .put(format!("{upload}?filename={name}"))
        .header("Content-Type", "application/pdf")
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["file"]["private"], true, "{v}");
    v["file"].clone()
}

/// POSTs generate-download-url for `id` with `body`, with or without the credentials.
async fn generate(env: &Env, id: &str, body: Value, key: Option<&str>) -> (u16, Value) {
    let mut url = env.base();
    url.path_segments_mut().unwrap().extend([
        "site-media",
        "v1",
        "files",
        id,
        "generate-download-url",
    ]);
    let mut req = reqwest::Client::new().post(url).json(&body);
    if let Some(k) = key {
        req = req
            .header("Authorization", k)
            .header("wix-site-id", sandbox::DEFAULT_SITE_ID);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn the_url(v: &Value) -> String {
    assert_eq!(v["downloadUrls"].as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(v["downloadUrls"][0]["assetKey"], "src", "{v}");
    v["downloadUrls"][0]["url"]
        .as_str()
        .expect("url")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_url_serves_a_private_file_until_it_expires() {
    let env = Env::start().await;
    let bytes: Vec<u8> = (0..70_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let file = private_upload(&env, "report.pdf", &bytes).await;
    let id = file["id"].as_str().unwrap();
    let static_url = file["url"].as_str().unwrap();
    assert_eq!(get(static_url).await.0, 403, "a private file's static URL");

    // As strict as Wix: the key and the site, then a file that exists, then the limits.
    let (status, v) = generate(&env, id, json!({}), None).await;
    assert_eq!(status, 403, "{v}");
    let (status, _) = generate(&env, id, json!({}), Some("not-the-key")).await;
    assert_eq!(status, 403);
    let (status, v) = generate(
        &env,
        "nope~mv2.jpg",
        json!({}),
        Some(sandbox::DEFAULT_API_KEY),
    )
    .await;
    assert_eq!(status, 404, "{v}");
    assert_eq!(v["details"]["applicationError"]["code"], "NOT_FOUND");
    for bad in [json!(0), json!(525_601), json!("soon")] {
        let (status, v) = generate(
            &env,
            id,
            json!({"expirationInMinutes": bad}),
            Some(sandbox::DEFAULT_API_KEY),
        )
        .await;
        assert_eq!(status, 400, "{bad}: {v}");
        assert_eq!(
            v["details"]["validationError"]["fieldViolations"][0]["field"],
            "expirationInMinutes"
        );
    }

    let (status, v) = generate(
        &env,
        id,
        json!({"expirationInMinutes": 10}),
        Some(sandbox::DEFAULT_API_KEY),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let url = the_url(&v);
    let r = reqwest::get(&url).await.unwrap();
    assert_eq!(r.status(), 200);
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.starts_with("attachment") && disposition.contains("report.pdf"),
        "{disposition}"
    );
    assert!(r.bytes().await.unwrap() == bytes, "the file's bytes");
    let part = reqwest::Client::new()
        .get(&url)
        .header("Range", "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.bytes().await.unwrap(), bytes[10..20]);
    assert_eq!(get(static_url).await.0, 403, "still 403 at its static URL");

    // Forged: the payload made to live longer under the same signature, or the signature
    // changed.
    let (prefix, token) = url.rsplit_once('/').unwrap();
    let (payload, sig) = token.split_once('.').unwrap();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut grant: Value = serde_json::from_slice(&b64.decode(payload).unwrap()).unwrap();
    grant["e"] = json!(u64::MAX / 2);
    let longer = b64.encode(grant.to_string());
    let flipped = format!(
        "{}{}",
        &sig[..sig.len() - 1],
        if sig.ends_with('0') { '1' } else { '0' }
    );
    for forged in [
        format!("{prefix}/{longer}.{sig}"),
        format!("{prefix}/{payload}.{flipped}"),
        format!("{prefix}/{payload}"),
    ] {
        let (status, body) = get(&forged).await;
        assert_eq!(status, 403, "{}", String::from_utf8_lossy(&body));
    }

    // The URL outlives a restart of the sandbox (its key is kept), not its lifetime.
    let Env { dir, sandbox } = env;
    sandbox.stop().await;
    let again = start_sandbox(&dir.path().join("sandbox"), |_| {}).await;
    let path = reqwest::Url::parse(&url).unwrap().path().to_string();
    let moved = again.local_url().join(&path).unwrap().to_string();
    let (status, body) = get(&moved).await;
    assert_eq!(status, 200);
    assert!(body == bytes);
    again.clock.advance(Duration::from_secs(10 * 60 + 1));
    let (status, body) = get(&moved).await;
    assert_eq!(status, 403);
    assert!(String::from_utf8_lossy(&body).contains("expired"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_url_goes_to_its_redirect_and_inline_is_kept() {
    let env = Env::start().await;
    let file = private_upload(&env, "inline.pdf", b"%PDF-1.4 tiny").await;
    let id = file["id"].as_str().unwrap();
    let (status, v) = generate(
        &env,
        id,
        json!({"expirationInMinutes": 1, "contentDisposition": "INLINE",
               "downloadFileName": "Quarterly report.pdf",
               "expirationRedirectUrl": "https://example.com/expired"}),
        Some(sandbox::DEFAULT_API_KEY),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let url = the_url(&v);
    let r = reqwest::get(&url).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-disposition"],
        "inline; filename*=UTF-8''Quarterly%20report.pdf"
    );
    env.sandbox.clock.advance(Duration::from_secs(61));
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = no_redirects.get(&url).send().await.unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    assert_eq!(r.headers()["location"], "https://example.com/expired");
    let (status, v) = generate(
        &env,
        id,
        json!({"contentDisposition": "SIDEWAYS"}),
        Some(sandbox::DEFAULT_API_KEY),
    )
    .await;
    assert_eq!(status, 400, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_asks_for_a_download_url_that_works_for_its_lifetime() {
    let env = Env::start().await;
    let bytes = vec![42u8; 5000];
    let file = private_upload(&env, "client.pdf", &bytes).await;
    let id = file["id"].as_str().unwrap();
    let wix = env.wix_client(RetryPolicy::immediate(1));

    // 90 s is asked as 2 minutes (Wix counts whole minutes).
    let d = wix
        .generate_download_url(id, Duration::from_secs(90))
        .await
        .expect("a download URL");
    assert_eq!(d.lifetime, Duration::from_secs(120));
    let shown = format!("{d:?}");
    assert!(
        !shown.contains(d.url.path()),
        "the URL is a credential: {shown}"
    );
    let (status, body) = get(d.url.as_str()).await;
    assert_eq!(status, 200);
    assert!(body == bytes);
    env.sandbox.clock.advance(Duration::from_secs(119));
    assert_eq!(get(d.url.as_str()).await.0, 200, "alive for its lifetime");
    env.sandbox.clock.advance(Duration::from_secs(2));
    assert_eq!(get(d.url.as_str()).await.0, 403, "expired after it");

    let e = wix
        .generate_download_url("nope~mv2.jpg", Duration::from_secs(600))
        .await
        .expect_err("an unknown file");
    assert_eq!(e.status(), Some(404), "{e}");
    let bad_key = wixup::wix_media::WixMediaClient::new(
        env.base(),
        wixup::wix_media::Credentials {
            api_key: wixup::redact::ApiKey::new("wrong"),
            site_id: sandbox::DEFAULT_SITE_ID.into(),
        },
        RetryPolicy::immediate(1),
    )
    .unwrap();
    let e = bad_key
        .generate_download_url(id, Duration::from_secs(600))
        .await
        .expect_err("a wrong key");
    assert_eq!(e.status(), Some(403), "{e}");
}
