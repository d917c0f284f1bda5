//! "Add link…": a small window with one text field for an http(s) link (several, one a line,
//! when pasted), which Wix then imports. Refuses anything that is not an http(s) link, saying
//! so, and takes Enter to import and Escape to close.

use egui::{Key, RichText};

use super::action::AppAction;

#[derive(Default)]
pub struct LinkDialog {
    pub open: bool,
    text: String,
    error: Option<String>,
    /// Focus goes to the field once, when the window opens.
    focus: bool,
    /// How many times it opened: each opening is a new window, placed anew under its button
    /// (egui keeps a window where it last was).
    openings: u64,
}

/// Where "Add link…" keeps the point under its right edge, from which the window hangs.
pub fn anchor_id() -> egui::Id {
    egui::Id::unique("wixup-add-link-anchor")
}

/// The http(s) links in `text`, one a line; `Err` names the first line that is not one.
pub fn links_in_field(text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match crate::engine::parse_link(line) {
            Some(url) => out.push(url.to_string()),
            None => {
                return Err(format!(
                    "“{}” is not an http or https link",
                    crate::text::printable(line)
                ));
            }
        }
    }
    if out.is_empty() {
        return Err("Paste or type a link that starts with http:// or https://".into());
    }
    Ok(out)
}

impl LinkDialog {
    pub fn show(&mut self) {
        self.open = true;
        self.focus = true;
        self.error = None;
        self.openings += 1;
    }

    /// Draws the window while open; the links to import once the person confirms.
    pub fn ui(&mut self, ctx: &egui::Context) -> Option<AppAction> {
        if !self.open {
            return None;
        }
        let mut open = true;
        let mut action = None;
        let mut close = false;
        let mut window = egui::Window::new("Add a link")
            .id(egui::Id::unique("wixup-add-link").with(self.openings));
        if let Some(at) = ctx.data(|d| d.get_temp::<egui::Pos2>(anchor_id())) {
            window = window.pivot(egui::Align2::RIGHT_TOP).default_pos(at);
        }
        window
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .default_width(420.0)
            .show(ctx, |ui| {
                ui.label("Wix fetches the file from the link itself (http or https).");
                let field = ui.add(
                    egui::TextEdit::singleline(&mut self.text)
                        .hint_text("https://example.com/photo.jpg")
                        .desired_width(400.0),
                );
                super::style::a11y(&field, egui::Role::TextInput, "Link to import".into());
                if std::mem::take(&mut self.focus) {
                    field.request_focus();
                }
                let enter = field.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
                if let Some(e) = &self.error {
                    ui.label(RichText::new(e).small().color(ui.visuals().error_fg_color));
                }
                ui.horizontal(|ui| {
                    let import = ui.button("Import");
                    super::style::a11y(&import, egui::Role::Button, "Import the link".into());
                    if import.clicked() || enter {
                        match links_in_field(&self.text) {
                            Ok(urls) => {
                                action = Some(AppAction::AddLinks(urls));
                                close = true;
                            }
                            Err(e) => self.error = Some(e),
                        }
                    }
                    if ui.button("Cancel").clicked() {
                        close = true;
                    }
                });
            });
        if ctx.input(|i| i.key_pressed(Key::Escape)) {
            close = true;
        }
        if close || !open {
            self.open = false;
            self.text.clear();
            self.error = None;
        }
        action
    }
}

#[cfg(test)]
mod tests {
    use super::links_in_field;

    #[test]
    fn only_http_links_are_taken() {
        assert_eq!(
            links_in_field(" https://example.com/a.jpg \n\nhttp://127.0.0.1:8/b.png"),
            Ok(vec![
                "https://example.com/a.jpg".to_string(),
                "http://127.0.0.1:8/b.png".to_string()
            ])
        );
        assert!(
            links_in_field("ftp://example.com/a.jpg")
                .is_err_and(|e| e.contains("ftp://example.com/a.jpg"))
        );
        assert!(links_in_field("   ").is_err());
        assert!(links_in_field("/home/me/a.jpg").is_err());
    }
}
