//! A saved setting applies to the next file dropped, at once: no restart, no reconnect. (Before,
//! "Remove location from photos and videos" and "Skip files already on the site" were the engine's, read
//! when it started: the window said "Settings saved." and went on as before.)

use std::path::Path;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use little_exif::filetype::FileExtension;
use wixup::gui::App;
use wixup::history::{self, HistoryEntry};

use super::location::{gps, with_gps};
use super::support::gui::{
    connected, drop_files, harness, runtime, site_options, until, until_shown,
};
use super::support::{Env, get, oriented_jpeg};

/// Settings → click the checkbox `label` → Save, and wait until the window closed.
fn toggle_and_save(h: &mut Harness<'_, App>, label: &str) {
    h.get_by_label("Settings").click();
    h.run_steps(2);
    h.get_by_label(label).click();
    h.run_steps(2);
    h.get_by_label("Save").click();
    until_shown(h, "the Settings window closed after Save", 10, |h| {
        h.query_by_label("Save").is_none()
    });
}

/// Drops `photo` and waits until the history has `n` entries; the newest one.
fn upload(h: &mut Harness<'_, App>, data: &Path, photo: &Path, n: usize) -> HistoryEntry {
    drop_files(h, &[photo.to_path_buf()]);
    until(h, "the upload in the history", 30, |_| {
        history::load(data).is_ok_and(|e| e.len() >= n)
    });
    history::load(data).expect("history").remove(0)
}

#[test]
fn a_saved_choice_applies_to_the_next_drop_without_a_restart() {
    let rt = runtime();
    let env = rt.block_on(Env::start());
    let data = env.path("app");
    let plain = env.path("plain.jpg");
    oriented_jpeg(&plain, 320, 200, 6);
    let src = std::fs::read(&plain).expect("read");
    let photo = with_gps(&src, env.dir.path(), "trip.jpg", FileExtension::JPEG);
    let again = env.dir.path().join("again");
    std::fs::create_dir_all(&again).expect("mkdir");
    let second = with_gps(&src, &again, "trip.jpg", FileExtension::JPEG);
    let original = std::fs::read(&photo).expect("read");
    let mut h = harness(site_options(&rt, &env, &data, None));
    connected(&mut h);

    // On by default: turned off and saved, the next photo goes up with its location.
    toggle_and_save(&mut h, "Remove location from photos and videos");
    let kept = upload(&mut h, &data, &photo, 1);
    assert!(!kept.location_removed);
    let (_, served) = rt.block_on(get(kept.url.as_deref().expect("url")));
    assert!(
        served == original,
        "served byte for byte, location included"
    );

    // Turned on again and saved: the same photo (another copy, so it is no duplicate of the
    // first, which was sent with its location) goes up without it.
    toggle_and_save(&mut h, "Remove location from photos and videos");
    let removed = upload(&mut h, &data, &second, 2);
    assert!(removed.location_removed);
    let (_, served) = rt.block_on(get(removed.url.as_deref().expect("url")));
    assert_eq!(gps(&served, FileExtension::JPEG), 0, "no GPS on the site");

    // "Skip files already on the site" turned off: the same photo is sent again as a new file.
    toggle_and_save(&mut h, "Skip files already on the site");
    let uploads = env.stat(|s| &s.files_created);
    let sent_again = upload(&mut h, &data, &second, 3);
    assert_ne!(
        sent_again.file_id, removed.file_id,
        "a new file, not the earlier one"
    );
    assert_eq!(env.stat(|s| &s.files_created), uploads + 1);
}
