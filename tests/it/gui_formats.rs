//! In the window, a video and a TIFF from a camera, each with a location, dropped with the
//! default settings: both rows end "location removed" and the site has neither location; the
//! TIFF gets a preview from the bounded decoder, a HEIC (no decoder here) the type's icon.

use egui_kittest::kittest::Queryable as _;
use wixup::history;

use super::support::gui::{
    connected, drop_files, harness, runtime, site_options, until, until_shown,
};
use super::support::real_files::{location_tags, nine, tags, tools_here};
use super::support::{Env, get};

#[test]
fn a_video_and_a_tiff_dropped_in_the_window_lose_their_location_and_say_so() {
    if !tools_here() {
        return;
    }
    let rt = runtime();
    let env = rt.block_on(Env::start());
    let data = env.path("app");
    let made = nine(env.dir.path());
    let pick = |label: &str| {
        made.iter()
            .find(|m| m.label == label)
            .expect("made")
            .path
            .clone()
    };
    let (mov, tiff, heic) = (pick("MOV from an iPhone"), pick("TIFF"), pick("HEIC"));
    let mut h = harness(site_options(&rt, &env, &data, None));
    connected(&mut h);
    drop_files(&mut h, &[mov.clone(), tiff.clone()]);
    until(&mut h, "both uploads in the history", 30, |_| {
        history::load(&data).is_ok_and(|e| e.len() >= 2)
    });
    until_shown(&mut h, "two rows saying so", 10, |h| {
        h.query_all_by_label_contains("location removed").count() >= 2
    });
    for entry in history::load(&data).expect("history") {
        assert!(entry.location_removed, "{entry:?}");
        let (_, served) = rt.block_on(get(entry.url.as_deref().expect("url")));
        let file = env.path(&format!("served-{}", entry.name));
        std::fs::write(&file, served).expect("write");
        assert_eq!(
            location_tags(&tags(&file)),
            Vec::<String>::new(),
            "{}",
            entry.name
        );
    }
    // Previews: the bounded decoder reads TIFF; HEIC has none here (the row shows the icon).
    let thumb = wixup::gui::decode_thumbnail(&tiff).expect("a TIFF preview");
    assert!(thumb.size[0] > 0 && thumb.size[1] > 0);
    assert!(
        wixup::gui::decode_thumbnail(&heic).is_none(),
        "no HEIC decoder here"
    );
}
