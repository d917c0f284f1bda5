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

/// The size `add` takes when laid out in `layout` at the current position, measured in an
/// invisible child: not painted, not focusable, not in the AccessKit tree, and clicks do not
/// reach it. Text does not wrap there, so what is measured is the natural size.
pub fn measure<R>(
    ui: &mut egui::Ui,
    id: egui::Id,
    layout: egui::Layout,
    add: impl FnOnce(&mut egui::Ui) -> R,
) -> egui::Vec2 {
    let mut child = ui.new_child(
        egui::UiBuilder::new()
            .id_salt(id)
            .layout(layout)
            .invisible(),
    );
    child.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
    add(&mut child);
    child.min_rect().size()
}

/// Lays `add` out left to right against the right edge of a horizontal `ui`: the reading order,
/// which is also the order Tab visits (a right-to-left layout made Tab run backwards). The group
/// is measured first ([`measure`]), so it lands where it belongs in the frame it first appears
/// or changes (a width kept from the last frame left it misplaced for a frame, where a click
/// could miss it).
pub fn right_aligned<R>(
    ui: &mut egui::Ui,
    id: egui::Id,
    mut add: impl FnMut(&mut egui::Ui) -> R,
) -> R {
    let layout = egui::Layout::left_to_right(egui::Align::Center);
    let width = measure(ui, id, layout, &mut add).x;
    ui.add_space((ui.available_width() - width).max(0.0));
    ui.scope(|ui| {
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
        add(ui)
    })
    .inner
}

/// The background of a clickable row (a queue row, a History entry): filled when selected or
/// hovered, and outlined with the ring a focused button shows when it has the keyboard focus.
pub fn row_background(ui: &egui::Ui, resp: &egui::Response, selected: bool) {
    let v = ui.visuals();
    let fill = if selected {
        Some(v.selection.bg_fill.gamma_multiply(0.35))
    } else {
        resp.hovered().then_some(v.widgets.hovered.weak_bg_fill)
    };
    if let Some(fill) = fill {
        ui.painter().rect_filled(resp.rect, 6.0, fill);
    }
    if resp.has_focus() {
        let stroke = v.widgets.active.fg_stroke;
        ui.painter()
            .rect_stroke(resp.rect, 6.0, stroke, egui::StrokeKind::Inside);
    }
}

/// A question in a modal, with `yes` and `no` buttons: `Some(true)` for yes, `Some(false)` for
/// no; Escape or a click outside answers `dismissed` (`None`: they do nothing).
pub fn question(
    ctx: &egui::Context,
    id: &str,
    [heading, body, yes, no]: [&str; 4],
    dismissed: Option<bool>,
) -> Option<bool> {
    let mut choice = None;
    let modal = egui::Modal::new(egui::Id::unique(id)).show(ctx, |ui| {
        ui.set_width(380.0);
        ui.heading(heading);
        ui.label(body);
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            if ui.button(yes).clicked() {
                choice = Some(true);
            }
            if ui.button(no).clicked() {
                choice = Some(false);
            }
        });
    });
    if choice.is_none() && modal.should_close() {
        choice = dismissed;
    }
    choice
}
