//! The window's side of "already on your site" and "location removed": what the row says, and
//! "Upload again".

use egui_kittest::kittest::Queryable as _;
use little_exif::filetype::FileExtension;
use wixup::engine::JobState;

use super::location::with_gps;
use super::support::gui::{
    Window, clear_finished, drop_files, runtime_and_sandbox, until, until_all_done, until_shown,
    window_on_site,
};
use super::support::{oriented_jpeg, shared_testdata};

#[test]
fn a_photo_dropped_again_shows_it_is_on_the_site_and_upload_again_sends_it() {
    let (rt, env) = runtime_and_sandbox();
    let photo = env.path("beach.jpg");
    oriented_jpeg(&photo, 320, 200, 1);
    let mut h = window_on_site(&rt, &env);
    drop_files(&mut h, std::slice::from_ref(&photo));
    until_all_done(&mut h, 1, 30);
    let first = h.state().queue().rows()[0].result.clone().unwrap();
    clear_finished(&mut h);

    drop_files(&mut h, std::slice::from_ref(&photo));
    until_shown(&mut h, "the row saying the photo is on the site", 30, |h| {
        h.query_by_label_contains("Already on your site · uploaded ")
            .is_some()
    });
    let again = h.state().queue().rows()[0].result.clone().unwrap();
    assert_eq!(again.file_id, first.file_id);
    assert_eq!(again.url, first.url, "the row shows the earlier URL");
    assert!(again.already.is_some());
    h.get_by_label(&first.url.clone().unwrap());

    // Its buttons sit on one line with those of an ordinary finished row, Remove at the same
    // right edge, none over another.
    let other = env.path("menu.pdf");
    std::fs::write(&other, b"%PDF-1.4 not much of a menu").unwrap();
    drop_files(&mut h, std::slice::from_ref(&other));
    until_all_done(&mut h, 2, 30);
    h.run_steps(2);
    let rect = |h: &Window, label: &str| h.get_by_label(label).rect();
    let buttons = [
        "Copy URL of beach.jpg",
        "Open beach.jpg",
        "Upload again beach.jpg",
    ];
    let remove = rect(&h, "Remove beach.jpg");
    let plain_remove = rect(&h, "Remove menu.pdf");
    assert_eq!(
        remove.right(),
        plain_remove.right(),
        "Remove at the same right edge"
    );
    let mut last_right = f32::MIN;
    for b in buttons {
        let r = rect(&h, b);
        assert!(
            (r.center().y - remove.center().y).abs() < 1.0,
            "{b} at {r:?}, Remove at {remove:?}"
        );
        assert!(r.left() >= last_right, "{b} overlaps the button before it");
        last_right = r.right();
    }
    assert!(last_right <= remove.left(), "Upload again overlaps Remove");

    h.get_by_label("Upload again beach.jpg").click();
    until(&mut h, "a new upload of the same photo", 30, |a| {
        a.queue().rows().iter().any(|r| {
            r.state == JobState::Done
                && r.result
                    .as_ref()
                    .is_some_and(|x| x.already.is_none() && x.file_id != first.file_id)
        })
    });
}

#[test]
fn a_photo_sent_without_its_location_says_so() {
    let Some(dir) = shared_testdata() else { return };
    let (rt, env) = runtime_and_sandbox();
    let src = std::fs::read(dir.join("Landscape_6.jpg")).unwrap();
    let photos = env.path("photos");
    std::fs::create_dir_all(&photos).unwrap();
    let photo = with_gps(&src, &photos, "paris.jpg", FileExtension::JPEG);
    let mut h = window_on_site(&rt, &env);
    drop_files(&mut h, &[photo]);
    until_all_done(&mut h, 1, 30);
    until_shown(&mut h, "\"location removed\" on the row", 10, |h| {
        h.query_by_label_contains("location removed").is_some()
    });
}
