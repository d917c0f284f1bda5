//! The Wix client's import calls against the sandbox: typed answers, per-link refusals in
//! order, the server's reason in errors, and no second POST after an answer that may be lost.

use std::time::Duration;

use axum::http::Method;
use wixup::redact::ApiKey;
use wixup::retry::RetryPolicy;
use wixup::sandbox::{FaultKind, Rule};
use wixup::wix_media::{Credentials, Error, ImportRequest, OperationStatus, WixMediaClient};

use super::links::{LinkServer, md5_hex, png_bytes};
use super::support::{Env, wait_until_async};

fn client(env: &Env) -> WixMediaClient {
    WixMediaClient::new(
        env.base(),
        Credentials {
            api_key: ApiKey::new(wixup::sandbox::DEFAULT_API_KEY),
            site_id: wixup::sandbox::DEFAULT_SITE_ID.into(),
        },
        RetryPolicy::immediate(4),
    )
    .expect("client")
}

fn link(url: &str) -> ImportRequest {
    ImportRequest {
        url: url.into(),
        ..Default::default()
    }
}

async fn ready(c: &WixMediaClient, id: &str) -> wixup::wix_media::FileDescriptor {
    wait_until_async(
        &format!("{id} no longer PENDING"),
        Duration::from_secs(10),
        async || {
            let f = c.get_file(id).await.expect("get");
            (f.operation_status != Some(OperationStatus::Pending)).then_some(f)
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_file_answers_pending_then_the_file_is_ready_with_the_links_bytes() {
    let env = Env::start_with(super::support::tus_full).await;
    let links = LinkServer::start().await;
    let png = png_bytes(20, 10);
    let c = client(&env);
    let f = c
        .import_file(&ImportRequest {
            display_name: Some("chart".into()),
            file_path: Some("/imports/2026".into()),
            ..link(&links.serve("c.png", "image/png", png.clone()))
        })
        .await
        .expect("import");
    assert_eq!(f.operation_status, Some(OperationStatus::Pending));
    assert_eq!(f.hash.as_deref(), Some(""));
    assert_eq!(f.display_name.as_deref(), Some("chart.png"));
    let f = ready(&c, &f.id).await;
    assert!(f.is_ready(), "{f:?}");
    assert_eq!(f.hash, Some(md5_hex(&png)));
    assert_eq!(f.image_size(), Some((20, 10)));
    assert_ne!(
        f.parent_folder_id.as_deref(),
        Some("media-root"),
        "into the path"
    );

    let e = c
        .import_file(&link("ftp://127.0.0.1/x.png"))
        .await
        .expect_err("refused");
    assert_eq!(e.status(), Some(400));
    assert!(e.to_string().contains("http or https"), "{e}");

    let gone = c
        .import_file(&link(&links.url("nope.png")))
        .await
        .expect("accepted");
    let gone = ready(&c, &gone.id).await;
    assert_eq!(gone.operation_status, Some(OperationStatus::Failed));
    assert!(
        gone.failure_reason
            .as_deref()
            .is_some_and(|r| r.contains("not found")),
        "{gone:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_import_gives_one_answer_per_link_in_order() {
    let env = Env::start().await;
    let links = LinkServer::start().await;
    let c = client(&env);
    let a = links.serve("a.png", "image/png", png_bytes(4, 4));
    let b = links.serve("b.png", "image/png", png_bytes(5, 5));
    let got = c
        .bulk_import_files(&[link(&a), link("mailto:x@example.com"), link(&b)])
        .await
        .expect("bulk");
    assert_eq!(got.len(), 3);
    let first = got[0].as_ref().expect("a accepted");
    let refused = got[1].as_ref().expect_err("mailto refused");
    assert!(refused.message.contains("http"), "{refused}");
    let third = got[2].as_ref().expect("b accepted");
    assert_ne!(first.id, third.id);
    assert_eq!(ready(&c, &third.id).await.image_size(), Some((5, 5)));
    let too_many: Vec<ImportRequest> = (0..101).map(|_| link(&a)).collect();
    assert!(c.bulk_import_files(&too_many).await.is_err());
    assert_eq!(env.stat(|s| &s.bulk_import_requests), 1, "101 never sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_is_resent_after_a_429_but_not_after_an_answer_that_was_lost() {
    let env = Env::start().await;
    let links = LinkServer::start().await;
    let c = client(&env);
    let url = links.serve("a.png", "image/png", png_bytes(4, 4));
    env.sandbox.faults.add(Rule::nth(
        Some(Method::POST),
        "/files/import",
        1,
        FaultKind::Status {
            status: 429,
            retry_after_secs: None,
        },
    ));
    c.import_file(&link(&url)).await.expect("after a 429");
    assert_eq!(
        env.stat(|s| &s.import_requests),
        1,
        "the 429 never reached it"
    );
    env.sandbox.faults.add(Rule::nth(
        Some(Method::POST),
        "/files/import",
        1,
        FaultKind::DropConnection { after_bytes: 0 },
    ));
    let e = c.import_file(&link(&url)).await.expect_err("not resent");
    assert!(matches!(e, Error::Network(_)), "{e:?}");
    // The sandbox made the file and the answer was lost: sent again, it would make a second.
    assert_eq!(
        env.stat(|s| &s.import_requests),
        2,
        "not sent a second time"
    );
}
