//! The journal forgets what is done: the CLI's finished uploads leave it once the history holds
//! them (and only then: one the history cannot take stays), a finished job keeps what its row
//! shows and not its upload URLs and tokens, and the journal a run leaves holds what is left.

use std::path::PathBuf;
use std::time::Duration;

use wixup::engine::{Event, JobState};

use super::cli::{json_lines, run, wixup};
use super::support::{
    Env, exits_with, journal_path, journal_table, random_file, start_and_add, wait_until_async,
};

/// Three small files (one-PUT) and one sent resumably.
fn files(env: &Env) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = (0..3)
        .map(|i| random_file(env.dir.path(), &format!("small-{i}.bin"), 40_000))
        .collect();
    files.push(random_file(env.dir.path(), "big.bin", 1_500_000));
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_upload_leaves_the_table_and_the_journal_once_the_history_holds_it() {
    let env = Env::start().await;
    let mut cfg = env.engine_config("data");
    cfg.keep_finished = false;
    cfg.one_put_below = 1_000_000;
    let (handle, mut events, ids) = start_and_add(cfg, files(&env)).await;
    for outcome in events.finish(&ids, 60).await {
        outcome.done();
    }
    // Each leaves once written to the history, while the engine runs.
    wait_until_async(
        "the finished jobs to leave the table",
        Duration::from_secs(20),
        async || handle.snapshot().await.is_empty(),
    )
    .await;
    let removed = |events: &super::support::Events| {
        events
            .seen
            .iter()
            .filter(|e| matches!(e, Event::Removed(id) if ids.contains(id)))
            .count()
    };
    while removed(&events) < ids.len() {
        events
            .wait_for(10, |e| matches!(e, Event::Removed(_)))
            .await;
    }
    assert_eq!(removed(&events), ids.len(), "each said so, once");
    let history = wixup::history::load(&env.path("data")).expect("history");
    assert_eq!(history.len(), ids.len());
    handle.shutdown().await;
    let (_, jobs) = journal_table(&env.path("data"));
    assert!(jobs.is_empty(), "{jobs:?}");
    // Compacted when the engine stopped: the header alone.
    let size = std::fs::metadata(journal_path(&env.path("data")))
        .expect("journal")
        .len();
    assert!(size < 100, "{size} bytes");
}

/// The history cannot be written (a folder stands in its place): a finished upload stays in
/// the journal, so the record of what was uploaded is never lost between the two files.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_upload_the_history_cannot_take_stays_in_the_journal() {
    let env = Env::start().await;
    std::fs::create_dir_all(env.path("data").join("history.jsonl")).expect("a folder");
    let mut cfg = env.engine_config("data");
    cfg.keep_finished = false;
    cfg.one_put_below = 1_000_000;
    let (handle, mut events, ids) = start_and_add(cfg, files(&env)).await;
    for outcome in events.finish(&ids, 60).await {
        outcome.done();
    }
    let told = |e: &Event| matches!(e, Event::History { unsaved, .. } if *unsaved > 0);
    if !events.seen.iter().any(told) {
        events.wait_for(20, told).await;
    }
    let jobs = handle.snapshot().await;
    assert_eq!(jobs.len(), ids.len(), "all kept");
    handle.shutdown().await;
    let (_, jobs) = journal_table(&env.path("data"));
    assert_eq!(jobs.len(), ids.len(), "{jobs:?}");
    for job in &jobs {
        assert_eq!(job["state"], "done", "{job}");
        assert!(job["result"]["url"].as_str().is_some(), "{job}");
        // Kept for the record, without what sent it.
        assert!(job["plain"].is_null() && job["session"].is_null(), "{job}");
    }
}

/// `wixup upload` of a batch leaves a journal of what is left to do (nothing), the history of
/// every file, and a `resume` with nothing to do; the window's finished rows (kept until Clear
/// finished) are not the CLI's to drop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_leaves_the_history_and_an_empty_journal() {
    let env = Env::start().await;
    let dir = env.dir.path().join("batch");
    std::fs::create_dir(&dir).expect("dir");
    for i in 0..40 {
        random_file(&dir, &format!("photo-{i:02}.bin"), 1000 + i);
    }
    let mut c = wixup(&env, "data");
    c.args(["upload", "--json"]).arg(&dir);
    let out = run(c).await;
    exits_with(&out, 0);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 40);
    assert!(lines.iter().all(|l| l["status"] == "done"), "{lines:?}");
    let history = wixup::history::load(&env.path("data")).expect("history");
    assert_eq!(history.len(), 40);
    let (_, jobs) = journal_table(&env.path("data"));
    assert!(jobs.is_empty(), "{jobs:?}");
    let size = std::fs::metadata(journal_path(&env.path("data")))
        .expect("journal")
        .len();
    assert!(size < 100, "{size} bytes");

    // The same files again: each found on the site through the history, nothing sent.
    let puts = env.stat(|s| &s.plain_puts);
    let mut c = wixup(&env, "data");
    c.args(["upload", "--json"]).arg(&dir);
    let out = run(c).await;
    exits_with(&out, 0);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 40);
    assert_eq!(env.stat(|s| &s.plain_puts), puts, "nothing sent again");
    let (_, jobs) = journal_table(&env.path("data"));
    assert!(jobs.is_empty(), "found ones leave too: {jobs:?}");

    let mut c = wixup(&env, "data");
    c.arg("resume");
    let out = run(c).await;
    exits_with(&out, 0);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("Nothing to resume"), "{said}");
}

/// A job the window shows (kept until Clear finished) is compacted when it finishes too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_finished_job_keeps_its_row_not_its_urls() {
    let env = Env::start().await;
    let cfg = env.engine_config("data");
    assert!(cfg.keep_finished, "the window's default");
    let (handle, mut events, ids) = start_and_add(cfg, files(&env)[..1].to_vec()).await;
    events.finish(&ids, 60).await[0].done();
    let jobs = handle.snapshot().await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].state, JobState::Done);
    assert!(jobs[0].plain.is_none() && jobs[0].session.is_none());
    assert!(jobs[0].result.as_ref().is_some_and(|r| r.url.is_some()));
    handle.shutdown().await;
}
