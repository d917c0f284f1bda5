//! The window shows what the engine's events say, and only that: a waiting row waits, a row
//! says "Checking file…" while the engine checks it, and History takes finished uploads from
//! events (the file is read once), keeping its selection.

use std::path::Path;
use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use wixup::engine::JobState;
use wixup::gui::App;
use wixup::history;
use wixup::sandbox::{FaultKind, Rule};
use wixup::settings::Settings;

use super::dedupe::delete_on_site;
use super::support::gui::{
    connected, copied_texts, done, drop_files, harness, history_entry as entry, runtime,
    site_options, until, until_shown,
};
use super::support::{Env, random_file};

/// Saves "Uploads at once: 1", as the Settings window does.
fn one_at_a_time(data: &Path) {
    let mut s = Settings::load(data).unwrap();
    s.parallel_auto = false;
    s.parallel = 1;
    s.save(data).unwrap();
}

fn row_state(app: &App, name: &str) -> Option<(JobState, bool)> {
    let row = app.queue().rows().iter().find(|r| r.name == name)?;
    Some((row.state, row.checking))
}

/// Every status line and label on screen, for a failure message.
fn labels(h: &Harness<'_, App>) -> Vec<String> {
    h.query_all_by_label_contains("")
        .filter_map(|n| n.accesskit_node().label().or_else(|| n.value()))
        .collect()
}

#[test]
fn a_row_waiting_for_a_slot_says_waiting() {
    let rt = runtime();
    let env = rt.block_on(Env::start());
    env.slow_patches(200);
    let data = env.path("app");
    let opts = site_options(&rt, &env, &data, Some(256 << 10));
    one_at_a_time(&data);
    let first = random_file(&env.path("in"), "first.bin", 4 << 20);
    let second = random_file(&env.path("in"), "second.bin", 64 << 10);
    let mut h = harness(opts);
    connected(&mut h);
    drop_files(&mut h, &[first, second]);
    until(&mut h, "first.bin sending", 20, |a| {
        a.queue()
            .rows()
            .iter()
            .any(|r| r.name == "first.bin" && r.acknowledged > 0)
    });
    h.run_steps(2);
    // One slot, taken by first.bin: second.bin waits, and nothing is checking it.
    assert_eq!(
        row_state(h.state(), "second.bin"),
        Some((JobState::Queued, false))
    );
    assert!(
        h.query_by_label("Waiting").is_some(),
        "the waiting row says so: {:?}",
        labels(&h)
    );
    assert!(
        h.query_by_label("Checking file…").is_none(),
        "nothing is being checked: {:?}",
        labels(&h)
    );
}

#[test]
fn a_file_being_checked_says_so_and_then_waits_for_its_slot() {
    let rt = runtime();
    let env = rt.block_on(Env::start());
    let data = env.path("app");
    let opts = site_options(&rt, &env, &data, Some(256 << 10));
    one_at_a_time(&data);
    let again = random_file(&env.path("in"), "again.bin", 100 << 10);
    let mut h = harness(opts);
    connected(&mut h);
    // Uploaded once, then deleted on the site: the history still names it, so dropping it
    // again has the engine look for it (hash, then get-file-by-id), and not find it.
    drop_files(&mut h, std::slice::from_ref(&again));
    until(&mut h, "the first upload", 30, |a| done(a, "again.bin"));
    let file_id = h.state().queue().rows()[0]
        .result
        .as_ref()
        .unwrap()
        .file_id
        .clone();
    h.get_by_label("Clear finished").click();
    until(&mut h, "an empty queue", 10, |a| a.queue().is_empty());
    rt.block_on(delete_on_site(&env, &file_id));

    // The one slot is taken by a slow upload.
    env.slow_patches(300);
    let slow = random_file(&env.path("in"), "slow.bin", 8 << 20);
    drop_files(&mut h, &[slow]);
    until(&mut h, "slow.bin sending", 20, |a| {
        a.queue()
            .rows()
            .iter()
            .any(|r| r.name == "slow.bin" && r.acknowledged > 0)
    });
    // The site takes 3 s to answer whether the earlier upload is there.
    let checks = env.stat(|s| &s.status_requests);
    env.sandbox.faults.add(Rule::nth(
        Some(axum::http::Method::GET),
        "get-file-by-id",
        1,
        FaultKind::Latency(Duration::from_secs(3)),
    ));
    drop_files(&mut h, std::slice::from_ref(&again));
    until_shown(
        &mut h,
        "\"Checking file…\" while the site is asked",
        10,
        |h| h.query_by_label("Checking file…").is_some(),
    );
    assert_eq!(
        row_state(h.state(), "again.bin"),
        Some((JobState::Queued, true))
    );
    until_shown(
        &mut h,
        "\"Waiting\" once the check found nothing and slow.bin holds the slot",
        20,
        |h| h.query_by_label("Waiting").is_some(),
    );
    assert_eq!(
        row_state(h.state(), "again.bin"),
        Some((JobState::Queued, false))
    );
    assert!(
        env.stat(|s| &s.status_requests) > checks,
        "the site was asked"
    );
    assert!(h.query_by_label("Checking file…").is_none());
}

#[test]
fn a_finished_upload_joins_history_from_its_event_and_keeps_the_selection() {
    let rt = runtime();
    let env = rt.block_on(Env::start());
    let data = env.path("app");
    std::fs::create_dir_all(&data).unwrap();
    let t0 = 1_795_000_000;
    for (i, name) in ["old-a.jpg", "old-b.jpg", "old-c.jpg"].iter().enumerate() {
        history::append(&data, &entry(name, t0 + i as u64)).unwrap();
    }
    let mut h = harness(site_options(&rt, &env, &data, Some(256 << 10)));
    connected(&mut h);
    h.get_by_label("History").click();
    until_shown(&mut h, "the three entries", 20, |h| {
        h.query_by_label("History entry old-c.jpg").is_some()
    });
    h.get_by_label("History entry old-a.jpg").click();
    h.run_steps(2);
    h.get_by_label("History entry old-c.jpg")
        .click_modifiers(egui::Modifiers::COMMAND);
    h.run_steps(2);
    assert!(h.query_by_label_contains("2 of 3 selected").is_some());

    // The file is replaced behind the window's back: what the window shows from now on can
    // only come from events.
    let file = data.join("history.jsonl");
    assert!(file.is_file(), "{} holds the history", file.display());
    std::fs::remove_file(&file).unwrap();
    history::append(&data, &entry("replaced.jpg", t0 + 10)).unwrap();

    env.slow_patches(250);
    let fresh = random_file(&env.path("in"), "fresh.bin", 4 << 20);
    drop_files(&mut h, &[fresh]);
    until(&mut h, "fresh.bin sending", 20, |a| {
        a.queue()
            .rows()
            .iter()
            .any(|r| r.name == "fresh.bin" && r.acknowledged > 0)
    });
    // A drop shows the queue; back to History while fresh.bin is still on its way.
    h.get_by_label("History").click();
    h.run_steps(2);
    assert_eq!(
        h.state().queue().totals().done,
        0,
        "fresh.bin finished before History was open again: the test needs slower PATCHes"
    );
    assert!(
        h.query_by_label_contains("2 of 3 selected").is_some(),
        "opening the tab keeps the selection: {:?}",
        labels(&h)
    );
    until_shown(&mut h, "fresh.bin in History", 30, |h| {
        h.query_by_label("History entry fresh.bin").is_some()
    });
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("2 of 4 selected").is_some(),
        "the selection is kept as the new entry arrives: {:?}",
        labels(&h)
    );
    for name in ["old-a.jpg", "old-b.jpg", "old-c.jpg"] {
        h.get_by_label(&format!("History entry {name}"));
    }
    assert!(
        h.query_by_label("History entry replaced.jpg").is_none(),
        "the file was read again"
    );
    let first = h
        .query_all_by_label_contains("History entry ")
        .next()
        .and_then(|n| n.accesskit_node().label());
    assert_eq!(
        first.as_deref(),
        Some("History entry fresh.bin"),
        "newest first"
    );
    // The same two entries are selected: Ctrl+C copies their URLs, newest first.
    h.event(egui::Event::Copy);
    h.run_steps(1);
    assert_eq!(
        copied_texts(&h),
        ["http://127.0.0.1:9/media/old-c.jpg\nhttp://127.0.0.1:9/media/old-a.jpg\n"]
    );
}
