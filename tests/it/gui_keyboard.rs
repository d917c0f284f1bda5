//! The keyboard, as a person who does not use a mouse meets it (issue 22 #14): Tab visits the
//! controls in reading order (the top bar left to right, the rows top to bottom, each row left
//! to right, then the status bar), and a focused row shows it.

use egui::Key;
use egui::epaint::Shape;
use egui_kittest::kittest::{NodeT as _, Queryable as _};

use super::support::gui::{
    Window, drop_files, painted, runtime_and_sandbox, site_options, until_all_done, window,
};
use super::support::random_file;

/// The accessible name of the widget that has the keyboard focus.
fn focused(h: &Window) -> Option<String> {
    h.query_by(|n| n.is_focused())
        .and_then(|n| n.accesskit_node().label())
}

/// Presses Tab until the focus comes back round (or 60 times); the names it stopped on.
fn tab_stops(h: &mut Window) -> Vec<String> {
    let mut stops: Vec<String> = Vec::new();
    for _ in 0..60 {
        h.key_press(Key::Tab);
        h.run_steps(2);
        let Some(name) = focused(h) else { continue };
        if stops.first() == Some(&name) {
            break;
        }
        stops.push(name);
    }
    stops
}

/// Before, Tab ran right to left inside each group and reached the status bar before the rows.
#[test]
fn tab_follows_reading_order() {
    let (rt, env) = runtime_and_sandbox();
    let mut h = window(site_options(&rt, &env, &env.path("app"), None));
    let files: Vec<_> = ["first.pdf", "second.pdf"]
        .iter()
        .map(|n| random_file(&env.path("docs"), n, 10_000))
        .collect();
    drop_files(&mut h, &files);
    until_all_done(&mut h, 2, 30);
    h.run_steps(3);
    let stops = tab_stops(&mut h);
    let at = |name: &str| {
        stops
            .iter()
            .position(|s| s == name)
            .unwrap_or_else(|| panic!("Tab never reaches {name:?}: {stops:?}"))
    };
    let in_order = |names: &[&str]| {
        let positions: Vec<usize> = names.iter().map(|n| at(n)).collect();
        assert!(
            positions.windows(2).all(|w| w[0] < w[1]),
            "{names:?} are visited at {positions:?}: {stops:?}"
        );
    };
    in_order(&["Add link", "➕ Add files…", "Settings"]);
    in_order(&[
        "Queue row first.pdf",
        "Copy URL of first.pdf",
        "More copy formats for first.pdf",
        "Open first.pdf",
        "Remove first.pdf",
        "Queue row second.pdf",
        "Remove second.pdf",
        "Clear finished",
        "Copy all ▾",
    ]);
}

/// Before, a row with the keyboard focus looked like any other: one of the stops Tab made
/// showed nothing.
#[test]
fn a_focused_row_shows_it() {
    let (rt, env) = runtime_and_sandbox();
    let mut h = window(site_options(&rt, &env, &env.path("app"), None));
    let file = random_file(&env.path("docs"), "only.pdf", 10_000);
    drop_files(&mut h, std::slice::from_ref(&file));
    until_all_done(&mut h, 1, 30);
    h.run_steps(3);
    let row = h.get_by_label("Queue row only.pdf").rect();
    let ring = |h: &Window| {
        painted(h).iter().any(|s| match s {
            Shape::Rect(r) => {
                r.stroke.width > 0.0
                    && (r.rect.min - row.min).length() < 1.0
                    && (r.rect.max - row.max).length() < 1.0
            }
            _ => false,
        })
    };
    assert!(!ring(&h), "no ring before it has the focus");
    for _ in 0..30 {
        if focused(&h).as_deref() == Some("Queue row only.pdf") {
            break;
        }
        h.key_press(Key::Tab);
        h.run_steps(2);
    }
    assert_eq!(focused(&h).as_deref(), Some("Queue row only.pdf"));
    assert!(ring(&h), "the focused row is outlined");
}
