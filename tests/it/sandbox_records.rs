//! The sandbox's records on disk over raw HTTP: a request rewrites only what it changed,
//! everything is back after a restart, unreadable or old-format state is set aside, and a
//! finalize cut short by a crash (before or after its record) is completed by the next one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::http::Method;
use reqwest::Url;
use wixup::sandbox::{FaultKind, Rule};

use super::sandbox_state::{
    create, finalize, finalize_url, http, listed, location, names, patch, restart, stat, token,
    uploaded, url_host,
};
use super::support::{b64, get, start_sandbox, tus_full, wait_until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_state_json_is_set_aside_and_the_sandbox_starts() {
    let dir = tempfile::tempdir().expect("tmp");
    let sb_dir = dir.path().join("sb");
    std::fs::create_dir_all(&sb_dir).expect("mkdir");
    std::fs::write(sb_dir.join("state.json"), b"{\"tokens\": {1: 2").expect("write");
    let sb = start_sandbox(&sb_dir, tus_full).await;
    let aside: Vec<String> = names(&sb_dir)
        .into_iter()
        .filter(|n| n.starts_with("state.unreadable-") && n.ends_with(".json"))
        .collect();
    assert_eq!(aside.len(), 1, "{:?}", names(&sb_dir));
    assert_eq!(
        std::fs::read(sb_dir.join(&aside[0])).expect("read"),
        b"{\"tokens\": {1: 2",
        "set aside as it was"
    );
    assert!(!sb_dir.join("state.json").exists());
    let (endpoint, tok, _) = uploaded(&sb.local_url(), b"hello").await;
    let (status, v) = finalize(&http(), &endpoint, &tok).await;
    assert_eq!(status, 200, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_json_of_earlier_versions_is_imported_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let sb_dir = dir.path().join("sb");
    std::fs::create_dir_all(sb_dir.join("files")).expect("mkdir");
    std::fs::write(sb_dir.join("files/wxsbx_old.txt"), b"hello").expect("bytes");
    let old = serde_json::json!({
        "tokens": {}, "uploads": {}, "folders": {}, "seq": 7,
        "files": { "wxsbx_old.txt": {
            "id": "wxsbx_old.txt", "display_name": "old.txt", "mime_type": "text/plain",
            "parent_folder_id": "media-root", "size": 5,
            "md5": "5d41402abc4b2a76b9719d911017c592", "private": false,
            "created_unix_ms": 1, "ready_unix_ms": 1, "dimensions": null, "seq": 7
        } }
    });
    std::fs::write(sb_dir.join("state.json"), old.to_string()).expect("write");
    let sb = start_sandbox(&sb_dir, tus_full).await;
    assert_eq!(
        listed(&sb.local_url()).await,
        vec!["wxsbx_old.txt".to_string()]
    );
    assert!(!sb_dir.join("state.json").exists(), "{:?}", names(&sb_dir));
    assert!(
        names(&sb_dir)
            .iter()
            .any(|n| n.starts_with("state.imported-"))
    );
    // The import stands on its own after a restart.
    let sb = restart(&sb_dir, sb).await;
    let base = sb.local_url();
    let (endpoint, tok, _) = uploaded(&base, b"world").await;
    assert_eq!(finalize(&http(), &endpoint, &tok).await.0, 200);
    let ids = listed(&base).await;
    assert_eq!(ids.len(), 2);
    assert_eq!(
        ids[1], "wxsbx_old.txt",
        "newest first: the new file's seq follows 7"
    );
}

/// Uploads and finalizes `n` small files; their ids.
async fn files(base: &Url, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let (endpoint, tok, _) = uploaded(base, format!("file {i}").as_bytes()).await;
        let (status, v) = finalize(&http(), &endpoint, &tok).await;
        assert_eq!(status, 200, "{v}");
        ids.push(v["file"]["id"].as_str().expect("id").to_string());
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_record_is_set_aside_and_the_others_still_load() {
    let dir = tempfile::tempdir().expect("tmp");
    let sb_dir = dir.path().join("sb");
    let sb = start_sandbox(&sb_dir, tus_full).await;
    let ids = files(&sb.local_url(), 2).await;
    sb.stop().await;
    let bad = sb_dir
        .join("records/files")
        .join(format!("{}.json", ids[0]));
    std::fs::write(&bad, b"{\"id\": ").expect("corrupt");
    let sb = start_sandbox(&sb_dir, tus_full).await;
    assert_eq!(listed(&sb.local_url()).await, vec![ids[1].clone()]);
    let aside: Vec<String> = names(&sb_dir.join("records/files"))
        .into_iter()
        .filter(|n| n.starts_with(&format!("{}.unreadable-", ids[0])))
        .collect();
    assert_eq!(aside.len(), 1, "{:?}", names(&sb_dir.join("records/files")));
    assert!(!bad.exists());
}

/// Every file under `dir` but the bytes of uploads, files and thumbnails, with its inode and
/// modification time: a rewrite (temp file + rename) changes the inode.
#[cfg(unix)]
fn metadata_files(dir: &Path) -> BTreeMap<PathBuf, (u64, std::time::SystemTime)> {
    use std::os::unix::fs::MetadataExt as _;
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            let rel = p.strip_prefix(dir).expect("under").to_path_buf();
            if ["uploads", "files", "cache"]
                .iter()
                .any(|b| rel == Path::new(b))
            {
                continue;
            }
            let m = e.metadata().expect("meta");
            if m.is_dir() {
                stack.push(p);
            } else {
                out.insert(rel, (m.ino(), m.modified().expect("mtime")));
            }
        }
    }
    out
}

#[cfg(unix)] // compares inodes
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_rewrites_only_the_records_it_changed() {
    let dir = tempfile::tempdir().expect("tmp");
    let sb_dir = dir.path().join("sb");
    let sb = start_sandbox(&sb_dir, tus_full).await;
    let base = sb.local_url();
    let ids = files(&base, 20).await;
    let before = metadata_files(&sb_dir);
    let (endpoint, tok) = token(&base).await;
    let after = metadata_files(&sb_dir);
    let changed: Vec<_> = after
        .iter()
        .filter(|(p, m)| before.get(*p) != Some(m))
        .map(|(p, _)| p.clone())
        .collect();
    assert_eq!(
        changed.len(),
        1,
        "one new token record, nothing rewritten: {changed:?}"
    );
    assert!(changed[0].starts_with("records/tokens"), "{changed:?}");
    assert!(before.keys().all(|p| after.contains_key(p)));
    // Everything is back after a restart, and the new token still works.
    let sb = restart(&sb_dir, sb).await;
    let base = sb.local_url();
    let mut listed_ids = listed(&base).await;
    listed_ids.reverse();
    assert_eq!(listed_ids, ids);
    let endpoint = endpoint.replace(&url_host(&endpoint), &sb.addr.to_string());
    let r = create(&endpoint, 2, &format!("token {}", b64(&tok))).await;
    assert_eq!(r.status(), 201);
    assert_eq!(patch(&location(&r), 0, b"ok").await, 204);
    let (status, v) = finalize(&http(), &endpoint, &tok).await;
    assert_eq!(status, 200, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_moved_without_a_record_are_found_by_the_next_finalize() {
    let dir = tempfile::tempdir().expect("tmp");
    let sb_dir = dir.path().join("sb");
    let sb = start_sandbox(&sb_dir, tus_full).await;
    let (endpoint, tok, loc) = uploaded(&sb.local_url(), b"hello").await;
    sb.stop().await;
    // As a finalize stopped right after moving the bytes, before writing anything down.
    let upload_id = loc.rsplit('/').next().expect("id");
    let moved_to = format!("wxsbx_{upload_id}.txt");
    std::fs::rename(
        sb_dir.join("uploads").join(format!("{upload_id}.bin")),
        sb_dir.join("files").join(&moved_to),
    )
    .expect("move");
    let sb = start_sandbox(&sb_dir, tus_full).await;
    let endpoint = endpoint.replace(&url_host(&endpoint), &sb.addr.to_string());
    let (status, v) = finalize(&http(), &endpoint, &tok).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["file"]["id"], moved_to.as_str());
    assert_eq!(v["file"]["sizeInBytes"], "5");
    let (s, body) = get(v["file"]["url"].as_str().expect("url")).await;
    assert_eq!((s, body.as_slice()), (200, b"hello".as_slice()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finalize_cut_short_by_a_sandbox_crash_completes_as_it_began() {
    let dir = tempfile::tempdir().expect("tmp");
    let sb_dir = dir.path().join("sb");
    // The first sandbox runs on its own runtime, so it can die at once, tasks and all.
    let rt = std::thread::spawn(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime")
    })
    .join()
    .expect("thread");
    let sb = rt
        .spawn({
            let d = sb_dir.clone();
            async move { start_sandbox(&d, tus_full).await }
        })
        .await
        .expect("start");
    let (endpoint, tok, loc) = uploaded(&sb.local_url(), b"hello").await;
    sb.faults.add(Rule::nth(
        Some(Method::PUT),
        "/upload/tus/",
        1,
        FaultKind::PauseMidway(Duration::from_secs(30)),
    ));
    let pending = tokio::spawn({
        let (e, t) = (endpoint.clone(), tok.clone());
        async move { http().put(finalize_url(&e, &t)).body("{}").send().await }
    });
    let upload_id = loc.rsplit('/').next().expect("id").to_string();
    let moved_to = sb_dir.join("files").join(format!("wxsbx_{upload_id}.txt"));
    wait_until("the bytes never moved", Duration::from_secs(10), || {
        moved_to.exists()
    })
    .await;
    drop(sb);
    std::thread::spawn(move || rt.shutdown_background())
        .join()
        .expect("crash");
    assert!(pending.await.expect("join").is_err(), "no answer came");

    // The next finalize names the file differently: the one begun still wins.
    let sb = start_sandbox(&sb_dir, tus_full).await;
    let endpoint = endpoint.replace(&url_host(&endpoint), &sb.addr.to_string());
    let r = http()
        .put(format!("{endpoint}/{tok}?filename=other.bin"))
        .body("{}")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v["file"]["id"], format!("wxsbx_{upload_id}.txt"));
    assert_eq!(v["file"]["displayName"], "a.txt");
    let (s, body) = get(v["file"]["url"].as_str().expect("url")).await;
    assert_eq!((s, body.as_slice()), (200, b"hello".as_slice()));
    assert_eq!(listed(&sb.local_url()).await.len(), 1);
    assert_eq!(stat(&sb, |s| &s.files_created), 1);
}
