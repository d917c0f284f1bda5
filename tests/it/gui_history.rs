//! The History tab as a small library: thumbnails from the cache, the Copy forms, local dates, a
//! name search and a day filter, and a selection, through the real window (egui_kittest).

use egui::epaint::Shape;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use jiff::tz::TimeZone;
use wixup::gui::App;
use wixup::history;

use super::support::gui::{
    clear_finished, copied_texts, drop_files, history_entry, painted, runtime_and_sandbox,
    site_options, text, until_all_done, until_shown, window,
};
use super::support::oriented_jpeg;

/// Images painted with a texture (thumbnails), in the last frame.
fn textured_meshes(h: &Harness<'_, App>) -> usize {
    let textured = |shape: &Shape| match shape {
        Shape::Mesh(m) => m.texture_id != egui::TextureId::default(),
        Shape::Rect(r) => r.fill_texture_id() != egui::TextureId::default(),
        _ => false,
    };
    painted(h).iter().filter(|s| textured(s)).count()
}

#[test]
fn finished_photos_show_in_history_with_thumbnails_and_copy_forms() {
    let (rt, env) = runtime_and_sandbox();
    let data = env.path("app");
    let photos = env.path("photos");
    std::fs::create_dir_all(&photos).unwrap();
    let a = photos.join("harbour.jpg");
    oriented_jpeg(&a, 320, 200, 6);
    let b = photos.join("market.jpg");
    oriented_jpeg(&b, 200, 120, 1);
    let mut h = window(site_options(&rt, &env, &data, None));
    drop_files(&mut h, &[a, b]);
    until_all_done(&mut h, 2, 30);
    clear_finished(&mut h);
    h.get_by_label("History").click();
    until_shown(&mut h, "two entries with their thumbnails", 20, |h| {
        h.query_by_label("History entry harbour.jpg").is_some() && textured_meshes(h) >= 2
    });
    let entries = history::load(&data).unwrap();
    let harbour = entries.iter().find(|e| e.name == "harbour.jpg").unwrap();
    let url = harbour.url.clone().unwrap();
    h.get_by_label("More copy formats for harbour.jpg").click();
    h.run_steps(2);
    h.get_by_label("Copy Markdown").click();
    h.step();
    assert_eq!(copied_texts(&h), vec![format!("![harbour.jpg]({url})")]);
}

/// The local day (as the tab lists it) of a Unix time.
fn local_day(unix: u64) -> String {
    jiff::Timestamp::from_second(unix as i64)
        .unwrap()
        .to_zoned_datetime(TimeZone::system())
        .strftime("%Y-%m-%d")
        .to_string()
}

#[test]
fn ten_thousand_entries_filter_by_day_and_select() {
    let (rt, env) = runtime_and_sandbox();
    let data = env.path("app");
    std::fs::create_dir_all(&data).unwrap();
    // Three days at noon UTC, 10,000 entries in all, the newest day holding 10 of them.
    let day0 = 1_795_000_000 - 1_795_000_000 % 86_400 + 43_200;
    for i in 0..10_000u64 {
        let (day, n) = if i >= 9_990 { (2, i) } else { (i % 2, i) };
        history::append(
            &data,
            &history_entry(&format!("photo-{n:05}.jpg"), day0 + day * 86_400 + i),
        )
        .unwrap();
    }
    let mut h = window(site_options(&rt, &env, &data, None));
    h.get_by_label("History").click();
    until_shown(&mut h, "the history", 20, |h| {
        h.query_by_label("History entry photo-09999.jpg").is_some()
    });
    assert!(h.query_by_label_contains("10000 shown").is_some());
    // Only what is on screen is drawn.
    let rows = h.query_all_by_label_contains("History entry ").count();
    assert!(rows < 40, "{rows} entries drawn");

    let newest = local_day(day0 + 2 * 86_400 + 9_999);
    h.get_by_label("Day").click();
    h.run_steps(2);
    h.get_by_label(&newest).click();
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("10 shown").is_some(),
        "the day filter"
    );
    assert!(h.query_by_label("History entry photo-00000.jpg").is_none());

    // Click one, Ctrl+click another, Shift+click a range.
    h.get_by_label("History entry photo-09999.jpg").click();
    h.run_steps(2);
    assert!(h.query_by_label_contains("1 of 10 selected").is_some());
    h.get_by_label("History entry photo-09995.jpg")
        .click_modifiers(egui::Modifiers::COMMAND);
    h.run_steps(2);
    assert!(h.query_by_label_contains("2 of 10 selected").is_some());
    h.get_by_label("History entry photo-09990.jpg")
        .click_modifiers(egui::Modifiers::SHIFT);
    h.run_steps(2);
    // The range runs from the last plain or Ctrl click (09995) to 09990: six entries.
    let label = h
        .query_all_by_label_contains("selected")
        .map(|n| text(&n))
        .collect::<Vec<_>>();
    assert!(
        h.query_by_label_contains("6 of 10 selected").is_some(),
        "{label:?}"
    );
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run_steps(2);
    assert!(h.query_by_label_contains("10 of 10 selected").is_some());
}
