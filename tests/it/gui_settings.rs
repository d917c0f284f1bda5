//! The Settings window's save, as a person clicks it: Cancel while a save is under way.

use std::time::Duration;

use egui_kittest::kittest::{NodeT as _, Queryable as _};

use super::support::gui::{
    connected, harness, open_settings, runtime_and_sandbox, site_options, until, until_saved,
    until_shown, window,
};
use super::support::{Env, stays_still_blocking};

#[test]
fn save_then_cancel_at_once_still_applies_what_was_saved() {
    let (rt, env) = runtime_and_sandbox();
    let data = env.path("app");
    let mut h = window(site_options(&rt, &env, &data, None));
    open_settings(&mut h);
    h.get_by_role_and_label(egui::Role::TextInput, "Folder path")
        .set_text_value_accesskit("/shoot");
    h.run_steps(2);
    // Both in one frame: the save starts, then the window closes before it lands.
    h.get_by_label("Save").click();
    h.get_by_label("Cancel").click();
    h.run_steps(3);
    assert!(
        h.query_by_label("Cancel").is_none(),
        "the window closed at once"
    );
    until_saved(&mut h, &data, "/shoot");
    // What reached the disk is what the app uses, window closed or not.
    // The empty queue says where uploads go.
    let shown = |h: &egui_kittest::Harness<'_, wixup::gui::App>| {
        h.query_by_label_contains("They upload to Site Files/shoot")
            .is_some()
    };
    until_shown(
        &mut h,
        "the app kept the old settings after Save then Cancel",
        10,
        shown,
    );
    // Reopened, the window shows the saved settings, and closing it changes nothing.
    open_settings(&mut h);
    let field = h.get_by_role_and_label(egui::Role::TextInput, "Folder path");
    assert_eq!(field.accesskit_node().value().as_deref(), Some("/shoot"));
    h.get_by_label("Cancel").click();
    h.run_steps(3);
    assert!(h.query_by_label("Cancel").is_none());
    assert!(shown(&h));
}

/// A save that is still writing when Cancel closes the window, and then fails: the failure is
/// not lost with the window (before, it surfaced only on the next opening, as "saved").
#[test]
fn a_save_that_fails_after_cancel_reopens_the_window_to_say_why() {
    // One blocking thread, held by the test: the save (which runs there) waits behind it until
    // the test lets go, so it is surely still under way when Cancel closes the window.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let env = rt.block_on(Env::start());
    let data = env.path("app");
    let mut h = window(site_options(&rt, &env, &data, None));
    // settings.json is a folder with a file in it: the save's final rename fails.
    std::fs::remove_file(data.join("settings.json")).unwrap();
    std::fs::create_dir_all(data.join("settings.json").join("in-the-way")).unwrap();
    let (release, held) = std::sync::mpsc::channel::<()>();
    let blocker = rt.spawn_blocking(move || {
        let _ = held.recv_timeout(Duration::from_secs(30));
    });
    open_settings(&mut h);
    h.get_by_role_and_label(egui::Role::TextInput, "Folder path")
        .set_text_value_accesskit("/never");
    h.run_steps(2);
    h.get_by_label("Save").click();
    h.run_steps(2);
    h.get_by_label("Cancel").click();
    h.run_steps(3);
    assert!(h.query_by_label("Cancel").is_none(), "closed while saving");
    release.send(()).unwrap();
    until_shown(&mut h, "the failed save was never reported", 10, |h| {
        h.query_by_label_contains("cannot save").is_some()
    });
    rt.block_on(blocker).unwrap();
    assert!(
        h.query_by_label_contains("They upload to Site Files/never")
            .is_none(),
        "the app did not take settings that were not saved"
    );
}

/// Settings saved while the first connection is still being made: the new connection waits for
/// that attempt and stops what it started; it never runs beside it (the two would race for the
/// journal's lock, and whichever lost would say the data dir is in use).
#[test]
fn a_reconnect_while_connecting_waits_for_the_attempt_in_flight() {
    use std::sync::{Arc, Mutex, mpsc};
    let (rt, env) = runtime_and_sandbox();
    let data = env.path("app");
    let mut opts = site_options(&rt, &env, &data, None);
    // The first attempt is held while it sets up its engine, until the test lets it go (a
    // FIFO in place of settings.json did this once; such a file is now refused at once).
    let (entered_tx, entered) = mpsc::channel::<()>();
    let (release, released) = mpsc::channel::<()>();
    let first = Mutex::new(Some((entered_tx, released)));
    let tune = opts.tune.take().expect("the tests' tuning");
    opts.tune = Some(Arc::new(move |c| {
        tune(c);
        let held = first.lock().expect("lock").take();
        if let Some((entered, released)) = held {
            let _ = entered.send(());
            let _ = released.recv_timeout(Duration::from_secs(30));
        }
    }));
    let mut h = harness(opts);
    entered
        .recv_timeout(Duration::from_secs(10))
        .expect("the first attempt is being made");
    open_settings(&mut h);
    h.get_by_label("Fixed chunk size").click();
    h.run_steps(2);
    h.get_by_label("Save").click();
    until(&mut h, "the save", 10, |_| {
        wixup::settings::Settings::load(&data).is_ok_and(|s| s.chunk_size_bytes.is_some())
    });
    // Nothing marks the moment by which a second connection would be up had it not waited, so
    // this is a quiet period: a connection to the sandbox is made in well under a second here.
    stays_still_blocking(
        "the connection while the first attempt waits",
        Duration::from_secs(1),
        || {
            h.step();
            h.state().target().is_some()
        },
    );
    release.send(()).expect("the first attempt still waits");
    connected(&mut h);
    assert!(
        matches!(h.state().target(), Some(wixup::gui::Target::Sandbox { .. })),
        "the settings saved last are the ones connected"
    );
}

#[test]
fn parallel_uploads_are_auto_by_default_and_can_be_fixed() {
    let (rt, env) = runtime_and_sandbox();
    let data = env.path("app");
    let mut h = window(site_options(&rt, &env, &data, None));
    open_settings(&mut h);
    let auto = h.get_by_role_and_label(egui::Role::CheckBox, "Auto");
    assert_eq!(
        auto.accesskit_node().toggled(),
        Some(egui::accesskit::Toggled::True),
        "Auto is the default"
    );
    assert!(
        h.query_by_role_and_label(egui::Role::SpinButton, "Parallel uploads")
            .is_none(),
        "no number to pick while Auto"
    );
    auto.click();
    h.run_steps(2);
    assert!(
        h.query_by_role_and_label(egui::Role::SpinButton, "Parallel uploads")
            .is_some(),
        "a number to pick once Auto is off"
    );
    h.get_by_label("Save").click();
    until_saved(&mut h, &data, "\"parallel_auto\": false");
    h.run_steps(3);
    open_settings(&mut h);
    assert_eq!(
        h.get_by_role_and_label(egui::Role::CheckBox, "Auto")
            .accesskit_node()
            .toggled(),
        Some(egui::accesskit::Toggled::False)
    );
}

/// Before, the chunk size was a spin box in MiB: "100 KiB" typed into it read as 100 MiB.
#[test]
fn a_chunk_size_is_read_with_its_unit() {
    let (rt, env) = runtime_and_sandbox();
    let data = env.path("app");
    let mut h = window(site_options(&rt, &env, &data, None));
    open_settings(&mut h);
    h.get_by_label("Fixed chunk size").click();
    h.run_steps(2);
    h.get_by_role_and_label(egui::Role::TextInput, "Chunk size")
        .set_text_value_accesskit("100 KiB");
    h.run_steps(2);
    // Under the 256 KiB a chunk needs: said, and Save waits.
    assert!(
        h.query_by_label_contains("too small").is_some(),
        "the footer says why"
    );
    assert!(
        h.get_by_label("Save").accesskit_node().is_disabled(),
        "Save waits"
    );
    h.get_by_role_and_label(egui::Role::TextInput, "Chunk size")
        .set_text_value_accesskit("512 KiB");
    h.run_steps(2);
    assert!(h.query_by_label_contains("too small").is_none());
    h.get_by_label("Save").click();
    until(&mut h, "the save", 10, |_| {
        wixup::settings::Settings::load(&data).is_ok_and(|s| s.chunk_size_bytes.is_some())
    });
    let saved = wixup::settings::Settings::load(&data).unwrap();
    assert_eq!(
        saved.chunk_size_bytes,
        Some(512 << 10),
        "512 KiB, not 512 MiB"
    );
}

/// Before, with the connection failed, Settings opened on the defaults ("Local sandbox"), and on
/// "My Wix site" asked for the API key again (also while a connection was under way after a
/// save), though the key was saved all along: Save waited for a key already given.
#[test]
fn settings_open_on_the_saved_site_and_key_when_the_connection_failed() {
    let (rt, env) = runtime_and_sandbox();
    let data = env.path("app");
    let secrets = env.save_site(&data);
    // The data dir is in use (as by a second Wixup): the connection fails.
    let lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(data.join("wixup.lock"))
        .unwrap();
    lock.try_lock().unwrap();
    let mut h = harness(super::support::gui::options(&rt, &data, secrets, None));
    until_shown(&mut h, "the failed connection's banner", 10, |h| {
        h.query_by_label_contains("Not connected").is_some()
    });
    open_settings(&mut h);
    // On the site it was saved with (before, on the defaults: "Local sandbox" ticked, and a
    // Save there dropped the site).
    assert_eq!(
        h.get_by_role_and_label(egui::Role::RadioButton, "My Wix site")
            .accesskit_node()
            .toggled(),
        Some(egui::accesskit::Toggled::True)
    );
    until_shown(&mut h, "the saved key shown as saved", 10, |h| {
        h.query_by_label_contains("•••").is_some()
    });
    assert!(h.query_by_label_contains("Enter the API key").is_none());
    assert!(!h.get_by_label("Save").accesskit_node().is_disabled());
}
