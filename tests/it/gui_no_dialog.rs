//! Choose files… and Ctrl+O where no file dialog can open (issue 22 #4): no desktop portal
//! answers and there is no `zenity`. The window says so, and offers drops and pastes, instead
//! of doing nothing (rfd only logs it).
//!
//! The test runs again in a child process of this test binary with an environment of its own
//! (no session bus, no display, a PATH without `zenity`), which the test process cannot give
//! itself without disturbing the tests beside it. The dialog is rfd's, as the app opens it.

#![cfg(unix)]

use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable as _;

use super::support::child::{in_child, is_child};
use super::support::gui::{runtime_and_sandbox, until_shown, window_on_site};

const NAME: &str = "choose_files_and_ctrl_o_say_in_the_window_when_no_dialog_can_open";

#[test]
fn choose_files_and_ctrl_o_say_in_the_window_when_no_dialog_can_open() {
    if !is_child() {
        let empty = tempfile::tempdir().unwrap();
        in_child(module_path!(), NAME, "/usr/bin/env", &[], |c| {
            for var in [
                "DBUS_SESSION_BUS_ADDRESS",
                "DISPLAY",
                "WAYLAND_DISPLAY",
                "XDG_RUNTIME_DIR",
            ] {
                c.env_remove(var);
            }
            c.env("PATH", empty.path());
        });
        return;
    }
    let (rt, env) = runtime_and_sandbox();
    let mut h = window_on_site(&rt, &env);
    h.get_by_label("Choose files…").click();
    until_shown(&mut h, "the window saying no dialog could open", 10, |h| {
        said(h) == 1
    });
    h.get_by_label_contains("Drop files onto the window");
    h.get_by_label_contains("press Ctrl+V");
    h.key_press_modifiers(Modifiers::COMMAND, Key::O);
    until_shown(&mut h, "Ctrl+O saying it too", 10, |h| said(h) == 2);
}

/// How many notices say that no file dialog could open.
fn said(h: &egui_kittest::Harness<'_, wixup::gui::App>) -> usize {
    h.query_all_by_label_contains("No file dialog could open on this desktop")
        .count()
}
