//! The Wix REST client against the sandbox: shapes, auth, retries, readable errors.

use axum::http::Method;
use wixup::redact::ApiKey;
use wixup::retry::RetryPolicy;
use wixup::sandbox::{FaultKind, Rule};
use wixup::wix_media::{Credentials, Error, UploadRequest, WixMediaClient};

use super::support::Env;

fn client(env: &Env, key: &str, site: &str) -> WixMediaClient {
    WixMediaClient::new(
        env.base(),
        Credentials {
            api_key: ApiKey::new(key),
            site_id: site.into(),
        },
        RetryPolicy::immediate(4),
    )
    .expect("client")
}

fn good(env: &Env) -> WixMediaClient {
    client(
        env,
        wixup::sandbox::DEFAULT_API_KEY,
        wixup::sandbox::DEFAULT_SITE_ID,
    )
}

fn req() -> UploadRequest {
    UploadRequest {
        mime_type: "image/jpeg".into(),
        file_name: "a.jpg".into(),
        size_in_bytes: 10,
        upload_protocol: "TUS",
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_gives_a_tus_endpoint_and_a_long_token() {
    let env = Env::start().await;
    let t = good(&env)
        .generate_resumable_upload_url(&req())
        .await
        .expect("ok");
    assert_eq!(t.endpoint.path(), "/upload/tus");
    assert!(t.upload_token.len() > 200, "JWT-like, long");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_key_or_site_is_a_403_that_says_what_to_check() {
    let env = Env::start().await;
    let secret = "IST.super-secret-key-value-42";
    for c in [
        client(&env, secret, wixup::sandbox::DEFAULT_SITE_ID),
        client(&env, wixup::sandbox::DEFAULT_API_KEY, "other-site"),
    ] {
        let e = c
            .generate_resumable_upload_url(&req())
            .await
            .expect_err("refused");
        assert!(matches!(e, Error::Forbidden { status: 403, .. }), "{e:?}");
        // The client reports the facts; the sentence saying what to check is the engine's.
        let text = format!("{} {e} {e:?}", wixup::engine::describe_wix_error(&e));
        assert!(
            text.contains("Manage Media Manager permission") && text.contains("site id"),
            "{text}"
        );
        assert!(!text.contains(secret), "the key never appears in an error");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_says_the_key_was_rejected() {
    let env = Env::start().await;
    env.sandbox.faults.add(Rule::nth(
        Some(Method::POST),
        "generate-resumable",
        1,
        FaultKind::Status {
            status: 401,
            retry_after_secs: None,
        },
    ));
    let e = good(&env)
        .generate_resumable_upload_url(&req())
        .await
        .expect_err("401");
    assert!(matches!(e, Error::Unauthorized { status: 401, .. }));
    assert!(e.to_string().contains("rejected the API key"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failures_are_retried() {
    let env = Env::start().await;
    for (status, nth) in [(503, 1), (429, 2), (500, 3)] {
        env.sandbox.faults.add(Rule::nth(
            Some(Method::POST),
            "generate-resumable",
            nth,
            FaultKind::Status {
                status,
                retry_after_secs: None,
            },
        ));
    }
    env.sandbox.faults.add(Rule::nth(
        Some(Method::POST),
        "generate-resumable",
        4,
        FaultKind::DropConnection { after_bytes: 0 },
    ));
    good(&env)
        .generate_resumable_upload_url(&req())
        .await
        .expect("retried through 503, 429, 500 and a cut");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_errors_and_junk_are_readable() {
    let env = Env::start().await;
    let mut bad = req();
    bad.mime_type = "nonsense".into();
    let e = good(&env)
        .generate_resumable_upload_url(&bad)
        .await
        .expect_err("400");
    assert_eq!(e.status(), Some(400));
    assert!(e.to_string().contains("mimeType"), "{e}");

    env.sandbox.faults.add(Rule::nth(
        Some(Method::POST),
        "generate-resumable",
        1,
        FaultKind::JunkBody,
    ));
    let e = good(&env)
        .generate_resumable_upload_url(&req())
        .await
        .expect_err("junk");
    assert!(matches!(e, Error::BadResponse(_)), "{e:?}");
    assert!(e.to_string().contains("cannot read"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn folders_and_listing_with_paging() {
    let env = Env::start().await;
    let c = good(&env);
    let f = c.create_folder("Photos", None).await.expect("folder");
    let sub = c.create_folder("2026", Some(&f.id)).await.expect("sub");
    assert_eq!(sub.parent_folder_id.as_deref(), Some(f.id.as_str()));
    let root = c.list_folders(None, None).await.expect("list");
    assert_eq!(
        root.items
            .iter()
            .map(|f| f.display_name.clone().unwrap_or_default())
            .collect::<Vec<_>>(),
        ["Photos"]
    );
    let e = c.create_folder("", None).await.expect_err("empty name");
    assert_eq!(e.status(), Some(400));
    let empty = c.list_files(None, None, 10).await.expect("files");
    assert!(empty.items.is_empty() && empty.next_cursor.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn folder_listings_are_walked_page_by_page_within_a_bound() {
    // The sandbox pages folders 50 at a time: 110 of them take three pages.
    let env = Env::start().await;
    let c = good(&env);
    for i in 0..110 {
        c.create_folder(&format!("f{i:03}"), None)
            .await
            .expect("folder");
    }
    let all = c.folders_under(None, 50).await.expect("all");
    assert_eq!(all.len(), 110);
    let cut = c.folders_under(None, 2).await.expect("two pages");
    assert_eq!(cut.len(), 100, "at most two pages read");
    // A lost answer: the folder is made (sorted last, on the third page) and looked for
    // across the pages before anything is sent again.
    env.sandbox.faults.add(Rule::nth(
        Some(Method::POST),
        "/site-media/v1/folders",
        1,
        FaultKind::DropConnection { after_bytes: 0 },
    ));
    let made = c.create_folder("zz", None).await.expect("found");
    let all = c.folders_under(None, 50).await.expect("all");
    assert_eq!(all.len(), 111, "not made twice");
    assert_eq!(all.last().map(|f| &f.id), Some(&made.id));
}
