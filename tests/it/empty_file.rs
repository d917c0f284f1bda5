//! A 0-byte file fails at once, saying it is empty, before anything is created on the server;
//! such a failure is for good: "Retry failed", the row and `wixup resume` do not try it again
//! (a JPEG XL file Wix refuses by its content is one too).

use std::path::Path;

use wixup::engine::{Command, JobState};

use super::cli::{run, wixup};
use super::support::{Env, exits_with, start_and_add};

const EMPTY_SAYS: &str = "empty.jpg is empty (0 bytes); there is nothing to upload";

/// Nothing reached the sandbox: no REST call (no upload URL), no tus creation, no byte.
fn nothing_on_the_server(env: &Env) {
    for (what, n) in [
        ("REST calls", env.stat(|s| &s.rest_requests)),
        ("tus creations", env.stat(|s| &s.uploads_created)),
        ("one-PUTs", env.stat(|s| &s.plain_puts)),
        ("bytes", env.stat(|s| &s.bytes_received)),
    ] {
        assert_eq!(n, 0, "{what} reached the server");
    }
}

fn empty_file(dir: &Path) -> std::path::PathBuf {
    std::fs::create_dir_all(dir).expect("mkdir");
    let path = dir.join("empty.jpg");
    std::fs::write(&path, b"").expect("write");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_file_fails_for_good_before_anything_is_created_and_retry_failed_leaves_it() {
    let env = Env::start().await;
    let file = empty_file(&env.path("in"));
    // Both ways a file goes: one PUT (small files) and tus.
    for (data, config) in [
        ("one-put", env.engine_config("one-put")),
        ("tus", env.tus_engine_config("tus")),
    ] {
        let (handle, mut events, added) = start_and_add(config, vec![file.clone()]).await;
        let outcomes = events.finish(&added, 30).await;
        let error = outcomes[0].failed();
        assert_eq!(error.message, EMPTY_SAYS, "{data}");
        assert!(error.permanent, "{data}: {error:?}");
        nothing_on_the_server(&env);
        // "Retry failed" would fail again at once: it leaves the row as it is.
        handle.send(Command::RetryFailed);
        let jobs = handle.snapshot().await;
        assert_eq!(jobs[0].state, JobState::Failed, "{data}");
        handle.shutdown().await;
        nothing_on_the_server(&env);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jpeg_xl_file_wix_refuses_fails_for_good() {
    let env = Env::start().await;
    let file = env.path("photo.jpg");
    let container = [
        &b"\0\0\0\x0cJXL \r\n\x87\n\0\0\0\x14ftypjxl "[..],
        &[7u8; 4000],
    ]
    .concat();
    std::fs::write(&file, container).expect("write");
    let (handle, mut events, added) = start_and_add(env.engine_config("data"), vec![file]).await;
    let outcomes = events.finish(&added, 30).await;
    let error = outcomes[0].failed();
    assert!(
        error.message.contains("JPEG XL files are not accepted"),
        "{error:?}"
    );
    assert_eq!(error.status, Some(406));
    assert!(error.permanent, "{error:?}");
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wixup_says_an_empty_file_is_empty_and_does_not_promise_that_resume_retries_it() {
    let env = Env::start().await;
    let file = empty_file(&env.path("in"));
    let mut c = wixup(&env, "data");
    c.arg("upload").arg(&file);
    let out = run(c).await;
    exits_with(&out, 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(EMPTY_SAYS), "{stderr}");
    assert!(!stderr.contains("wixup resume"), "{stderr}");
    nothing_on_the_server(&env);

    let mut c = wixup(&env, "data");
    c.arg("resume");
    let out = run(c).await;
    exits_with(&out, 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{}: {EMPTY_SAYS}; `wixup resume` does not try it again: fix the file, then upload it with `wixup upload`",
            file.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("Nothing else to resume: 1 failed upload could not be tried again"),
        "{stderr}"
    );
    nothing_on_the_server(&env);
}

#[cfg(feature = "gui")]
#[test]
fn an_empty_files_row_offers_no_retry_and_retry_failed_stays_off() {
    use egui_kittest::kittest::{NodeT as _, Queryable as _};

    use super::support::gui::{drop_files, runtime_and_sandbox, until_shown, window_on_site};

    let (rt, env) = runtime_and_sandbox();
    let file = empty_file(&env.path("in"));
    let mut h = window_on_site(&rt, &env);
    drop_files(&mut h, &[file]);
    until_shown(&mut h, "the empty file's failed row", 20, |h| {
        h.query_by_label_contains(EMPTY_SAYS).is_some()
    });
    assert!(h.query_by_label("Remove empty.jpg").is_some());
    assert!(
        h.query_by_label("Retry empty.jpg").is_none(),
        "a Retry that would fail again at once"
    );
    assert!(
        h.get_by_label("Retry failed")
            .accesskit_node()
            .is_disabled(),
        "Retry failed offered for a file that cannot succeed"
    );
    // (The window's own REST calls, the connection and its folders, are not the file's.)
    assert_eq!(env.stat(|s| &s.uploads_created), 0);
    assert_eq!(env.stat(|s| &s.plain_puts), 0);
}
