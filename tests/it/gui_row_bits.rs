//! Smaller things seen in screenshots and by keyboard (issue 22 #14, #16), through the real
//! window: a cancelled row can be sent again, ⏷ says what it holds, History shows a video's icon
//! where the queue does, and Shift with the arrows extends the selection.

use egui::epaint::Shape;
use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable as _;
use wixup::engine::JobState;
use wixup::history;

use super::support::gui::{
    drop_files, finishes_with_the_same_bytes, history_entry, open_settings, painted,
    runtime_and_sandbox, site_options, state_of, until, until_all_done, until_shown, window,
};
use super::support::random_file;

/// Before, a cancelled row offered only Remove: sending the file again meant finding it and
/// dropping it again.
#[test]
fn a_cancelled_upload_can_be_uploaded_again() {
    let (rt, env) = runtime_and_sandbox();
    env.slow_patches(50);
    let mut h = window(site_options(&rt, &env, &env.path("app"), Some(256 << 10)));
    let file = random_file(&env.path("clips"), "clip.mov", 3 << 20);
    drop_files(&mut h, std::slice::from_ref(&file));
    until(&mut h, "clip.mov to send", 20, |a| {
        a.queue().rows().first().is_some_and(|r| r.acknowledged > 0)
    });
    h.get_by_label("Cancel clip.mov").click();
    until(&mut h, "the cancel", 20, |a| {
        state_of(a, "clip.mov") == Some(JobState::Cancelled)
    });
    h.run_steps(2);
    // On one line with Remove, left of it.
    let again = h.get_by_label("Upload again clip.mov").rect();
    let remove = h.get_by_label("Remove clip.mov").rect();
    assert!(
        (again.center().y - remove.center().y).abs() < 1.0,
        "{again:?} {remove:?}"
    );
    assert!(again.right() <= remove.left(), "{again:?} {remove:?}");
    h.get_by_label("Upload again clip.mov").click();
    finishes_with_the_same_bytes(&mut h, &rt, "clip.mov", &file, 60);
}

/// Before, ⏷ had no tooltip, and History drew an empty square for a video where the queue
/// draws a film icon.
#[test]
fn the_copy_menu_says_what_it_holds_and_history_shows_a_videos_icon() {
    let (rt, env) = runtime_and_sandbox();
    let data = env.path("app");
    let mut h = window(site_options(&rt, &env, &data, None));
    let file = random_file(&env.path("docs"), "notes.pdf", 20_000);
    drop_files(&mut h, std::slice::from_ref(&file));
    until_all_done(&mut h, 1, 30);
    h.run_steps(2);
    h.get_by_label("More copy formats for notes.pdf").hover();
    until_shown(&mut h, "the tooltip of ⏷", 10, |h| {
        h.query_by_label_contains("More copy formats: Markdown")
            .is_some()
    });

    let mut video = history_entry("holiday.mp4", 1_700_000_000);
    video.mime_type = "video/mp4".into();
    video.thumbnail_url = None;
    let other = env.path("app-2");
    std::fs::create_dir_all(&other).unwrap();
    history::append(&other, &video).unwrap();
    let mut h = window(site_options(&rt, &env, &other, None));
    h.get_by_label("History").click();
    until_shown(&mut h, "the video's entry", 20, |h| {
        h.query_by_label("History entry holiday.mp4").is_some()
    });
    h.run_steps(2);
    let icons = painted(&h)
        .iter()
        .filter(|s| matches!(s, Shape::Text(t) if t.galley.text() == "🎞"))
        .count();
    assert_eq!(icons, 1, "the video's entry shows the film icon");
}

/// Before, Shift+Up and Shift+Down moved the selection like the arrows alone.
#[test]
fn shift_and_the_arrows_extend_the_selection() {
    let (rt, env) = runtime_and_sandbox();
    let mut h = window(site_options(&rt, &env, &env.path("app"), None));
    let files: Vec<_> = (1..=4)
        .map(|i| random_file(&env.path("docs"), &format!("page-{i}.pdf"), 10_000))
        .collect();
    drop_files(&mut h, &files);
    until_all_done(&mut h, 4, 30);
    h.run_steps(2);
    h.get_by_label("Queue row page-2.pdf").click();
    h.run_steps(2);
    h.key_press_modifiers(Modifiers::SHIFT, Key::ArrowDown);
    h.run_steps(1);
    h.key_press_modifiers(Modifiers::SHIFT, Key::ArrowDown);
    h.run_steps(2);
    assert!(
        h.query_by_label("Copy 3 selected ▾").is_some(),
        "rows 2 to 4 selected"
    );
    // Back up past the anchor: rows 1 and 2.
    for _ in 0..3 {
        h.key_press_modifiers(Modifiers::SHIFT, Key::ArrowUp);
        h.run_steps(1);
    }
    h.run_steps(1);
    assert!(h.query_by_label("Copy 2 selected ▾").is_some());
    // The arrow alone selects one row again.
    h.key_press(Key::ArrowDown);
    h.run_steps(2);
    assert!(h.query_by_label_contains(" selected ▾").is_none());
}

/// Before, "Add link…" opened its window over the title, far from the button.
#[test]
fn the_link_window_opens_under_its_button() {
    let (rt, env) = runtime_and_sandbox();
    let mut h = window(site_options(&rt, &env, &env.path("app"), None));
    h.run_steps(2);
    let button = h.get_by_label("Add link").rect();
    for _ in 0..2 {
        h.get_by_label("Add link").click();
        h.run_steps(3);
        let field = h
            .get_by_role_and_label(egui::Role::TextInput, "Link to import")
            .rect();
        assert!(
            field.top() > button.bottom() && field.top() < button.bottom() + 120.0,
            "the field at {field:?}, the button at {button:?}"
        );
        assert!(
            (field.right() - button.right()).abs() < 60.0,
            "the field at {field:?}, the button at {button:?}"
        );
        h.key_press(Key::Escape);
        h.run_steps(3);
        assert!(
            h.query_by_label("Link to import").is_none(),
            "Escape closes it"
        );
    }
}

/// Before, Load folders on a site without folders showed nothing at all.
#[test]
fn load_folders_says_what_it_found() {
    let (rt, env) = runtime_and_sandbox();
    let mut h = window(site_options(&rt, &env, &env.path("app"), None));
    open_settings(&mut h);
    h.get_by_label("Load folders").click();
    until_shown(&mut h, "what Load folders found", 10, |h| {
        h.query_by_label_contains("No folders on the site yet")
            .is_some()
    });
    let wix = env.wix_client(wixup::retry::RetryPolicy::immediate(1));
    rt.block_on(wix.create_folder("Holiday 2026", None))
        .unwrap();
    h.get_by_label("Load folders").click();
    until_shown(&mut h, "the count of folders", 10, |h| {
        h.query_by_label_contains("1 folder loaded").is_some()
    });
}
