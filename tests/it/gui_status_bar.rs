//! The status bar at the widths people use: with uploads running (speed and time left shown)
//! and a selection (one more button), the figures and the buttons never overlap.

use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable as _;

use super::support::gui::{drop_files, runtime_and_sandbox, site_options, text, until, window};
use super::support::random_file;

/// Before, at 980 px the "… left · X of Y" text ran under "⏸ Pause all", and with a selection it
/// showed through between the buttons.
#[test]
fn figures_and_buttons_never_overlap_from_800_px() {
    let (rt, env) = runtime_and_sandbox();
    // Slow enough that all three are still sending, with a measured speed, while we look.
    env.slow_patches(60);
    let data = env.path("app");
    let mut h = window(site_options(&rt, &env, &data, Some(256 << 10)));
    let files: Vec<_> = (1..=3)
        .map(|i| random_file(&env.path("big"), &format!("clip-{i}.mov"), 24 << 20))
        .collect();
    drop_files(&mut h, &files);
    until(&mut h, "a speed and a time left for the batch", 60, |a| {
        a.queue().totals().eta.is_some()
    });
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.run_steps(2);
    for width in [800.0, 980.0, 1280.0] {
        h.set_size(egui::vec2(width, 660.0));
        // Two frames: the buttons' width is measured in the first.
        h.run_steps(3);
        let figures = h.get_by_label_contains(" uploaded · ");
        let text = text(&figures);
        assert!(
            text.contains(" left · "),
            "the time left is shown: {text:?}"
        );
        let text_rect = figures.rect();
        let app = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(width, 660.0));
        assert!(app.contains_rect(text_rect), "at {width}: {text_rect:?}");
        for button in [
            "Copy all ▾",
            "Copy 3 selected ▾",
            "Clear finished",
            "Retry failed",
            "▶ Resume all",
            "⏸ Pause all",
        ] {
            let rect = h.get_by_label(button).rect();
            assert!(app.contains_rect(rect), "at {width}, {button} at {rect:?}");
            assert!(
                !rect.intersects(text_rect),
                "at {width} px, {text:?} at {text_rect:?} overlaps {button:?} at {rect:?}"
            );
        }
    }
}
