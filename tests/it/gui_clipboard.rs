//! Ctrl+V in the window, read off the UI thread from the clipboard (here one the test fills, as
//! a file manager, an editor or a screenshot tool would): files copied in a file manager are
//! queued like a drop, pasted paths, folders, links and images too, and a text field that has
//! the keyboard gets the text, never the files. Ctrl+C copies the selection by its keys.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable as _;

use super::support::gui::{
    TestClipboard, copied_texts, ctrl_v, finishes_with_the_same_bytes, runtime_and_sandbox,
    site_options, until, until_shown, window,
};
use super::support::{get, random_file};

/// A `file://` URI as a file manager writes it (spaces and non-ASCII percent-encoded).
fn uri(path: &std::path::Path) -> String {
    url::Url::from_file_path(path).unwrap().to_string()
}

#[test]
fn files_copied_in_a_file_manager_are_queued_by_ctrl_v_like_a_drop() {
    let (rt, env) = runtime_and_sandbox();
    let data = env.path("app");
    let album = env.path("My album é");
    let a = random_file(&album, "a.bin", 20_000);
    let b = random_file(&album.join("inner"), "b.bin", 30_000);
    random_file(&album, ".DS_Store", 6_148);
    let lone = random_file(&env.path("elsewhere"), "lone photo.bin", 12_000);
    let clip = Arc::new(TestClipboard::default());
    // Nautilus's `x-special/gnome-copied-files`: "copy", then one URI a line; the paths are
    // offered as text too, which a paste into the queue does not need.
    *clip.uri_list.lock().unwrap() = format!("copy\n{}\n{}", uri(&album), uri(&lone)).into();
    *clip.text.lock().unwrap() = Some("ignored when files are offered".into());
    let mut opts = site_options(&rt, &env, &data, None);
    opts.clipboard = clip.clone();
    let mut h = window(opts);

    ctrl_v(&mut h);
    until(&mut h, "three uploads", 20, |app| {
        app.queue().totals().done == 3 && app.queue().rows().iter().all(|r| r.result.is_some())
    });
    assert_eq!(h.state().queue().len(), 3, "the .DS_Store is skipped");
    assert_eq!(clip.reads.load(Ordering::SeqCst), 1);
    for (name, path) in [("a.bin", &a), ("b.bin", &b), ("lone photo.bin", &lone)] {
        finishes_with_the_same_bytes(&mut h, &rt, name, path, 5);
    }
}

#[test]
fn pasted_paths_a_folder_and_an_image_are_queued() {
    let (rt, env) = runtime_and_sandbox();
    let data = env.path("app");
    let dir = env.path("album");
    let a = random_file(&dir, "a.bin", 20_000);
    let b = random_file(&dir.join("inner"), "b.bin", 30_000);
    let clip = Arc::new(TestClipboard::default());
    let mut opts = site_options(&rt, &env, &data, None);
    opts.clipboard = clip.clone();
    let mut h = window(opts);

    // A folder's URI copied as text (an editor, a terminal), with a line that is no path.
    *clip.text.lock().unwrap() = Some(format!("{}\r\nnot a path\r\n", uri(&dir)));
    ctrl_v(&mut h);
    until(&mut h, "two rows", 10, |app| app.queue().len() == 2);
    // Then a screenshot, the only thing on the clipboard.
    *clip.text.lock().unwrap() = None;
    let img = egui::ColorImage::new(
        [40, 30],
        vec![egui::Color32::from_rgb(200, 40, 40); 40 * 30],
    );
    *clip.image.lock().unwrap() = Some(img);
    ctrl_v(&mut h);
    until(&mut h, "three uploads", 20, |app| {
        app.queue().totals().done == 3 && app.queue().rows().iter().all(|r| r.result.is_some())
    });
    for (name, path) in [("a.bin", &a), ("b.bin", &b)] {
        finishes_with_the_same_bytes(&mut h, &rt, name, path, 5);
    }
    let pasted = h
        .state()
        .queue()
        .rows()
        .iter()
        .find(|r| r.name.starts_with("Pasted 20"))
        .expect("the pasted image's row");
    let url = pasted.result.as_ref().unwrap().url.clone().unwrap();
    let served = image::load_from_memory(&rt.block_on(get(&url)).1).unwrap();
    assert_eq!((served.width(), served.height()), (40, 30));
    assert!(pasted.path.starts_with(data.join("pasted")));

    // Ctrl+C by its keys copies the selected row's URL.
    h.get_by_label_contains("Queue row a.bin").click();
    h.step();
    // The key as the integration reports it, in a frame of its own (whose output is read).
    h.event(egui::Event::Key {
        key: Key::C,
        physical_key: None,
        pressed: true,
        repeat: false,
        modifiers: Modifiers::COMMAND,
    });
    h.step();
    let a_url = h
        .state()
        .queue()
        .rows()
        .iter()
        .find(|r| r.name == "a.bin")
        .unwrap();
    let a_url = a_url.result.as_ref().unwrap().url.clone().unwrap();
    assert_eq!(copied_texts(&h), vec![a_url]);
}

#[test]
fn ctrl_v_in_a_text_field_pastes_the_text_and_queues_no_file() {
    let (rt, env) = runtime_and_sandbox();
    let data = env.path("app");
    let photo = random_file(&env.path("photos"), "p.bin", 5_000);
    let clip = Arc::new(TestClipboard::default());
    *clip.uri_list.lock().unwrap() = uri(&photo).into();
    let link = "https://example.com/photos/sunset.jpg";
    *clip.text.lock().unwrap() = Some(link.into());
    let mut opts = site_options(&rt, &env, &data, None);
    opts.clipboard = clip.clone();
    let mut h = window(opts);

    h.get_by_label("Add link").click();
    h.run_steps(2);
    h.get_by_label("Link to import").click();
    h.step();
    ctrl_v(&mut h);
    until_shown(&mut h, "the link pasted into the field", 10, |h| {
        h.get_by_label("Link to import").value().as_deref() == Some(link)
    });
    h.run_steps(3);
    assert!(
        h.state().queue().is_empty(),
        "no file is queued from a field"
    );
    assert_eq!(
        clip.reads.load(Ordering::SeqCst),
        0,
        "the file list is not read"
    );
}
