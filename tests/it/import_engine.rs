//! Imports through the engine: links are jobs like uploads (table, journal, events, history),
//! sent to Wix together, journaled with their file id before anything else, and after a
//! restart polled, never imported again.

use wixup::engine::{self, Command, Event, JobState, Origin, OriginKind};

use super::links::{LinkServer, jpeg_bytes, md5_hex, png_bytes};
use super::support::{Env, Events, each_profile, get};

fn add_links(handle: &engine::EngineHandle, urls: &[String]) {
    handle.send(Command::AddLinks {
        request: 1,
        urls: urls.to_vec(),
        destination: Default::default(),
    });
}

each_profile! {
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_become_jobs_that_end_ready_or_failed_and_go_out_in_one_bulk_call(profile) {
    let env = Env::start_as(profile).await;
    let links = LinkServer::start().await;
    let jpeg = jpeg_bytes(env.dir.path(), 32, 24);
    let png = png_bytes(10, 20);
    let urls = vec![
        links.serve("a.jpg", "image/jpeg", jpeg.clone()),
        links.serve("b.png", "image/png", png.clone()),
        links.url("missing.png"),
        "ftp://127.0.0.1/c.png".to_string(),
    ];
    let (handle, rx) = engine::start(env.engine_config("data"), None).expect("engine");
    let mut events = Events::new(rx);
    add_links(&handle, &urls);
    let (added, _, rejected) = events.added().await;
    assert_eq!(added.len(), 3);
    assert_eq!(rejected.len(), 1);
    assert!(rejected[0].1.contains("http"), "{rejected:?}");
    let out = events.finish(&added, 30).await;
    for (o, bytes) in out[..2].iter().zip([&jpeg, &png]) {
        let r = o.done();
        assert_eq!(r.origin, OriginKind::Import);
        assert_eq!(r.hash.as_deref(), Some(md5_hex(bytes).as_str()));
        assert!(r.thumbnail_url.is_some());
        let (code, served) = get(r.url.as_deref().expect("url")).await;
        assert_eq!(code, 200);
        assert_eq!(&served, bytes);
    }
    let e = out[2].failed();
    assert!(
        e.message.contains(crate::it::links::expected_failure(profile)),
        "{e:?}"
    );
    assert_eq!(
        env.stat(|s| &s.bulk_import_requests),
        1,
        "three links, one call"
    );
    assert_eq!(env.stat(|s| &s.import_requests), 0);

    // Jobs know where they came from; the history says they were imported.
    let jobs = handle.snapshot().await;
    assert_eq!(
        jobs[0].origin,
        Origin::Link {
            url: urls[0].clone()
        }
    );
    let history = wixup::history::load(&env.path("data")).expect("history");
    assert_eq!(history.len(), 2);
    assert!(history.iter().all(|h| h.origin == OriginKind::Import));
    assert!(
        history
            .iter()
            .any(|h| h.source_url.as_deref() == Some(&urls[1]))
    );

    // The same link again while it is queued is reported once; a single link uses files/import.
    let one = links.serve("d.png", "image/png", png_bytes(3, 3));
    add_links(&handle, &[one.clone(), one]);
    let (added, duplicates, _) = events.added().await;
    assert_eq!((added.len(), duplicates.len()), (1, 1));
    events.finish(&added, 30).await[0].done();
    assert_eq!(env.stat(|s| &s.import_requests), 1);
    handle.shutdown().await;
}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restart_an_import_with_a_file_id_is_polled_never_imported_again() {
    let env = Env::start().await;
    let links = LinkServer::start().await;
    let png = png_bytes(6, 6);
    let (url, gate) = links.held("slow.png", "image/png", png.clone());
    let (handle, rx) = engine::start(env.engine_config("data"), None).expect("engine");
    let mut events = Events::new(rx);
    add_links(&handle, std::slice::from_ref(&url));
    events.added().await;
    // PROCESSING comes after the file id is journaled.
    events.wait_state(JobState::Processing).await;
    handle.shutdown().await;
    assert_eq!(env.stat(|s| &s.import_requests), 1);

    let (handle, rx) = engine::start(env.engine_config("data"), None).expect("engine again");
    let mut events = Events::new(rx);
    let jobs = handle.snapshot().await;
    assert_eq!(jobs.len(), 1);
    assert!(jobs[0].file_id.is_some(), "the file id was journaled");
    gate.add_permits(10);
    let ev = events
        .wait_for(30, |e| {
            matches!(e, Event::Finished { .. } | Event::Failed { .. })
        })
        .await;
    let Event::Finished { result, .. } = ev else {
        panic!("expected READY, got {ev:?}");
    };
    assert_eq!(result.file_id, jobs[0].file_id.clone().expect("id"));
    assert_eq!(result.hash, Some(md5_hex(&png)));
    assert_eq!(env.stat(|s| &s.import_requests), 1, "never imported twice");
    assert_eq!(env.stat(|s| &s.bulk_import_requests), 0);
    assert_eq!(links.hits(), 1);
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_of_an_import_that_failed_on_wix_imports_the_link_again() {
    let env = Env::start().await;
    let links = LinkServer::start().await;
    let url = links.url("later.png");
    let (handle, rx) = engine::start(env.engine_config("data"), None).expect("engine");
    let mut events = Events::new(rx);
    add_links(&handle, std::slice::from_ref(&url));
    let (added, _, _) = events.added().await;
    events.finish(&added, 30).await[0].failed();
    // The link works now: Retry imports it afresh instead of polling the FAILED file.
    links.serve("later.png", "image/png", png_bytes(7, 7));
    events.outcomes.clear();
    handle.send(Command::Retry(added[0]));
    let done = events.finish(&added, 30).await;
    assert_eq!(done[0].done().image_size, Some((7, 7)));
    assert_eq!(env.stat(|s| &s.import_requests), 2);
    handle.shutdown().await;
}
