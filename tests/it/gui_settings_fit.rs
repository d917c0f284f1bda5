//! The Settings window at ordinary sizes, and what the window says about where files go and
//! how things went: Save in view and working at 800×500, the built-in sandbox named on the empty
//! screen with a way to connect a site, success said as success, a network failure with advice.

use egui_kittest::kittest::{NodeT as _, Queryable as _};

use super::support::gui::{
    Window, connected, harness_sized, open_settings, options, runtime_and_sandbox, site_options,
    text, until_saved, until_shown, window,
};

fn toggled(h: &Window, role: egui::Role, label: &str) -> Option<egui::accesskit::Toggled> {
    h.get_by_role_and_label(role, label)
        .accesskit_node()
        .toggled()
}

/// Before, the window grew with its form: at 980×660 with "My Wix site" and Advanced open, and
/// at 800×500 with any form, Save was below the edge of the app.
#[test]
fn save_stays_in_view_and_saves_at_ordinary_sizes() {
    let (rt, env) = runtime_and_sandbox();
    for (w, h_) in [(800.0, 500.0), (980.0, 660.0)] {
        let data = env.path(&format!("app-{w}"));
        let mut h = harness_sized(site_options(&rt, &env, &data, None), w, h_);
        connected(&mut h);
        open_settings(&mut h);
        h.get_by_role_and_label(egui::Role::RadioButton, "My Wix site")
            .click();
        h.run_steps(2);
        h.get_by_label("Advanced").click();
        h.run_steps(4);
        assert!(
            h.query_by_role_and_label(egui::Role::TextInput, "API address")
                .is_some(),
            "Advanced is open"
        );
        h.get_by_role_and_label(egui::Role::TextInput, "Folder path")
            .set_text_value_accesskit(&format!("/fits-{w}"));
        h.run_steps(3);
        let app = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(w, h_));
        for label in ["Save", "Cancel"] {
            let rect = h.get_by_label(label).rect();
            assert!(
                app.contains_rect(rect),
                "at {w}×{h_}, {label} is at {rect:?}, outside the app's {app:?}"
            );
        }
        h.get_by_label("Save").click();
        until_saved(&mut h, &data, &format!("/fits-{w}"));
        until_shown(&mut h, "the note that Settings were saved", 10, |h| {
            h.query_by_label_contains("Settings saved").is_some()
        });
        let note = text(&h.get_by_label_contains("Settings saved"));
        assert!(
            note.starts_with('✔') && !note.contains('⚠'),
            "a success is not a warning: {note:?}"
        );
    }
}

/// Before, a first start said "They upload to Site Files" while files went to the built-in
/// sandbox, whose links work on this computer only.
#[test]
fn the_first_start_says_files_stay_here_and_offers_to_connect_a_site() {
    let rt = super::support::gui::runtime();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("app");
    let secrets = wixup::settings::SecretStore::File(data.join("api-key"));
    let mut h = window(options(&rt, &data, secrets, None));
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("local sandbox on this computer")
            .is_some(),
        "the empty screen says where files go"
    );
    assert!(
        h.query_by_label_contains("They upload to Site Files")
            .is_none()
    );
    // The sandbox's short form, which fits: the window settles (before, the fields' room was
    // measured against their viewport and drifted frame after frame when they did not fill
    // it) with Save in view.
    open_settings(&mut h);
    h.try_run().expect("the Settings window settles");
    let save = h.get_by_label("Save").rect();
    let app = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1000.0, 700.0));
    assert!(app.contains_rect(save), "{save:?}");
    h.get_by_label("Cancel").click();
    h.run_steps(3);
    h.get_by_label("Connect your Wix site").click();
    h.run_steps(3);
    assert_eq!(
        toggled(&h, egui::Role::RadioButton, "My Wix site"),
        Some(egui::accesskit::Toggled::True),
        "Settings opened on \"My Wix site\""
    );
    assert!(
        h.query_by_role_and_label(egui::Role::PasswordInput, "API key")
            .is_some(),
        "with the site's fields to fill in"
    );
}

/// Before, Test connection against an address nobody answers said "could not reach Wix: error
/// sending request", with nothing to do about it.
#[test]
fn a_network_failure_says_what_to_check() {
    let (rt, env) = runtime_and_sandbox();
    let mut h = window(site_options(&rt, &env, &env.path("app"), None));
    open_settings(&mut h);
    h.get_by_label("Advanced").click();
    h.run_steps(3);
    // A loopback port nobody listens on any more.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    h.get_by_role_and_label(egui::Role::TextInput, "API address")
        .set_text_value_accesskit(&format!("http://127.0.0.1:{closed}/"));
    h.run_steps(2);
    h.get_by_label("Test connection").click();
    until_shown(&mut h, "Test connection's answer", 20, |h| {
        h.query_by_label_contains("could not reach").is_some()
    });
    let said = text(&h.get_by_label_contains("could not reach"));
    assert!(
        said.contains("check the internet connection, or a proxy"),
        "{said}"
    );
    assert!(!said.contains("error sending request"), "{said}");
}
