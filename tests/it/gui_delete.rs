//! Removing rows through the real window (egui_kittest, by accessible name): Delete on uploads
//! in progress asks first, and "Keep" leaves them as they were (the running one goes on, the
//! paused one resumes and both reach the site whole); finished rows go at once; rows added to a
//! full list are brought into view.

use std::path::PathBuf;

use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use wixup::engine::JobState;
use wixup::gui::App;

use super::support::gui::{
    Window, connected, drop_files, finishes_with_the_same_bytes, harness_sized,
    runtime_and_sandbox, site_options, state_of, until, until_all_done, until_shown, window,
};
use super::support::random_file;

const CHUNK: u64 = 256 << 10;

fn acked(app: &App, name: &str) -> u64 {
    let rows = app.queue().rows();
    rows.iter()
        .find(|r| r.name == name)
        .map_or(0, |r| r.acknowledged)
}

fn files(env: &super::support::Env, names: &[&str], size: usize) -> Vec<PathBuf> {
    names
        .iter()
        .map(|n| random_file(&env.path("in"), n, size))
        .collect()
}

/// Ctrl+A, then Delete, as a person presses them (the selection lands before Delete reads it).
fn select_all_and_delete(h: &mut Window) {
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.step();
    h.key_press(Key::Delete);
    h.step();
}

/// Waits for the question, then lets its first frame (measured, invisibly) pass.
fn until_asked(h: &mut Window, question: &str) {
    until_shown(h, &format!("the question {question:?}"), 10, |h| {
        h.query_by_label(question).is_some()
    });
    h.run_steps(2);
}

fn asking(h: &Harness<'_, App>) -> bool {
    h.query_by_label("Keep").is_some()
}

/// Before, Ctrl+A then Delete removed a running and a paused upload with no question: their
/// progress was gone for good.
#[test]
fn delete_asks_before_removing_uploads_in_progress_and_keep_loses_nothing() {
    let (rt, env) = runtime_and_sandbox();
    env.slow_patches(100);
    let size = 24 << 20;
    let both = files(&env, &["paused.bin", "running.bin"], size);
    let mut h = window(site_options(&rt, &env, &env.path("app"), Some(CHUNK)));
    drop_files(&mut h, &both);
    until(&mut h, "both uploading", 30, |a| {
        acked(a, "paused.bin") > 0 && acked(a, "running.bin") > 0
    });
    h.get_by_label("Pause paused.bin").click();
    until(&mut h, "paused.bin paused", 10, |a| {
        state_of(a, "paused.bin") == Some(JobState::Paused)
    });
    let at_pause = acked(h.state(), "paused.bin");
    assert_eq!(
        state_of(h.state(), "running.bin"),
        Some(JobState::Uploading)
    );

    select_all_and_delete(&mut h);
    until_asked(&mut h, "Remove 2 uploads in progress?");
    assert_eq!(
        h.state().queue().len(),
        2,
        "nothing removed before the answer"
    );
    h.get_by_label("Keep").click();
    until_shown(&mut h, "the question to close", 10, |h| !asking(h));
    assert_eq!(h.state().queue().len(), 2, "Keep keeps both");
    assert_eq!(state_of(h.state(), "paused.bin"), Some(JobState::Paused));
    assert!(acked(h.state(), "paused.bin") >= at_pause);
    assert_eq!(
        state_of(h.state(), "running.bin"),
        Some(JobState::Uploading)
    );

    // Both still resumable: the paused one continues from where it stopped.
    env.sandbox.faults.clear();
    h.get_by_label("Resume paused.bin").click();
    for (f, name) in both.iter().zip(["paused.bin", "running.bin"]) {
        finishes_with_the_same_bytes(&mut h, &rt, name, f, 60);
    }
    assert_eq!(env.stat(|s| &s.files_created), 2);
    let sent = env.stat(|s| &s.bytes_received);
    assert!(
        sent <= 2 * size as u64 + 4 * CHUNK,
        "continued, not started over: {sent} bytes for two files of {size}"
    );

    // Answered "Remove": the uploads in progress go; the finished rows went without asking.
    env.slow_patches(100);
    let more = files(&env, &["third.bin", "fourth.bin"], size);
    drop_files(&mut h, &more);
    until(&mut h, "the new two uploading", 30, |a| {
        acked(a, "third.bin") > 0 && acked(a, "fourth.bin") > 0
    });
    select_all_and_delete(&mut h);
    until_asked(&mut h, "Remove 2 uploads in progress?");
    until(&mut h, "the finished rows gone", 10, |a| {
        a.queue().len() == 2
    });
    h.get_by_label("Remove").click();
    until(&mut h, "an empty queue", 10, |a| a.queue().is_empty());
    assert!(!asking(&h));
}

/// Finished rows go at once; Delete on one selected running row asks, and Escape keeps it.
#[test]
fn finished_rows_go_at_once_and_a_running_row_is_asked_about() {
    let (rt, env) = runtime_and_sandbox();
    let small = files(&env, &["one.bin", "two.bin"], 40_000);
    let mut h = window(site_options(&rt, &env, &env.path("app"), None));
    drop_files(&mut h, &small);
    until_all_done(&mut h, 2, 30);
    select_all_and_delete(&mut h);
    until_shown(&mut h, "the finished rows gone, unasked", 10, |h| {
        assert!(!asking(h), "asked about finished rows");
        h.state().queue().is_empty()
    });

    drop(h);
    env.slow_patches(100);
    let big = files(&env, &["big.bin"], 24 << 20);
    let mut h = window(site_options(&rt, &env, &env.path("app2"), Some(CHUNK)));
    drop_files(&mut h, &big);
    until(&mut h, "big.bin uploading", 30, |a| acked(a, "big.bin") > 0);
    h.get_by_label("Queue row big.bin").click();
    h.step();
    h.key_press(Key::Delete);
    until_asked(&mut h, "Remove an upload in progress?");
    h.key_press(Key::Escape);
    until_shown(&mut h, "the question to close", 10, |h| !asking(h));
    assert_eq!(state_of(h.state(), "big.bin"), Some(JobState::Uploading));
    env.sandbox.faults.clear();
    finishes_with_the_same_bytes(&mut h, &rt, "big.bin", &big[0], 60);
}

/// Before, a file dropped on a full list got its row below the visible area, and nothing
/// seemed to happen.
#[test]
fn a_row_added_to_a_full_list_is_brought_into_view() {
    let (rt, env) = runtime_and_sandbox();
    let names: Vec<String> = (0..40).map(|i| format!("f{i:02}.bin")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let many = files(&env, &names, 2_000);
    let opts = site_options(&rt, &env, &env.path("app"), None);
    let mut h = harness_sized(opts, 800.0, 500.0);
    connected(&mut h);
    drop_files(&mut h, &many);
    until_all_done(&mut h, 40, 60);
    h.run_steps(2);
    assert!(
        h.query_by_label("Queue row f39.bin").is_none(),
        "the list is fuller than the window"
    );

    let late = files(&env, &["late.bin"], 2_000);
    drop_files(&mut h, &late);
    until(&mut h, "the new row", 10, |a| a.queue().len() == 41);
    h.run_steps(3);
    let row = h
        .query_by_label("Queue row late.bin")
        .expect("the new row is drawn")
        .rect();
    let status_bar = h.get_by_label("Copy all ▾").rect().min.y;
    assert!(
        row.min.y >= 0.0 && row.max.y <= status_bar,
        "the new row at {row:?} is outside the list (status bar at {status_bar})"
    );
}
