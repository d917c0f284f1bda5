//! The window with decompression bombs queued: both upload, neither gets a preview texture (the
//! rows show their file-type icon), and the process stays small.

use egui_kittest::Harness;
use wixup::gui::App;

use super::super::support::gui::{
    drop_files, runtime_and_sandbox, until, until_all_done, window_on_site,
};
use super::{gif_bomb, png_bomb};

/// Names of the row-preview textures the window holds.
fn thumb_textures(h: &Harness<'_, App>) -> Vec<String> {
    let tex = h.ctx.tex_manager();
    let tex = tex.read();
    tex.allocated()
        .filter(|(_, meta)| meta.name.starts_with("thumb-"))
        .map(|(_, meta)| meta.name.clone())
        .collect()
}

#[cfg(target_os = "linux")]
fn own_peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .expect("VmHWM")
        * 1024
}

#[test]
fn bombs_in_the_window_upload_and_their_rows_show_an_icon() {
    let (rt, env) = runtime_and_sandbox();
    let gif = env.path("in/bomb.gif");
    std::fs::create_dir_all(env.path("in")).expect("mkdir");
    std::fs::write(&gif, gif_bomb(16_384, 16_384)).expect("write");
    let png = env.path("in/bomb.png");
    std::fs::write(&png, png_bomb(50_000)).expect("write");
    // A small image beside them, to show previews work at all.
    let ok = env.path("in/fine.png");
    image::RgbImage::from_pixel(20, 10, image::Rgb([9, 9, 9]))
        .save(&ok)
        .expect("png");
    let mut h = window_on_site(&rt, &env);
    drop_files(&mut h, &[gif, png, ok]);
    until_all_done(&mut h, 3, 60);
    // Let every preview (local and the server's thumbnail) settle: the fine one gets a texture.
    // Every preview asked for (local files, then the server's thumbnails) settles.
    until(&mut h, "the previews", 60, |app| {
        app.previews_loading() == 0
    });
    h.run_steps(5);
    until(&mut h, "the previews", 60, |app| {
        app.previews_loading() == 0
    });
    let names = thumb_textures(&h);
    let ids: Vec<_> = h
        .state()
        .queue()
        .rows()
        .iter()
        .map(|r| (r.name.clone(), r.id))
        .collect();
    for (name, id) in ids {
        let local = names
            .iter()
            .any(|n| n.starts_with(&format!("thumb-Local({id:?})")));
        assert_eq!(local, name == "fine.png", "{name}: textures {names:?}");
    }
    let remote = names
        .iter()
        .filter(|n| n.starts_with("thumb-Remote"))
        .count();
    assert!(
        remote <= 1,
        "only the small image has a server thumbnail: {names:?}"
    );
    #[cfg(target_os = "linux")]
    {
        // The peak is the whole test process's, with other tests running beside this one (it
        // was seen at 409 MiB with the 10,000-entry history test beside it); a decoded bomb
        // would add at least its 1 GiB of RGBA (16,384² × 4) on top.
        let peak = own_peak_rss();
        assert!(
            peak < 768 * 1024 * 1024,
            "the test process peaked at {} MiB",
            peak >> 20
        );
    }
}
