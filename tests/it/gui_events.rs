//! The window shows what the engine's events say, and only that: a waiting row waits, and a
//! row says "Checking file…" while the engine checks it.

use std::path::Path;
use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use wixup::engine::JobState;
use wixup::gui::App;
use wixup::sandbox::{FaultKind, Rule};
use wixup::settings::Settings;

use super::dedupe::delete_on_site;
use super::gui::{connected, done, drop_files, harness, runtime, site_options, until, until_shown};
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
