//! The look: one accent colour, generous spacing, light or dark following the system, and the
//! images from `assets/` (compiled in, decoded once at start).

use egui::{Color32, TextureOptions};

/// Wixup blue, the one accent colour.
pub const ACCENT: Color32 = Color32::from_rgb(37, 99, 235);
/// The local sandbox badge: amber, so it never looks like a real site.
pub const SANDBOX: Color32 = Color32::from_rgb(217, 119, 6);
/// A real Wix site.
pub const SITE: Color32 = Color32::from_rgb(22, 163, 74);

/// The size of a row's URL and status lines: one step above egui's small text (9 pt), which is
/// hard to read at 100 % scale; the three lines of a row still fit its fixed height.
pub const DETAIL_SIZE: f32 = 11.5;

pub const ICON_PNG: &[u8] = include_bytes!("../../assets/icon-256.png");
const DROP_PNG: &[u8] = include_bytes!("../../assets/drop.png");

pub fn apply(ctx: &egui::Context) {
    ctx.set_theme(egui::ThemePreference::System);
    for theme in [egui::Theme::Dark, egui::Theme::Light] {
        ctx.style_mut_of(theme, |style| {
            style.spacing.item_spacing = egui::vec2(8.0, 6.0);
            style.spacing.button_padding = egui::vec2(8.0, 4.0);
            style.spacing.interact_size.y = 24.0;
            let v = &mut style.visuals;
            v.selection.bg_fill = ACCENT;
            v.hyperlink_color = if theme == egui::Theme::Dark {
                Color32::from_rgb(96, 165, 250)
            } else {
                ACCENT
            };
        });
    }
}

/// The window icon.
pub fn icon() -> egui::IconData {
    eframe::icon_data::from_png_bytes(ICON_PNG).unwrap_or_default()
}

/// The empty-state illustration, or `None` if the compiled-in PNG cannot be decoded.
pub fn illustration(ctx: &egui::Context) -> Option<egui::TextureHandle> {
    let img = image::load_from_memory(DROP_PNG).ok()?.to_rgba8();
    let size = [img.width() as usize, img.height() as usize];
    let color = egui::ColorImage::from_rgba_unmultiplied(size, img.as_raw());
    Some(ctx.load_texture("drop-illustration", color, TextureOptions::LINEAR))
}

/// Sets the accessible label of a widget (icon buttons say what and which file).
pub fn a11y(resp: &egui::Response, role: egui::Role, label: String) {
    resp.widget_info(|| egui::WidgetInfo::labeled(role, true, &label));
}
