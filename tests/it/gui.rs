//! The real window (`wixup::gui::App`) driven through egui_kittest: AccessKit queries, clicks,
//! simulated drops, against the sandbox on 127.0.0.1 port 0. No display is needed.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use egui_kittest::kittest::{NodeT as _, Queryable as _};
use wixup::engine::JobState;
use wixup::gui::{App, Target};
use wixup::redact::ApiKey;
use wixup::retry::RetryPolicy;
use wixup::sandbox;
use wixup::settings::{SecretStore, Settings};

use super::support::gui::{
    clear_finished, close_window, connected, copied_texts, done, drop_files,
    finishes_with_the_same_bytes, open_settings, options, runtime, runtime_and_sandbox,
    site_options, state_of, text, until, until_all_done, until_saved, until_shown, url_of, window,
    window_on_site,
};
use super::support::{
    Env, each_profile, get, oriented_jpeg, poll_until_blocking, random_file, stays_still_blocking,
};

each_profile! {
#[test]
fn dropped_photos_upload_and_copy_gives_exactly_the_url(profile) {
    let rt = runtime();
    let env = rt.block_on(Env::start_as(profile));
    let photos = env.path("photos");
    std::fs::create_dir_all(&photos).unwrap();
    let a = photos.join("beach.jpg");
    oriented_jpeg(&a, 320, 200, 6);
    let b = photos.join("menu.jpg");
    oriented_jpeg(&b, 200, 120, 1);
    let c = random_file(&photos, "notes.bin", 300_000);

    let mut h = window_on_site(&rt, &env);
    assert!(matches!(h.state().target(), Some(Target::Site { .. })));
    h.get_by_label("Choose files…");
    drop_files(&mut h, &[a.clone(), b.clone(), c.clone()]);
    until(&mut h, "three rows", 10, |a| a.queue().len() == 3);
    until_all_done(&mut h, 3, 30);
    h.run_steps(3);
    h.check_accessibility();

    for (name, path) in [("beach.jpg", &a), ("menu.jpg", &b), ("notes.bin", &c)] {
        let url = url_of(h.state(), name);
        // The URL is on screen as text…
        h.get_by_label(&url);
        // …and Copy puts exactly that URL on the clipboard.
        h.get_by_label(&format!("Copy URL of {name}")).click();
        h.step();
        assert_eq!(copied_texts(&h), vec![url.clone()], "Copy of {name}");
        h.step();
        let (status, body) = rt.block_on(get(&url));
        assert_eq!(status, 200);
        assert_eq!(
            body,
            std::fs::read(path).unwrap(),
            "bytes served for {name}"
        );
    }
    // The local MD5 matched the server's hash.
    assert!(
        h.state()
            .queue()
            .rows()
            .iter()
            .all(|r| r.result.as_ref().unwrap().verified
                == wixup::engine::Verification::Verified)
    );
    h.get_all_by_label_contains("verified")
        .next()
        .expect("a verified mark");
}
}

each_profile! {
#[test]
fn pause_stops_progress_and_resume_completes(profile) {
    let rt = runtime();
    let env = rt.block_on(Env::start_as(profile));
    env.slow_patches(40);
    let data = env.path("app");
    let big = random_file(&env.path("in"), "holiday.mp4", 6 << 20);
    let mut h = window(site_options(&rt, &env, &data, Some(256 << 10)));
    drop_files(&mut h, std::slice::from_ref(&big));
    let acked = |a: &App| a.queue().rows().first().map_or(0, |r| r.acknowledged);
    until(&mut h, "some progress", 20, |a| acked(a) > 0);
    h.get_by_label("Pause holiday.mp4").click();
    until(&mut h, "the paused state", 10, |a| {
        state_of(a, "holiday.mp4") == Some(JobState::Paused)
    });
    h.get_by_label_contains("Paused at");
    // A PATCH already on the wire may still land; after that, nothing moves.
    until(&mut h, "the PATCH on the wire to land", 10, |_| {
        env.stat(|s| &s.requests_in_flight) == 0
    });
    // Nothing marks the moment by which a PATCH would have gone out had the pause not held, so
    // these are quiet periods: unpaused, one went out every 40 ms or so (its injected latency),
    // so 700 ms is over fifteen of them. Meanwhile the row catches up with the last PATCH
    // acknowledged (the engine reports progress every 100 ms), and then it stays as it is.
    stays_still_blocking("bytes received while paused", Duration::from_millis(700), || {
        h.step();
        env.stat(|s| &s.bytes_received)
    });
    let at_pause = acked(h.state());
    assert!(
        at_pause <= env.stat(|s| &s.bytes_received),
        "the row shows more than the site holds"
    );
    assert!(
        at_pause < 6 << 20,
        "the upload finished before it could be paused"
    );
    stays_still_blocking("progress shown while paused", Duration::from_millis(300), || {
        h.step();
        acked(h.state())
    });
    h.get_by_label("Resume holiday.mp4").click();
    finishes_with_the_same_bytes(&mut h, &rt, "holiday.mp4", &big, 60);
}
}

#[test]
fn an_injected_failure_shows_retry_which_then_succeeds() {
    let (rt, env) = runtime_and_sandbox();
    env.sandbox.faults.add(
        sandbox::Rule::nth(
            Some(axum::http::Method::POST),
            // The first upload URL asked for, one-PUT (this small file) or resumable.
            "upload-url",
            1,
            sandbox::FaultKind::Status {
                status: 400,
                retry_after_secs: None,
            },
        )
        .times(1),
    );
    let f = random_file(&env.path("in"), "logo.png.bin", 50_000);
    let mut h = window_on_site(&rt, &env);
    drop_files(&mut h, std::slice::from_ref(&f));
    until(&mut h, "the failure", 10, |a| {
        state_of(a, "logo.png.bin") == Some(JobState::Failed)
    });
    h.run_steps(2);
    // A readable reason with the status, never a Rust type or raw JSON.
    let reason = text(&h.get_by_label_contains("(400)"));
    assert!(reason.len() > 10, "{reason}");
    assert!(
        !reason.contains('{') && !reason.contains("Error("),
        "{reason}"
    );
    h.get_by_label("Retry logo.png.bin").click();
    finishes_with_the_same_bytes(&mut h, &rt, "logo.png.bin", &f, 20);
}

#[test]
fn settings_validate_and_test_connection_tells_good_from_bad_keys() {
    let (rt, env) = runtime_and_sandbox();
    let data = env.path("app");
    // A new user: sandbox connection (embedded, on port 0). Only the hidden API address is
    // pre-set, to the test sandbox, so nothing leaves the loopback.
    Settings {
        api_base: env.base().to_string(),
        ..Settings::default()
    }
    .save(&data)
    .unwrap();
    let secrets = SecretStore::File(data.join("api-key"));
    let mut h = window(options(&rt, &data, secrets.clone(), None));
    assert!(matches!(h.state().target(), Some(Target::Sandbox { .. })));

    open_settings(&mut h);
    h.get_by_label("My Wix site").click();
    h.run_steps(2);
    h.get_by_label_contains("Enter the API key");
    h.get_by_label_contains("Enter the site id");
    assert!(h.get_by_label("Save").accesskit_node().is_disabled());

    h.get_by_role_and_label(egui::Role::TextInput, "Site id")
        .set_text_value_accesskit("not a site");
    h.run_steps(2);
    h.get_by_label_contains("does not look like a site id");
    h.get_by_role_and_label(egui::Role::TextInput, "Site id")
        .set_text_value_accesskit(sandbox::DEFAULT_SITE_ID);
    h.get_by_role_and_label(egui::Role::PasswordInput, "API key")
        .set_text_value_accesskit("a-wrong-key");
    h.run_steps(2);
    h.get_by_label("Test connection").click();
    until_shown(&mut h, "no error shown for a wrong key", 10, |h| {
        h.query_by_label_contains("✖ Wix").is_some()
    });
    let shown = text(&h.get_by_label_contains("✖ Wix"));
    assert!(
        shown.contains("403") && shown.contains("Media Manager"),
        "{shown}"
    );
    assert!(
        !shown.contains("a-wrong-key"),
        "the key leaked into the message"
    );

    h.get_by_role_and_label(egui::Role::PasswordInput, "API key")
        .set_text_value_accesskit(sandbox::DEFAULT_API_KEY);
    h.run_steps(2);
    h.get_by_label("Test connection").click();
    // What the window shows instead is worth seeing, so the tree goes into the message.
    let connected = poll_until_blocking(Duration::from_secs(10), || {
        h.step();
        h.query_by_label_contains("✔ Connected").is_some()
    });
    assert!(
        connected.is_some(),
        "no success shown for the right key: {:#?}",
        h.root()
    );
    h.check_accessibility();
    h.get_by_label("Save").click();
    until(&mut h, "the reconnection to the site", 10, |a| {
        matches!(a.target(), Some(Target::Site { .. }))
    });
    // Saved: settings without the key; the key in its own 0600 file (no keychain in tests).
    let saved = std::fs::read_to_string(data.join("settings.json")).unwrap();
    assert!(saved.contains("wix_site") && !saved.contains(sandbox::DEFAULT_API_KEY));
    assert_eq!(
        secrets.get().unwrap().unwrap().expose(),
        sandbox::DEFAULT_API_KEY
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(data.join("api-key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The window now shows the saved key only masked.
    open_settings(&mut h);
    h.get_by_label_contains("••••");
    h.get_by_label_contains("the API key is in");
    assert!(
        h.query_by_role_and_label(egui::Role::PasswordInput, "API key")
            .is_none()
    );
}

#[test]
fn the_queue_comes_back_after_a_restart_with_paused_uploads_still_paused() {
    let (rt, env) = runtime_and_sandbox();
    env.slow_patches(60);
    let data = env.path("app");
    let files: Vec<PathBuf> = ["one.bin", "two.bin", "three.bin"]
        .iter()
        .map(|n| random_file(&env.path("in"), n, 8 << 20))
        .collect();
    let opts = site_options(&rt, &env, &data, Some(256 << 10));
    let mut h = window(opts.clone());
    drop_files(&mut h, &files);
    until(&mut h, "three rows", 10, |a| a.queue().len() == 3);
    until(&mut h, "one.bin uploading", 20, |a| {
        a.queue()
            .rows()
            .iter()
            .any(|r| r.name == "one.bin" && r.acknowledged > 0)
    });
    h.get_by_label("Pause one.bin").click();
    until(&mut h, "one.bin paused", 10, |a| {
        state_of(a, "one.bin") == Some(JobState::Paused)
    });
    // Quit: uploads are running, so the app asks first.
    close_window(&mut h);
    until(&mut h, "the confirmation", 5, App::is_confirming_quit);
    h.run_steps(2); // a new dialog is measured, invisibly, in its first frame
    h.get_by_label("Uploads are still running");
    h.get_by_label("Quit").click();
    until(&mut h, "the engine to stop", 10, App::may_close);
    drop(h);

    let mut h = window(opts);
    until(&mut h, "the restored queue", 10, |a| a.queue().len() == 3);
    assert_eq!(state_of(h.state(), "one.bin"), Some(JobState::Paused));
    until(&mut h, "the other two to finish", 60, |a| {
        done(a, "two.bin") && done(a, "three.bin")
    });
    assert_eq!(state_of(h.state(), "one.bin"), Some(JobState::Paused));
    h.get_by_label("Resume one.bin").click();
    for (f, name) in files.iter().zip(["one.bin", "two.bin", "three.bin"]) {
        finishes_with_the_same_bytes(&mut h, &rt, name, f, 60);
    }
    // Each file was finalized exactly once across the restart.
    assert_eq!(env.stat(|s| &s.files_created), 3);
}

#[test]
fn history_lists_finished_uploads_and_searches_by_name() {
    let (rt, env) = runtime_and_sandbox();
    let files: Vec<PathBuf> = ["sunset.bin", "receipt.bin"]
        .iter()
        .map(|n| random_file(&env.path("in"), n, 10_000))
        .collect();
    let mut h = window_on_site(&rt, &env);
    drop_files(&mut h, &files);
    until_all_done(&mut h, 2, 20);
    clear_finished(&mut h);
    h.get_by_label("History").click();
    until_shown(&mut h, "history did not show the upload", 10, |h| {
        h.query_by_label("Copy URL of sunset.bin").is_some()
    });
    h.get_by_label("Search history")
        .set_text_value_accesskit("rece");
    h.run_steps(2);
    assert!(h.query_by_label("Copy URL of sunset.bin").is_none());
    h.get_by_label("Copy URL of receipt.bin").click();
    h.step();
    let copied = copied_texts(&h);
    assert_eq!(copied.len(), 1);
    assert!(copied[0].starts_with("http://127.0.0.1:"), "{copied:?}");
}

#[test]
fn global_problems_show_a_banner_that_says_the_fix() {
    let (rt, env) = runtime_and_sandbox();
    // A rejected key: every file would fail the same way, so the banner says what to fix.
    let data = env.path("app");
    let opts = site_options(&rt, &env, &data, None);
    opts.secrets.set(&ApiKey::new("revoked-key")).unwrap();
    let f = random_file(&env.path("in"), "a.bin", 10_000);
    let mut h = window(opts);
    drop_files(&mut h, std::slice::from_ref(&f));
    until(&mut h, "the failure", 10, |a| {
        state_of(a, "a.bin") == Some(JobState::Failed)
    });
    h.run_steps(2);
    // Once in the row that failed, once in the banner above the queue.
    let shown: Vec<String> = h
        .get_all_by_label_contains("Manage Media Manager permission")
        .map(|n| text(&n))
        .collect();
    assert_eq!(shown.len(), 2, "{shown:?}");
    assert!(
        shown.iter().all(|s| !s.contains("revoked-key")),
        "{shown:?}"
    );
    h.get_by_label("Open Settings").click();
    h.run_steps(3);
    h.get_by_label("My Wix site");
    drop(h);

    // The connection failing: every running upload is retrying, so a banner says it is the
    // network, not the files, and that they continue by themselves.
    let data = env.path("app2");
    let mut opts = site_options(&rt, &env, &data, Some(256 << 10));
    opts.tune = Some(Arc::new(|c| {
        c.tus.retry = RetryPolicy {
            delays: vec![Duration::from_secs(60)],
            jitter: 0.0,
        };
        c.tus.chunk_size = wixup::tus::ChunkSize::Fixed(256 << 10);
        c.one_put_below = 0;
        c.poll_delays = vec![Duration::from_millis(10)];
    }));
    env.sandbox.faults.add(
        sandbox::Rule::nth(
            Some(axum::http::Method::PATCH),
            "",
            1,
            sandbox::FaultKind::DropConnection { after_bytes: 1000 },
        )
        .times(1),
    );
    let big = random_file(&env.path("in"), "big.bin", 8 << 20);
    let mut h = window(opts);
    drop_files(&mut h, std::slice::from_ref(&big));
    until(&mut h, "the retry", 10, |a| {
        a.queue().totals().connection_trouble()
    });
    h.run_steps(2);
    h.get_by_label_contains("Every upload is retrying");
    h.get_by_label_contains("retrying in");
}

#[test]
fn local_previews_are_upright_whatever_the_exif_orientation() {
    let dir = tempfile::tempdir().unwrap();
    // Stored: left half red, right half blue, 320×200. Displayed per the EXIF orientation.
    let red = |c: egui::Color32| c.r() > 150 && c.b() < 100;
    let blue = |c: egui::Color32| c.b() > 150 && c.r() < 100;
    for (o, size, top_left_is_red, top_right_is_red) in [
        (1u16, [96, 60], true, false),
        (3, [96, 60], false, true),
        (6, [60, 96], true, true),
        (8, [60, 96], false, false),
    ] {
        let p = dir.path().join(format!("o{o}.jpg"));
        oriented_jpeg(&p, 320, 200, o);
        let img = wixup::gui::decode_thumbnail(&p).expect("decodes");
        assert_eq!(img.size, size, "orientation {o}");
        let [w, _] = img.size;
        let at = |x: usize, y: usize| img.pixels[y * w + x];
        let (tl, tr) = (at(2, 2), at(w - 3, 2));
        assert_eq!(red(tl), top_left_is_red, "orientation {o}: {tl:?}");
        assert_eq!(red(tr), top_right_is_red, "orientation {o}: {tr:?}");
        assert!(red(tl) || blue(tl));
    }
    // The shared real photos (every orientation, landscape and portrait), when present.
    if let Some(samples) = super::support::shared_testdata() {
        for entry in std::fs::read_dir(samples).unwrap() {
            let p = entry.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            if !name.ends_with(".jpg") {
                continue;
            }
            let img = wixup::gui::decode_thumbnail(&p).expect("decodes");
            let [w, h] = img.size;
            if name.starts_with("Landscape") {
                assert!(w > h, "{name} shows {w}×{h}");
            } else {
                assert!(h > w, "{name} shows {w}×{h}");
            }
        }
    }
}

#[test]
fn a_reconnect_keeps_the_embedded_sandbox_on_its_port() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("app");
    // A free loopback port, standing in for the stable default (47913).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut opts = options(&rt, &data, SecretStore::File(data.join("api-key")), None);
    opts.sandbox_port = port;
    let mut h = window(opts);
    let url = |a: &App| match a.target() {
        Some(Target::Sandbox { url }) => url.port(),
        _ => None,
    };
    assert_eq!(url(h.state()), Some(port));
    // Changing the chunk size restarts the engine (and with it the embedded sandbox).
    open_settings(&mut h);
    h.get_by_label("Fixed chunk size").click();
    h.run_steps(2);
    h.get_by_label("Save").click();
    until(&mut h, "the reconnection", 10, |a| a.target().is_none());
    connected(&mut h);
    assert_eq!(
        url(h.state()),
        Some(port),
        "the sandbox moved to another port"
    );
    assert!(h.query_by_label_contains("is taken").is_none());
    let f = random_file(dir.path(), "after.bin", 10_000);
    drop_files(&mut h, std::slice::from_ref(&f));
    until(&mut h, "the upload", 20, |a| done(a, "after.bin"));
    let got = url_of(h.state(), "after.bin");
    assert!(
        got.starts_with(&format!("http://127.0.0.1:{port}/")),
        "{got}"
    );
}

#[test]
fn the_destination_folder_is_picked_from_the_sites_folders() {
    let (rt, env) = runtime_and_sandbox();
    let wix = env.wix_client(RetryPolicy::immediate(1));
    let folder = rt
        .block_on(wix.create_folder("Holiday 2026", None))
        .unwrap();
    let data = env.path("app");
    let mut h = window(site_options(&rt, &env, &data, None));
    open_settings(&mut h);
    h.get_by_label("Load folders").click();
    // The list arrives from the site (a spinner meanwhile), into the open drop-down.
    h.get_by_role_and_label(egui::Role::ComboBox, "Destination folder")
        .click();
    until_shown(&mut h, "the site's folder in the drop-down", 10, |h| {
        h.query_by_label("Holiday 2026").is_some()
    });
    h.get_by_label("Holiday 2026").click();
    h.run_steps(2);
    h.get_by_label("Save").click();
    until_saved(&mut h, &data, &folder.id);
    h.run_steps(3);
    h.get_by_label_contains("Site Files / Holiday 2026");
    // New uploads go into that folder on the site.
    let f = random_file(&env.path("in"), "in-folder.bin", 5_000);
    drop_files(&mut h, std::slice::from_ref(&f));
    finishes_with_the_same_bytes(&mut h, &rt, "in-folder.bin", &f, 20);
    let row = h
        .state()
        .queue()
        .rows()
        .iter()
        .find(|r| r.name == "in-folder.bin")
        .unwrap();
    let id = row.result.as_ref().unwrap().file_id.clone();
    let on_site = rt.block_on(wix.get_file(&id)).unwrap();
    assert_eq!(
        on_site.parent_folder_id.as_deref(),
        Some(folder.id.as_str())
    );
}

#[test]
fn the_keyboard_selects_pauses_resumes_and_copies() {
    let (rt, env) = runtime_and_sandbox();
    env.slow_patches(60);
    let data = env.path("app");
    let big = random_file(&env.path("in"), "keys.bin", 8 << 20);
    let mut h = window(site_options(&rt, &env, &data, Some(256 << 10)));
    drop_files(&mut h, std::slice::from_ref(&big));
    until(&mut h, "progress", 20, |a| {
        a.queue().rows().first().is_some_and(|r| r.acknowledged > 0)
    });
    h.key_press(egui::Key::ArrowDown); // selects the first row
    h.key_press(egui::Key::Space);
    until(&mut h, "the paused state", 10, |a| {
        state_of(a, "keys.bin") == Some(JobState::Paused)
    });
    h.key_press(egui::Key::Space);
    finishes_with_the_same_bytes(&mut h, &rt, "keys.bin", &big, 60);
    h.event(egui::Event::Copy); // Ctrl+C, as the integration reports it
    h.step();
    assert_eq!(copied_texts(&h), vec![url_of(h.state(), "keys.bin")]);
}
