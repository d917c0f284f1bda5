//! Folders bring system files along (`.DS_Store`, `Thumbs.db`, AppleDouble `._*`, hidden
//! folders): a walked folder leaves them out and says how many it left, in the engine's event,
//! the CLI and the window; a file named by itself is always sent.

use std::path::{Path, PathBuf};

use wixup::engine::{Command, Event};

use super::cli::{json_lines, run, wixup};
use super::support::{Env, Events, exits_with, oriented_jpeg};

/// A folder as a Mac or Windows leaves it: two photos, and what came along with them.
fn folder_with_system_files(root: &Path) -> PathBuf {
    let dir = root.join("holiday");
    oriented_jpeg(&dir.join("beach.jpg"), 64, 48, 1);
    oriented_jpeg(&dir.join("dunes.jpg"), 48, 64, 1);
    std::fs::write(dir.join(".DS_Store"), b"\0\0\0\x01Bud1 finder state").expect("write");
    std::fs::write(dir.join("Thumbs.db"), b"\xd0\xcf\x11\xe0 thumbnails").expect("write");
    std::fs::write(dir.join("._beach.jpg"), b"\0\x05\x16\x07 AppleDouble").expect("write");
    dir
}

/// The site's files, by name, sorted.
async fn names_on_site(env: &Env) -> Vec<String> {
    let page = env
        .wix_client(Default::default())
        .list_files(None, None, 100)
        .await
        .expect("list");
    let mut names: Vec<String> = page
        .items
        .into_iter()
        .filter_map(|f| f.display_name)
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_leaves_its_system_files_and_hidden_folders_out_and_counts_them() {
    let env = Env::start().await;
    let dir = folder_with_system_files(env.dir.path());
    // Deeper down: a hidden folder (not looked into), a Mac archive's folder, any case.
    std::fs::create_dir_all(dir.join(".git/objects")).expect("mkdir");
    std::fs::write(dir.join(".git/objects/pack.jpg"), b"not a photo").expect("write");
    std::fs::create_dir_all(dir.join("sub/__MACOSX")).expect("mkdir");
    std::fs::write(dir.join("sub/__MACOSX/._x.jpg"), b"\0\x05\x16\x07").expect("write");
    std::fs::write(dir.join("sub/DESKTOP.INI"), b"[.ShellClassInfo]").expect("write");
    std::fs::write(dir.join("sub/THUMBS.DB"), b"thumbs").expect("write");
    oriented_jpeg(&dir.join("sub/cliff.jpg"), 32, 32, 1);

    let (handle, rx) = wixup::engine::start(env.engine_config("data"), None).expect("start");
    let mut events = Events::new(rx);
    handle.send(Command::AddFiles {
        request: 1,
        paths: vec![dir.clone()],
        destination: Default::default(),
        options: Default::default(),
    });
    let Event::FilesAdded {
        added,
        rejected,
        skipped,
        ..
    } = events
        .wait_for(30, |e| matches!(e, Event::FilesAdded { .. }))
        .await
    else {
        unreachable!()
    };
    assert!(rejected.is_empty(), "{rejected:?}");
    let names = |paths: &[PathBuf]| -> Vec<String> {
        paths
            .iter()
            .map(|p| p.strip_prefix(&dir).expect("inside").display().to_string())
            .collect()
    };
    assert_eq!(
        names(&skipped.files),
        [
            ".DS_Store",
            "._beach.jpg",
            "Thumbs.db",
            "sub/DESKTOP.INI",
            "sub/THUMBS.DB"
        ]
    );
    assert_eq!(names(&skipped.folders), [".git", "sub/__MACOSX"]);
    assert_eq!(
        skipped.sentence().as_deref(),
        Some(
            "5 system files and 2 hidden folders skipped (.DS_Store, ._beach.jpg, Thumbs.db…); add a file by itself to upload it anyway"
        )
    );
    let outcomes = events.finish(&added, 60).await;
    assert_eq!(outcomes.len(), 3);
    handle.shutdown().await;
    assert_eq!(
        names_on_site(&env).await,
        ["beach.jpg", "cliff.jpg", "dunes.jpg"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wixup_upload_of_a_folder_sends_its_two_photos_and_says_what_it_skipped() {
    let env = Env::start().await;
    let dir = folder_with_system_files(env.dir.path());
    let mut c = wixup(&env, "data");
    c.args(["upload", "--json"]).arg(&dir);
    let out = run(c).await;
    exits_with(&out, 0);
    // stdout holds the files' lines and nothing else.
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2, "{lines:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "3 system files skipped (.DS_Store, ._beach.jpg, Thumbs.db); add a file by itself to upload it anyway"
        ),
        "{stderr}"
    );
    assert_eq!(names_on_site(&env).await, ["beach.jpg", "dunes.jpg"]);

    // Named by itself, a system file is sent like any file (human mode: the note is on stderr).
    let mut c = wixup(&env, "data");
    c.arg("upload").arg(dir.join(".DS_Store"));
    let out = run(c).await;
    exits_with(&out, 0);
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("skipped"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        names_on_site(&env).await,
        [".DS_Store", "beach.jpg", "dunes.jpg"]
    );
}

#[cfg(feature = "gui")]
#[test]
fn the_window_says_how_many_system_files_a_dropped_folder_left_out() {
    use egui_kittest::kittest::Queryable as _;

    use super::support::gui::{
        drop_files, runtime_and_sandbox, until_all_done, until_shown, window_on_site,
    };

    let (rt, env) = runtime_and_sandbox();
    let dir = folder_with_system_files(env.dir.path());
    let mut h = window_on_site(&rt, &env);
    drop_files(&mut h, &[dir]);
    until_shown(&mut h, "the note about skipped system files", 20, |h| {
        h.query_by_label_contains("3 system files skipped (.DS_Store, ._beach.jpg, Thumbs.db)")
            .is_some()
    });
    until_all_done(&mut h, 2, 60);
    let mut rows: Vec<String> = h
        .state()
        .queue()
        .rows()
        .iter()
        .map(|r| r.name.clone())
        .collect();
    rows.sort();
    assert_eq!(rows, ["beach.jpg", "dunes.jpg"]);
}
